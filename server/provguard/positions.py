"""Offsets and positions.

The core works in UTF-8 byte offsets into the document, the unit tree-sitter uses, so nodes map to text
without conversion. Line/character positions in the client's negotiated encoding (UTF-16 unless the client
offers UTF-8 or UTF-32) are computed here, at the edge, from a line index.
"""

from __future__ import annotations

import re
from array import array
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from itertools import accumulate


class Encoding(StrEnum):
    UTF8 = "utf-8"
    UTF16 = "utf-16"
    UTF32 = "utf-32"


@dataclass(frozen=True, order=True)
class Position:
    """Zero-based line and character in some encoding's units."""

    line: int
    character: int


@dataclass(frozen=True)
class Range:
    start: Position
    end: Position


@dataclass(frozen=True)
class TextEdit:
    """Replace bytes [start, end) with new_text."""

    start: int
    end: int
    new_text: str


def trimmed(source: bytes, start: int, end: int) -> tuple[int, int]:
    """[start, end) without the spaces and line breaks at either edge."""
    piece = source[start:end]
    stripped = piece.lstrip()
    start += len(piece) - len(stripped)
    return start, start + len(stripped.rstrip())


BLOCK = 2048
"""Line starts per block: an edit rewrites the blocks it touches and moves the later ones by a number each."""


