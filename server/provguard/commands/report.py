"""`provguard report`: where a tree's code came from and what the rules found, as one self-contained HTML page
for people (team leads, auditors) or the same figures as JSON. The run is `check`'s, so the findings agree."""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from provguard.printable import say

from .common import EXIT_CLEAN, EXIT_USAGE, add_parser, add_policy_arguments, usage_error

if TYPE_CHECKING:
    from provguard.check import CheckRun
    from provguard.policy.policy import Policy
    from provguard.projects import CheckSetup
    from provguard.report.history import Measure, PastTree
    from provguard.report.summary import Summary


def register(subparsers: Any) -> None:
    parser = add_parser(subparsers, "report", "a self-contained HTML report (or JSON) of where the code came from")
    parser.add_argument("paths", nargs="*", type=Path, default=[Path(".")], metavar="PATH")
    add_policy_arguments(parser)
    parser.add_argument("--format", choices=("html", "json"), default="html", help="(default: html)")
    parser.add_argument("--output", "-o", type=Path, metavar="FILE", help="write here (default: standard output)")
    parser.add_argument("--root", type=Path, help="one project root for every file (default: each file's project)")
    parser.add_argument("--ledger", metavar="FILE|URL", help="ledger of recorded provenance (default: as check)")
    parser.add_argument("--no-git", dest="git", action="store_false", help="do not read git history")
    parser.add_argument("--jobs", "-j", type=int, metavar="N",
                        help="check files in N processes (default: one per core)")
    parser.add_argument("--no-cache", dest="cache", action="store_false",
                        help="ignore and do not write .provguard/cache")
    parser.add_argument("--exclude", action="append", metavar="PATTERN", help="as check --exclude")
    parser.add_argument("--extend-exclude", action="append", default=[], metavar="PATTERN",
                        help="as check --extend-exclude")
    parser.add_argument("--since", metavar="DATE",
                        help="add the figures per week since DATE (YYYY-MM-DD) from git history, each week's last "
                             "commit judged by today's packs and ledger")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress display on a terminal")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from provguard.report import html
    from provguard.report.history import history, parse_since
    from provguard.report.summary import summarize

    from .check_run import setup_from

    setup = setup_from(args)
    if isinstance(setup, int):
        return setup
    if args.jobs is not None and args.jobs < 1:
        return usage_error("--jobs expects 1 or more processes")
    since = parse_since(args.since) if args.since is not None else None
    if isinstance(since, str):
        return usage_error(since)
    checked = _check(args, setup, args.paths, args.cache)
    if isinstance(checked, int):
        return checked
    for note in checked.notes:
        say(note)
    summary = summarize(checked, _ledgers(checked, setup), args.git)
    if since is not None:
        weekly = history(args.paths, args.root, since, _measure_then(args, checked, setup))
        if isinstance(weekly, str):
            return usage_error(weekly)
        summary.history = weekly
    text = summary.to_json() if args.format == "json" else html.render(summary)
    if args.output is None:
        sys.stdout.write(text)
    else:
        try:
            args.output.write_text(text, encoding="utf-8")
        except OSError as exc:
            return usage_error(f"cannot write {args.output}: {exc.strerror or exc}")
    for error in checked.errors:
        say(error)
    return EXIT_USAGE if checked.errors else EXIT_CLEAN  # files the run cannot vouch for: the figures are short


