"""A line index kept up to date edit by edit answers exactly as one built from scratch for the edited text.

Edits move the index in place (the starts after an edit wait for a pending shift rather than being rewritten), so a
sequence of edits jumping up and down a many-line text, joining and splitting CRLF pairs, lone CRs and surrogate
pairs, must leave every answer (starts, line of an offset, client positions in UTF-16 and the other encodings) as
a fresh index gives. Blocks of a few lines stand in for the real ones (thousands of lines) so that edits cross,
merge and split them in texts this small."""

from __future__ import annotations

from collections.abc import Iterator
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from provguard import positions
from provguard.positions import Encoding, LineIndex


@pytest.fixture(autouse=True, params=[1, 3, 8, positions.BLOCK])
def block_size(request: pytest.FixtureRequest) -> Iterator[int]:
    with mock.patch.object(positions, "BLOCK", request.param):
        yield request.param

PIECES = ["a", " ", "\n", "\r", "\r\n", "é", "中", "😀", "\ud800", "\udc00", "\u2028"]
"""Line ends LSP knows (\\n, \\r\\n, a lone \\r), two-unit UTF-16 characters, lone surrogates, and a break only
Python's str.splitlines knows (\\u2028)."""

texts = st.lists(st.sampled_from(PIECES), max_size=60).map("".join)


def encoded(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def char_offsets(text: str) -> list[int]:
    """The byte offset of every character boundary of `text`."""
    offsets = [0]
    for char in text:
        offsets.append(offsets[-1] + len(encoded(char)))
    return offsets


def assert_same_answers(kept: LineIndex, source: bytes, text: str, every: int = 1) -> None:
    """Starts and lines of all offsets compared; positions and line bounds at every `every`-th place."""
    fresh = LineIndex(source)
    assert list(kept.starts) == list(fresh.starts)
    assert kept.line_count == fresh.line_count
    assert [kept.starts[line] for line in range(-kept.line_count, 0)] == list(fresh.starts)
    for offset in range(-1, len(source) + 2, every):
        assert kept.line_of(offset) == fresh.line_of(offset), offset
    for offset in char_offsets(text)[::every]:
        for encoding in Encoding:
            position = fresh.position(offset, encoding)
            assert kept.position(offset, encoding) == position
            assert kept.offset(position, encoding) == fresh.offset(position, encoding)
    for line in range(0, fresh.line_count, every):
        assert kept.line_bounds(line) == fresh.line_bounds(line)


@settings(derandomize=True, max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=texts, data=st.data())
def test_an_index_moved_over_edits_answers_as_one_built_for_the_new_text(text: str, data: st.DataObject) -> None:
    source = encoded(text)
    kept = LineIndex(source)
    for _ in range(data.draw(st.integers(1, 12))):
        bounds = char_offsets(text)
        first = data.draw(st.integers(0, len(text)))
        last = data.draw(st.integers(first, min(len(text), first + data.draw(st.sampled_from([0, 1, 3, 60])))))
        new_text = data.draw(texts)
        start, end = bounds[first], bounds[last]
        text = text[:first] + new_text + text[last:]
        source = source[:start] + encoded(new_text) + source[end:]
        kept.edited(start, end, source)
        assert_same_answers(kept, source, text)


def test_edits_at_both_ends_of_a_long_text_in_turn() -> None:
    """Each edit far from the last one: the pending shift is carried across the whole text and back."""
    text = "x = 1\r\n" * 300 + "y\r" * 300 + "😀\n" * 300
    kept = LineIndex(encoded(text))
    for step in range(40):
        first = 3 if step % 2 else len(text) - 2 - step
        last = first + step % 3
        start, end = len(encoded(text[:first])), len(encoded(text[:last]))
        text = text[:first] + ["\n", "\r", "a😀", "\r\n", ""][step % 5] + text[last:]
        kept.edited(start, end, encoded(text))
        assert_same_answers(kept, encoded(text), text, every=7)


def test_cutting_runs_of_lines_out_here_and_there() -> None:
    """Cuts that leave blocks nearly empty, so that they are joined with the blocks after them."""
    text = "".join(f"{n}\n" if n % 3 else f"{n}\r\n" for n in range(120))
    kept = LineIndex(encoded(text))
    step = 0
    while text.count("\n") > 4:
        line_starts = [0] + [i + 1 for i, char in enumerate(text) if char == "\n"]
        first = line_starts[(step * 7) % (len(line_starts) - 4)]
        last = line_starts[line_starts.index(first) + 3]
        start, end = len(encoded(text[:first])), len(encoded(text[:last]))
        text = text[:first] + "z" + text[last:]
        kept.edited(start, end, encoded(text))
        assert_same_answers(kept, encoded(text), text)
        step += 1
