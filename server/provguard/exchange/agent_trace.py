"""Agent Trace (agent-trace.dev, version 0.1): the trace record, read tolerantly and written exactly.

A trace record says which line ranges of which files, at a revision, came from which contributor (`human`,
`ai`, `mixed`, `unknown`) and model, grouped by the conversation that produced them. Reading checks each
record's structure by hand (no schema library at run time) and keeps what is sound: a bad range or
conversation is a problem at its JSON path and the rest of the record still counts; a record without its
required fields, or of a version this module does not know, is a problem as a whole. Writing produces records
that validate against the format's JSON Schema (a copy is in tests/).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from provguard.provenance.transcripts.records import utc_time

SPEC_VERSION = "0.1.0"
"""The version this module writes."""
READ_VERSIONS = frozenset({(0, 1), (1, 0)})
"""(major, minor) versions read: the spec's 0.1, and "1.0", which the spec repository's reference hook stamps on
the same records. Patch versions do not change the shape."""
CONTRIBUTOR_TYPES = ("human", "ai", "mixed", "unknown")
VCS_TYPES = ("git", "jj", "hg", "svn")
MAX_MODEL_ID = 250
"""Characters the schema allows in a model id."""
_VERSION = re.compile(r"(\d+)\.(\d+)(?:\.(\d+))?")


@dataclass(frozen=True)
class Contributor:
    type: str
    """One of CONTRIBUTOR_TYPES."""
    model_id: str | None = None
    """models.dev form, provider/model: "anthropic/claude-opus-4-5-20251101"."""


@dataclass(frozen=True)
class LineRange:
    start_line: int
    end_line: int
    """1-based, inclusive, at the record's revision."""
    content_hash: str | None = None
    contributor: Contributor | None = None
    """Overrides the conversation's contributor for this range."""


@dataclass(frozen=True)
class Related:
    type: str
    url: str


@dataclass(frozen=True)
class Conversation:
    ranges: tuple[LineRange, ...]
    url: str | None = None
    contributor: Contributor | None = None
    related: tuple[Related, ...] = ()

    def contributor_of(self, line_range: LineRange) -> Contributor:
        """Who wrote a range: its own contributor, else the conversation's, else nobody knows."""
        return line_range.contributor or self.contributor or Contributor("unknown")


@dataclass(frozen=True)
class TracedFile:
    path: str
    """Relative to the repository root, as the record wrote it."""
    conversations: tuple[Conversation, ...]


@dataclass(frozen=True)
class Vcs:
    type: str
    revision: str


@dataclass(frozen=True)
class Tool:
    name: str
    version: str | None = None
    """Required by the schema; records of the spec's reference hook leave it out, so reading does not insist."""


@dataclass(frozen=True)
class TraceRecord:
    version: str
    id: str
    timestamp: str
    files: tuple[TracedFile, ...]
    vcs: Vcs | None = None
    tool: Tool | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ReadRecord:
    """One JSON object read as a trace record: the record (None when it is unusable) and what was wrong."""

    record: TraceRecord | None
    problems: tuple[str, ...]
    """Each "where: why", where a JSON path like files[0].conversations[1].ranges[2]."""


class _Invalid(Exception):
    """A part of the record that cannot be read; the message says where and why."""


# -- reading --------------------------------------------------------------------------------------------


def read_record(data: dict[str, Any]) -> ReadRecord:
    """The record in `data` (one parsed JSON line), keeping every sound file, conversation and range."""
    problems: list[str] = []
    try:
        version = _text(data, "version", "")
        known = _VERSION.fullmatch(version)
        if known is None or (int(known.group(1)), int(known.group(2))) not in READ_VERSIONS:
            raise _Invalid(f"unknown Agent Trace version {version!r} (provguard reads {SPEC_VERSION})")
        record_id = _text(data, "id", "")
        timestamp = utc_time(_text(data, "timestamp", ""))
        if timestamp is None:
            raise _Invalid(f"timestamp: not an RFC 3339 date and time: {data['timestamp']!r}")
        files = _list(data, "files", "")
        vcs = _vcs(data["vcs"]) if data.get("vcs") is not None else None
        tool = _tool(data["tool"]) if data.get("tool") is not None else None
        metadata = data.get("metadata")
        if metadata is not None and not isinstance(metadata, dict):
            raise _Invalid("metadata: not an object")
    except _Invalid as exc:
        return ReadRecord(None, (str(exc),))
    read_files: list[TracedFile] = []
    for index, item in enumerate(files):
        where = f"files[{index}]"
        try:
            read_files.append(_file(item, where, problems))
        except _Invalid as exc:
            problems.append(str(exc))
    record = TraceRecord(version, record_id, timestamp, tuple(read_files), vcs, tool, dict(metadata or {}))
    return ReadRecord(record, tuple(problems))


