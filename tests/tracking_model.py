"""A reference model of provenance.tracking: one label per byte, written straight from its docstring.

Every byte of the document carries (record id or None, original?). Tombstones keep the bytes and labels
an edit deleted; they move like zero-width points. The tests replay the same edits on a SpanTracker and
on this model and compare them byte for byte.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from provguard.provenance.tracking import MAX_TOMBSTONES, SpanTracker

Label = tuple[str | None, bool]
"""The record a byte belongs to (None: no span) and whether it is still as first inserted."""

NONE: Label = (None, False)


@dataclass(eq=False)
class Tomb:
    point: int
    data: bytes
    labels: list[Label]


@dataclass
class Model:
    data: bytearray = field(default_factory=bytearray)
    labels: list[Label] = field(default_factory=list)
    tombs: list[Tomb] = field(default_factory=list)
    """Oldest first."""
    lengths: dict[str, int] = field(default_factory=dict)
    """original_length of every record a rule-1 insertion created."""

    @classmethod
    def of(cls, text: bytes) -> Model:
        return cls(bytearray(text), [NONE] * len(text))

    def replace(self, a: int, b: int, inserted: bytes, record_id: str | None = None) -> None:
        """Replaces [a, b) by `inserted`; `record_id` names the new record when the edit has an origin."""
        assert 0 <= a <= b <= len(self.data)
        deleted, deleted_labels = bytes(self.data[a:b]), self.labels[a:b]
        # The deletion: bytes go, points inside the range move to its start, points after it move back.
        del self.data[a:b]
        del self.labels[a:b]
        for tomb in self.tombs:
            if a < tomb.point <= b:
                tomb.point = a
            elif tomb.point > b:
                tomb.point -= b - a
        if any(rec is not None for rec, _ in deleted_labels):
            self.tombs.append(Tomb(a, deleted, deleted_labels))
            del self.tombs[:-MAX_TOMBSTONES]
        if not inserted:
            return
        n = len(inserted)
        first_deleted = next((rec for rec, _ in deleted_labels if rec is not None), None)
        before = self.labels[a - 1][0] if a > 0 else None
        after = self.labels[a][0] if a < len(self.labels) else None
        new: list[Label]
        if record_id is not None:  # rule 1: a new span, all original
            self.lengths[record_id] = n
            new = [(record_id, True)] * n
        elif (i := self._matching_tomb(a, inserted)) is not None:  # rule 2: undo, redo
            new = list(self.tombs.pop(i).labels)
        elif first_deleted is not None:  # rule 3: typing over a selection
            new = [(first_deleted, False)] * n
        elif before is not None and before == after:  # rule 4: strictly inside a span
            new = [(before, False)] * n
        else:  # rule 5
            new = [NONE] * n
        # The insertion: points at or after it move right.
        for tomb in self.tombs:
            if tomb.point >= a:
                tomb.point += n
        self.data[a:a] = inserted
        self.labels[a:a] = new

    def place(self, record_id: str, length: int, a: int, b: int, original: list[tuple[int, int]] | None) -> None:
        """SpanTracker.add: the record's labels over [a, b), original where `original` says."""
        self.lengths.setdefault(record_id, length)
        kept = set(range(a, b)) if original is None else {i for s, e in original for i in range(s, e)}
        self.labels[a:b] = [(record_id, i in kept) for i in range(a, b)]

    def _matching_tomb(self, point: int, inserted: bytes) -> int | None:
        for i in range(len(self.tombs) - 1, -1, -1):
            if self.tombs[i].point == point and self.tombs[i].data == inserted:
                return i
        return None

    def original_shares(self) -> dict[str, float]:
        remaining: dict[str, int] = {}
        for rec, original in self.labels:
            if rec is not None:
                remaining[rec] = remaining.get(rec, 0) + original
        return {rec: count / self.lengths[rec] for rec, count in remaining.items()}


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
