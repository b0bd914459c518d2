"""`provguard check`: apply the rule packs to files and folders, report as text, JSON or SARIF."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from provguard.policy.model import Severity

from .common import (
    EXIT_CLEAN,
    EXIT_FINDINGS,
    EXIT_USAGE,
    add_parser,
    add_policy_arguments,
    flagged_policy,
    parse_overrides,
    read_ledger,
    root_error,
    usage_error,
)

FAIL_ON = ("error", "warning", "info", "hint", "never")


def register(subparsers: Any) -> None:
    parser = add_parser(subparsers, "check", "apply the rule packs to files and folders")
    parser.add_argument("paths", nargs="*", type=Path, default=[Path(".")], metavar="PATH")
    add_policy_arguments(parser)
    parser.add_argument("--format", choices=("text", "json", "sarif"), default="text")
    parser.add_argument("--fail-on", choices=FAIL_ON, default="error",
                        help="exit 1 when a finding is at or above this severity (default: error)")
    parser.add_argument("--root", type=Path, default=Path("."),
                        help="project root that pack path globs are relative to (default: .)")
    parser.add_argument("--reviewer", help="name written by the mark-reviewed fix (default: git user)")
    parser.add_argument("--ledger", metavar="FILE|URL",
                        help="ledger of recorded provenance: a file or a postgresql:// URL (default: "
                             "$PROVGUARD_LEDGER_URL, else ROOT/.provguard/ledger.sqlite3 if present)")
    parser.add_argument("--no-git", dest="git", action="store_false",
                        help="do not read git history (by default, lines of commits whose trailers name an AI "
                             "tool count as whole-commit evidence)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from provguard.check import check_paths
    from provguard.identity import current_person
    from provguard.provenance.git import GitHistory
    from provguard.report import json as json_report
    from provguard.report import sarif, text

    overrides = parse_overrides(args.severity)
    if isinstance(overrides, str):
        return usage_error(overrides)
    missing = [p for p in args.paths if not p.exists()]
    if missing:
        return usage_error(f"no such file or folder: {missing[0]}")
    if (wrong_root := root_error(args.root)) is not None:
        return usage_error(wrong_root)
    policy = flagged_policy(args.paths[0], args.packs, overrides)
    if policy is None:
        return EXIT_USAGE
    ledger = read_ledger(args.ledger, args.root)
    if isinstance(ledger, str):
        return usage_error(ledger)
    try:
        run = check_paths(args.paths, args.root, policy, ledger, GitHistory() if args.git else None)
    finally:
        if ledger is not None:
            ledger.close()
    for note in run.notes:
        print(f"provguard: {note}", file=sys.stderr)
    reviewer = args.reviewer or current_person(args.root)
    for skipped in run.skipped:
        print(f"provguard: skipped {skipped.path}: {skipped.reason}", file=sys.stderr)
    if args.format == "json":
        sys.stdout.write(json_report.render(run, reviewer))
    elif args.format == "sarif":
        sys.stdout.write(sarif.render(run, policy, reviewer, root=args.root))
    else:
        sys.stdout.write(text.render(run))
    if args.fail_on == "never":
        return EXIT_CLEAN
    threshold = Severity(args.fail_on).rank
    return EXIT_FINDINGS if any(f.severity.rank >= threshold for _, f in run.findings) else EXIT_CLEAN
