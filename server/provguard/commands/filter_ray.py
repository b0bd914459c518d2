"""`provguard filter --engine ray`: the checks and messages around corpus/ray_run.py."""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from provguard.policy.model import Severity
from provguard.printable import say

from .common import EXIT_CLEAN, EXIT_USAGE, flagged_policy, usage_error

if TYPE_CHECKING:
    from provguard.corpus.ray_run import RayRun
    from provguard.corpus.snapshot import Snapshot
    from provguard.policy.policy import Policy

MAX_BAD_LINES_SHOWN = 20
MAX_FAILED_FILES_NAMED = 10
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def run_ray(args: argparse.Namespace, overrides: dict[str, Severity]) -> int:
    from provguard.corpus import compression
    from provguard.corpus.judge import Judge
    from provguard.corpus.pipeline import FilterConfig, OnBadLine
    from provguard.corpus.ray_actor import JudgeSettings
    from provguard.corpus.ray_run import RayOptions, RayRunError, require_ray, run_on_ray
    from provguard.corpus.run import corpus_placement
    from provguard.corpus.samples import Fields
    from provguard.corpus.snapshot import SnapshotError, snapshot_bytes, snapshot_from_buffer

    try:
        require_ray()
    except RayRunError as exc:
        return usage_error(str(exc))
    if args.input == "-" or args.output == "-":
        return usage_error("--engine ray reads and writes files or folders (local, or any URI pyarrow knows), "
                    "not stdin or stdout: give INPUT and OUTPUT")
    if args.ledger is not None:
        return usage_error("--ledger cannot be used with --engine ray: workers cannot reach a ledger; pass its agent "
                    "edits in a snapshot (provguard export --snapshot FILE --ledger ...) with --snapshot FILE")
    if (args.concurrency is not None and args.concurrency < 1) or args.batch_rows < 1:
        return usage_error("--concurrency and --batch-rows must be at least 1")
    if not args.ray_connect_timeout > 0:
        return usage_error("--ray-connect-timeout must be more than 0 seconds")
    workers = ray_workers(args.ray_runtime_env, args.ray_pass_env, os.environ)
    if isinstance(workers, str):
        return usage_error(workers)
    runtime_env, environment = workers
    policy: Policy | None = None
    if args.snapshot is not None:
        given = [flag for flag, value in (("--pack", args.packs), ("--severity", args.severity)) if value]
        if given:
            return usage_error(f"{', '.join(given)} cannot be used with --snapshot: the snapshot holds the policy")
        try:
            data = args.snapshot.read_bytes()
        except OSError as exc:
            return usage_error(f"cannot read the snapshot {args.snapshot}: {exc.strerror or exc}")
    else:
        policy = flagged_policy(args.root, args.packs, overrides)
        if policy is None:
            return EXIT_USAGE
        try:
            data = snapshot_bytes(policy, [], None)
        except SnapshotError as exc:
            return usage_error(str(exc))
    try:  # checked here, once, so a bad snapshot is one clear error rather than one per worker
        snapshot = snapshot_from_buffer(data, str(args.snapshot or "the policy snapshot"))
    except SnapshotError as exc:
        return usage_error(str(exc))
    settings = JudgeSettings(tuple(args.placements) if args.placements else None, args.min_severity, args.redact)
    config = FilterConfig(Judge(snapshot.policy), Fields(args.code_field, args.path_field, args.language_field),
                          OnBadLine(args.on_bad_line), args.max_sample_bytes)
    root = args.root

    def placement(target: str) -> str:
        if "://" in args.output:
            return compression.bare(target)
        return corpus_placement("-", target, root)

    try:
        run = run_on_ray(data, settings, config, args.input, args.output,
                         RayOptions(args.ray_address, args.concurrency, args.batch_rows, args.ray_connect_timeout,
                                    runtime_env, environment),
                         placement, hashed=args.attest is not None)
    except RayRunError as exc:
        return usage_error(str(exc))
    try:
        _show_bad_lines(run)
        if args.report is not None:
            try:
                _write_report(args.report, run)
            except OSError as exc:
                return usage_error(f"cannot write the report {args.report}: {exc.strerror or exc}")
    finally:
        run.spool.close()
    for failed in run.failed:
        say(failed.error)
    files = len(run.results)
    print(f"provguard filter: {run.counts.summary()} ({files} {'file' if files == 1 else 'files'} on Ray)",
          file=sys.stderr)
    if run.failed:
        names = ", ".join(r.name for r in run.failed[:MAX_FAILED_FILES_NAMED])
        more = len(run.failed) - MAX_FAILED_FILES_NAMED
        names += f" and {more} more (see --report)" if more > 0 else ""
        return usage_error(f"{len(run.failed)} of {files} files could not be filtered ({names}); their outputs were "
                           "not written")
    if args.attest is not None:
        return _attest(args, run, snapshot if args.snapshot is not None else None, policy)
    return EXIT_CLEAN