class LineIndex:
    """Start offsets of the lines of a UTF-8 text (LSP line breaks: \\n, \\r\\n, \\r).

    The starts are kept in blocks of about BLOCK lines, each with a shift added to all its entries: an edit splits
    again only the lines it touched, rewrites their block and adds its length change to the shifts of the blocks
    after it, so a keystroke in a 50 MiB text costs what it touched and a number per block, not a pass over every
    line after it."""

    __slots__ = ("_blocks", "_code", "_firsts", "_heads", "_line_count", "_shifts", "_source")

    def __init__(self, source: bytes) -> None:
        self._build(source)

    def _build(self, source: bytes) -> None:
        self._source = source
        self._code = _typecode(len(source))
        # bytes.splitlines breaks exactly on \n, \r\n and \r, as LSP does, and runs in C.
        # arrays of 4-byte integers: a twentieth of a list of Python ints, and what a line costs most in 200 open
        # documents after their text (4 MB a million lines in 8-byte ones)
        starts = array(self._code, accumulate(map(len, source.splitlines(keepends=True)), initial=0))
        if source and source[-1:] not in b"\r\n":
            starts.pop()  # the last line has no line break: no line starts after it
        self._line_count = len(starts)
        self._blocks = [starts[i : i + BLOCK] for i in range(0, len(starts), BLOCK)]
        """Each block's starts, less its shift."""
        self._shifts = [0] * len(self._blocks)
        self._firsts = list(range(0, len(starts), BLOCK))
        """The line each block begins with."""
        self._heads = [block[0] for block in self._blocks]
        """Where each block's first line starts (its first entry plus its shift): what line_of bisects."""

    @property
    def starts(self) -> LineStarts:
        """starts[line]: the offset where `line` starts (a view made per use: one kept would make a reference
        cycle, and an index holding a closed document's text would wait for the cyclic collector)."""
        return LineStarts(self)

    def start(self, line: int) -> int:
        """Offset of the start of `line` (negative lines count from the end, as in a list)."""
        if line < 0:
            line += self._line_count
            if line < 0:
                raise IndexError("line out of range")
        block = bisect_right(self._firsts, line) - 1
        return self._blocks[block][line - self._firsts[block]] + self._shifts[block]

    def edited(self, start: int, old_end: int, source: bytes) -> None:
        """Bytes [start, old_end) of the indexed text were replaced, giving `source`: only the lines around
        the edit are split again (from the line before it, since "\\r" + "\\n" may join into one break), the
        blocks holding them are rewritten and the blocks after them shifted."""
        if _typecode(len(source)) != self._code:  # past 4 GiB: wider integers throughout
            self._build(source)
            return
        delta = len(source) - len(self._source)
        first = max(self.line_of(start) - 1, 0)
        after = self.line_of(old_end + 1) + 1  # the first line whose break before it the edit left alone
        count = self._line_count
        low = self.start(first)
        high = self.start(after) + delta if after < count else len(source)
        middle = array(self._code, accumulate(map(len, source[low:high].splitlines(keepends=True)), initial=low))
        if after < count or (source and source[-1:] not in b"\r\n"):
            middle.pop()  # the start of line `after` (kept), or no line after a last line without a break
        self._splice(first, after, middle, delta)
        self._line_count += len(middle) - (after - first)
        self._source = source

    def _splice(self, first: int, after: int, middle: array[int], delta: int) -> None:
        """Lines [first, after) become `middle` (true starts) and the lines after them move by `delta` bytes."""
        blocks, shifts, firsts, heads = self._blocks, self._shifts, self._firsts, self._heads
        low, high = bisect_right(firsts, first) - 1, bisect_right(firsts, after - 1) - 1
        combined = _shifted(blocks[low][: first - firsts[low]], shifts[low]) + middle
        combined += _shifted(blocks[high][after - firsts[high] :], shifts[high] + delta)
        end = high + 1
        if len(combined) < BLOCK // 2 and end < len(blocks):  # a small block takes the next one in
            combined += _shifted(blocks[end], shifts[end] + delta)
            end += 1
        size = -(-len(combined) // -(-len(combined) // BLOCK))  # as even as can be, at most BLOCK
        made = [combined[i : i + size] for i in range(0, len(combined), size)]
        blocks[low:end] = made
        shifts[low:end] = [0] * len(made)
        heads[low:end] = [block[0] for block in made]
        firsts[low:end] = accumulate(map(len, made[:-1]), initial=firsts[low])
        later, lines = low + len(made), len(middle) - (after - first)
        if delta:
            shifts[later:] = map(delta.__add__, shifts[later:])
            heads[later:] = map(delta.__add__, heads[later:])
        if lines:
            firsts[later:] = map(lines.__add__, firsts[later:])

    @property
    def line_count(self) -> int:
        return self._line_count

    def line_of(self, offset: int) -> int:
        block = bisect_right(self._heads, offset) - 1
        if block < 0:
            return -1
        return self._firsts[block] + bisect_right(self._blocks[block], offset - self._shifts[block]) - 1

    def line_bounds(self, line: int) -> tuple[int, int]:
        """[start, end) of the line's text without its line break."""
        start = self.start(line)
        end = self.start(line + 1) if line + 1 < self._line_count else len(self._source)
        while end > start and self._source[end - 1] in b"\r\n":
            end -= 1
        return start, end

    def point(self, offset: int) -> tuple[int, int]:
        """tree-sitter point (row, byte column) for an offset."""
        line = self.line_of(offset)
        return line, offset - self.start(line)

    def offset(self, position: Position, encoding: Encoding) -> int:
        """Byte offset of a client position; out-of-range positions are clamped as LSP asks: a line past the
        end to the end of the text, a character past the end of its line to the line's end, and a character
        inside a UTF-16 surrogate pair or a UTF-8 sequence to the start of that character."""
        if position.line < 0:
            return 0
        if position.line >= self._line_count:
            return len(self._source)
        start, end = self.line_bounds(position.line)
        if position.character <= 0:
            return start
        raw = self._source[start:end]
        if raw.isascii():
            return start + min(position.character, len(raw))
        if encoding is Encoding.UTF8:
            return start + _char_start(raw, min(position.character, len(raw)))
        text, errors = _decode(raw)
        kept = _chars_within(text, position.character, encoding)
        return start + len(text[:kept].encode("utf-8", errors))

    def position(self, offset: int, encoding: Encoding) -> Position:
        offset = max(0, min(offset, len(self._source)))
        line = self.line_of(offset)
        start, end = self.line_bounds(line)
        raw = self._source[start:end]
        column = min(offset, end) - start
        if raw.isascii():
            return Position(line, column)
        column = _char_start(raw, column)
        if encoding is Encoding.UTF8:
            return Position(line, column)
        text, _ = _decode(raw[:column])
        if encoding is Encoding.UTF32:
            return Position(line, len(text))
        return Position(line, len(text.encode("utf-16-le", "surrogatepass")) // 2)

    def range(self, start: int, end: int, encoding: Encoding) -> Range:
        return Range(self.position(start, encoding), self.position(end, encoding))


class LineStarts:
    """A line index's starts by line number (`lines.starts[line]`), read through its pending shift."""

    __slots__ = ("_index",)

    def __init__(self, index: LineIndex) -> None:
        self._index = index

    def __getitem__(self, line: int) -> int:
        return self._index.start(line)

    def __len__(self) -> int:
        return self._index.line_count

    def __iter__(self) -> Iterator[int]:
        return map(self._index.start, range(self._index.line_count))


def _typecode(size: int) -> str:
    """Unsigned 4-byte offsets for a text under 4 GiB (any text the server keeps), 8-byte ones past that."""
    return "I" if size < 1 << 32 else "q"


def _shifted(starts: array[int], shift: int) -> array[int]:
    return array(starts.typecode, map(shift.__add__, starts)) if shift else starts


_ASTRAL = re.compile("[\U00010000-\U0010FFFF]")
"""Characters outside the Basic Multilingual Plane: two UTF-16 code units (a surrogate pair) each."""


def _decode(raw: bytes) -> tuple[str, str]:
    """A line's text and the error handler that encodes it back to the same bytes.

    Text from the client is stored as UTF-8 with lone surrogates kept (surrogatepass: JSON's "\\ud800" is a
    lone surrogate in Python and one UTF-16 unit for the client). A file read from disk may hold bytes that
    are not UTF-8 at all; each such byte then counts as one character (surrogateescape)."""
    try:
        return raw.decode("utf-8", "surrogatepass"), "surrogatepass"
    except UnicodeDecodeError:
        return raw.decode("utf-8", "surrogateescape"), "surrogateescape"


def _char_start(raw: bytes, cut: int) -> int:
    """`cut` moved back to the start of the UTF-8 sequence it falls inside (continuation bytes are 10xxxxxx)."""
    for _ in range(3):
        if 0 < cut < len(raw) and 0x80 <= raw[cut] < 0xC0:
            cut -= 1
    return cut


def _chars_within(text: str, units: int, encoding: Encoding) -> int:
    """How many characters of `text` fit in `units` UTF-16 or UTF-32 code units; a unit count that ends
    inside a surrogate pair keeps the pair out. A lone surrogate is one unit, as the client counts it."""
    if encoding is Encoding.UTF32:
        return min(units, len(text))
    pairs = 0
    for match in _ASTRAL.finditer(text):
        first_unit = match.start() + pairs
        if first_unit >= units:
            break
        if first_unit + 2 > units:
            return match.start()
        pairs += 1
    return min(units - pairs, len(text))
