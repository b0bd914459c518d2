"""A reference model of provenance.tracking: one label per byte, written straight from its docstring.

Every byte of the document carries (record id or None, original?). Every deletion leaves a tombstone with
the bytes and labels it deleted and the tombstones whose point lay in its range; a deletion next to the
newest tombstone also leaves a run joining both. Tombstones move like zero-width points. The tests replay
the same edits on a SpanTracker and on this model and compare them byte for byte.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from provguard.provenance import tracking
from provguard.provenance.origin import Origin
from provguard.provenance.tracking import MAX_TOMBSTONES, SpanRecord, SpanTracker

Label = tuple[str | None, bool]
"""The record a byte belongs to (None: no span) and whether it is still as first inserted."""

NONE: Label = (None, False)


@dataclass(eq=False)
class Tomb:
    """Compared by identity: two tombstones with the same content are still two."""

    point: int
    data: bytes
    labels: list[Label]
    nested: list[tuple[int, Tomb]]
    """The tombstones whose point lay in the deleted range, with their offset in it; put back in this order."""
    parts: list[Tomb] = field(default_factory=list)
    """For a run: the single deletions it joins."""


@dataclass
class Model:
    data: bytearray = field(default_factory=bytearray)
    labels: list[Label] = field(default_factory=list)
    tombs: list[Tomb] = field(default_factory=list)
    """Oldest first."""
    lengths: dict[str, int] = field(default_factory=dict)
    """original_length of every record a rule-1 insertion created."""
    forgotten: int = 0
    """How many tombstones newer ones pushed out."""

    @classmethod
    def of(cls, text: bytes) -> Model:
        return cls(bytearray(text), [NONE] * len(text))

    def replace(self, a: int, b: int, inserted: bytes, record_id: str | None = None) -> None:
        """Replaces [a, b) by `inserted`; `record_id` names the new record when the edit has an origin."""
        assert 0 <= a <= b <= len(self.data)
        deleted_labels = self.labels[a:b]
        if a < b:
            self._delete(a, b)
        if not inserted:
            return
        n = len(inserted)
        first_deleted = next((rec for rec, _ in deleted_labels if rec is not None), None)
        before = self.labels[a - 1][0] if a > 0 else None
        after = self.labels[a][0] if a < len(self.labels) else None
        new: list[Label]
        restored: Tomb | None = None
        if record_id is not None:  # rule 1: a new span, all original
            self.lengths[record_id] = n
            new = [(record_id, True)] * n
        elif (restored := self._take(a, inserted)) is not None:  # rule 2: undo, redo
            new = list(restored.labels)
        elif first_deleted is not None:  # rule 3: typing over a selection
            new = [(first_deleted, False)] * n
        elif before is not None and before == after:  # rule 4: strictly inside a span
            new = [(before, False)] * n
        else:  # rule 5
            new = [NONE] * n
        # The insertion: points at or after it move right; the ones a restored deletion swallowed go back.
        for tomb in self.tombs:
            if tomb.point >= a:
                tomb.point += n
        if restored is not None:
            for offset, tomb in restored.nested:
                tomb.point = a + offset
        self.data[a:a] = inserted
        self.labels[a:a] = new

    def place(self, record_id: str, length: int, a: int, b: int, original: list[tuple[int, int]] | None) -> None:
        """SpanTracker.add: the record's labels over [a, b), original where `original` says."""
        self.lengths.setdefault(record_id, length)
        kept = set(range(a, b)) if original is None else {i for s, e in original for i in range(s, e)}
        self.labels[a:b] = [(record_id, i in kept) for i in range(a, b)]

    def original_shares(self) -> dict[str, float]:
        remaining: dict[str, int] = {}
        for rec, original in self.labels:
            if rec is not None:
                remaining[rec] = remaining.get(rec, 0) + original
        return {rec: count / self.lengths[rec] for rec, count in remaining.items()}

    # -- tombstones ---------------------------------------------------------------------------------

    def _delete(self, a: int, b: int) -> None:
        previous = self.tombs[-1] if self.tombs else None
        was = previous.point if previous is not None else None
        swallowed = [(t.point - a, t) for t in self.tombs if a <= t.point < b]
        new = Tomb(a, bytes(self.data[a:b]), self.labels[a:b], swallowed)
        del self.data[a:b]
        del self.labels[a:b]
        for tomb in self.tombs:  # points inside the range move to its start, points after it move back
            if a < tomb.point <= b:
                tomb.point = a
            elif tomb.point > b:
                tomb.point -= b - a
        self._push(new)
        if previous is None or was not in (a, b) or len(previous.data) + len(new.data) > tracking.MAX_RUN_BYTES:
            return
        if previous.parts:  # the longer run replaces the shorter one
            self.tombs.remove(previous)
        self._push(_run(previous, new, backspacing=was == b))

    def _push(self, tomb: Tomb) -> None:
        self.tombs.append(tomb)
        if len(self.tombs) > MAX_TOMBSTONES:
            del self.tombs[0]
            self.forgotten += 1

    def _take(self, point: int, inserted: bytes) -> Tomb | None:
        """The newest tombstone of these bytes at this point, used up with its parts and every run of them."""
        for tomb in reversed(self.tombs):
            if tomb.point == point and tomb.data == inserted:
                used = [tomb, *tomb.parts]
                self.tombs = [t for t in self.tombs
                              if not any(u is t or any(u is part for part in t.parts) for u in used)]
                return tomb
        return None


