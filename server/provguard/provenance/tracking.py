"""Spans that follow edits: where inserted text went, and how much of it is still as first inserted.

The contract, in UTF-8 bytes (the property tests check it against a model with one label per byte):

- An edit replaces bytes [a, b) with new bytes. The deletion happens first: a span loses the bytes deleted
  from it, and a span whose bytes are all deleted is gone.
- The inserted bytes then get a label:
  1. a new span, when the caller gives an origin (a bulk insertion, or an insertion a client hint names);
  2. else the labels they had before, when the same bytes come back at the same place (undo, redo). Each
     deletion leaves a tombstone at its point with the deleted bytes' labels; a deletion right next to the
     previous one (backspacing, deleting forward) also leaves one tombstone for the whole run, so an undo
     that puts the run back at once is recognised too. Tombstones move like zero-width points (an insertion
     at or before one moves it right; a deletion around one moves it to the deletion's start), except that
     a tombstone put back returns the tombstones its deletion swallowed to their places inside it. The
     newest matching tombstone is used up, with the run it belongs to or the deletions it consists of;
  3. else the span of the first labelled byte the same edit deleted (typing over a selection of AI code
     keeps it AI code: no silent laundering);
  4. else the span the insertion point lies strictly inside (typing inside a span);
  5. else none: text typed next to a span is not part of it.
  Only rule 1 and restored original bytes count as original text; everything else is rewritten text.
- Spans never overlap. A new span inserted inside another splits it; parts with the same record that end
  up next to each other are one span again.
"""

from __future__ import annotations

import hashlib
import uuid
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from provguard.provenance.origin import Origin, Span

MAX_TOMBSTONES = 64
MAX_RUN_BYTES = 1 << 20
"""Deleted bytes kept to join runs of deletions; larger deletions keep only a digest."""

Piece = tuple[int, int]


@dataclass(eq=False)
class SpanRecord:
    """One provenance event: text inserted with an origin. Every part of its text refers to it."""

    origin: Origin
    original_length: int
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    created_version: int | None = None
    created_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))


@dataclass(eq=False, slots=True)
class Interval:
    record: SpanRecord
    start: int
    end: int
    original: list[Piece]
    """Absolute ranges of bytes still as first inserted."""


@dataclass(frozen=True, slots=True)
class _Segment:
    start: int
    end: int
    record: SpanRecord
    original: tuple[Piece, ...]
    """Relative to the tombstone's point, like start and end."""


@dataclass(eq=False, slots=True)
class _Tombstone:
    """Compared by identity: two tombstones with the same content are still two (deque.remove uses ==)."""

    point: int
    data: bytes | None
    digest: bytes
    length: int
    segments: tuple[_Segment, ...]
    nested: tuple[tuple[int, _Tombstone], ...] = ()
    """Tombstones whose point lay inside this deletion, with their offset in it."""
    parts: tuple[_Tombstone, ...] = ()
    """For a run of adjacent deletions: the deletions it joins."""


