"""Restoring a file's recorded spans at once gives the same spans as placing them one by one."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from provguard.provenance.origin import Evidence, Kind, Origin
from provguard.provenance.tracking import SpanRecord, SpanTracker

ORIGIN = Origin(Kind.AI_AGENT, Evidence.TRANSCRIPT, tool="codex")


def layout(tracker: SpanTracker) -> list[tuple[str, int, int, list[tuple[int, int]]]]:
    return [(iv.record.id, iv.start, iv.end, iv.original) for iv in tracker.intervals]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 40), st.integers(0, 20), st.booleans()), max_size=30), st.randoms())
def test_many_disjoint_spans_restored_at_once_match_one_by_one(gaps: list[tuple[int, int, bool]], rng: object) -> None:
    items = []
    at = 0
    records = [SpanRecord(ORIGIN, 10, id=f"r{i % 3}") for i in range(3)]
    for n, (length, gap, partly) in enumerate(gaps):
        start, end = at + gap, at + gap + length
        original = [(start, start + length // 2)] if partly else None
        items.append((records[n % 3], start, end, original))
        at = end
    one_by_one, at_once = SpanTracker(), SpanTracker()
    for item in items:
        one_by_one.add(*item)
    shuffled = list(items)
    rng.shuffle(shuffled)  # type: ignore[attr-defined]
    at_once.add_many(shuffled)
    assert layout(at_once) == layout(one_by_one)


def test_overlapping_restored_spans_never_overlap_in_the_tracker() -> None:
    a, b = SpanRecord(ORIGIN, 10, id="a"), SpanRecord(ORIGIN, 10, id="b")
    tracker = SpanTracker()
    tracker.add_many([(b, 5, 15, None), (a, 0, 10, None)])
    assert [(iv.record.id, iv.start, iv.end) for iv in tracker.intervals] == [("a", 0, 10), ("b", 10, 15)]
