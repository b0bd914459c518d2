"""Span tracking: SpanTracker against the one-label-per-byte model of its docstring, plus worked examples."""

from __future__ import annotations

from unittest.mock import patch

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from provguard.provenance import tracking
from provguard.provenance.origin import Evidence, Kind, Origin, Span
from provguard.provenance.tracking import MAX_TOMBSTONES, SpanRecord
from tracking_model import NONE, Harness, UndoStack

AI = Origin(Kind.AI_AGENT, Evidence.EDITOR_EVENT, tool="claude-code", vendor="anthropic")
COMPLETION = Origin(Kind.AI_COMPLETION, Evidence.CLIENT_HINT, tool="copilot", vendor="github")
PASTE = Origin(Kind.PASTE, Evidence.EDITOR_EVENT)

CHARS = ["a", "b", "x", " ", "(", "\t", "\n", "\r\n", "é", "ß", "中", "文", "😀", "👍🏽"]
WORDS = [*CHARS, "def f():", "return 1", "\r\n    "]

chars = st.sampled_from(CHARS).map(str.encode)
texts = st.lists(st.sampled_from(WORDS), min_size=1, max_size=5).map(lambda ws: "".join(ws).encode())
insertions = st.one_of(chars, texts, st.binary(min_size=1, max_size=12))
origins = st.sampled_from([AI, COMPLETION, PASTE])
documents = st.one_of(st.lists(st.sampled_from(WORDS), max_size=12).map(lambda ws: "".join(ws).encode()),
                      st.binary(max_size=40))
deletions = st.sampled_from(["backspace", "forward", "select", "backspace again", "forward again"])