def _file(item: object, where: str, problems: list[str]) -> TracedFile:
    data = _object(item, where)
    path = _text(data, "path", where)
    conversations: list[Conversation] = []
    for index, value in enumerate(_list(data, "conversations", where)):
        at = f"{where}.conversations[{index}]"
        try:
            conversations.append(_conversation(value, at, problems))
        except _Invalid as exc:
            problems.append(str(exc))
            conversations.append(Conversation(()))  # keeps the indexes of the ones after it
    return TracedFile(path, tuple(conversations))


def _conversation(item: object, where: str, problems: list[str]) -> Conversation:
    data = _object(item, where)
    url = _text(data, "url", where) if data.get("url") is not None else None
    contributor = (_contributor(data["contributor"], f"{where}.contributor")
                   if data.get("contributor") is not None else None)
    related: list[Related] = []
    for index, value in enumerate(_list(data, "related", where) if data.get("related") is not None else ()):
        try:
            entry = _object(value, f"{where}.related[{index}]")
            related.append(Related(_text(entry, "type", f"{where}.related[{index}]"),
                                   _text(entry, "url", f"{where}.related[{index}]")))
        except _Invalid as exc:
            problems.append(str(exc))
    ranges: list[LineRange] = []
    for index, value in enumerate(_list(data, "ranges", where)):
        try:
            ranges.append(_range(value, f"{where}.ranges[{index}]"))
        except _Invalid as exc:
            problems.append(str(exc))
    return Conversation(tuple(ranges), url, contributor, tuple(related))


def _range(item: object, where: str) -> LineRange:
    data = _object(item, where)
    start, end = _line(data, "start_line", where), _line(data, "end_line", where)
    if end < start:
        raise _Invalid(f"{where}: end_line {end} is before start_line {start}")
    content_hash = _text(data, "content_hash", where) if data.get("content_hash") is not None else None
    contributor = (_contributor(data["contributor"], f"{where}.contributor")
                   if data.get("contributor") is not None else None)
    return LineRange(start, end, content_hash, contributor)


def _contributor(item: object, where: str) -> Contributor:
    data = _object(item, where)
    kind = _text(data, "type", where)
    if kind not in CONTRIBUTOR_TYPES:
        raise _Invalid(f"{where}.type: {kind!r} is not one of {', '.join(CONTRIBUTOR_TYPES)}")
    model = _text(data, "model_id", where) if data.get("model_id") is not None else None
    return Contributor(kind, model)


def _vcs(item: object) -> Vcs:
    data = _object(item, "vcs")
    kind = _text(data, "type", "vcs")
    if kind not in VCS_TYPES:
        raise _Invalid(f"vcs.type: {kind!r} is not one of {', '.join(VCS_TYPES)}")
    return Vcs(kind, _text(data, "revision", "vcs"))


def _tool(item: object) -> Tool:
    data = _object(item, "tool")
    version = _text(data, "version", "tool") if data.get("version") is not None else None
    return Tool(_text(data, "name", "tool"), version)


def _object(item: object, where: str) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise _Invalid(f"{where}: expected an object, found {_json_type(item)}")
    return item


def _text(data: dict[str, Any], key: str, where: str) -> str:
    value = data.get(key)
    name = f"{where}.{key}" if where else key
    if value is None:
        raise _Invalid(f"{name}: missing")
    if not isinstance(value, str) or not value:
        raise _Invalid(f"{name}: expected a non-empty string, found {_json_type(value)}")
    return value