def _run(previous: Tomb, new: Tomb, backspacing: bool) -> Tomb:
    """One tombstone for both: backspacing, the new bytes stood before the previous ones; deleting forward, after.
    Undoing the run at once is undoing both newest first, so where both put the same tombstone back (deleting
    forward, the ones `previous` swallowed sit at the new deletion's start too), `previous` says where."""
    first, second = (new, previous) if backspacing else (previous, new)

    def places(tomb: Tomb) -> list[tuple[int, Tomb]]:
        return tomb.nested if tomb is first else [(offset + len(first.data), t) for offset, t in tomb.nested]

    nested = [(offset, t) for offset, t in places(new) if t is not previous] + places(previous)
    return Tomb(new.point, first.data + second.data, first.labels + second.labels, nested,
                [*(previous.parts or [previous]), new])


def tracker_labels(tracker: SpanTracker, size: int) -> list[Label]:
    """The tracker's intervals as one label per byte; checks the shape of the intervals on the way."""
    labels: list[Label] = [NONE] * size
    previous = None
    for iv in tracker.intervals:
        assert 0 <= iv.start < iv.end <= size, f"empty or out-of-document interval {iv.start}..{iv.end}"
        if previous is not None:
            assert previous.end <= iv.start, "intervals unsorted or overlapping"
            assert not (previous.end == iv.start and previous.record is iv.record), "touching parts not merged"
        for s, e in iv.original:
            assert iv.start <= s < e <= iv.end, f"original piece {s}..{e} outside {iv.start}..{iv.end}"
        originals = {i for s, e in iv.original for i in range(s, e)}
        for i in range(iv.start, iv.end):
            labels[i] = (iv.record.id, i in originals)
        previous = iv
    return labels


