"""Origins and spans: the vocabulary every provenance source produces and every rule reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property


class Kind(StrEnum):
    HUMAN = "human"
    AI_COMPLETION = "ai-completion"
    AI_AGENT = "ai-agent"
    AI_CHAT_PASTE = "ai-chat-paste"
    PASTE = "paste"
    EXTERNAL = "external"
    UNKNOWN = "unknown"

    @property
    def is_ai(self) -> bool:
        return self in AI_KINDS


AI_KINDS = frozenset({Kind.AI_COMPLETION, Kind.AI_AGENT, Kind.AI_CHAT_PASTE})


class Evidence(StrEnum):
    """Which source said where the code came from."""

    MARKER = "marker"
    EDITOR_EVENT = "editor-event"
    CLIENT_HINT = "client-hint"
    TRANSCRIPT = "transcript"
    HOOK = "hook"
    GIT_TRAILER = "git-trailer"
    FINGERPRINT = "fingerprint"
    AGENT_TRACE = "agent-trace"
    """An Agent Trace record (agent-trace.dev) another tool wrote."""
    GIT_AI = "git-ai"
    """A git-ai authorship note (refs/notes/ai) on a commit."""


@dataclass(frozen=True)
class Origin:
    kind: Kind
    evidence: Evidence
    tool: str | None = None
    vendor: str | None = None
    model: str | None = None
    confidence: float = 1.0
    reviewed_by: str | None = None
    declared_by: str | None = None
    date: str | None = None
    extra: tuple[tuple[str, str], ...] = ()
    """Fields a source reported that provguard has no slot for, kept in order."""

    @property
    def is_ai(self) -> bool:
        return self.kind.is_ai

    def describe(self) -> str:
        """One-line human description, e.g. "ai-agent (claude-code, anthropic, claude-sonnet-4)"."""
        details = ", ".join(v for v in (self.tool, self.vendor, self.model) if v)
        return f"{self.kind.value} ({details})" if details else self.kind.value


@dataclass(frozen=True)
class MarkerField:
    """A key=value field of a marker with the byte range of the whole token and of its value."""

    key: str
    value: str
    start: int
    end: int
    value_start: int
    value_end: int


@dataclass(frozen=True)
class MarkerComment:
    """A provenance comment in the text: where it is and what it says."""

    verb: str
    """begin, end, file, or next (a marker that covers the next syntactic unit)."""
    start: int
    end: int
    line_start: int
    """Start of the comment's line, for edits that remove or rewrite the whole line."""
    line_end: int
    """End of the comment's line including its line break."""
    relative_fields: tuple[MarkerField, ...] = ()
    """The key=value fields with offsets from `start`: a comment an edit before it moved keeps the same ones."""
    inline_fields_end: int | None = None
    """Where a new field can be inserted (after the last field, before any closing delimiter)."""

    @cached_property
    def fields(self) -> tuple[MarkerField, ...]:
        """The fields with offsets in the document."""
        return tuple(_placed(f, self.start) for f in self.relative_fields)

    def names(self, key: str) -> bool:
        """Whether it has a field `key` (without placing the field in the document)."""
        return any(f.key == key for f in self.relative_fields)

    def field(self, key: str) -> MarkerField | None:
        found = next((f for f in self.relative_fields if f.key == key), None)
        return None if found is None else _placed(found, self.start)

    def moved(self, by: int) -> MarkerComment:
        """The same comment `by` bytes further on (an edit before it)."""
        inline_end = None if self.inline_fields_end is None else self.inline_fields_end + by
        return MarkerComment(self.verb, self.start + by, self.end + by, self.line_start + by, self.line_end + by,
                             self.relative_fields, inline_end)


def _placed(f: MarkerField, at: int) -> MarkerField:
    return MarkerField(f.key, f.value, f.start + at, f.end + at, f.value_start + at, f.value_end + at)


@dataclass(frozen=True)
class Span:
    """Bytes [start, end) of a document with one origin."""

    start: int
    end: int
    origin: Origin
    markers: tuple[MarkerComment, ...] = field(default=())
    """The comments that declare this span (begin and end, or the one next-unit marker)."""
    span_id: str | None = None
    """The tracked record this span belongs to (live capture, the ledger); None for markers."""
    original_share: float | None = None
    """Share of the first inserted bytes still present, for tracked spans."""
