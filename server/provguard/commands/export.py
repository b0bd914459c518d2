"""`provguard export`: flagged spans as JSON Lines and flagged files as a plain list, for data pipelines."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from provguard.files import skipped_notes
from provguard.ledger.location import ledger_source, read_ledger
from provguard.ledger.store import Ledger
from provguard.policy.model import Severity
from provguard.policy.policy import Policy
from provguard.printable import printable, say

from .common import (
    EXIT_CLEAN,
    EXIT_USAGE,
    add_parser,
    add_policy_arguments,
    flagged_policy,
    parse_overrides,
    root_error,
    usage_error,
)

LEVELS = ("error", "warning", "info", "hint")
FORMATS = ("flagged", "agent-trace")


def register(subparsers: Any) -> None:
    parser = add_parser(subparsers, "export", "write what must not enter a training set or a test-task set: "
                        "flagged spans (JSON Lines) and the files that hold them")
    parser.add_argument("path", nargs="?", type=Path, default=Path("."), metavar="PATH")
    parser.add_argument("--format", choices=FORMATS, default="flagged",
                        help="flagged: what the rule packs flag (default); agent-trace: the AI lines provguard knows "
                        "at --revision, as an Agent Trace 0.1 record")
    parser.add_argument("--revision", metavar="REV",
                        help="with --format agent-trace: the commit whose files are described (default: HEAD)")
    parser.add_argument("--jsonl", default="-", metavar="FILE",
                        help="one record per flagged span, or the trace record (default: - for stdout)")
    parser.add_argument("--paths", type=Path, metavar="FILE",
                        help="the flagged files, one path a line, for tools that exclude by path")
    parser.add_argument("--min-severity", choices=LEVELS, default="error",
                        help="findings at or above this severity flag a span (default: error)")
    add_policy_arguments(parser)
    parser.add_argument("--root", type=Path,
                        help="project root that paths and pack globs are relative to (default: PATH's project, "
                             "found as check finds it)")
    parser.add_argument("--ledger", metavar="FILE|URL",
                        help="ledger of recorded provenance (default: ROOT/.provguard/ledger.sqlite3 if present)")
    parser.add_argument("--verbose", action="store_true", help="list every skipped file, not only their count")
    parser.add_argument("--snapshot", type=Path, metavar="FILE",
                        help="instead of judging PATH, write a policy snapshot for pipeline workers: the resolved "
                        "packs and the ledger's agent edits as a fingerprint index (see provguard filter --snapshot)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from provguard.corpus.export import export_paths
    from provguard.corpus.judge import Judge
    from provguard.corpus.ledger_spans import RecordedSpans

    overrides = parse_overrides(args.severity)
    if isinstance(overrides, str):
        return usage_error(overrides)
    if not args.path.exists():
        return usage_error(f"no such file or folder: {args.path}")
    if args.root is None:
        from provguard.projects import Roots, outside_projects

        args.root = Roots().of(args.path, outside_projects([args.path]))
    elif (wrong_root := root_error(args.root)) is not None:
        return usage_error(wrong_root)
    if args.format == "agent-trace":
        if args.snapshot is not None or args.paths is not None:
            return usage_error("--snapshot and --paths do not go with --format agent-trace")
        return _write_agent_trace(args)
    if args.revision is not None:
        return usage_error("--revision goes with --format agent-trace")
    policy = flagged_policy(args.path, args.packs, overrides)
    if policy is None:
        return EXIT_USAGE
    ledger = read_ledger(args.ledger, args.root)
    if isinstance(ledger, str):
        return usage_error(ledger)
    if args.snapshot is not None:
        return _write_snapshot(args.snapshot, policy, ledger)
    spans = None
    if ledger is not None:  # opened once to fail early with a clear message; each worker opens its own
        ledger.close()
        source = ledger_source(args.ledger, args.root)
        spans = RecordedSpans(source) if source else None
    judge = Judge(policy, min_severity=Severity(args.min_severity), extra_spans=spans)
    result = export_paths([args.path], args.root, judge)
    for line in skipped_notes(result.skipped, args.verbose):
        say(line)
    listed = _path_list(result.files) if args.paths is not None else b""
    if isinstance(listed, str):
        return usage_error(listed)
    try:
        if args.jsonl == "-":
            sys.stdout.write(result.jsonl())
        else:
            Path(args.jsonl).write_text(result.jsonl(), encoding="utf-8")
        if args.paths is not None:
            args.paths.write_bytes(listed)
    except OSError as exc:
        return usage_error(f"cannot write {exc.filename}: {exc.strerror or exc}")
    print(f"provguard export: {result.summary()}", file=sys.stderr)
    return EXIT_CLEAN


def _path_list(files: tuple[str, ...]) -> bytes | str:
    """The flagged files one a line, each as its name's own bytes (a name that is not UTF-8 is still excluded by
    the tool reading the list). A name holding a line break would be cut in two and not excluded at all, letting
    a flagged file through: an error naming it, before anything is written."""
    broken = [path for path in files if "\n" in path]
    if broken:
        more = f" (and {len(broken) - 1} more)" if len(broken) > 1 else ""
        return (f"--paths lists one file a line, and {printable(broken[0])}{more} holds a line break in its name: "
                "nothing was written")
    return b"".join(os.fsencode(path) + b"\n" for path in files)


def _write_snapshot(path: Path, policy: Policy, ledger: Ledger | None) -> int:
    from provguard.corpus.snapshot import SnapshotError, frozen_digest, snapshot_bytes, write_snapshot
    from provguard.ledger.store import LedgerError

    try:
        edits = ledger.agent_edits() if ledger is not None else []
        generation = ledger.generation() if ledger is not None else None
        data = snapshot_bytes(policy, edits, ledger.location if ledger is not None else None, generation)
        digest = frozen_digest(policy)
        write_snapshot(path, data)
    except (SnapshotError, LedgerError) as exc:
        return usage_error(str(exc))
    finally:
        if ledger is not None:
            ledger.close()
    prints = len({h for e in edits for h in e.fingerprints})
    say(f"snapshot {path}: {len(policy.packs)} {'pack' if len(policy.packs) == 1 else 'packs'}, "
          f"{len(policy.rules)} rules, {len(edits)} agent {'edit' if len(edits) == 1 else 'edits'} "
          f"({prints} distinct fingerprints), {len(data)} bytes; policy sha256:{digest}", "provguard export")
    return EXIT_CLEAN


def _write_agent_trace(args: argparse.Namespace) -> int:
    from provguard.exchange.agent_trace import record_json
    from provguard.exchange.agent_trace_export import export_revision
    from provguard.readable_json import readable_json

    ledger = read_ledger(args.ledger, args.root)
    if isinstance(ledger, str):
        return usage_error(ledger)
    try:
        result = export_revision(args.root, args.revision or "HEAD", [args.path], ledger)
    finally:
        if ledger is not None:
            ledger.close()
    if isinstance(result, str):
        return usage_error(result)
    for line in skipped_notes(result.skipped, args.verbose):
        say(line)
    for problem in result.problems:
        say(problem)
    line = readable_json(record_json(result.record), separators=(",", ":")) + "\n"  # may go to a terminal
    try:
        if args.jsonl == "-":
            sys.stdout.write(line)
        else:
            Path(args.jsonl).write_text(line, encoding="utf-8")
    except OSError as exc:
        return usage_error(f"cannot write {exc.filename}: {exc.strerror or exc}")
    print(f"provguard export: {result.summary()}", file=sys.stderr)
    return EXIT_CLEAN
