"""`provguard filter --engine ray`: the filter run on Ray over a folder of corpus files.

A pool of actors (ray_actor.FileStage; as many as the cluster has CPUs unless told, spread over its nodes) each
loads the policy snapshot once, from Ray's shared object store (zero-copy: one copy per machine), and filters
whole files with corpus_files.py: it reads its file and writes its output itself. The driver gives each actor one
file and the next when it is done (`ray.wait`); the records never pass through the driver or the object
store, only each file's counts, side-report lines and digests come back. The unit of parallel work is a file,
which is how large corpora are stored (shards of 100 MB to a few GB); it keeps each output file the exact
counterpart of its input, written once, whatever Ray retries. The driver spools the report lines to disk as
files finish (ReportSpool) and writes the report in input order.

Plain actors rather than a Ray Data stage: Ray Data's machinery (its executor's loop in the driver, which costs
CPU for as long as the run lasts, its helper actors, its imports in the driver and every actor) made a run
cost ~20% more CPU per MB than one process (bench/ray_filter.py); a run of whole files needs none of it. Ray
is imported only here and only when this engine is chosen: the base install does not include it.
"""

from __future__ import annotations

import importlib
import os
import re
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from .corpus_files import FileResult, FileTask, file_format
from .pipeline import FilterConfig
from .ray_actor import FileStage, JudgeSettings
from .ray_loopback import LOOPBACK, loopback_only
from .report_spool import ReportSpool
from .side_report import Counts

RAY_EXTRA = "pip install 'provguard[ray]'"
RAY_CLIENT_EXTRA = "pip install 'ray[client]'"
GCS_ATTEMPTS = "RAY_gcs_server_port_wait_time_s"
"""Ray's attempts (about one a second, each with its own timeouts) to reach a cluster's GCS; default 20."""


TOKEN_SOURCES = "as RAY_AUTH_TOKEN, in a file named by RAY_AUTH_TOKEN_PATH, or in ~/.ray/auth_token"
"""Where Ray's token authentication finds the token, in Ray's order."""
SECRET_MIN_LENGTH = 6
"""Shorter runtime_env values (`1`, `true`, a region) are not hidden: they would blank common words."""


class RayRunError(Exception):
    """The run cannot start or finish: no Ray, no input files, a cluster that cannot be reached."""


@dataclass(frozen=True)
class RayOptions:
    address: str | None = None
    """A running cluster (`ray://...` or `host:port`); None starts a local one (or uses RAY_ADDRESS)."""
    concurrency: int | None = None
    """Actors; None: one per CPU of the cluster."""
    batch_rows: int = 1024
    """Parquet rows judged per call."""
    connect_timeout: float = 30.0
    """Seconds to reach a running cluster before giving up (Ray itself retries for minutes)."""
    runtime_env: dict[str, Any] | None = None
    """Ray's runtime_env for the run (the job's; the actors' when the caller started Ray): what a cluster's
    workers need that the driver has, such as provguard itself (`pip`). Ray's runtime-env agent writes it,
    values included, to each node's log: secrets go in `environment`."""
    environment: dict[str, str] = field(default_factory=dict, repr=False)
    """Variables each actor sets in its process before it opens the file systems, such as a remote file
    system's credentials: sent with the actors' constructor arguments (Ray's object store), never logged."""


@dataclass
class RayRun:
    results: list[FileResult]
    """In input order; their `report` is empty: the lines are in `spool`."""
    counts: Counts = field(default_factory=Counts)
    tasks: list[FileTask] = field(default_factory=list)
    """The files read and written, in the order of `results` (an attestation's inputs and subjects)."""
    spool: ReportSpool = field(default_factory=ReportSpool)
    """Opens its file with the first report line: a run without any holds none."""
    digests: dict[str, tuple[str, str]] = field(default_factory=dict)
    """By file name: SHA-256 of the input and output as the actors read and wrote them (when `hashed`)."""

    @property
    def failed(self) -> list[FileResult]:
        return [r for r in self.results if r.error is not None]

    def report_lines(self, result: FileResult) -> Iterator[str]:
        return self.spool.lines(result.name)


def require_ray() -> None:
    try:
        import pyarrow.fs  # noqa: F401
        import ray  # noqa: F401
    except ImportError as exc:
        raise RayRunError(f"--engine ray needs Ray, which is not installed: {RAY_EXTRA}") from exc


