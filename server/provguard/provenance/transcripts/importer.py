"""Importing agents' transcripts into the ledger, incrementally: each file is read from where the last
import stopped (a cursor per file in the ledger), so a periodic import costs what was appended since.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from provguard.ledger.model import AgentEdit
from provguard.ledger.store import Ledger
from provguard.provenance.origin import Evidence

from . import claude_code, codex, discovery, paths
from .reader import LineParser, Problem, read_transcript
from .records import Recorder

AGENTS = (claude_code.TOOL, codex.TOOL)
SETTLED_SECONDS = 3600.0
"""A transcript unchanged this long belongs to a session that is over: nothing in it waits for more."""
PARSERS: dict[str, Callable[[Recorder, str], LineParser]] = {
    claude_code.TOOL: claude_code.ClaudeCodeParser,
    codex.TOOL: codex.CodexParser,
}


@dataclass
class ImportReport:
    agent: str
    files: int = 0
    """Transcript files looked at."""
    files_read: int = 0
    """Files that had new lines."""
    lines: int = 0
    bytes: int = 0
    edits_found: int = 0
    edits_new: int = 0
    """Edits the ledger did not know yet (the others came from a hook or an earlier import)."""
    problems: list[Problem] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    """Lines of types the importer does not know, by type (each file's count is also one problem)."""
    sources: tuple[Path, ...] = ()


def default_sources(agent: str, roots: Sequence[str]) -> list[Path]:
    if agent == claude_code.TOOL:
        return discovery.claude_project_folders(discovery.claude_projects(), roots)
    return [discovery.codex_sessions()]


def import_agent(ledger: Ledger, agent: str, root: Path, sources: Sequence[Path] | None = None) -> ImportReport:
    """Reads `agent`'s transcripts under `sources` (files or folders), or under its default folder keeping
    only sessions run inside `root`. Unreadable files and lines are problems in the report, never raised;
    the ledger's own errors (`LedgerError`) propagate. Edits keep their text only in a ledger opened with
    `store_text`: the ledger is the one place that decides."""
    roots = paths.project_roots(root)
    discovered = sources is None
    recorder = Recorder(agent, Evidence.TRANSCRIPT, roots, within=roots if discovered else None)
    chosen = default_sources(agent, roots) if sources is None else list(sources)
    report = ImportReport(agent, sources=tuple(chosen))
    if agent == claude_code.TOOL:
        chosen = [*chosen, *discovery.claude_subagent_folders(chosen)]
    for file in discovery.jsonl_files(chosen):
        report.files += 1
        key = str(file.absolute())
        cursor = ledger.import_cursor(key)
        try:
            parser = PARSERS[agent](recorder, str(file))
            read = read_transcript(file, parser, cursor, settled=_settled(file))
        except OSError as exc:
            report.problems.append(Problem(str(file), 0, f"cannot read: {exc.strerror or exc}"))
            continue
        if read.bytes or read.restarted:
            report.files_read += 1
        report.lines += read.lines
        report.bytes += read.bytes
        report.edits_found += len(read.edits)
        report.problems.extend(read.problems)
        report.skipped.update(read.skipped)
        edits, hooked = read.edits, list[AgentEdit]()
        if edits and isinstance(parser, claude_code.ClaudeCodeParser):
            edits, hooked = _not_hooked(ledger, edits, parser.aliases)
        if edits:
            report.edits_new += ledger.add_agent_edits(edits)
        if hooked:
            ledger.add_agent_edits(hooked)  # known: the hook's records get the model they lacked, nothing more
        if read.cursor != cursor:
            ledger.save_import_cursor(key, read.cursor)
    return report


def _not_hooked(ledger: Ledger, edits: list[AgentEdit],
                aliases: dict[str, str]) -> tuple[list[AgentEdit], list[AgentEdit]]:
    """The edits a hook did not record already under the id it derived from the call's input (Claude Code sent
    it no tool_use_id), and the transcript's word on each of the others under the hook's id: the same write stays
    one record, the hook's, and the ledger gives it the model and vendor the transcript names when it has none
    (the hook could not read the transcript)."""
    wanted = sorted({aliases[e.id] for e in edits if e.id in aliases})
    known = {e.id: e for e in ledger.agent_edits(ids=wanted)} if wanted else {}
    new = [e for e in edits if aliases.get(e.id) not in known]
    lacking = [replace(e, id=hook.id) for e in edits if (hook := known.get(aliases.get(e.id, ""))) is not None
               and (e.model or e.vendor) and (hook.model is None or hook.vendor is None)]
    return new, lacking


def _settled(file: Path) -> bool:
    try:
        return time.time() - file.stat().st_mtime > SETTLED_SECONDS
    except OSError:
        return False
