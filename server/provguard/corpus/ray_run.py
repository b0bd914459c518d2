"""`provguard filter --engine ray`: the filter run as a Ray Data stage over a folder of corpus files.

The dataset is the list of input files; `map_batches` sends them, one at a time, to a pool of `FileStage`
actors (as many as the cluster has CPUs unless told), each of which loads the policy snapshot once, from
Ray's shared object store (zero-copy: one copy per machine), and filters whole files with corpus_files.py.
The unit of parallel work is a file, which is how large corpora are stored (shards of 100 MB to a few GB);
it keeps each output file the exact counterpart of its input, written once, whatever Ray retries. The
driver receives only counts and side-report lines, spools the lines to disk as files finish (ReportSpool) and
writes the report in input order.

Ray is imported only here and only when this engine is chosen: the base install does not include it.
"""

from __future__ import annotations

import importlib
import logging
import os
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

from .corpus_files import FileResult, FileTask, file_format, filter_file
from .judge import Judge
from .pipeline import FilterConfig
from .ray_loopback import LOOPBACK, loopback_only
from .report_spool import ReportSpool
from .side_report import Counts
from .snapshot import snapshot_from_buffer

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


@dataclass(frozen=True)
class JudgeSettings:
    """What the actors build their judge from, besides the snapshot (plain data, sent to every actor)."""

    placements: tuple[str, ...] | None
    """None: each file is judged at its output path (as the one-machine filter judges at OUTPUT)."""
    min_severity: str
    redact: bool


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
        import ray
        import ray.data  # noqa: F401
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


class FileStage:
    """The callable class `map_batches` runs: one judge per actor, built from the snapshot in the object store."""

    def __init__(self, snapshot: bytes, settings: JudgeSettings, config: dict[str, Any], filesystems: bytes,
                 batch_rows: int, environment: dict[str, str] | None = None, hashed: bool = False) -> None:
        import ray

        os.environ.update(environment or {})  # before the file systems exist: they may read credentials from it

        from provguard.policy.model import Severity

        from .pipeline import OnBadLine
        from .samples import Fields

        buffer = ray.get(ray.cloudpickle.loads(snapshot))  # a read-only NumPy array in shared memory: no copy
        loaded = snapshot_from_buffer(buffer, "the policy snapshot")
        judge = Judge.from_snapshot(loaded, settings.placements or (), Severity(settings.min_severity), settings.redact)
        self.config = FilterConfig(judge, Fields(**config["fields"]), OnBadLine(config["on_bad_line"]),
                                   config["max_sample_bytes"])
        self.source_fs, self.target_fs = ray.cloudpickle.loads(filesystems)
        self.batch_rows = batch_rows
        self.per_file_placement = settings.placements is None
        self.hashed = hashed

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[Any]]:
        out: dict[str, list[Any]] = {"name": [], "counts": [], "report": [], "error": [], "digests": []}
        for source, target, name, output_name, placement in zip(
                batch["source"], batch["target"], batch["name"], batch["output_name"], batch["placement"],
                strict=True):
            config = self.config
            if self.per_file_placement:
                config = replace(config, judge=replace(config.judge, placements=(str(placement),)))
            task = FileTask(str(source), str(target), str(name), str(output_name))
            try:
                result = filter_file(config, task, self.source_fs, self.target_fs, self.batch_rows, self.hashed)
            except Exception as exc:  # a file system's own exception types: still this file's error, not the run's
                result = FileResult(task.name, error=f"{task.name}: {type(exc).__name__}: {exc}")
            out["name"].append(result.name)
            out["counts"].append(_counts_json(result.counts))
            out["report"].append("\n".join(result.report))
            out["error"].append(result.error or "")
            out["digests"].append(" ".join(result.digests or ()))
        return out


