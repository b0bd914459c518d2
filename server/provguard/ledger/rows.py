"""How records become table rows and back, the same in every backend, so both read each other's exports.

Also the one place the text opt-in is enforced: `stored_text` is what every backend writes for an agent
edit, so a caller that forgets the setting cannot leak code into a shared ledger.
"""

from __future__ import annotations

import json
import sys
from array import array
from collections.abc import Sequence

from provguard.provenance.origin import Evidence

from .model import AgentEdit, Fingerprint, StoredSpan
from .store import LedgerError, origin_from_json, origin_to_json

SPAN_COLUMNS = ("path, seq, id, origin, original_length, original, created_at, fp_length, fp_digest, fp_head, "
                "fp_before, fp_after, fp_line, fp_column, fp_offset")

SpanRow = tuple[str, int, str, str, int, str, str, int, str, str, str, str, int, int, int]


def span_to_row(path: str, seq: int, span: StoredSpan) -> SpanRow:
    fp = span.fingerprint
    return (path, seq, span.id, origin_to_json(span.origin), span.original_length,
            json.dumps([list(piece) for piece in span.original]), span.created_at,
            fp.length, fp.digest, fp.head, fp.before, fp.after, fp.line, fp.column, fp.offset)


def span_from_row(row: SpanRow) -> StoredSpan:
    (path, _seq, span_id, origin, original_length, original, created_at,
     length, digest, head, before, after, line, column, offset) = row
    try:
        pieces = tuple((int(s), int(e)) for s, e in json.loads(original))
    except (ValueError, TypeError) as exc:
        raise LedgerError(f"span {span_id} in {path}: unreadable original ranges {original[:200]!r}") from exc
    return StoredSpan(
        id=span_id, path=path, origin=origin_from_json(origin), original_length=original_length,
        original=pieces, created_at=created_at,
        fingerprint=Fingerprint(length, digest, head, before, after, line, column, offset),
    )


def stored_text(edit: AgentEdit, store_text: bool) -> str | None:
    """The text a backend writes for `edit`: none unless the ledger was opened with the opt-in."""
    return edit.text if store_text else None


def evidence(edit_id: str, value: str) -> Evidence:
    try:
        return Evidence(value)
    except ValueError as exc:
        raise LedgerError(f"agent edit {edit_id}: unknown evidence {value!r}") from exc


def pack_names(names: Sequence[int]) -> bytes:
    """Unsigned 32-bit names as little-endian bytes: 4 bytes each, the same in every backend."""
    values = array("I", names)
    if sys.byteorder != "little":
        values.byteswap()
    return values.tobytes()


def unpack_names(blob: bytes) -> tuple[int, ...]:
    values = array("I")
    values.frombytes(blob[:len(blob) - len(blob) % 4])
    if sys.byteorder != "little":
        values.byteswap()
    return tuple(values)


def pack_hashes(hashes: Sequence[int]) -> bytes:
    """Signed 64-bit hashes as little-endian bytes: 8 bytes each, the same in every backend."""
    return array("q", hashes).tobytes() if sys.byteorder == "little" else _swapped(hashes)


def unpack_hashes(blob: bytes) -> tuple[int, ...]:
    values = array("q")
    values.frombytes(blob)
    if sys.byteorder != "little":
        values.byteswap()
    return tuple(values)


def _swapped(hashes: Sequence[int]) -> bytes:
    values = array("q", hashes)
    values.byteswap()
    return values.tobytes()
