"""`provguard import git-ai [RANGE]`: record the lines git-ai's authorship notes attribute to AI sessions."""

from __future__ import annotations

import argparse

from provguard.printable import say

from .common import EXIT_CLEAN, usage_error
from .import_output import show_problems


def run_git_ai(args: argparse.Namespace) -> int:
    from provguard.exchange.git_ai_import import UnnamedKeys, record_notes
    from provguard.exchange.git_ai_notes import NOTES_REF, Failure, read_notes
    from provguard.ledger.location import open_ledger
    from provguard.ledger.store import LedgerError

    if len(args.paths) > 1:
        return usage_error("import git-ai takes one commit or range (A..B)")
    revisions = str(args.paths[0]) if args.paths else None
    notes = read_notes(args.root, revisions)
    if isinstance(notes, Failure):
        return usage_error(notes.reason)
    if notes is None:
        say(f"no git-ai notes ({NOTES_REF}) in this repository: nothing to import")
        return EXIT_CLEAN
    opened = open_ledger(args.root, args.ledger, store_text=args.store_text)
    try:
        if opened.warning is not None:
            return usage_error(opened.warning.split('. ')[0])
        report = record_notes(opened.ledger, notes, args.root, worktree=args.worktree)
    except LedgerError as exc:
        return usage_error(f"the ledger {opened.ledger.location} failed: {exc}")
    finally:
        opened.ledger.close()
    if isinstance(report, Failure):
        return usage_error(report.reason)
    print(f"git-ai: {report.commits} commits read, {report.notes} notes found; {report.edits_new} new edits "
          f"recorded ({report.edits_found - report.edits_new} already known), {report.lines} lines attributed "
          f"{'in the work tree' if args.worktree else 'at HEAD'}; "
          f"{sum(not isinstance(p, UnnamedKeys) for p in report.problems)} problems")  # keys without metadata: a note
    show_problems(report.problems)
    return EXIT_CLEAN
