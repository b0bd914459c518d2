"""`provguard import agent-trace`: Agent Trace records read into the ledger as agent edits.

Each AI or mixed range of a record becomes one `AgentEdit` holding the fingerprints and line hashes of the
lines it names, read from the file at the record's git revision (or from the working tree when the record has
none), so check, the editor and the corpus filter find those lines again, moved or copied, through the
matcher every recorded edit goes through. The record is another tool's claim, so the edit carries less than
full confidence: AI_CONFIDENCE for `ai`, MIXED_CONFIDENCE for `mixed` (human-edited AI output). `human` and
`unknown` ranges say nothing about AI and are only counted.

Cursor's records name the commit *before* the edit (HEAD when its hook ran) while their ranges describe the
file as edited, committed later. So a range with a checkable `content_hash` (a `sha256:` digest or a prefix of
one) is looked for where its lines match: at the record's revision, else at the first later commit (on the way
to HEAD) that changed the file, else in the working tree; lines are never taken from a revision where they do
not match. A range without such a hash can only be read at the revision it names. Cursor also traces shell
commands under a pseudo-file (`.shell-history`): a dot-named path that is in no commit and not in the working
tree is counted and skipped, not reported. opentraces' flat lines in the same file (`agent_trace_flat`) name
absolute paths: those inside the repository are read as relative to it, the others counted and skipped.

Files are read incrementally with the transcripts' reader (a cursor per file in the ledger; a half-written
last line is read again next time), and edit ids derive from the record id, file, conversation and range, so
importing a file again stores nothing new.
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from provguard.ledger.model import AgentEdit
from provguard.ledger.store import Ledger
from provguard.provenance.fingerprints import insertion_prints
from provguard.provenance.origin import Evidence
from provguard.provenance.tools import infer_vendor
from provguard.provenance.transcripts.discovery import jsonl_files
from provguard.provenance.transcripts.importer import SETTLED_SECONDS
from provguard.provenance.transcripts.reader import Line, Problem, read_transcript

from .agent_trace import (
    Conversation,
    LineRange,
    TracedFile,
    TraceRecord,
    hash_form_problem,
    hash_matches,
    split_model_id,
)
from .agent_trace_budget import ClaimBudget
from .agent_trace_flat import inside_repository, is_absolute
from .agent_trace_read import read_record
from .agent_trace_texts import RepositoryTexts

AI_CONFIDENCE = 0.9
"""An `ai` range: another tool saw its agent write these lines; provguard did not see it itself."""
MIXED_CONFIDENCE = 0.5
"""A `mixed` range: AI output a person edited, or the reverse; below the 0.8 the default pack's AI rules ask."""
CONFIDENCE = {"ai": AI_CONFIDENCE, "mixed": MIXED_CONFIDENCE}
DEFAULT_FILE = ".agent-trace/traces.jsonl"
"""Where the spec's reference implementation appends records, relative to the repository root."""
PROVGUARD_METADATA = "dev.provguard"
"""provguard's key in a record's `metadata` (reverse-domain, as the spec asks of vendors): `conversation_tools`
maps a file's path to the tool of each of its conversations, since one exported record holds several tools."""


@dataclass
class TraceImport:
    """What one import read and recorded."""

    files: int = 0
    files_read: int = 0
    """Files with lines not read before."""
    lines: int = 0
    records: int = 0
    ranges: int = 0
    """AI and mixed ranges turned into edits."""
    edits_new: int = 0
    not_ai: Counter[str] = field(default_factory=Counter)
    """Ranges by contributor type (human, unknown) that are not recorded."""
    working_tree: int = 0
    """Ranges read from the working tree: their record names no git revision."""
    later: int = 0
    """Ranges whose lines match their content_hash not at the record's revision but at a later commit or in the
    working tree (Cursor's records name the commit before the edit)."""
    outside: int = 0
    """File entries naming an absolute path outside the repository (opentraces traces every Write and Edit of
    the session, the agent's memory files in the home folder too): not the project's, skipped."""
    pseudo_files: Counter[str] = field(default_factory=Counter)
    """File entries skipped as pseudo-files (Cursor's `.shell-history`), by path."""
    problems: list[Problem] = field(default_factory=list)
    budget: ClaimBudget = field(default_factory=ClaimBudget)