def fuzz(examples: int) -> settings:
    return settings(max_examples=examples, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# -- drawing edits ------------------------------------------------------------------------------------


def point(data: st.DataObject, h: Harness, lo: int, hi: int, whole_chars: bool = False) -> int:
    """A byte offset in [lo, hi], often a span edge; on a character boundary when `whole_chars`."""
    candidates = [p for p in range(lo, hi + 1) if not whole_chars or h.is_boundary(p)] or [lo]
    edges = [p for p in h.edges() if p in candidates]
    pool = edges if data.draw(st.booleans()) and edges else candidates
    return pool[data.draw(st.integers(0, len(pool) - 1))]  # cheaper to draw than st.sampled_from(pool)


def selection(data: st.DataObject, h: Harness, whole_chars: bool) -> tuple[int, int]:
    a = point(data, h, 0, len(h.model.data), whole_chars)
    return a, point(data, h, a, len(h.model.data), whole_chars)


def elsewhere(data: st.DataObject, h: Harness, place: int, whole_chars: bool) -> int:
    """One edit strictly before or strictly after `place`; returns where `place` is afterwards."""
    size = len(h.model.data)
    sides = [side for side, ok in (("before", place > 0), ("after", place < size)) if ok]
    if not sides:
        return place
    c, d = (0, place - 1) if data.draw(st.sampled_from(sides)) == "before" else (place + 1, size)
    c = point(data, h, c, d, whole_chars)
    d = point(data, h, c, d, whole_chars)
    typed = st.one_of(chars, texts) if whole_chars else insertions
    inserted = data.draw(st.one_of(st.just(b""), typed) if c < d else typed)
    h.edit(c, d, inserted, data.draw(st.one_of(st.none(), origins)))
    return place if c > place else place - (d - c) + len(inserted)


def undo_redo(data: st.DataObject, h: Harness, whole_chars: bool) -> None:
    """Delete a range, edit elsewhere, put the same bytes back (undo), maybe delete and restore again."""
    a, b = selection(data, h, whole_chars)
    deleted, labels = h.text[a:b], h.model.labels[a:b]
    h.delete(a, b)
    place = a
    for _ in range(data.draw(st.integers(0, 4))):
        place = elsewhere(data, h, place, whole_chars)
    for again in (False, True):
        if again and not data.draw(st.booleans()):
            break
        if again:
            h.delete(place, place + len(deleted))  # redo
        h.insert(place, deleted)  # undo: every deletion left a tombstone, labelled or not
        assert h.model.labels[place:place + len(deleted)] == labels


def same_bytes(data: st.DataObject, h: Harness, whole_chars: bool) -> None:
    """Replacing a range by the bytes it already holds changes no label and no span."""
    a, b = selection(data, h, whole_chars)
    labels, spans = list(h.model.labels), h.tracker.spans()
    h.edit(a, b, h.text[a:b])  # the deletion's own tombstone is the newest match (rule 2)
    assert h.model.labels == labels
    assert h.tracker.spans() == spans


def multi_cursor(data: st.DataObject, h: Harness, whole_chars: bool) -> None:
    """One didChange from several cursors: the same change at each, the last cursor first."""
    size = len(h.model.data)
    cursors = [p for p in range(1 if size else 0, size + 1) if not whole_chars or h.is_boundary(p)] or [0]
    cursors = data.draw(st.lists(st.sampled_from(cursors), min_size=1, max_size=min(4, len(cursors)), unique=True))
    backspace = size > 0 and data.draw(st.booleans())
    typed = data.draw(chars)
    for p in sorted(cursors, reverse=True):
        if backspace:
            h.delete(h.char_before(p, whole_chars), p)
        else:
            h.insert(p, typed)


def deletion_run(data: st.DataObject, h: Harness, whole_chars: bool) -> None:
    """Backspacing or deleting forward from one cursor, then maybe undone: at once or a deletion at a time."""
    cursor = point(data, h, 0, len(h.model.data), whole_chars)
    text, labels, stack = h.text, list(h.model.labels), UndoStack(h)
    forward = data.draw(st.booleans())
    for _ in range(data.draw(st.integers(1, 5))):
        width = 1 if whole_chars else data.draw(st.integers(1, 3))
        if forward and cursor < len(h.model.data):
            stack.delete(cursor, h.char_after(cursor, whole_chars, width))
        elif not forward and cursor > 0:
            stack.delete(a := h.char_before(cursor, whole_chars, width), cursor)
            cursor = a
        else:
            break
    if data.draw(st.booleans()):
        restores = stack.undo(lambda: data.draw(st.booleans()))
        assert h.text == text
        if restores:
            assert h.model.labels == labels


OPS = ("type", "backspace", "paste", "delete", "type-over", "paste-over", "same", "undo", "run", "multi", "ledger")


def step(data: st.DataObject, h: Harness, whole_chars: bool, ops: tuple[str, ...] = OPS) -> None:
    op = data.draw(st.sampled_from(ops))
    size = len(h.model.data)
    if op == "type":
        h.insert(point(data, h, 0, size, whole_chars), data.draw(chars))
    elif op == "backspace" and size:
        p = point(data, h, 1, size, whole_chars)
        h.delete(h.char_before(p, whole_chars), p)
    elif op == "paste":
        h.insert(point(data, h, 0, size, whole_chars), data.draw(texts), data.draw(origins))
    elif op == "delete":
        h.delete(*selection(data, h, whole_chars))
    elif op in ("type-over", "paste-over"):
        a, b = selection(data, h, whole_chars)
        origin = data.draw(origins) if op == "paste-over" else None
        h.edit(a, b, data.draw(insertions if origin or not whole_chars else st.one_of(chars, texts)), origin)
    elif op == "same":
        same_bytes(data, h, whole_chars)
    elif op == "undo":
        undo_redo(data, h, whole_chars)
    elif op == "run":
        deletion_run(data, h, whole_chars)
    elif op == "multi":
        multi_cursor(data, h, whole_chars)
    elif op == "ledger":  # a recorded span put back over the text, a new record or one already tracked
        a, b = selection(data, h, whole_chars)
        known = list(h.tracker.records().values())
        record = (data.draw(st.sampled_from(known)) if data.draw(st.booleans()) and known
                  else SpanRecord(data.draw(origins), data.draw(st.integers(1, 30))))
        cuts = sorted(data.draw(st.sets(st.integers(max(0, a - 2), min(size, b + 2)), max_size=4)))
        h.add(record, a, b, data.draw(st.sampled_from([None, list(zip(cuts[::2], cuts[1::2], strict=False))])))


# -- properties ---------------------------------------------------------------------------------------


@fuzz(700)
@given(documents, st.data())
def test_edits_at_any_byte_offset_match_the_model(text: bytes, data: st.DataObject) -> None:
    h = Harness(text)
    h.insert(point(data, h, 0, len(text)), data.draw(texts), data.draw(origins))
    for _ in range(data.draw(st.integers(1, 25))):
        step(data, h, whole_chars=False)
    h.check()  # as after every step: tracker == model


@fuzz(250)
@given(documents.map(lambda t: t.decode("utf-8", "replace").encode()), st.data())
def test_long_typing_sessions_at_character_boundaries_match_the_model(text: bytes, data: st.DataObject) -> None:
    h = Harness(text)
    for _ in range(data.draw(st.integers(10, 60))):
        step(data, h, whole_chars=True, ops=("type", "type", "backspace", "paste", "type-over", "undo", "run", "multi"))
    h.check()
    h.text.decode()  # every edit kept to whole characters


@fuzz(400)
@given(documents, st.data())
def test_undo_and_redo_restore_labels_and_original_bytes(text: bytes, data: st.DataObject) -> None:
    h = Harness(text)
    for _ in range(data.draw(st.integers(1, 3))):
        h.insert(point(data, h, 0, len(h.model.data)), data.draw(texts), data.draw(origins))
    for _ in range(data.draw(st.integers(1, 6))):
        step(data, h, whole_chars=False, ops=("undo", "undo", "same", "type-over", "delete"))
    h.check()  # as after every step: tracker == model


@fuzz(400)
@given(documents, st.sampled_from([tracking.MAX_RUN_BYTES, 2, 5]), st.data())
def test_an_undo_stack_of_deletions_undone_newest_first_restores_every_label(text: bytes, limit: int,
                                                                             data: st.DataObject) -> None:
    with patch.object(tracking, "MAX_RUN_BYTES", limit):  # small limits: long runs are cut, long deletions digested
        h = Harness(text)
        for _ in range(data.draw(st.integers(1, 4))):
            h.insert(point(data, h, 0, len(h.model.data)), data.draw(texts), data.draw(origins))
        original, labels = h.text, list(h.model.labels)
        stack = UndoStack(h)
        for _ in range(data.draw(st.integers(1, MAX_TOMBSTONES + 4))):  # more than the tombstones kept, at times
            kind, size = data.draw(deletions), len(h.model.data)
            again = stack.runs[-1].point if stack.runs and kind.endswith("again") else None  # the last deletion's
            if kind.startswith("backspace") and size:
                p = again or point(data, h, 1, size)
                stack.delete(max(0, p - data.draw(st.integers(1, 3))), p)
            elif kind.startswith("forward") and size:
                p = again if again is not None and again < size else point(data, h, 0, size - 1)
                stack.delete(p, min(size, p + data.draw(st.integers(1, 3))))
            else:
                stack.delete(*selection(data, h, whole_chars=False))
        restores = stack.undo(lambda: data.draw(st.booleans()))
    assert h.text == original
    if restores and not h.model.forgotten:
        assert h.model.labels == labels


# -- examples -----------------------------------------------------------------------------------------


def only_span(h: Harness) -> Span:
    (span,) = h.tracker.spans()
    return span


def test_typing_inside_a_pasted_span_keeps_its_origin_and_lowers_its_original_share() -> None:
    h = Harness(b"x = \n")
    pasted = h.insert(4, b"compute(a)", PASTE)
    assert pasted is not None and h.text == b"x = compute(a)\n"
    h.insert(13, b", b")  # typing inside: the span grows, its original bytes are all still there
    assert only_span(h) == Span(4, 17, PASTE, span_id=pasted.id, original_share=1.0)
    h.delete(12, 13)  # fixing "a" to "z": one original byte fewer
    h.insert(12, b"z")
    assert h.text == b"x = compute(z, b)\n"
    assert only_span(h) == Span(4, 17, PASTE, span_id=pasted.id, original_share=0.9)


def test_typing_right_before_or_right_after_a_span_is_not_part_of_it() -> None:
    h = Harness(b"ab")
    record = h.insert(1, b"AI", AI)
    assert record is not None
    h.insert(1, b"x")
    h.insert(4, b"y")
    assert h.text == b"axAIyb"
    assert only_span(h) == Span(2, 4, AI, span_id=record.id, original_share=1.0)
    assert h.model.labels[1] == h.model.labels[4] == NONE


def test_deleting_all_of_a_spans_text_removes_it() -> None:
    h = Harness(b"a\n")
    h.insert(2, "# 中文 😀\r\nreturn 1\r\n".encode(), AI)
    h.insert(4, b"typed")
    h.delete(1, len(h.text))
    assert h.tracker.spans() == ()
    assert h.tracker.records() == {}


def test_undo_brings_a_deleted_span_back_with_its_id_origin_and_original_share() -> None:
    h = Harness(b"def f():\n    pass\n")
    record = h.insert(9, b"    return g()\n", COMPLETION)
    assert record is not None
    h.delete(20, 21)  # one original byte rewritten
    h.insert(20, b"h")
    before = h.tracker.spans()
    h.delete(9, 24)
    h.insert(0, b"# header\n")  # an unrelated edit above, then undo
    h.insert(18, b"    return h()\n")
    assert only_span(h) == Span(18, 33, COMPLETION, span_id=record.id, original_share=14 / 15)
    h.delete(18, 33)  # redo and undo once more
    h.insert(18, b"    return h()\n")
    assert h.tracker.spans() == tuple(Span(s.start + 9, s.end + 9, s.origin, span_id=s.span_id,
                                           original_share=s.original_share) for s in before)


def test_typing_over_a_selection_of_ai_text_keeps_it_ai_text() -> None:
    h = Harness(b"x = (\n)\n")
    record = h.insert(6, b"return a + b", AI)
    assert record is not None
    h.edit(13, 18, b"x")  # no laundering: the typed text inherits the span it replaced
    assert h.text == b"x = (\nreturn x)\n"
    assert only_span(h) == Span(6, 14, AI, span_id=record.id, original_share=7 / 12)
    h.edit(6, 14, "返回".encode())  # even when all of it goes
    assert only_span(h) == Span(6, 12, AI, span_id=record.id, original_share=0.0)


def test_a_bulk_insert_inside_a_span_splits_it_around_the_new_span() -> None:
    h = Harness()
    outer = h.insert(0, b"aaaa", AI)
    inner = h.insert(2, b"PP", PASTE)
    assert outer is not None and inner is not None
    assert h.tracker.spans() == (Span(0, 2, AI, span_id=outer.id, original_share=1.0),
                                 Span(2, 4, PASTE, span_id=inner.id, original_share=1.0),
                                 Span(4, 6, AI, span_id=outer.id, original_share=1.0))
    h.delete(2, 4)  # the parts meet again: one span
    assert only_span(h) == Span(0, 4, AI, span_id=outer.id, original_share=1.0)
    h.insert(2, b"x")  # and typing between them is typing inside it
    assert only_span(h) == Span(0, 5, AI, span_id=outer.id, original_share=1.0)


def test_the_newest_matching_tombstone_wins_and_is_used_up() -> None:
    h = Harness()
    first = h.insert(0, b"xx", AI)
    h.delete(1, 2)
    second = h.insert(1, b"x", PASTE)  # a different span, same byte, same place
    h.delete(1, 2)
    assert first is not None and second is not None
    h.insert(1, b"x")
    assert h.model.labels == [(first.id, True), (second.id, True)]
    h.insert(2, b"x")  # the older tombstone moved right with the restored byte: it is not at 1 any more
    assert h.model.labels[2] == (first.id, True)


def test_only_the_newest_tombstones_are_kept() -> None:
    n = MAX_TOMBSTONES + 1
    h = Harness()
    record = h.new_span(0, b"ab" * n, AI)
    for i in range(n):  # every other byte from the end: no deletion next to the one before, so no runs
        h.delete(2 * (n - i) - 1, 2 * (n - i))
    for i in range(n):  # undo them all, newest first: the oldest deletion is forgotten
        h.insert(2 * i + 1, b"b")
    assert h.model.labels == [*[(record.id, True)] * (2 * n - 1), NONE]


def test_a_used_up_tombstone_is_the_matched_one_even_when_an_older_one_is_equal() -> None:
    h = Harness()
    record = h.new_span(0, b"xx" + b"ab" * MAX_TOMBSTONES, AI)
    h.delete(0, 1)  # tombstone A: "x" at 0
    h.delete(len(h.text) - 1, len(h.text))
    h.delete(0, 1)  # tombstone B: "x" at 0, with A at its start
    h.insert(0, b"x")  # B is used up and puts A back at 0 (were A used up instead, B would now be at 1)
    end = len(h.text) - 2
    for i in range(MAX_TOMBSTONES - 1):  # enough new tombstones, none next to the one before, to push A out
        h.delete(end - 2 * i, end - 2 * i + 1)
    h.insert(1, b"x")  # A is gone: this is typing inside the span, not a restore
    assert h.model.labels[:2] == [(record.id, True), (record.id, False)]


def test_deletions_undone_one_at_a_time_restore_every_byte_when_deleting_forward() -> None:
    h = Harness(b"f()\n")
    record = h.new_span(2, b"a, b", AI)
    h.delete(3, 4)  # Delete twice after "a": the second deletion swallows the first one's tombstone
    h.delete(3, 4)
    h.insert(3, b" ")  # and puts it back at 3 when undone
    h.insert(3, b",")
    assert h.text == b"f(a, b)\n"
    assert only_span(h) == Span(2, 6, AI, span_id=record.id, original_share=1.0)


def test_a_deletion_inside_a_range_then_one_around_it_undone_in_reverse() -> None:
    h = Harness()
    record = h.new_span(0, b"return a + b\n", AI)
    h.delete(9, 10)  # "+"
    h.delete(7, 11)  # "a  b", around where "+" was
    h.insert(7, b"a  b")  # the "+" tombstone goes back between the spaces
    h.insert(9, b"+")
    assert only_span(h) == Span(0, 13, AI, span_id=record.id, original_share=1.0)


def test_several_backspaces_undone_as_one_insertion_restore_every_byte() -> None:
    h = Harness(b"x = ")
    record = h.new_span(4, "f(中文)".encode(), AI)
    backspaces = [(12, 13), (9, 12), (6, 9)]  # ")", "文", "中": one run
    for a, b in backspaces:
        h.delete(a, b)
    h.insert(6, "中文)".encode())  # undone at once
    assert only_span(h) == Span(4, 13, AI, span_id=record.id, original_share=1.0)
    for a, b in backspaces:
        h.delete(a, b)
    h.insert(6, "中".encode())  # undoing the last backspace alone uses up the run (the longest one) with it,
    h.insert(9, "文)".encode())  # so the other two are no longer undone at once: this is typing next to the span
    assert only_span(h) == Span(4, 9, AI, span_id=record.id, original_share=5 / 9)


def test_a_run_undone_at_once_puts_a_tombstone_back_where_its_first_deletion_swallowed_it() -> None:
    h = Harness()
    record = h.new_span(0, b"abcde", AI)
    h.delete(1, 2)  # "b"
    h.delete(3, 4)  # "e", so that deleting "c" starts no run with "b"
    h.delete(1, 2)  # "c", with the "b" tombstone at its start
    h.delete(1, 2)  # "d", deleting forward: a run "cd"; the "b" tombstone is at its start too
    h.insert(1, b"cd")  # undone at once: "b" goes back before "c", as when undone one at a time
    h.insert(3, b"e")
    h.insert(1, b"b")
    assert only_span(h) == Span(0, 5, AI, span_id=record.id, original_share=1.0)


def test_deletions_over_the_run_limit_keep_only_a_digest_and_join_no_run() -> None:
    for undo in ([(4, b"4"), (5, b"56789")], [(4, b"456789")]):  # one at a time, or at once
        with patch.object(tracking, "MAX_RUN_BYTES", 4):
            h = Harness()
            h.new_span(0, b"0123456789", AI)
            h.delete(5, 10)  # five bytes: over the limit
            h.delete(4, 5)  # backspacing next to them joins no run
            for at, deleted in undo:  # each is still undone on its own, the long one by its digest
                h.insert(at, deleted)
            assert only_span(h).original_share == (1.0 if len(undo) == 2 else 0.4)
