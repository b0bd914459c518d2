"""Re-anchoring stored spans in changed text: found where the bytes still are, never attached to other bytes."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from provguard.ledger.anchor import TEXT_CHANGED, Unanchored, anchor, fingerprint
from provguard.ledger.model import Fingerprint
from provguard.positions import LineIndex

BODY = b"def helper(x):\n    return x * 2\n"
FILE = b"import os\n\n" + BODY + b"\nprint(helper(3))\n"


def fp_of(source: bytes, needle: bytes, occurrence: int = 0) -> Fingerprint:
    start = -1
    for _ in range(occurrence + 1):
        start = source.index(needle, start + 1)
    return fingerprint(source, start, start + len(needle), LineIndex(source))


def place(fp: Fingerprint, source: bytes) -> tuple[int, int] | Unanchored:
    return anchor(fp, source, LineIndex(source))


def found_at(result: tuple[int, int] | Unanchored, source: bytes, needle: bytes, occurrence: int = 0) -> bool:
    start = -1
    for _ in range(occurrence + 1):
        start = source.index(needle, start + 1)
    return result == (start, start + len(needle))


def test_fingerprint_records_position_and_no_text() -> None:
    fp = fp_of(FILE, BODY)
    assert (fp.line, fp.column, fp.offset, fp.length) == (2, 0, 11, len(BODY))
    assert all(len(d) == 32 for d in (fp.digest, fp.head, fp.before, fp.after))
    assert fp.head != fp.digest  # multi-line span: the head is its first line only


def test_unchanged_text() -> None:
    assert found_at(place(fp_of(FILE, BODY), FILE), FILE, BODY)


@pytest.mark.parametrize("new", [
    b"# a comment\n# another\n" + FILE,
    FILE.replace(b"import os\n", b"import os\nimport sys\nimport re\n"),
    FILE.replace(b"import os\n\n", b""),  # lines deleted above
    FILE.replace(b"import os\n\n", b"\n"),
    FILE + b"def more():\n    pass\n" * 50,  # appended below: the stored offset still holds
])
def test_lines_inserted_or_deleted_above_or_appended_below(new: bytes) -> None:
    assert found_at(place(fp_of(FILE, BODY), new), new, BODY)


def test_span_moved_elsewhere_at_the_same_column() -> None:
    new = b"import os\n\nprint(helper(3))\n\n# helpers\n" + BODY
    assert found_at(place(fp_of(FILE, BODY), new), new, BODY)


def test_single_line_span_moved() -> None:
    old = b"a = 1\n    return x * 2\nb = 2\n"
    new = b"a = 1\nb = 2\nc = 3\nd = 4\n    return x * 2\n"
    assert found_at(place(fp_of(old, b"return x * 2"), new), new, b"return x * 2")


@pytest.mark.parametrize("new", [
    FILE.replace(b"x * 2", b"x * 3"),
    FILE.replace(b"return", b"return  "),
    FILE.replace(b"\n    return", b"\n  return"),
    b"# moved and shifted\n" + FILE.replace(b"def helper", b"def  helper"),
    FILE.replace(b"\n", b"\r\n"),  # line endings converted: the bytes differ, so it is not the same text
])
def test_edited_span_is_unanchored(new: bytes) -> None:
    assert place(fp_of(FILE, BODY), new) == Unanchored(TEXT_CHANGED)


def test_span_moved_to_another_column_is_not_searched() -> None:
    """Only the stored column is searched: re-indented code counts as changed text, not as a guess."""
    new = b"import os\n\nclass A:\n    def helper(x):\n        return x * 2\n"
    assert place(fp_of(FILE, BODY), new) == Unanchored(TEXT_CHANGED)


def test_context_chooses_between_identical_copies() -> None:
    old = b"# first\n" + BODY + b"# after first\n"
    fp = fp_of(old, BODY)
    # A copy nearer the stored line, with other surroundings, and the original further down.
    new = b"# intro\n# copy\n" + BODY + b"# copy end\n" * 4 + b"# first\n" + BODY + b"# after first\n"
    assert found_at(place(fp, new), new, BODY, occurrence=1)


@pytest.mark.parametrize("keep", ["before", "after"])
def test_one_matching_side_beats_none(keep: str) -> None:
    """Context is the 64 bytes on each side; a copy whose one side is intact wins over nearer copies."""
    above, below = b"# above " + b"-" * 70 + b"\n", b"# below " + b"-" * 70 + b"\n"
    fp = fp_of(above + BODY + below, BODY)
    other = b"# other " + b"=" * 75 + b"\n"  # not the same length: the stored offset misses
    kept = above + BODY + other if keep == "before" else other + BODY + below
    new = other + BODY + other * 3 + kept
    assert found_at(place(fp, new), new, BODY, occurrence=1)


def test_nearest_copy_wins_when_context_cannot_decide() -> None:
    filler = b"#" * 70 + b"\n"
    old = filler * 3 + BODY + filler * 3
    fp = fp_of(old, BODY)
    # Copies at lines 4 and 12, same surroundings; stored line 3, so the first is nearer.
    new = filler * 4 + BODY + filler * 6 + BODY + filler * 3
    assert found_at(place(fp, new), new, BODY, occurrence=0)


def test_truly_ambiguous_copies_are_unanchored() -> None:
    filler = b"#" * 70 + b"\n"
    other = b"=" * 70 + b"\n"
    old = filler * 3 + BODY + filler * 3  # stored at line 3
    fp = fp_of(old, BODY)
    # Copies at lines 1 and 5, both with surroundings unlike the stored ones, both 2 lines away.
    new = other + BODY + other * 2 + BODY + other * 3
    result = place(fp, new)
    assert result == Unanchored("ambiguous: 2 identical copies", copies=2)


def test_non_ascii_text() -> None:
    line = "größe = «ünïcödé» + 'emoji 🎉'\n".encode()
    old = "# ñ\n".encode() + b"  " + line + b"end\n"
    needle = "«ünïcödé» + 'emoji 🎉'".encode()
    fp = fp_of(old, needle)
    assert fp.column == old.split(b"\n")[1].index(needle)  # a byte column, not characters
    new = "# 日本語のコメント\n# ñ ñ\n".encode() + old
    assert found_at(place(fp, new), new, needle)
    assert place(fp, new.replace("🎉".encode(), "🎊".encode())) == Unanchored(TEXT_CHANGED)


def test_crlf() -> None:
    old = FILE.replace(b"\n", b"\r\n")
    body = BODY.replace(b"\n", b"\r\n")
    fp = fp_of(old, body)
    new = b"# one\r\n# two\r\n" + old
    assert found_at(place(fp, new), new, body)
    moved = b"print(1)\r\n" * 5 + body + b"x\r\n"
    assert found_at(place(fp, moved), moved, body)


def test_lone_cr_line_breaks() -> None:
    old = b"a\rb\r" + BODY.replace(b"\n", b"\r")
    body = BODY.replace(b"\n", b"\r")
    moved = b"z\r" * 3 + old
    assert found_at(place(fp_of(old, body), moved), moved, body)


def test_span_in_the_middle_of_a_line() -> None:
    old = b"total = compute(a, b) + offset\nnext = 1\n"
    fp = fp_of(old, b"compute(a, b)")
    assert fp.column == 8
    new = b"# header\n" * 3 + old
    assert found_at(place(fp, new), new, b"compute(a, b)")
    elsewhere = b"first = 1\nvalue = compute(a, b) * 2\n"  # same column, other line and surroundings
    assert found_at(place(fp, elsewhere), elsewhere, b"compute(a, b)")
    assert place(fp, b"total = compute(a, c) + offset\n") == Unanchored(TEXT_CHANGED)


def test_multi_line_span_starting_mid_line() -> None:
    old = b"x = [\n    1, 2,\n    3]\n"
    needle = b"[\n    1, 2,\n    3]"
    new = b"import a\n\ny = [\n    1, 2,\n    3]\n"
    assert found_at(place(fp_of(old, needle), new), new, needle)


def test_empty_file() -> None:
    fp = fp_of(FILE, BODY)
    assert place(fp, b"") == Unanchored(TEXT_CHANGED)
    empty_span = fingerprint(b"", 0, 0, LineIndex(b""))
    assert place(empty_span, b"") == (0, 0)


def test_span_at_end_of_file_without_newline() -> None:
    old = b"a = 1\nlast_line()"
    fp = fp_of(old, b"last_line()")
    new = b"b = 2\n" + old
    assert found_at(place(fp, new), new, b"last_line()")


def test_truncated_file() -> None:
    fp = fp_of(FILE, BODY)
    assert place(fp, FILE[: FILE.index(BODY) + 5]) == Unanchored(TEXT_CHANGED)


def test_damaged_stored_digest_matches_nothing() -> None:
    fp = fp_of(FILE, BODY)
    broken = Fingerprint(fp.length, "not hex", fp.head, fp.before, fp.after, fp.line, fp.column, fp.offset)
    assert place(broken, FILE) == Unanchored(TEXT_CHANGED)


@settings(max_examples=200, deadline=None)
@given(
    lines=st.lists(st.sampled_from(["a", "b", "ab", "é", "", "  a", "a\r", "b b"]), min_size=1, max_size=12),
    first=st.integers(0, 11), count=st.integers(1, 4),
    edits=st.lists(st.tuples(st.integers(0, 200), st.integers(0, 3), st.sampled_from(["", "a\n", "b", "é\n", "x"])),
                   max_size=4),
)
def test_never_attaches_to_other_bytes(lines: list[str], first: int, count: int,
                                       edits: list[tuple[int, int, str]]) -> None:
    """Whatever happens to the text, an anchored span covers exactly its original bytes."""
    old = "".join(line + "\n" for line in lines).encode()
    index = LineIndex(old)
    first = min(first, index.line_count - 1)
    start = index.starts[first]
    end = min(len(old), start + sum(len(line.encode()) + 1 for line in lines[first : first + count]))
    assume(end > start)  # a span holds at least one byte (the empty line after the last newline holds none)
    fp = fingerprint(old, start, end, index)
    new = old
    for at, drop, text in edits:
        at = min(at, len(new))
        new = new[:at] + text.encode() + new[at + drop :]
    result = place(fp, new)
    if result == Unanchored(TEXT_CHANGED):
        assert not _at_column(new, old[start:end], fp)  # and no copy was missed
    elif isinstance(result, Unanchored):
        assert result.reason.startswith("ambiguous: ") and result.copies >= 2
    else:
        assert new[result[0] : result[1]] == old[start:end]


def _at_column(source: bytes, needle: bytes, fp: Fingerprint) -> bool:
    """Whether `needle` occurs in `source` at the stored column of some line (or at the stored offset)."""
    index = LineIndex(source)
    places = {fp.offset} | {
        start + fp.column for line, start in enumerate(index.starts) if start + fp.column <= index.line_bounds(line)[1]
    }
    return any(source[p : p + len(needle)] == needle for p in places)


def test_spans_are_found_in_ten_thousand_lines_after_a_shift_and_among_identical_lines() -> None:
    source = b"".join(b"    value_%d = compute(%d)\n" % (i, i) for i in range(10_000))
    index = LineIndex(source)
    fp = fingerprint(source, index.starts[5000], index.starts[5010], index)
    shifted = b"# new\n" * 30 + source
    assert place(fp, source) == (index.starts[5000], index.starts[5010])
    assert isinstance(place(fp, shifted), tuple)
    same = b"    x = 1\n" * 10_000
    same_index = LineIndex(same)
    assert isinstance(place(fingerprint(same, same_index.starts[5000], same_index.starts[5003], same_index),
                            b"y\n" + same), tuple)
