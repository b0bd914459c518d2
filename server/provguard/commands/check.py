"""`provguard check`: apply the rule packs to files and folders, report as text, JSON or SARIF."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from provguard.policy.model import Severity
from provguard.printable import printable, say

from .common import (
    EXIT_CLEAN,
    EXIT_FINDINGS,
    EXIT_USAGE,
    add_parser,
    add_policy_arguments,
    usage_error,
)

if TYPE_CHECKING:
    from provguard.check import CheckRun
    from provguard.fix_apply import FixResult
    from provguard.projects import CheckSetup

    from .check_run import RunFlags

FAIL_ON = ("error", "warning", "info", "hint", "never")


def _jobs(value: str) -> int:
    try:
        jobs = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of processes, got {value!r}") from None
    if jobs < 1:
        raise argparse.ArgumentTypeError("expected 1 or more processes")
    return jobs


def register(subparsers: Any) -> None:
    parser = add_parser(subparsers, "check", "apply the rule packs to files and folders")
    parser.add_argument("paths", nargs="*", type=Path, default=[Path(".")], metavar="PATH")
    add_policy_arguments(parser)
    parser.add_argument("--format", choices=("text", "json", "sarif", "github", "gitlab"), default="text",
                        help="github: workflow annotations; gitlab: a Code Quality report (default: text)")
    parser.add_argument("--sarif-category", metavar="CATEGORY",
                        help="SARIF automationDetails id, which code scanning keeps one analysis per "
                             "(default: provguard/check/)")
    parser.add_argument("--fail-on", choices=FAIL_ON, default="error",
                        help="exit 1 when a finding is at or above this severity (default: error)")
    parser.add_argument("--root", type=Path,
                        help="one project root for every file, that pack path globs are relative to (default: each "
                             "file's project: the nearest provguard.toml, pyproject.toml with [tool.provguard], "
                             ".provguard folder or git work tree above it, else the path given)")
    parser.add_argument("--jobs", "-j", type=_jobs, metavar="N",
                        help="check files in N processes (default: one per core)")
    parser.add_argument("--no-cache", dest="cache", action="store_false",
                        help="check every file again, ignoring and not writing .provguard/cache")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress display on a terminal")
    parser.add_argument("--reviewer", help="name written by the mark-reviewed fix (default: git user)")
    parser.add_argument("--fix", action="store_true",
                        help="apply the safe fixes (complete markers, remove unused suppressions), then report "
                             "what remains")
    parser.add_argument("--unsafe-fixes", action="store_true",
                        help="with --fix or --diff: also the unsafe fixes (mark reviewed, remove code, ...)")
    parser.add_argument("--diff", action="store_true",
                        help="print a unified diff of what --fix would change and write nothing; exit 1 when "
                             "there are changes")
    parser.add_argument("--ledger", metavar="FILE|URL",
                        help="ledger of recorded provenance: a file or a postgresql:// URL (default: "
                             "$PROVGUARD_LEDGER_URL, else ROOT/.provguard/ledger.sqlite3 if present)")
    parser.add_argument("--no-git", dest="git", action="store_false",
                        help="do not read git history (by default, lines of commits whose trailers name an AI "
                             "tool count as whole-commit evidence)")
    parser.add_argument("--exclude", action="append", metavar="PATTERN",
                        help="gitignore-style pattern of files and folders not to check, relative to the root; "
                             "repeatable; replaces the default excludes (.git, node_modules, caches ...)")
    parser.add_argument("--extend-exclude", action="append", default=[], metavar="PATTERN",
                        help="like --exclude, added to the default (or configured) excludes")
    parser.add_argument("--force-exclude", action="store_true",
                        help="exclude paths given by name too when they are excluded or ignored")
    parser.add_argument("--verbose", action="store_true", help="list every skipped file, not only their count")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from provguard.files import skipped_notes
    from provguard.identity import current_person
    from provguard.policy.policy import Policy

    from .check_run import checked as run_checked
    from .check_run import setup_from

    if args.unsafe_fixes and not (args.fix or args.diff):
        return usage_error("--unsafe-fixes goes with --fix or --diff")
    setup = setup_from(args)
    if isinstance(setup, int):
        return setup
    checked = run_checked(args.paths, setup, _flags(args))
    if isinstance(checked, int):
        return checked
    run = checked
    policy = run.policies[0] if run.policies else Policy()
    root = run.root or Path(".")
    fixing = _fix(args, run, setup) if args.fix or args.diff else None
    for note in run.notes:
        say(note)
    for line in skipped_notes(run.skipped, args.verbose):
        say(line)
    if args.verbose and run.unmatched:
        print(f"provguard: {run.unmatched} of {run.files_checked} files not fingerprinted: no recorded agent edit "
              "shares enough code with them to be found there", file=sys.stderr)
    if fixing is not None and args.diff:
        return _show_diff(fixing)
    run = fixing.run if fixing is not None else run
    # Each format's module imported alone, and the reviewer (git config, two processes) asked only by the
    # formats that write it into their fixes: start-up time counts when one file is checked.
    if args.format == "json":
        from provguard.report import json as json_report

        sys.stdout.write(json_report.render(run, args.reviewer or current_person(root)))
    elif args.format == "sarif":
        from provguard.report import sarif

        sys.stdout.write(sarif.render(run, policy, args.reviewer or current_person(root), root=root,
                                      category=args.sarif_category,
                                      warn=say))
    elif args.format == "github":
        from provguard.report import github

        sys.stdout.write(github.render(run))
    elif args.format == "gitlab":
        from provguard.report import gitlab

        sys.stdout.write(gitlab.render(run))
    else:
        from provguard.report import text

        sys.stdout.write(text.render(run))
    if fixing is not None:
        _fix_summary(fixing, args.unsafe_fixes)
    for error in run.errors:
        say(error)
    if run.errors:
        return EXIT_USAGE  # files the run cannot vouch for: never a pass
    if args.fail_on == "never":
        return EXIT_CLEAN
    threshold = Severity(args.fail_on).rank
    return EXIT_FINDINGS if any(f.severity.rank >= threshold for _, f in run.findings) else EXIT_CLEAN


def _flags(args: argparse.Namespace) -> RunFlags:
    from .check_run import RunFlags

    return RunFlags(args.exclude, args.extend_exclude, args.force_exclude, args.jobs, args.cache, args.quiet)


def _fix(args: argparse.Namespace, run: CheckRun, setup: CheckSetup) -> FixResult:
    """--fix writes and checks the fixed files again (the same way as the first check); --diff writes nothing."""
    from provguard.fix_apply import fix_run
    from provguard.identity import current_person

    from .check_run import checked as run_checked

    root = run.root or Path(".")

    def recheck(paths: Sequence[Path]) -> CheckRun:
        again = run_checked(paths, setup, _flags(args))
        if isinstance(again, int):
            raise SystemExit(again)
        return again

    reviewer = args.reviewer or current_person(root, login=False)
    if args.unsafe_fixes and reviewer is None:
        print("provguard: no reviewer known (give --reviewer or set git's user.email): mark-reviewed fixes are "
              "not applied", file=sys.stderr)
    return fix_run(run, root, reviewer, args.unsafe_fixes, None if args.diff else recheck)


def _show_diff(fixing: FixResult) -> int:
    """Like ruff: the diff on stdout, a count on stderr, exit 1 when anything would change."""
    from provguard.fix_apply import unified_diff

    for path, (before, after) in sorted(fixing.changes.items()):
        sys.stdout.buffer.write(unified_diff(printable(path), before, after))  # a line break in a name: no new line
    sys.stdout.flush()
    noun = "finding" if fixing.fixed == 1 else "findings"
    more = (f" ({fixing.overlapping} more overlap them: --fix applies those in a further pass)"
            if fixing.overlapping else "")
    print(f"Would fix {fixing.fixed} {noun}{more}" if fixing.fixed else "No fixes to apply", file=sys.stderr)
    return EXIT_FINDINGS if fixing.changes else EXIT_CLEAN


def _fix_summary(fixing: FixResult, unsafe: bool) -> None:
    from provguard.fix_apply import remaining_unsafe

    for problem in fixing.problems:
        say(problem)
    remain = len(fixing.run.findings)
    hidden = 0 if unsafe else remaining_unsafe(fixing.run, fixing.reviewer)
    more = f"; {hidden} more with --unsafe-fixes" if hidden else ""
    print(f"Fixed {fixing.fixed} {'finding' if fixing.fixed == 1 else 'findings'} ({remain} remain{more})",
          file=sys.stderr)