def plan(input_uri: str, output_uri: str) -> tuple[Any, Any, list[FileTask]]:
    """Input and output file systems and one task per corpus file. A folder is read recursively and mirrored
    into the output folder; a single file is written to the output path."""
    import pyarrow.fs as pafs

    source_fs, source = _file_system(input_uri)
    target_fs, target = _file_system(output_uri)
    info = source_fs.get_file_info(source)
    if info.type == pafs.FileType.NotFound:
        raise RayRunError(f"no such file or folder: {shown_uri(input_uri)}")
    if info.type == pafs.FileType.File:
        if file_format(source) is None:
            raise RayRunError(f"{shown_uri(input_uri)}: not a corpus file (.jsonl, .jsonl.gz, .jsonl.zst, .parquet)")
        if file_format(target) != file_format(source):
            raise RayRunError(f"{shown_uri(output_uri)}: the output is written in the input's format, so it needs "
                              f"the input's suffix ({file_format(source)})")
        return source_fs, target_fs, [FileTask(source, target, shown_uri(input_uri), shown_uri(output_uri))]
    if _inside(target, source) and type(source_fs) is type(target_fs):
        raise RayRunError(f"the output folder {shown_uri(output_uri)} is inside the input folder "
                          f"{shown_uri(input_uri)}")
    files = source_fs.get_file_info(pafs.FileSelector(source, recursive=True))
    tasks = []
    for file in sorted(files, key=lambda f: f.path):
        relative = file.path[len(source.rstrip("/")) + 1:]
        if file.type == pafs.FileType.File and file_format(file.path) is not None \
                and not relative.endswith(".provguard-partial"):
            tasks.append(FileTask(file.path, f"{target.rstrip('/')}/{relative}", relative,
                                  f"{shown_uri(output_uri).rstrip('/')}/{relative}"))
    if not tasks:
        raise RayRunError(f"{shown_uri(input_uri)}: no corpus files (.jsonl, .jsonl.gz, .jsonl.zst, .parquet) in "
                          "the folder")
    return source_fs, target_fs, tasks


def _file_system(uri: str) -> tuple[Any, str]:
    import pyarrow.fs as pafs

    if "://" in uri:
        try:
            return pafs.FileSystem.from_uri(uri)  # type: ignore[no-any-return]
        except Exception as exc:  # pyarrow raises several types for unknown schemes and bad URIs
            raise RayRunError(f"{shown_uri(uri)}: {str(exc).replace(uri, shown_uri(uri))}") from exc
    return pafs.LocalFileSystem(), os.path.abspath(uri)


def _inside(path: str, folder: str) -> bool:
    return (path.rstrip("/") + "/").startswith(folder.rstrip("/") + "/")


def run_on_ray(snapshot: bytes, settings: JudgeSettings, config: FilterConfig, input_uri: str, output_uri: str,
               options: RayOptions, placement: Callable[[str], str], stage: type[FileStage] = FileStage,
               hashed: bool = False) -> RayRun:
    """Filters every corpus file under `input_uri` into `output_uri` on Ray. `config.judge` is not sent: the
    actors build theirs from `snapshot` and `settings`. `placement` gives an output file's corpus path, for
    `settings.placements` None. `hashed`: the actors hash each input and output as they stream (`digests`)."""
    import numpy as np
    import ray

    source_fs, target_fs, tasks = plan(input_uri, output_uri)
    started_here = not ray.is_initialized()
    if started_here:
        connect(options)
    actors: list[Any] = []
    try:
        ref = ray.put(np.frombuffer(snapshot, dtype=np.uint8))
        cpus = int(ray.cluster_resources().get("CPU", 1))  # type: ignore[no-untyped-call]
        # One CPU each, spread over the nodes; a worker that dies is started again and its file given again.
        remote: dict[str, Any] = {"num_cpus": 1, "scheduling_strategy": "SPREAD", "max_restarts": -1,
                                  "max_task_retries": FILE_RETRIES}
        if options.runtime_env and not started_here:  # started here, the job has it already
            remote["runtime_env"] = options.runtime_env
        arguments = {
            # Sent as a pickled reference rather than an argument: Ray keeps the snapshot pinned while this
            # driver runs, so an actor restarted after a crash can still read it.
            "snapshot": ray.cloudpickle.dumps(ref),  # type: ignore[no-untyped-call]
            # Pickled here, opened by each actor after it has set `options.environment`.
            "filesystems": ray.cloudpickle.dumps([source_fs, target_fs]),  # type: ignore[no-untyped-call]
            "settings": settings, "environment": options.environment, "batch_rows": options.batch_rows,
            "hashed": hashed,
            "config": {"fields": {"code": config.fields.code, "path": config.fields.path,
                                  "language": config.fields.language},
                       "on_bad_line": config.on_bad_line.value, "max_sample_bytes": config.max_sample_bytes}}
        worker = ray.remote(stage).options(**remote)
        count = max(1, min(options.concurrency or cpus, len(tasks)))
        actors = [worker.remote(**arguments) for _ in range(count)]
        run = _dispatch(actors, tasks, placement, options)
    finally:
        for actor in actors:
            ray.kill(actor)  # their CPUs are the cluster's again (the caller's Ray lives on)
        if started_here:
            ray.shutdown()
    for result in run.results:
        run.counts.merge(result.counts)
    return run


