"""`provguard import claude-code|codex|agent-trace [PATH...]`: record agent edits from session transcripts and
other tools' provenance records; `provguard import git-ai [RANGE]`: from git-ai's authorship notes (see
import_agent_trace.py, import_git_ai.py)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from provguard.files import open_regular
from provguard.printable import say

from .common import EXIT_CLEAN, add_parser, root_error, usage_error
from .import_output import show_problems

IMPORT_AGENTS = ("claude-code", "codex", "agent-trace")
GIT_AI = "git-ai"


def register(subparsers: Any) -> None:
    parser = add_parser(subparsers, "import", "record agent edits from Claude Code or Codex session transcripts, "
                        "or from other tools' records: Agent Trace, git-ai's authorship notes")
    parser.add_argument("agent", choices=(*IMPORT_AGENTS, GIT_AI))
    parser.add_argument("paths", nargs="*", type=Path, metavar="PATH",
                        help="transcript files or folders (default: the agent's own folder, keeping sessions "
                        "run inside ROOT); for agent-trace, trace files (default: ROOT/.agent-trace/traces.jsonl); "
                        "for git-ai, one commit or range A..B (default: HEAD's history)")
    parser.add_argument("--root", type=Path, default=Path("."), help="project root (default: .)")
    parser.add_argument("--ledger", metavar="FILE|URL", help="ledger file or PostgreSQL URL (default: "
                        "PROVGUARD_LEDGER_URL, else ROOT/.provguard/ledger.sqlite3)")
    parser.add_argument("--store-text", action="store_true",
                        help="keep the inserted text in the ledger, not only its fingerprints")
    parser.add_argument("--worktree", action="store_true",
                        help="git-ai: find the noted lines in the work tree rather than at HEAD")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from provguard.ledger.location import open_ledger
    from provguard.ledger.store import LedgerError
    from provguard.provenance.transcripts.importer import import_agent

    if (wrong_root := root_error(args.root)) is not None:
        return usage_error(wrong_root)
    if args.agent == GIT_AI:
        from .import_git_ai import run_git_ai

        return run_git_ai(args)
    missing = [p for p in args.paths if not p.exists()]
    if missing:
        return usage_error(f"no such file or folder: {missing[0]}")
    for path in args.paths:
        if (kind := _not_file_or_folder(path)) is not None:
            return usage_error(f"{path}: {kind}: give a transcript or trace file, or a folder of them")
    opened = open_ledger(args.root, args.ledger, store_text=args.store_text)
    try:
        if opened.warning is not None:
            return usage_error(opened.warning.split('. ')[0])
        if args.agent == "agent-trace":
            from .import_agent_trace import run_agent_trace

            return run_agent_trace(opened.ledger, args)
        report = import_agent(opened.ledger, args.agent, args.root, args.paths or None)
    except LedgerError as exc:
        return usage_error(f"the ledger {opened.ledger.location} failed: {exc}")
    finally:
        opened.ledger.close()
    if not args.paths and report.files == 0:
        where = ", ".join(str(s) for s in report.sources) or "its default folder"
        say(f"no {args.agent} transcripts for {args.root} in {where}")
    print(f"{args.agent}: {report.files_read} of {report.files} transcript files read "
          f"({report.lines} lines); {report.edits_new} new edits recorded "
          f"({report.edits_found - report.edits_new} already known); {len(report.problems)} lines skipped")
    show_problems(report.problems, "skipped ")
    return EXIT_CLEAN


def _not_file_or_folder(path: Path) -> str | None:
    """Why a named path is neither a regular file nor a folder (a FIFO, a socket, a device such as /dev/zero),
    links followed; None when it is one. Such a path was once dropped silently ("0 of 0 files read")."""
    if path.is_dir():
        return None
    opened = open_regular(path)  # never opens what is not a regular file
    if not isinstance(opened, str):
        opened.close()
        return None
    return opened if opened.startswith("not a regular file") else None  # unreadable: the import's problem to say