def _list(data: dict[str, Any], key: str, where: str) -> list[Any]:
    value = data.get(key)
    name = f"{where}.{key}" if where else key
    if value is None:
        raise _Invalid(f"{name}: missing")
    if not isinstance(value, list):
        raise _Invalid(f"{name}: expected an array, found {_json_type(value)}")
    return value


def _line(data: dict[str, Any], key: str, where: str) -> int:
    value = data.get(key)
    if value is None:
        raise _Invalid(f"{where}.{key}: missing")
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _Invalid(f"{where}.{key}: expected a line number from 1, found {value!r}")
    return value


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return "an empty string" if not value else "a string"
    return "an array" if isinstance(value, list) else "an object"


# -- what both directions share -------------------------------------------------------------------------


def content_hash(lines: bytes) -> str:
    """The `content_hash` provguard writes: the spec names none, so the algorithm is named in the value (the
    spec's examples do the same), over the range's lines as committed, each with its line break."""
    return "sha256:" + hashlib.sha256(lines).hexdigest()


def hash_matches(value: str, lines: bytes) -> bool | None:
    """Whether a record's `content_hash` is that of `lines`: None when it is not a hash provguard computes
    (another tool's algorithm), so it is neither trusted nor held against the record. A sha256 without the
    last line's break counts too: tools differ on that."""
    if not value.startswith("sha256:"):
        return None
    expected = value.removeprefix("sha256:").lower()
    return expected in (hashlib.sha256(lines).hexdigest(), hashlib.sha256(lines.rstrip(b"\r\n")).hexdigest())


def split_model_id(model_id: str) -> tuple[str | None, str]:
    """(provider, model) of a models.dev id ("anthropic/claude-opus-4-5" -> anthropic, claude-opus-4-5); a
    bare model name has no provider. Rules select models by name (`claude-*`), so the ledger keeps them apart."""
    provider, sep, model = model_id.partition("/")
    return (provider, model) if sep and provider and model else (None, model_id)


def join_model_id(vendor: str | None, model: str | None) -> str | None:
    """The models.dev id for a ledger's vendor and model; None without a model."""
    if not model:
        return None
    return f"{vendor}/{model}" if vendor and "/" not in model else model


# -- writing --------------------------------------------------------------------------------------------


def record_json(record: TraceRecord) -> dict[str, Any]:
    """The record as the schema wants it: optional fields left out rather than null."""
    out: dict[str, Any] = {"version": record.version, "id": record.id, "timestamp": record.timestamp}
    if record.vcs is not None:
        out["vcs"] = {"type": record.vcs.type, "revision": record.vcs.revision}
    if record.tool is not None:
        out["tool"] = {"name": record.tool.name, "version": record.tool.version or "unknown"}
    out["files"] = [{"path": f.path, "conversations": [_conversation_json(c) for c in f.conversations]}
                    for f in record.files]
    if record.metadata:
        out["metadata"] = record.metadata
    return out


def _conversation_json(conversation: Conversation) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if conversation.url is not None:
        out["url"] = conversation.url
    if conversation.contributor is not None:
        out["contributor"] = _contributor_json(conversation.contributor)
    out["ranges"] = [_range_json(r) for r in conversation.ranges]
    if conversation.related:
        out["related"] = [{"type": r.type, "url": r.url} for r in conversation.related]
    return out


def _range_json(line_range: LineRange) -> dict[str, Any]:
    out: dict[str, Any] = {"start_line": line_range.start_line, "end_line": line_range.end_line}
    if line_range.content_hash is not None:
        out["content_hash"] = line_range.content_hash
    if line_range.contributor is not None:
        out["contributor"] = _contributor_json(line_range.contributor)
    return out


def _contributor_json(contributor: Contributor) -> dict[str, Any]:
    out: dict[str, Any] = {"type": contributor.type}
    if contributor.model_id is not None:
        out["model_id"] = contributor.model_id
    return out