def default_sources(root: Path) -> list[Path]:
    return [root / DEFAULT_FILE]


def import_traces(ledger: Ledger, root: Path, sources: Sequence[Path]) -> TraceImport:
    """Reads the trace files under `sources` (files, or folders of `.jsonl` files) into `ledger`.

    Bad lines, records and ranges are problems in the report, never raised; the ledger's own errors
    (`LedgerError`) propagate.
    """
    report = TraceImport()
    texts = RepositoryTexts(root)
    for file in jsonl_files(sources):
        report.files += 1
        key = str(file.absolute())
        cursor = ledger.import_cursor(key)
        parser = TraceParser(texts, str(file), report)
        try:
            read = read_transcript(file, parser, cursor, settled=_settled(file))
        except OSError as exc:
            report.problems.append(Problem(str(file), 0, f"cannot read: {exc.strerror or exc}"))
            continue
        if read.bytes or read.restarted:
            report.files_read += 1
        report.lines += read.lines
        report.problems.extend(read.problems)
        if read.edits:
            report.edits_new += ledger.add_agent_edits(read.edits)
        if read.cursor != cursor:
            ledger.save_import_cursor(key, read.cursor)
    return report


class TraceParser:
    """One trace file's lines, as the transcripts' reader feeds them (see `LineParser`)."""

    def __init__(self, texts: RepositoryTexts, file: str, report: TraceImport) -> None:
        self.texts = texts
        self.file = file
        self.report = report
        self.edits: list[AgentEdit] = []
        self.problems: list[tuple[int, str]] = []
        self.skipped: Counter[str] = Counter()
        """Always empty: every line is a record, and a bad one is a problem of its own."""
        self._stopped = False

    def resume(self, file: BinaryIO, offset: int) -> None:
        """Records stand alone: nothing before `offset` is needed."""

    def hold(self) -> int | None:
        return None

    def stopped(self) -> bool:
        return self._stopped

    def feed(self, line: Line, data: dict[str, Any]) -> None:
        if not data:
            return  # a blank line
        read = read_record(data)
        self.problems.extend((line.number, reason) for reason in read.problems)
        if read.record is None:
            return
        if (refused := self.report.budget.admit(read.record)) is not None:
            self._stopped = self.report.budget.spent
            self.problems.append((line.number, refused))
            return
        self.report.records += 1
        record = read.record
        revision = record.vcs.revision if record.vcs is not None and record.vcs.type == "git" else None
        for file_index, traced in enumerate(record.files):
            where = f"files[{file_index}]"
            if is_absolute(traced.path):
                inside = inside_repository(traced.path, self.texts.repository)
                if inside is None:
                    self.report.outside += 1
                    continue
                traced = TracedFile(inside, traced.conversations)
            stored = self.texts.ledger_path(traced.path)
            if stored is not None and self.texts.is_pseudo_file(traced.path):
                self.report.pseudo_files[traced.path] += 1
                continue
            if stored is None:
                self.problems.append((line.number, f"{where}.path: {traced.path!r} is not relative to the "
                                      "repository root"))
                continue
            tools = _conversation_tools(record, traced.path)
            for index, conversation in enumerate(traced.conversations):
                tool = tools[index] if index < len(tools) else record.tool.name if record.tool else "unknown"
                for range_index, line_range in enumerate(conversation.ranges):
                    at = f"{where}.conversations[{index}].ranges[{range_index}]"
                    edit = self._edit(line, record, traced.path, stored, revision, index, conversation, line_range,
                                      tool, at)
                    if edit is not None:
                        self.edits.append(edit)

    def _edit(self, line: Line, record: TraceRecord, traced: str, stored: str, revision: str | None,
              index: int, conversation: Conversation, line_range: LineRange, tool: str, at: str) -> AgentEdit | None:
        contributor = conversation.contributor_of(line_range)
        confidence = CONFIDENCE.get(contributor.type)
        if confidence is None:
            self.report.not_ai[contributor.type] += 1
            return None
        found = self._lines_of(traced, revision, line_range)
        if isinstance(found, str):
            self.problems.append((line.number, f"{at}: {found}"))
            return None
        chosen, at_revision = found
        text = chosen.decode("utf-8", errors="replace")
        if not text.strip():
            self.problems.append((line.number, f"{at}: lines {line_range.start_line}-{line_range.end_line} are "
                                  "blank: nothing to recognise"))
            return None
        if revision is None:
            self.report.working_tree += 1
        elif not at_revision:
            self.report.later += 1
        self.report.ranges += 1
        provider, model = split_model_id(contributor.model_id) if contributor.model_id else (None, None)
        prints = insertion_prints(text, stored)
        return AgentEdit(
            id=edit_id(record.id, traced, index, line_range), tool=tool, path=stored, time=record.timestamp,
            evidence=Evidence.AGENT_TRACE, vendor=provider or infer_vendor(tool, model), model=model,
            session_id=conversation.url, lines=prints.lines, fingerprints=prints.fingerprints,
            line_hashes=prints.line_hashes, names=prints.names, text=text,
            source=f"agent-trace {self.file}:{line.number}",
            confidence=confidence)


    def _lines_of(self, traced: str, revision: str | None, line_range: LineRange) -> tuple[bytes, bool] | str:
        """The range's lines and whether they are the revision's, or why there are none. With a checkable
        content_hash the lines are those that match it: at the revision, a later commit changing the file, or the
        working tree, the first that matches; without one, the revision's (the working tree's without one)."""
        span = f"lines {line_range.start_line}-{line_range.end_line} of {traced}"
        value = line_range.content_hash
        checkable = value is not None and hash_matches(value, b"") is not None
        malformed = hash_form_problem(value) if value is not None else None
        if malformed is not None:
            return malformed
        places: list[str | None] = [revision]
        if revision is not None and checkable:
            places += [*self.texts.later_commits(traced, revision), None]
        first_failure: str | None = None
        for place in places:
            lines = self.texts.lines(traced, place)
            if isinstance(lines, str):
                first_failure = first_failure or lines
                continue
            if line_range.end_line > len(lines):
                first_failure = first_failure or (f"lines {line_range.start_line}-{line_range.end_line}, but "
                                                  f"{traced} has {len(lines)} lines"
                                                  f"{f' at {place}' if place else ''}")
                continue
            chosen = b"".join(lines[line_range.start_line - 1:line_range.end_line])
            if not checkable or hash_matches(line_range.content_hash or "", chosen):
                return chosen, place == revision
        if not checkable or revision is None:
            return first_failure or f"content_hash does not match {span}"
        later = len(places) - 2
        commits = "the later commit" if later == 1 else f"any of the {later} later commits"
        return (f"content_hash does not match {span} at {revision}, at {commits} changing it, or in the working "
                "tree: its text is not found" if later else
                f"content_hash does not match {span} at {revision} or in the working tree: its text is not found") \
            + (f" ({first_failure})" if first_failure else "")


def edit_id(record_id: str, path: str, conversation: int, line_range: LineRange) -> str:
    """Stable across imports: the same range of the same record is the same edit."""
    key = "\0".join(("agent-trace", record_id, path, str(conversation), str(line_range.start_line),
                     str(line_range.end_line)))
    return hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def _conversation_tools(record: TraceRecord, path: str) -> list[str]:
    """The tool of each of a file's conversations, when provguard wrote the record; else nothing."""
    ours = record.metadata.get(PROVGUARD_METADATA)
    tools = ours.get("conversation_tools") if isinstance(ours, dict) else None
    listed = tools.get(path) if isinstance(tools, dict) else None
    if not isinstance(listed, list) or not all(isinstance(t, str) and t for t in listed):
        return []
    return listed


def _settled(file: Path) -> bool:
    """A trace file unchanged for an hour is finished: an unterminated last line is all there will be."""
    try:
        return time.time() - file.stat().st_mtime > SETTLED_SECONDS
    except OSError:
        return False