def _measure_then(args: argparse.Namespace, run: CheckRun, setup: CheckSetup) -> Measure:
    """How a past tree is measured: each project by today's policy of the project at the same place (a project
    gone since, by the first project's) and its ledger of today, with today's excludes, quietly. Each project's
    files are cached under today's project (report/history_cache.py), each keyed by the commit that last
    changed it (report/history.py), so a file unchanged since an earlier week, or an earlier report, is not
    judged again."""
    from dataclasses import replace

    from provguard.report.history_cache import HistoryCache
    from provguard.report.summary import summarize

    from .check_run import project_policy

    today = {Path(os.path.realpath(root)): policy for root, policy in zip(run.roots, run.policies, strict=True)}
    contexts = {root: _history_context(root, policy, setup) if args.cache else "" for root, policy in today.items()}
    caches: dict[Path, HistoryCache] = {}

    def measure(paths: Sequence[Path], root: Path | None, past: PastTree) -> Summary | str:
        then = replace(setup, root=root)
        cache = caches.get(past.tree)
        if cache is None:
            cache = caches[past.tree] = HistoryCache.of(past.tree, past.toplevel, contexts, setup.ledger, root)
        cache.prepare()

        def policy_of(past_root: Path) -> Policy | None:
            found = today.get(past.today(past_root))
            if found is None and run.policies:
                found = run.policies[0]
            return found if found is not None else project_policy(past_root, then)

        def file_context(context: str, path: Path) -> str:
            return cache.file_context(context, path, past.last_change(path))

        with contextlib.redirect_stderr(io.StringIO()) as said:
            checked = _check_past(args, then, list(paths), past, policy_of, file_context)
        cache.keep()
        if isinstance(checked, int):
            return said.getvalue().strip().removeprefix("provguard: ") or "the check failed"
        if checked.errors:
            return checked.errors[0]
        return summarize(checked, [], setup.git)

    return measure


def _history_context(root: Path, policy: Policy, setup: CheckSetup) -> str:
    """Today's project's cache context as `check` keys it (packs, settings, ledger and its generation; without
    HEAD), for the entries its past trees keep; empty when it cannot be cached, as for `check`."""
    from provguard.check import cache_context
    from provguard.ledger.location import read_ledger
    from provguard.project_markers import nearest_project

    if nearest_project(root) != root:
        return ""
    ledger = read_ledger(setup.ledger, root)
    if isinstance(ledger, str):
        return ""
    try:
        return cache_context(root, policy, ledger, setup)
    finally:
        if ledger is not None:
            ledger.close()


def _check_past(args: argparse.Namespace, setup: CheckSetup, paths: list[Path], past: PastTree,
                policy_of: Callable[[Path], Policy | None], file_context: Callable[[str, Path], str]) -> CheckRun | int:
    """`check_run.checked` over a past tree: today's excludes and policies, each file's cache context from
    history (RunOptions.file_context)."""
    from provguard.check import ProjectError, RunOptions, run_check
    from provguard.check_pool import WorkerDied, default_jobs
    from provguard.ignores import check_selection
    from provguard.projects import Roots, outside_projects
    from provguard.report.history import todays_selection

    roots, given = Roots(setup.root), outside_projects(paths)
    selection = check_selection(lambda folder: str(roots.of(Path(folder), given)), args.exclude,
                                args.extend_exclude)
    if isinstance(selection, str):
        return usage_error(selection)
    options = RunOptions(args.jobs or default_jobs(), args.cache, None, todays_selection(past, selection),
                         lines=True, file_context=file_context)
    try:
        return run_check(paths, setup, options, policy_of)
    except (ProjectError, WorkerDied) as exc:
        return usage_error(str(exc)) if str(exc) else EXIT_USAGE


def _check(args: argparse.Namespace, setup: CheckSetup, paths: list[Path], cache: bool,
           quiet: bool = False) -> CheckRun | int:
    from .check_run import RunFlags, checked

    return checked(paths, setup, RunFlags(args.exclude, args.extend_exclude, False, args.jobs, cache,
                                          args.quiet or quiet, lines=True))


def _ledgers(run: CheckRun, setup: CheckSetup) -> list[str]:
    """Each project's ledger as the report names it: where it is and its generation (which moves on with every
    write), so a reader can tell whether a later report read the same records."""
    from provguard.ledger.location import read_ledger
    from provguard.ledger.store import LedgerError

    out: list[str] = []
    for root in run.roots:
        ledger = read_ledger(setup.ledger, root)
        if ledger is None:
            out.append(f"{root}: no ledger (markers and git history only)")
        elif isinstance(ledger, str):
            out.append(f"{root}: {ledger}")
        else:
            try:
                out.append(f"{root}: {ledger.location} (generation {ledger.generation()})")
            except LedgerError as exc:
                out.append(f"{root}: {ledger.location}: {exc}")
            finally:
                ledger.close()
    return out
