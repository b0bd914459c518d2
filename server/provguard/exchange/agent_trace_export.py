"""`provguard export --format agent-trace`: the AI lines provguard knows at a revision, as one trace record.

The files are read as committed at the revision. Their AI spans are those `provguard check` computes from
markers and the ledger: provenance markers, the ledger's tracked spans found again in the file, and recorded
agent edits found by the matcher (in their own file by line hashes, anywhere by fingerprints), whatever source
recorded them (hooks, transcripts, imported Agent Trace or git-ai records). Git history is left out: it is
whole-commit evidence any tool reads from the repository itself, and writing it as line ranges would state a
guess about lines as a claim about them.

Each line gets at most one contributor: markers first (a person or tool declared them), then tracked spans,
then matched edits; among equals the surer origin. Lines are grouped into one conversation per (tool,
model, contributor type, session URL); a span provguard is at most MIXED_CONFIDENCE sure of (a `mixed` record
read back, a small part of a recorded edit found elsewhere) is written as `mixed`, everything else as `ai`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from provguard import __version__
from provguard.documents import Document
from provguard.files import SkippedFile
from provguard.languages import detect
from provguard.ledger.spans import restore
from provguard.ledger.store import Ledger, LedgerError
from provguard.provenance import matching
from provguard.provenance.markers import scan
from provguard.provenance.origin import Origin, Span

from .agent_trace import (
    MAX_MODEL_ID,
    SPEC_VERSION,
    Contributor,
    Conversation,
    LineRange,
    Tool,
    TracedFile,
    TraceRecord,
    Vcs,
    content_hash,
    join_model_id,
)
from .agent_trace_import import MIXED_CONFIDENCE, PROVGUARD_METADATA
from .agent_trace_revision import Revision, committed_files, resolve

MARKER, TRACKED, MATCHED = 0, 1, 2
"""Which source claims a line first."""
_NAMESPACE = uuid.UUID("0d7f3c52-5a8e-4c1e-9a59-2f6b1c9e4d10")
"""For record ids derived from their content: exporting the same revision and spans twice gives the same id,
so importing both stores nothing twice."""


@dataclass(frozen=True)
class Group:
    """One conversation of the record: the lines with this origin's tool, model, contributor type and URL."""

    tool: str
    model_id: str | None
    contributor: str
    url: str | None


@dataclass(frozen=True)
class TraceExport:
    record: TraceRecord
    files_read: int
    skipped: tuple[SkippedFile, ...]
    problems: tuple[str, ...]
    """Ledger lookups that failed, model ids too long for the format: what the record may be missing."""

    def summary(self) -> str:
        ranges = sum(len(c.ranges) for f in self.record.files for c in f.conversations)
        text = (f"agent-trace record for {self.record.vcs.revision if self.record.vcs else '?'}: "
                f"{_count(self.files_read, 'file')} read, {_count(ranges, 'AI range')} in "
                f"{_count(len(self.record.files), 'file')}")
        return text + (f", {len(self.skipped)} skipped" if self.skipped else "")


def export_revision(root: Path, revision: str, paths: Sequence[Path], ledger: Ledger | None,
                    now: datetime | None = None) -> TraceExport | str:
    """The trace record of `revision` for the files under `paths` (all of the project when empty), with the
    spans of the ledger of the project at `root`; or why there is none (not a repository, no such commit)."""
    found = resolve(root.resolve(), revision)
    if isinstance(found, str):
        return found
    specs = _pathspecs(found, paths or [root])
    if isinstance(specs, str):
        return specs
    listing = committed_files(found, specs)
    if isinstance(listing, str):
        return listing
    project = root.resolve()
    files: list[TracedFile] = []
    tools: dict[str, list[str]] = {}
    skipped: list[SkippedFile] = []
    problems: list[str] = []
    read = 0
    for committed in listing:
        if committed.data is None:
            skipped.append(SkippedFile(committed.path, committed.skipped or "not read"))
            continue
        read += 1
        traced = _traced_file(committed.path, _ledger_path(found, project, committed.path), committed.data, ledger,
                              problems)
        if traced is not None:
            files.append(traced[0])
            tools[committed.path] = traced[1]
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    record = TraceRecord(
        version=SPEC_VERSION, id=_record_id(found.commit, files, tools),
        timestamp=moment.strftime("%Y-%m-%dT%H:%M:%SZ"), files=tuple(files), vcs=Vcs("git", found.commit),
        tool=Tool("provguard", __version__),
        metadata={PROVGUARD_METADATA: {"conversation_tools": tools}} if tools else {})
    return TraceExport(record, read, tuple(skipped), tuple(problems))