FILE_RETRIES = 3
"""Times a file is given again to its actor, started anew, when the actor's process died filtering it."""


def _dispatch(actors: list[Any], tasks: list[FileTask], placement: Callable[[str], str],
              options: RayOptions) -> RayRun:
    """Each actor, once started, is given one file, and the next when it is done (files differ in size; an actor
    the cluster has no CPU for gets none); as each file finishes, its report lines go to the spool and its
    counts are kept, in input order at the end. A file whose actor died more than FILE_RETRIES times is that
    file's error, and the actor is let go; when no actor is left, the files not yet given are errors.
    Raises RayRunError when no actor could start at all."""
    import ray
    from ray.exceptions import RayError

    waiting = list(reversed(tasks))
    starting = {actor.started.remote(): actor for actor in actors}
    running: dict[Any, tuple[Any, FileTask]] = {}
    by_name: dict[str, FileResult] = {}
    spool = ReportSpool()
    digests: dict[str, tuple[str, str]] = {}
    stopped = ""  # why the last actor that failed did

    def give(actor: Any) -> None:
        if waiting:
            task = waiting.pop()
            running[actor.filter.remote(task, placement(task.target))] = (actor, task)

    while running or (starting and waiting):
        (done,), _ = ray.wait([*running, *starting], num_returns=1)
        if done in starting:
            actor = starting.pop(done)
            try:
                ray.get(done)
            except RayError as exc:  # its constructor failed: provguard missing on its node, say
                stopped = hide_secrets(_why(exc), options)
                continue
            give(actor)
            continue
        actor, task = running.pop(done)
        try:
            result: FileResult = ray.get(done)
            give(actor)
        except RayError as exc:
            stopped = hide_secrets(_why(exc), options)
            result = FileResult(task.name, error=f"{task.name}: the Ray worker filtering it stopped ({stopped})")
            ray.kill(actor, no_restart=True)  # its CPU goes to an actor still waiting for one, if any
        spool.add(result.name, "\n".join(result.report))
        result.report = []  # spooled: the driver keeps counts, not lines
        by_name[result.name] = result
        if result.digests is not None:
            digests[result.name] = result.digests
    if waiting and not by_name:
        raise RayRunError(f"no Ray worker could start: {stopped}")
    for task in waiting:
        by_name[task.name] = FileResult(task.name, error=f"{task.name}: not filtered: no Ray worker left ({stopped})")
    return RayRun([by_name[t.name] for t in tasks], tasks=tasks, spool=spool, digests=digests)


def _why(error: BaseException) -> str:
    """Why an actor stopped, in one line: Ray's message ends with it (the exception its constructor raised, or
    how its process died), after a traceback and with terminal colours."""
    lines = [line.strip() for line in re.sub(r"\x1b\[[0-9;]*m", "", str(error)).splitlines()]
    return next((line for line in reversed(lines) if line), type(error).__name__)


