"""What the ledger stores: spans with enough fingerprint to find their text again, and declarations.

No code text is stored: a span keeps digests of its bytes and of the bytes around it, which is enough to
re-anchor it in a changed file and never enough to rebuild the code.
"""

from __future__ import annotations

from dataclasses import dataclass

from provguard.provenance.origin import Evidence, Kind, Origin

Piece = tuple[int, int]


@dataclass(frozen=True)
class Fingerprint:
    """Digests that identify a span's text in a file without storing the text."""

    length: int
    """Bytes in the span."""
    digest: str
    """blake2b-128 hex of the span's bytes."""
    head: str
    """blake2b-128 hex of the span's first line (up to and excluding its line break), for finding candidates."""
    before: str
    """Digest of up to 64 bytes before the span, to choose between identical copies."""
    after: str
    """Digest of up to 64 bytes after the span."""
    line: int
    """0-based line of the span's start when it was stored."""
    column: int
    """Byte column of the span's start on that line."""
    offset: int
    """Byte offset of the span's start when it was stored."""


@dataclass(frozen=True)
class StoredSpan:
    id: str
    path: str
    """Relative to the project root, with forward slashes."""
    origin: Origin
    original_length: int
    original: tuple[Piece, ...]
    """Ranges still as first inserted, relative to the span's start."""
    created_at: str
    fingerprint: Fingerprint


@dataclass(frozen=True)
class Declaration:
    """A person saying where a span's code came from."""

    span_id: str
    path: str
    origin: Origin
    """The declared origin: kind, tool, vendor; `declared_by` says who, `date` when."""
    declared_at: str
    note: str | None = None
    """A URL or licence for external code, or a free comment."""


COMPLETION_TOOLS = frozenset({"cursor-tab"})
"""Tools whose recorded edits are inline completions (origin `ai-completion`), not an agent's (`ai-agent`)."""


@dataclass(frozen=True)
class AgentEdit:
    """One write by an AI agent, learnt from a hook or a session transcript.

    Only metadata and fingerprints are kept unless the user opts in to storing text: a team ledger must not
    become a copy of everyone's code. `id` is derived from the tool, session, tool call, path and the
    edit's index within the call, so the hook and a later transcript import of the same call agree, and
    importing twice stores nothing new.
    """

    id: str
    tool: str
    """claude-code, codex, ..."""
    path: str
    """Relative to the project root with forward slashes when inside it; otherwise absolute, as the agent wrote it."""
    time: str
    """ISO 8601, UTC."""
    evidence: Evidence
    """HOOK or TRANSCRIPT when provguard saw the edit; AGENT_TRACE or GIT_AI when another tool's record said so."""
    vendor: str | None = None
    model: str | None = None
    session_id: str | None = None
    tool_call_id: str | None = None
    lines: int = 0
    """Lines of text the edit inserted."""
    fingerprints: tuple[int, ...] = ()
    """Winnowed k-gram hashes of the inserted text (signed 64-bit), see `provguard.provenance.fingerprints`."""
    line_hashes: tuple[int, ...] = ()
    """Hashes of the inserted text's normalised lines, for finding short edits in their own file."""
    names: tuple[int, ...] = ()
    """The inserted text's names (identifiers and string literals, 32-bit values, ascending; see
    `provguard.provenance.tokens.name_value`): what tells a copy from code of merely the same shape."""
    text: str | None = None
    """The inserted text itself: only with the opt-in setting."""
    source: str | None = None
    """Where it was learnt: "transcript FILE:LINE", "hook", "agent-trace FILE:LINE", "git-ai COMMIT"."""
    confidence: float = 1.0
    """How far the source is to be believed: 1.0 for what provguard saw itself; less for another tool's claim
    (see the README's table of sources), which rules can weigh with `min-confidence`."""

    def origin(self) -> Origin:
        kind = Kind.AI_COMPLETION if self.tool in COMPLETION_TOOLS else Kind.AI_AGENT
        return Origin(kind=kind, evidence=self.evidence, tool=self.tool, vendor=self.vendor,
                      model=self.model, confidence=self.confidence, date=self.time,
                      extra=tuple((k, v) for k, v in (("session", self.session_id), ("tool-call", self.tool_call_id),
                                                      ("record", self.source)) if v))


@dataclass(frozen=True)
class ImportCursor:
    """How far a transcript file was read, so the next import reads only what was appended."""

    offset: int
    """Bytes of the file already read (always at a line boundary)."""
    identity: str
    """Digest of the file's first bytes: a different value means the file was replaced, read it again."""