def _pathspecs(revision: Revision, paths: Sequence[Path]) -> list[str] | str:
    specs: list[str] = []
    for path in paths:
        try:
            relative = path.resolve().relative_to(revision.repository).as_posix()
        except ValueError:
            return f"{path} is not inside the repository {revision.repository}"
        if relative == ".":
            return []
        specs.append(relative)
    return specs


def _ledger_path(revision: Revision, project: Path, path: str) -> str:
    """The path the ledger keeps a repository file under: relative to the project root when inside it."""
    absolute = revision.repository / path
    try:
        return absolute.relative_to(project).as_posix()
    except ValueError:
        return absolute.as_posix()


def _traced_file(path: str, stored: str, data: bytes, ledger: Ledger | None,
                 problems: list[str]) -> tuple[TracedFile, list[str]] | None:
    """The file's conversations and the tool of each, or None when no line of it is AI."""
    doc = Document(stored, detect(path), data)
    owners = _owners(doc, _claims(doc, stored, ledger, problems))
    ranges: dict[Group, list[LineRange]] = {}
    for group, first, last in _runs(doc, owners):
        lines = data[doc.lines.starts[first]:doc.lines.starts[last + 1] if last + 1 < doc.lines.line_count
                     else len(data)]
        ranges.setdefault(group, []).append(LineRange(first + 1, last + 1, content_hash(lines)))
    if not ranges:
        return None
    order = sorted(ranges, key=lambda g: (g.tool, g.model_id or "", g.contributor, g.url or ""))
    for group in order:
        if group.model_id is not None and len(group.model_id) > MAX_MODEL_ID:
            problems.append(f"{path}: model id longer than {MAX_MODEL_ID} characters left out: "
                            f"{group.model_id[:40]}...")
    conversations = tuple(
        Conversation(tuple(ranges[g]), g.url, Contributor(g.contributor, g.model_id if g.model_id is None or
                                                          len(g.model_id) <= MAX_MODEL_ID else None))
        for g in order)
    return TracedFile(path, conversations), [g.tool for g in order]


def _claims(doc: Document, stored: str, ledger: Ledger | None, problems: list[str]) -> list[tuple[int, Span]]:
    """Every AI span of the document with the rank of its source."""
    doc.ensure_tree()
    claims = [(MARKER, span) for span in scan(doc).spans]
    if ledger is not None:
        restored = restore(ledger, stored, doc)
        if restored.error:
            problems.append(restored.error)
        claims += [(TRACKED, span) for span in restored.spans()]
        try:
            claims += [(MATCHED, span) for span in matching.index_spans(doc, stored, ledger)]
        except LedgerError as exc:
            problems.append(f"{stored}: cannot look up recorded agent edits in {ledger.location}: {exc}")
    return [(rank, span) for rank, span in claims if span.origin.is_ai and span.start < span.end]


def _owners(doc: Document, claims: list[tuple[int, Span]]) -> list[Group | None]:
    owners: list[Group | None] = [None] * doc.lines.line_count
    for _, span in sorted(claims, key=lambda c: (c[0], -c[1].origin.confidence, c[1].start, c[1].end)):
        group = _group(span.origin)
        first, last = doc.lines.line_of(span.start), doc.lines.line_of(span.end - 1)
        for line in range(first, last + 1):
            if owners[line] is None:
                owners[line] = group
    return owners


def _runs(doc: Document, owners: list[Group | None]) -> list[tuple[Group, int, int]]:
    """Consecutive lines of one group, without blank lines at either end (0-based, inclusive)."""
    runs: list[tuple[Group, int, int]] = []
    line = 0
    while line < len(owners):
        group = owners[line]
        end = line
        while end + 1 < len(owners) and owners[end + 1] == group:
            end += 1
        if group is not None:
            first, last = line, end
            while first <= last and _blank(doc, first):
                first += 1
            while last >= first and _blank(doc, last):
                last -= 1
            if first <= last:
                runs.append((group, first, last))
        line = end + 1
    return runs


def _blank(doc: Document, line: int) -> bool:
    start, end = doc.lines.line_bounds(line)
    return not doc.source[start:end].strip()


def _group(origin: Origin) -> Group:
    session = next((value for key, value in origin.extra if key == "session"), None)
    return Group(origin.tool or "unknown", join_model_id(origin.vendor, origin.model),
                 "mixed" if origin.confidence <= MIXED_CONFIDENCE else "ai", session if _is_url(session) else None)


def _is_url(value: str | None) -> bool:
    if not value:
        return False
    parts = urlsplit(value)
    return bool(parts.scheme) and bool(parts.netloc or parts.path) and " " not in value


def _record_id(commit: str, files: list[TracedFile], tools: dict[str, list[str]]) -> str:
    content = repr((commit, [(f.path, f.conversations, tools[f.path]) for f in files]))
    return str(uuid.uuid5(_NAMESPACE, content))


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
