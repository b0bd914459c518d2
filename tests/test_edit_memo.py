"""The renderings a push keeps for the next one, as the edits since leave them (edit_memo.Renderings).

An edit does not visit the kept renderings: each lookup at the next push maps its key back through the edits
since. These tests pin what that must give, the same as moving every rendering at each edit: one before an edit
is kept as it is, one after it moves with it (bytes and lines), one the edit reached is gone, and so after any
number of edits between two pushes, deletions and insertions mixed.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from provguard.edit_memo import EditMemo, Rendered, RenderKey

WHAT = ("rule", "message")
"""What else a rendering depends on: the same for every rendering here, as keys differ by their start."""


def pushed(*bounds: tuple[int, int, int]) -> EditMemo:
    """A memo after a push of renderings at (start, low, high)."""
    memo = EditMemo()
    memo.diagnostics = {(at, WHAT): Rendered(low, high, f"value at {at}") for at, low, high in bounds}
    return memo


def test_a_rendering_before_an_edit_is_kept_as_it_was() -> None:
    memo = pushed((10, 5, 20))
    kept = memo.diagnostics[(10, WHAT)]
    memo.edited(30, 31, 40, [(30, 40)], lines=1)
    assert memo.diagnostics.get((10, WHAT)) is kept


def test_a_rendering_after_an_edit_moves_by_its_bytes_and_lines() -> None:
    memo = pushed((100, 90, 120))
    memo.edited(40, 45, 52, [(40, 52)], lines=2)
    assert memo.diagnostics.get((100, WHAT)) is None
    moved = memo.diagnostics[(107, WHAT)]
    assert (moved.low, moved.high, moved.value, moved.moved, moved.lines) == (97, 127, "value at 100", 7, 2)


def test_an_edit_inside_a_rendering_or_on_the_line_break_before_it_drops_it() -> None:
    memo = pushed((50, 40, 60), (200, 190, 210), (300, 290, 310))
    memo.edited(55, 56, 56, [])  # inside the first one's bytes
    memo.edited(188, 189, 189, [])  # ends on the line break ending the line before the second one's first
    memo.edited(308, 308, 309, [])  # starts at the third one's last byte
    assert memo.diagnostics.get((50, WHAT)) is None
    assert all(memo.diagnostics.get((at, WHAT)) is None for at in range(180, 320))
    assert len(memo.diagnostics) == 0


def test_an_edit_ending_two_bytes_before_a_rendering_moves_it() -> None:
    memo = pushed((200, 190, 210))
    memo.edited(180, 188, 180, [])
    assert memo.diagnostics[(192, WHAT)].low == 182


def test_a_deletion_spanning_a_rendering_drops_it_and_moves_the_next_one() -> None:
    memo = pushed((50, 40, 60), (100, 95, 110))
    memo.edited(30, 70, 30, [], lines=-3)
    assert all(memo.diagnostics.get((at, WHAT)) is None for at in range(0, 100) if at != 60)
    moved = memo.diagnostics[(60, WHAT)]
    assert (moved.low, moved.moved, moved.lines) == (55, -40, -3)
    assert list(memo.diagnostics) == [(60, WHAT)]


def test_a_push_replaces_the_renderings_and_the_edits_before_it() -> None:
    memo = pushed((100, 90, 120))
    memo.edited(0, 0, 5, [(0, 5)], lines=1)
    memo.diagnostics = {(105, WHAT): Rendered(95, 125, "made again")}
    assert memo.diagnostics[(105, WHAT)].value == "made again"
    assert (memo.diagnostics[(105, WHAT)].moved, memo.diagnostics[(105, WHAT)].lines) == (0, 0)


def test_clearing_the_memo_forgets_the_renderings() -> None:
    memo = pushed((100, 90, 120))
    memo.clear()
    assert memo.diagnostics.get((100, WHAT)) is None


# ----------------------------------------------------------------------- any edits between two pushes

Edit = tuple[int, int, int, int]


def moved_at_each_edit(kept: dict[RenderKey, Rendered], edits: list[Edit]) -> dict[RenderKey, Rendered]:
    """The rule as stated, applied to every rendering at every edit: what the lookups must agree with."""
    for start, old_end, new_end, lines in edits:
        after: dict[RenderKey, Rendered] = {}
        delta = new_end - old_end
        for (at, what), one in kept.items():
            if one.high < start:
                after[(at, what)] = one
            elif one.low > old_end + 1:
                after[(at + delta, what)] = Rendered(one.low + delta, one.high + delta, one.value,
                                                     one.moved + delta, one.lines + lines)
        kept = after
    return kept


@st.composite
def renderings_and_edits(draw: st.DrawFn) -> tuple[dict[RenderKey, Rendered], list[Edit]]:
    kept: dict[RenderKey, Rendered] = {}
    for at in draw(st.lists(st.integers(0, 400), unique=True, max_size=12)):
        low = at - draw(st.integers(0, 30))
        kept[(at, WHAT)] = Rendered(low, at + draw(st.integers(0, 30)), at)
    edits: list[Edit] = []
    for _ in range(draw(st.integers(0, 80))):  # past the edits kept unapplied, at times
        start = draw(st.integers(-30, 450))
        old_end = start + draw(st.integers(0, 40))
        new_end = start + draw(st.integers(0, 40))
        edits.append((start, old_end, new_end, draw(st.integers(-3, 3))))
    return kept, edits


def as_tuple(one: Rendered) -> tuple[int, int, object, int, int]:
    return one.low, one.high, one.value, one.moved, one.lines


@settings(derandomize=True, max_examples=300, deadline=None)
@given(case=renderings_and_edits())
def test_looking_up_after_any_edits_gives_what_moving_every_rendering_at_each_edit_gives(
        case: tuple[dict[RenderKey, Rendered], list[Edit]]) -> None:
    kept, edits = case
    memo = EditMemo()
    memo.diagnostics = dict(kept)
    for start, old_end, new_end, lines in edits:
        memo.edited(start, old_end, new_end, [(start, new_end)], lines)
    expected = moved_at_each_edit(kept, edits)
    found = memo.diagnostics
    assert {key: as_tuple(one) for key, one in found.items()} == {key: as_tuple(one) for key, one in expected.items()}
    for at in range(-100, 900):
        one = found.get((at, WHAT))
        assert (one is None) == ((at, WHAT) not in expected)
        if one is not None:
            assert as_tuple(one) == as_tuple(expected[(at, WHAT)])
