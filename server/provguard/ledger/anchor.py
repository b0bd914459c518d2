"""Fingerprints of spans and re-anchoring them in a file that changed while provguard was not watching.

The ledger stores no code text, only digests (see `Fingerprint`). When a file is opened again, each stored
span has to be found in the current text. The rule that matters most: a span is attached only to bytes
whose full digest matches. Attaching provenance to the wrong code would be worse than losing it, so every
doubt ends in `Unanchored` with a reason a person can read, never in a guess at different bytes.

Search order, cheapest first:
1. the stored offset (the file did not change above the span: one hash);
2. the stored byte column of every line whose text from that column starts with the span's first line
   (lines inserted or deleted above, or the span moved; one short hash per line that is long enough);
3. among several verified copies, the one whose surrounding bytes still match, then the one nearest to
   the stored line; a tie is reported as ambiguous.

Offsets are UTF-8 byte offsets, as everywhere in the core.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from provguard.ledger.model import Fingerprint
from provguard.positions import LineIndex

CONTEXT_BYTES = 64
"""Bytes on each side of a span that tell identical copies apart."""

TEXT_CHANGED = "text changed"


@dataclass(frozen=True)
class Unanchored:
    """A stored span that could not be placed in the current text, and why."""

    reason: str
    """"text changed" (no copy of the bytes at the stored column) or "ambiguous: N identical copies"."""
    copies: int = 0
    """How many verified copies were found (0 when the text changed)."""


def digest(data: bytes) -> str:
    """blake2b-128 hex: short enough to store per span, long enough that collisions do not happen."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _raw(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()


def first_line(data: bytes) -> bytes:
    """`data` up to (excluding) its first line break, with LSP's line breaks: \\n, \\r\\n, \\r."""
    cut = len(data)
    for brk in (b"\n", b"\r"):
        at = data.find(brk, 0, cut)
        if at != -1:
            cut = at
    return data[:cut]


def fingerprint(source: bytes, start: int, end: int, lines: LineIndex) -> Fingerprint:
    """Digests of bytes [start, end) of `source` and of the bytes around them, with their position."""
    span = source[start:end]
    line, column = lines.point(start)
    return Fingerprint(
        length=end - start,
        digest=digest(span),
        head=digest(first_line(span)),
        before=digest(source[max(0, start - CONTEXT_BYTES) : start]),
        after=digest(source[end : end + CONTEXT_BYTES]),
        line=line,
        column=column,
        offset=start,
    )


def anchor(fp: Fingerprint, source: bytes, lines: LineIndex) -> tuple[int, int] | Unanchored:
    """Where the fingerprinted bytes are in `source` now, as [start, end); or why they cannot be placed."""
    full = _raw_hex(fp.digest)
    at = fp.offset
    if at + fp.length <= len(source) and _raw(source[at : at + fp.length]) == full:
        return at, at + fp.length
    found = _candidates(fp, full, source, lines)
    if not found:
        return Unanchored(TEXT_CHANGED)
    if len(found) == 1:
        start = found[0][1]
        return start, start + fp.length
    return _choose(fp, found, source)


def _raw_hex(hex_digest: str) -> bytes:
    try:
        return bytes.fromhex(hex_digest)
    except ValueError:
        return b""  # a damaged stored digest matches nothing: the span stays unanchored


def _candidates(fp: Fingerprint, full: bytes, source: bytes, lines: LineIndex) -> list[tuple[int, int]]:
    """(line, start) of every verified copy at the stored column.

    A span without a line break has head == digest: a line qualifies when the `length` bytes at the
    column hash to it, which is already the full check. A span with a line break qualifies when the rest
    of a line from the column hashes to the head (the span's first line ends where the line ends); only
    those few lines pay for the full digest.
    """
    col, length = fp.column, fp.length
    single_line = fp.head == fp.digest
    head = _raw_hex(fp.head)
    starts = lines.starts
    found: list[tuple[int, int]] = []
    # bytes.splitlines breaks on exactly the line breaks LineIndex uses, so line i starts at starts[i].
    for i, text in enumerate(source.splitlines()):
        if single_line:
            if len(text) >= col + length and _raw(text[col : col + length]) == full:
                found.append((i, starts[i] + col))
        elif len(text) >= col and _raw(text[col:]) == head:
            begin = starts[i] + col
            if _raw(source[begin : begin + length]) == full:
                found.append((i, begin))
    return found


def _choose(fp: Fingerprint, found: list[tuple[int, int]], source: bytes) -> tuple[int, int] | Unanchored:
    """One of several identical copies: best context match, then nearest line; a tie is ambiguous."""
    before, after = _raw_hex(fp.before), _raw_hex(fp.after)

    def context(start: int) -> int:
        end = start + fp.length
        return ((_raw(source[max(0, start - CONTEXT_BYTES) : start]) == before)
                + (_raw(source[end : end + CONTEXT_BYTES]) == after))

    scored = [(context(start), line, start) for line, start in found]
    best = max(score for score, _, _ in scored)
    group = [(abs(line - fp.line), start) for score, line, start in scored if score == best]
    group.sort()
    if len(group) > 1 and group[0][0] == group[1][0]:
        return Unanchored(f"ambiguous: {len(found)} identical copies", copies=len(found))
    start = group[0][1]
    return start, start + fp.length
