"""Agent Trace (agent-trace.dev, version 0.1): the trace record, and writing it exactly.

A trace record says which line ranges of which files, at a revision, came from which contributor (`human`,
`ai`, `mixed`, `unknown`) and model, grouped by the conversation that produced them. Writing produces records
that validate against the format's JSON Schema (a copy is in tests/); reading, which is tolerant, is in
`agent_trace_read`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import mmh3

SPEC_VERSION = "0.1.0"
"""The version this module writes."""
READ_VERSIONS = frozenset({(0, 1), (1, 0)})
"""(major, minor) versions read: the spec's 0.1, and "1.0", which the spec repository's reference hook stamps on
the same records. Patch versions do not change the shape."""
CONTRIBUTOR_TYPES = ("human", "ai", "mixed", "unknown")
VCS_TYPES = ("git", "jj", "hg", "svn")
MAX_MODEL_ID = 250
"""Characters the schema allows in a model id."""


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


# -- what both directions share -------------------------------------------------------------------------


def content_hash(lines: bytes) -> str:
    """The `content_hash` provguard writes: the spec names none, so the algorithm is named in the value (the
    spec's examples do the same), over the range's lines as committed, each with its line break."""
    return "sha256:" + hashlib.sha256(lines).hexdigest()


MIN_HASH_PREFIX = 8
"""Hex digits a `sha256:` value needs to be checked: Cursor writes the first 16 of the digest, and fewer than
8 would match unrelated lines too often to be evidence either way."""
_HEX = frozenset("0123456789abcdef")


def sha256_prefix(value: str) -> str | None:
    """The hex digits of a `sha256:` content_hash (the whole digest or a prefix of at least MIN_HASH_PREFIX),
    lower case; None when the value is not such a hash."""
    digits = value.removeprefix("sha256:").lower()
    if digits == value.lower() or not MIN_HASH_PREFIX <= len(digits) <= 64 or not set(digits) <= _HEX:
        return None
    return digits


def murmur3_digest(value: str) -> str | None:
    """The 32 hex digits of a `murmur3:` content_hash (opentraces' records), lower case; None otherwise."""
    digits = value.removeprefix("murmur3:").lower()
    return digits if digits != value.lower() and len(digits) == 32 and set(digits) <= _HEX else None


def hash_form_problem(value: str) -> str | None:
    """Why a `sha256:` content_hash cannot be checked (malformed), None when it can be or is not one."""
    if value.startswith("sha256:") and sha256_prefix(value) is None:
        return f"content_hash {value[:80]!r} is not a sha256 digest or a prefix of at least {MIN_HASH_PREFIX} of " \
            "its hex digits"
    return None


def hash_matches(value: str, lines: bytes) -> bool | None:
    """Whether a record's `content_hash` is that of `lines`: None when it is not a hash provguard computes
    (another tool's algorithm), so it is neither trusted nor held against the record. A `sha256:` value may be
    a prefix of the hex digest (Cursor keeps 16 digits), and one too short or not hex matches nothing; a
    `murmur3:` one of 32 hex digits (opentraces) is MurmurHash3 x64 128 of the text written (shorter ones, as in
    the spec's example, are left alone). The text without the last line's break counts too: tools differ on
    that (opentraces hashes an Edit's new_string, which rarely ends in one)."""
    texts = (lines, lines.rstrip(b"\r\n"))
    digest = murmur3_digest(value)
    if digest is not None:
        return any(f"{mmh3.hash128(text, signed=False):032x}" == digest for text in texts)
    if not value.startswith("sha256:"):
        return None
    expected = sha256_prefix(value)
    return expected is not None and any(hashlib.sha256(text).hexdigest().startswith(expected) for text in texts)


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