def run_on_ray(snapshot: bytes, settings: JudgeSettings, config: FilterConfig, input_uri: str, output_uri: str,
               options: RayOptions, placement: Callable[[str], str], stage: type[FileStage] = FileStage,
               hashed: bool = False) -> RayRun:
    """Filters every corpus file under `input_uri` into `output_uri` on Ray. `config.judge` is not sent: the
    actors build theirs from `snapshot` and `settings`. `placement` gives an output file's corpus path, for
    `settings.placements` None. `hashed`: the actors hash each input and output as they stream (`digests`)."""
    import json

    import numpy as np
    import ray
    import ray.data

    source_fs, target_fs, tasks = plan(input_uri, output_uri)
    started_here = not ray.is_initialized()
    if started_here:
        connect(options)
    try:
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False
        context.print_on_execution_start = False
        logging.getLogger("ray.data").setLevel(logging.ERROR)  # the summary line says what the run did
        ref = ray.put(np.frombuffer(snapshot, dtype=np.uint8))
        cpus = int(ray.cluster_resources().get("CPU", 1))  # type: ignore[no-untyped-call]
        actors = max(1, min(options.concurrency or cpus, len(tasks)))
        items = [{"source": t.source, "target": t.target, "name": t.name, "output_name": t.output_name,
                  "placement": placement(t.target)} for t in tasks]
        # Files differ in size: an actor takes the next file only when it is done with its current one.
        pool = ray.data.ActorPoolStrategy(size=actors, max_tasks_in_flight_per_actor=1)
        remote: dict[str, Any] = {}
        if options.runtime_env and not started_here:  # started here, the job has it already
            remote["runtime_env"] = options.runtime_env
        # Pickled here, opened by each actor after it has set `options.environment`.
        filesystems = ray.cloudpickle.dumps([source_fs, target_fs])  # type: ignore[no-untyped-call]
        dataset = ray.data.from_items(items, override_num_blocks=len(items)).map_batches(
            stage, batch_size=1, batch_format="numpy", compute=pool, num_cpus=1, **remote,
            fn_constructor_kwargs={
                # Sent as a pickled reference rather than an argument: Ray keeps the snapshot pinned while this
                # driver runs, so an actor restarted after a crash can still read it.
                "snapshot": ray.cloudpickle.dumps(ref),  # type: ignore[no-untyped-call]
                "settings": settings, "filesystems": filesystems, "environment": options.environment,
                "batch_rows": options.batch_rows, "hashed": hashed,
                "config": {"fields": {"code": config.fields.code, "path": config.fields.path,
                                      "language": config.fields.language},
                           "on_bad_line": config.on_bad_line.value, "max_sample_bytes": config.max_sample_bytes}})
        by_name: dict[str, FileResult] = {}
        spool = ReportSpool()
        digests: dict[str, tuple[str, str]] = {}
        for row in dataset.iter_rows():
            result = FileResult(str(row["name"]), _counts_from_json(json.loads(row["counts"])), [],
                                str(row["error"]) or None)
            spool.add(result.name, str(row["report"]))
            by_name[result.name] = result
            if row["digests"]:
                read, written = str(row["digests"]).split(" ")
                digests[result.name] = (read, written)
    finally:
        if started_here:
            ray.shutdown()
    run = RayRun([by_name[t.name] for t in tasks], tasks=tasks, spool=spool, digests=digests)
    for result in run.results:
        run.counts.merge(result.counts)
    return run


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


def _counts_json(counts: Counts) -> str:
    import json

    return json.dumps({"lines": counts.lines, "kept": counts.kept, "dropped": counts.dropped,
                       "redacted": counts.redacted, "bad": counts.bad, "bad_written": counts.bad_written,
                       "rules": dict(counts.rules), "dropped_rules": dict(counts.dropped_rules),
                       "redacted_rules": dict(counts.redacted_rules)})


def _counts_from_json(data: dict[str, Any]) -> Counts:
    counts = Counts(data["lines"], data["kept"], data["dropped"], data["redacted"], data["bad"], data["bad_written"])
    counts.rules.update(data["rules"])
    counts.dropped_rules.update(data["dropped_rules"])
    counts.redacted_rules.update(data["redacted_rules"])
    return counts