class SpanTracker:
    def __init__(self) -> None:
        self.intervals: list[Interval] = []
        self._tombstones: deque[_Tombstone] = deque(maxlen=MAX_TOMBSTONES)

    def spans(self) -> tuple[Span, ...]:
        remaining: dict[str, int] = {}
        for iv in self.intervals:
            remaining[iv.record.id] = remaining.get(iv.record.id, 0) + sum(e - s for s, e in iv.original)
        return tuple(
            Span(iv.start, iv.end, iv.record.origin, span_id=iv.record.id,
                 original_share=remaining[iv.record.id] / iv.record.original_length
                 if iv.record.original_length else 0.0)
            for iv in self.intervals
        )

    def records(self) -> dict[str, SpanRecord]:
        return {iv.record.id: iv.record for iv in self.intervals}

    def add(self, record: SpanRecord, start: int, end: int, original: list[Piece] | None = None) -> None:
        """Places an existing record (restored from the ledger) over [start, end); overlapped parts lose."""
        if start >= end:  # an empty interval would be a span of nothing
            return
        self._carve(start, end)
        pieces = [(start, end)] if original is None else _join(_clip(original, start, end))
        self.intervals.append(Interval(record, start, end, pieces))
        self._normalise()

    def add_many(self, items: Sequence[tuple[SpanRecord, int, int, list[Piece] | None]]) -> None:
        """Places many records at once, as restoring a file's spans from the ledger does: one sort instead of
        one per record. Into an empty tracker only; where two overlap, the one that starts first keeps it."""
        if self.intervals:
            for item in items:
                self.add(*item)
            return
        taken = -1
        for record, start, end, original in sorted(items, key=lambda item: (item[1], item[2])):
            start = max(start, taken)
            if start >= end:
                continue
            pieces = [(start, end)] if original is None else _join(_clip(original, start, end))
            self.intervals.append(Interval(record, start, end, pieces))
            taken = end
        self._normalise()

    def remove(self, record_id: str) -> None:
        self.intervals = [iv for iv in self.intervals if iv.record.id != record_id]

    def set_origin(self, record_id: str, origin: Origin) -> None:
        for iv in self.intervals:
            if iv.record.id == record_id:
                iv.record.origin = origin

    def replace(self, start: int, end: int, deleted: bytes, inserted: bytes, origin: Origin | None = None,
                version: int | None = None) -> SpanRecord | None:
        """Applies one edit; returns the new record when `origin` labelled the inserted bytes."""
        inherited = self._delete(start, end, deleted)
        if not inserted:
            return None
        n = len(inserted)
        segments: tuple[_Segment, ...] = ()
        created: SpanRecord | None = None
        if origin is not None:
            created = SpanRecord(origin, n, created_version=version)
            segments = (_Segment(0, n, created, ((0, n),)),)
        elif (tomb := self._take_tombstone(start, inserted)) is not None:
            segments = tomb.segments
        elif inherited is not None:
            segments = (_Segment(0, n, inherited, ()),)
        elif (around := self._strictly_inside(start)) is not None:
            segments = (_Segment(0, n, around.record, ()),)
        self._insert(start, n, segments, tomb if origin is None else None)
        return created

    # -- the two halves of an edit ------------------------------------------------------------------

    def _delete(self, a: int, b: int, deleted: bytes) -> SpanRecord | None:
        if a == b:
            return None
        d = b - a
        touched: list[_Segment] = []
        kept: list[Interval] = []
        for iv in self.intervals:
            if iv.start < b and iv.end > a:
                lo, hi = max(iv.start, a), min(iv.end, b)
                pieces = tuple((max(s, lo) - a, min(e, hi) - a) for s, e in iv.original if s < hi and e > lo)
                touched.append(_Segment(lo - a, hi - a, iv.record, pieces))
            iv.start, iv.end = _map_delete(iv.start, a, b, d), _map_delete(iv.end, a, b, d)
            iv.original = [(ms, me) for s, e in iv.original
                           if (ms := _map_delete(s, a, b, d)) < (me := _map_delete(e, a, b, d))]
            if iv.start < iv.end:
                kept.append(iv)
        self.intervals = kept
        self._normalise()  # parts of one record that the deleted bytes kept apart now touch
        previous = self._tombstones[-1] if self._tombstones else None
        was = previous.point if previous is not None else -1
        nested = tuple((t.point - a, t) for t in self._tombstones if a <= t.point < b)
        for tomb in self._tombstones:
            tomb.point = _map_delete(tomb.point, a, b, d)
        data = deleted if d <= MAX_RUN_BYTES else None
        tomb = _Tombstone(a, data, _digest(deleted), d, tuple(touched), nested)
        self._tombstones.append(tomb)
        if previous is not None:
            self._join_run(previous, was, tomb, a, b)
        return touched[0].record if touched else None

    def _join_run(self, previous: _Tombstone, was: int, new: _Tombstone, a: int, b: int) -> None:
        """One tombstone for a deletion and the one before it when they were adjacent."""
        if previous.data is None or new.data is None or len(previous.data) + len(new.data) > MAX_RUN_BYTES:
            return
        if was == b:  # backspacing: the new bytes stood before the previous ones
            first, second = new, previous
        elif was == a:  # deleting forward: they stood after
            first, second = previous, new
        else:
            return
        shift = first.length
        # A tombstone both put back goes where the previous deletion puts it, as when the two are undone one at a
        # time (newest first). Deleting forward, the ones the previous deletion swallowed sit at the new start too.
        placed = {id(previous), *(id(t) for _, t in previous.nested)}
        inner = tuple((rel, t) for rel, t in new.nested if id(t) not in placed)
        nested = (first.nested if first is previous else inner) + tuple(
            (rel + shift, t) for rel, t in (second.nested if second is previous else inner))
        segments = first.segments + tuple(
            _Segment(g.start + shift, g.end + shift, g.record, tuple((s + shift, e + shift) for s, e in g.original))
            for g in second.segments)
        data = first.data + second.data  # type: ignore[operator]
        parts = (previous.parts or (previous,)) + (new,)
        if previous.parts:
            self._tombstones.remove(previous)  # the longer run replaces the shorter one
        self._tombstones.append(_Tombstone(a, data, _digest(data), len(data), segments, nested, parts))

    def _insert(self, p: int, n: int, segments: tuple[_Segment, ...], restored: _Tombstone | None) -> None:
        shifted: list[Interval] = []
        for iv in self.intervals:
            if iv.start >= p:
                iv.start += n
                iv.end += n
                iv.original = [(s + n, e + n) for s, e in iv.original]
                shifted.append(iv)
            elif iv.end > p:  # strictly contains the insertion point: split around the new bytes
                right = Interval(iv.record, p + n, iv.end + n,
                                 [(max(s, p) + n, e + n) for s, e in iv.original if e > p])
                iv.end = p
                iv.original = [(s, min(e, p)) for s, e in iv.original if s < p]
                shifted.extend((iv, right))
            else:
                shifted.append(iv)
        for seg in segments:
            shifted.append(Interval(seg.record, p + seg.start, p + seg.end,
                                    [(p + s, p + e) for s, e in seg.original]))
        self.intervals = shifted
        for tomb in self._tombstones:
            if tomb.point >= p:
                tomb.point += n
        if restored is not None:
            for rel, tomb in restored.nested:
                tomb.point = p + rel
        self._normalise()

    # -- helpers ------------------------------------------------------------------------------------

    def _take_tombstone(self, point: int, inserted: bytes) -> _Tombstone | None:
        digest = None
        for tomb in reversed(self._tombstones):
            if tomb.point == point and tomb.length == len(inserted):
                digest = digest or _digest(inserted)
                if tomb.digest == digest:
                    used = {id(tomb), *(id(part) for part in tomb.parts)}
                    self._tombstones = deque((t for t in self._tombstones if id(t) not in used
                                              and not any(id(part) in used for part in t.parts)),
                                             maxlen=MAX_TOMBSTONES)
                    return tomb
        return None

    def _strictly_inside(self, point: int) -> Interval | None:
        return next((iv for iv in self.intervals if iv.start < point < iv.end), None)

    def _carve(self, start: int, end: int) -> None:
        out: list[Interval] = []
        for iv in self.intervals:
            if iv.end <= start or iv.start >= end:
                out.append(iv)
                continue
            if iv.start < start:
                out.append(Interval(iv.record, iv.start, start, _clip(iv.original, iv.start, start)))
            if iv.end > end:
                out.append(Interval(iv.record, end, iv.end, _clip(iv.original, end, iv.end)))
        self.intervals = out

    def _normalise(self) -> None:
        """Sorted by position; touching parts of one record joined into one span."""
        self.intervals.sort(key=lambda iv: iv.start)
        merged: list[Interval] = []
        for iv in self.intervals:
            last = merged[-1] if merged else None
            if last is not None and last.record is iv.record and last.end == iv.start:
                last.end = iv.end
                last.original = _join(last.original + iv.original)
            else:
                merged.append(iv)
        self.intervals = merged


def _map_delete(x: int, a: int, b: int, d: int) -> int:
    return x if x <= a else (a if x < b else x - d)


def _clip(pieces: list[Piece], start: int, end: int) -> list[Piece]:
    return [(max(s, start), min(e, end)) for s, e in pieces if s < end and e > start]


def _join(pieces: list[Piece]) -> list[Piece]:
    out: list[Piece] = []
    for s, e in sorted(pieces):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def _digest(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()
