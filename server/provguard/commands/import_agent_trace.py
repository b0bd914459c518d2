"""`provguard import agent-trace [PATH...]`: record the AI lines of Agent Trace records (see exchange/)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from provguard.printable import say

from .common import EXIT_CLEAN
from .import_output import show_problems

if TYPE_CHECKING:
    from provguard.ledger.store import Ledger


def run_agent_trace(ledger: Ledger, args: argparse.Namespace) -> int:
    from provguard.exchange.agent_trace_import import default_sources, import_traces

    sources = args.paths or default_sources(args.root)
    if not args.paths and not sources[0].is_file():
        say(f"no Agent Trace records at {sources[0]}")
    report = import_traces(ledger, args.root, sources)
    not_ai = sum(report.not_ai.values())
    pseudo = sum(report.pseudo_files.values())
    kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(report.not_ai.items()))
    print(f"agent-trace: {report.files_read} of {_count(report.files, 'trace file')} read "
          f"({_count(report.lines, 'line')}, {_count(report.records, 'record')}); {_count(report.ranges, 'AI range')}: "
          f"{report.edits_new} new edits recorded ({report.ranges - report.edits_new} already known); "
          f"{_count(not_ai, 'range')} not AI" + (f" ({kinds})" if not_ai else "")
          + (f"; {_count(report.working_tree, 'range')} read from the working tree (no git revision in the record)"
             if report.working_tree else "")
          + (f"; {_count(report.later, 'range')} found after the record's revision (at a later commit or in the "
             "working tree)" if report.later else "")
          + (f"; {_count(report.outside, 'entry')} outside the repository skipped" if report.outside else "")
          + (f"; {_count(pseudo, 'pseudo-file entry')} skipped ({', '.join(sorted(report.pseudo_files))})"
             if pseudo else "")
          + f"; {_count(len(report.problems), 'problem')}")
    show_problems(report.problems, "skipped ")
    return EXIT_CLEAN


def _count(n: int, noun: str) -> str:
    if n != 1 and noun.endswith("y"):
        return f"{n} {noun[:-1]}ies"
    return f"{n} {noun}{'' if n == 1 else 's'}"
