"""What the ledger stores: spans with enough fingerprint to find their text again, and declarations.

No code text is stored: a span keeps digests of its bytes and of the bytes around it, which is enough to
re-anchor it in a changed file and never enough to rebuild the code.
"""

from __future__ import annotations

from dataclasses import dataclass

from provguard.provenance.origin import Origin

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