class Harness:
    """The same edits on a SpanTracker and on the model; every edit is followed by a full comparison."""

    def __init__(self, text: bytes = b"") -> None:
        self.tracker = SpanTracker()
        self.model = Model.of(text)
        self.origins: dict[str, Origin] = {}

    @property
    def text(self) -> bytes:
        return bytes(self.model.data)

    def edit(self, a: int, b: int, inserted: bytes, origin: Origin | None = None) -> SpanRecord | None:
        created = self.tracker.replace(a, b, self.text[a:b], inserted, origin)
        assert (created is not None) == (origin is not None and bool(inserted))
        if created is not None:
            assert origin is not None and created.origin == origin and created.original_length == len(inserted)
            self.origins[created.id] = origin
        self.model.replace(a, b, inserted, created.id if created else None)
        self.check()
        return created

    def insert(self, at: int, inserted: bytes, origin: Origin | None = None) -> SpanRecord | None:
        return self.edit(at, at, inserted, origin)

    def delete(self, a: int, b: int) -> None:
        self.edit(a, b, b"")

    def new_span(self, at: int, inserted: bytes, origin: Origin) -> SpanRecord:
        created = self.insert(at, inserted, origin)
        assert created is not None
        return created

    def add(self, record: SpanRecord, a: int, b: int, original: list[tuple[int, int]] | None = None) -> None:
        self.tracker.add(record, a, b, original)
        self.origins[record.id] = record.origin
        if a < b:
            self.model.place(record.id, record.original_length, a, b, original)
        self.check()

    def check(self) -> None:
        assert tracker_labels(self.tracker, len(self.model.data)) == self.model.labels
        spans = self.tracker.spans()
        assert [(s.start, s.end) for s in spans] == [(iv.start, iv.end) for iv in self.tracker.intervals]
        shares = self.model.original_shares()
        for span in spans:
            assert span.span_id is not None and span.origin == self.origins[span.span_id]
            assert span.original_share == shares[span.span_id]
        assert set(self.tracker.records()) == set(shares)

    def edges(self) -> list[int]:
        return sorted({0, len(self.model.data)} | {p for iv in self.tracker.intervals for p in (iv.start, iv.end)})

    def is_boundary(self, p: int) -> bool:
        return p in (0, len(self.model.data)) or (self.model.data[p] & 0xC0) != 0x80

    def char_before(self, p: int, whole_chars: bool, width: int = 1) -> int:
        """Where `width` bytes before `p` start, or the character holding that byte when `whole_chars`."""
        q = max(0, p - width)
        while whole_chars and not self.is_boundary(q):
            q -= 1
        return q

    def char_after(self, p: int, whole_chars: bool, width: int = 1) -> int:
        q = min(len(self.model.data), p + width)
        while whole_chars and not self.is_boundary(q):
            q += 1
        return q


@dataclass
class Run:
    """Deletions each next to the one before (backspacing, deleting forward): what one run tombstone holds."""

    point: int
    data: bytes
    deletions: list[tuple[int, bytes]]
    whole: bool
    """Not joined to a tombstone older than the first of these deletions."""


class UndoStack:
    """Deletions grouped as the contract joins them: each run is what one run tombstone holds. The newest last."""

    def __init__(self, h: Harness) -> None:
        self.h = h
        self.runs: list[Run] = []

    def delete(self, a: int, b: int) -> None:
        h, runs = self.h, self.runs
        deleted, last = h.text[a:b], runs[-1] if runs else None
        older = h.model.tombs[-1] if h.model.tombs and not runs else None
        h.delete(a, b)
        if not deleted:
            return
        if last is not None and last.point in (a, b) and len(last.data) + len(deleted) <= tracking.MAX_RUN_BYTES:
            last.data = deleted + last.data if last.point == b else last.data + deleted
            last.point = a
            last.deletions.append((a, deleted))
        else:
            whole = older is None or older.point not in (a, b) or len(older.data) + b - a > tracking.MAX_RUN_BYTES
            runs.append(Run(a, deleted, [(a, deleted)], whole))

    def undo(self, at_once: Callable[[], bool]) -> bool:
        """Undoes the runs newest first, each at once or one deletion at a time; False if that may not restore."""
        restores = True
        for run in reversed(self.runs):
            if len(run.deletions) > 1 and at_once():
                self.h.insert(run.point, run.data)
                restores &= run.whole
            else:
                for a, deleted in reversed(run.deletions):
                    self.h.insert(a, deleted)
        return restores