def connect(options: RayOptions) -> None:
    """Joins the cluster asked for (`options.address`, else RAY_ADDRESS), or starts a local one that reaches
    nothing beyond loopback. Token authentication is Ray's own, read by ray.init from this process's
    environment: a cluster is joined with a token only under RAY_AUTH_MODE=token (Ray never sends one to an
    explicit address otherwise), and a local cluster uses one unless RAY_AUTH_MODE=disabled. No message shows
    a token or a value of the actors' environment."""
    import ray

    quiet: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, "configure_logging": False}
    if options.runtime_env:
        quiet["runtime_env"] = options.runtime_env
    address = options.address or os.environ.get("RAY_ADDRESS") or "local"
    if address == "local":
        try:
            with loopback_only():
                ray.init(address="local", _node_ip_address=LOOPBACK, **quiet)
        except (ConnectionError, RuntimeError, ValueError, TypeError, OSError) as exc:
            raise RayRunError(hide_secrets(f"cannot start a local Ray cluster: {exc}", options)) from exc
        return
    where = f"the Ray cluster at {shown_uri(address)}" + ("" if options.address else " (from RAY_ADDRESS)")
    if address.startswith("ray://"):
        try:
            importlib.import_module("grpc")
        except ImportError as exc:
            raise RayRunError(f"cannot reach {where}: ray:// addresses go through Ray Client, which is not "
                              f"installed: {RAY_CLIENT_EXTRA} (or give the cluster's host:port)") from exc
    _reachable(address, options.connect_timeout, where)
    # One attempt (Ray's own, with its internal timeouts) rather than Ray's default of twenty: the port
    # answered, so a cluster that is there answers the first time.
    single = GCS_ATTEMPTS not in os.environ
    if single:
        os.environ[GCS_ATTEMPTS] = "1"
    try:
        ray.init(address=address, **quiet)
    except (ConnectionError, RuntimeError, ValueError, TypeError, OSError) as exc:
        if _refused_token(exc) and os.environ.get("RAY_AUTH_MODE", "").lower() != "token":
            raise RayRunError(f"cannot reach {where}: it requires Ray's token authentication: set RAY_AUTH_MODE=token "
                              f"and give the cluster's token {TOKEN_SOURCES}") from exc
        if _refused_token(exc):
            raise RayRunError(f"cannot reach {where}: it refused this process's authentication token (give the "
                              f"cluster's token {TOKEN_SOURCES})") from exc
        raise RayRunError(hide_secrets(f"cannot reach {where}: {exc}", options)) from exc
    finally:
        if single:
            del os.environ[GCS_ATTEMPTS]


def _reachable(address: str, timeout: float, where: str) -> None:
    """Fails within `timeout` when nothing answers at the address's host and port (Ray would retry for
    minutes). Addresses without a port (`auto`, `ray://host`) are left to Ray."""
    rest = address.split("://", 1)[1] if "://" in address else address
    try:
        parts = urlsplit("//" + rest)
        host, port = parts.hostname, parts.port
    except ValueError as exc:
        raise RayRunError(f"cannot reach {where}: not host:port ({exc})") from exc
    if not host or port is None:
        return
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except TimeoutError as exc:
        raise RayRunError(f"cannot reach {where}: no answer within {timeout:g} s (--ray-connect-timeout)") from exc
    except OSError as exc:
        raise RayRunError(f"cannot reach {where}: {exc.strerror or exc}") from exc


def _refused_token(error: BaseException | None) -> bool:
    """Whether Ray's token authentication is why `ray.init` failed: Ray raises a ConnectionError caused by a
    RuntimeError that quotes the AuthenticationError's traceback in its message."""
    from ray.exceptions import AuthenticationError

    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, AuthenticationError) or "InvalidAuthToken" in str(error):
            return True
        error, seen = error.__cause__ or error.__context__, seen + 1
    return False


def hide_secrets(message: str, options: RayOptions) -> str:
    """`message` without the values of the actors' environment, the runtime_env's env_vars and Ray's token, in
    case Ray's own error quotes them."""
    env_vars = (options.runtime_env or {}).get("env_vars") or {}
    secrets = [str(value) for value in [*env_vars.values(), *options.environment.values()]] + \
        [os.environ.get("RAY_AUTH_TOKEN", "")]
    for secret in sorted((s for s in secrets if len(s) >= SECRET_MIN_LENGTH), key=len, reverse=True):
        message = message.replace(secret, "***")
    return message


ATTESTED_QUERY = ("endpoint_override", "scheme", "region")
"""The parts of a URI's query an attestation keeps, so `verify` reaches the same store: none of them a key."""


def attested_uri(uri: str, path: str) -> str:
    """How an attestation names the file at `path` on `uri`'s file system: the URI `verify` opens again, without
    a user, password or query part that may be a key (only ATTESTED_QUERY); a local path as it is."""
    if "://" not in uri:
        return path
    from urllib.parse import parse_qsl, urlencode

    parts = urlsplit(uri.split("#", 1)[0])
    kept = urlencode([(k, v) for k, v in parse_qsl(parts.query) if k in ATTESTED_QUERY])
    host = parts.netloc.rpartition("@")[2]
    where = f"{parts.scheme}://{host}{path}" if path.startswith("/") else f"{parts.scheme}://{path}"
    return where + (f"?{kept}" if kept else "")


def shown_uri(uri: str) -> str:
    """A URI as messages may show it: without a user, password or query (where keys may be). Everything up to
    the last `@` goes, not only a well-formed user part: a secret key with an unescaped `/` in it would
    otherwise pass for a path."""
    if "://" not in uri:
        return uri
    scheme, rest = uri.split("://", 1)
    rest = rest.split("?", 1)[0].split("#", 1)[0].rpartition("@")[2]
    return f"{scheme}://{rest}"