def ray_workers(given: str | None, pass_env: str | None,
                environ: Mapping[str, str]) -> tuple[dict[str, Any] | None, dict[str, str]] | str:
    """The run's runtime_env, from `--ray-runtime-env` (a JSON object, or a file holding one), and the variables
    of this process that `--ray-pass-env` names, for the actors to set; an error message otherwise. No message
    shows a variable's value."""
    runtime_env: dict[str, Any] = {}
    if given is not None:
        where, text = "--ray-runtime-env", given
        if not given.lstrip().startswith(("{", "[")):  # JSON text, else a file
            where = given
            try:
                text = Path(given).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                problem = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
                return f"--ray-runtime-env: cannot read {given}: {problem} (give a JSON object or a file holding one)"
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            return f"{where}:{exc.lineno}:{exc.colno}: not JSON: {exc.msg}"
        if not isinstance(data, dict):
            return f"{where}:1:1: a runtime_env is a JSON object, such as {{\"pip\": [\"provguard[ray]\"]}}"
        env_vars = data.get("env_vars", {})
        if not isinstance(env_vars, dict) or not all(isinstance(v, str) for v in env_vars.values()):
            return f"{where}: \"env_vars\" must be an object of strings"
        runtime_env = data
    if pass_env is not None:
        names = [name.strip() for name in pass_env.split(",") if name.strip()]
        wrong = [name.split("=", 1)[0] + ("=..." if "=" in name else "") for name in names
                 if not ENV_NAME.fullmatch(name)]  # NAME=VALUE: the value may be a secret
        if not names or wrong:
            return f"--ray-pass-env takes names of environment variables, comma-separated: {', '.join(wrong) or '-'}"
        missing = [name for name in names if name not in environ]
        if missing:
            return f"--ray-pass-env: not set in this environment: {', '.join(missing)}"
        both = [name for name in names if name in runtime_env.get("env_vars", {})]
        if both:
            return f"--ray-pass-env: also set by --ray-runtime-env's env_vars: {', '.join(both)}"
        return runtime_env or None, {name: environ[name] for name in names}
    return runtime_env or None, {}


def _attest(args: argparse.Namespace, run: RayRun, snapshot: Snapshot | None, policy: Policy | None) -> int:
    """The statement of the run, each file named by its path or URI (attested_uri) with the digest the actor
    that filtered it computed as it read and wrote it: local folders and object stores alike."""
    from provguard.corpus.attestation import FilterFacts, policy_identity, snapshot_ledger
    from provguard.corpus.ray_run import attested_uri
    from provguard.corpus.snapshot import SnapshotError

    from .filter import attested_settings, write_statement

    try:
        if snapshot is not None:
            identity, ledger = policy_identity(snapshot.policy, snapshot), snapshot_ledger(snapshot)
        else:
            assert policy is not None, "a run without --snapshot judges by the project's policy"
            identity, ledger = policy_identity(policy), None
    except SnapshotError as exc:
        return usage_error(str(exc))
    inputs = tuple(attested_uri(args.input, t.source) for t in run.tasks)
    outputs = tuple(attested_uri(args.output, t.target) for t in run.tasks)
    digests: dict[str, str] = {}
    for task, read, written in zip(run.tasks, inputs, outputs, strict=True):
        if task.name in run.digests:
            digests[read], digests[written] = run.digests[task.name]
    facts = FilterFacts("ray", inputs, outputs, identity, ledger, run.counts, attested_settings(args), digests)
    return write_statement(args, facts)


def _show_bad_lines(run: RayRun) -> None:
    shown = 0
    for result in run.results:
        for line in run.report_lines(result):
            record = json.loads(line)
            if record["action"] != "bad-line":
                continue
            shown += 1
            if shown > MAX_BAD_LINES_SHOWN:
                print("provguard: more bad lines: see the report (--report FILE)", file=sys.stderr)
                return
            where = f"{record['file']}:{record.get('line', record.get('row'))}"
            column = f"column {record['column']}: " if record.get("column") is not None else ""
            what = "passed through" if record["written"] else "dropped"
            say(f"{where}: {column}{record['problem']} ({what})")


def _write_report(path: Path, run: RayRun) -> None:
    with path.open("w", encoding="utf-8") as out:
        for result in run.results:
            for line in run.report_lines(result):
                out.write(line + "\n")
            if result.error is not None:
                out.write(json.dumps({"file": result.name, "action": "file-error", "problem": result.error}) + "\n")
        summary = run.counts.as_json()
        summary["files"] = len(run.results)
        summary["failedFiles"] = len(run.failed)
        out.write(json.dumps({"summary": summary}) + "\n")
