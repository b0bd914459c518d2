"""Offsets and positions.

The core works in UTF-8 byte offsets into the document, the unit tree-sitter uses, so nodes map to text
without conversion. Line/character positions in the client's negotiated encoding (UTF-16 unless the client
offers UTF-8 or UTF-32) are computed here, at the edge, from a line index.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
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


class LineIndex:
    """Start offsets of the lines of a UTF-8 text (LSP line breaks: \\n, \\r\\n, \\r)."""

    __slots__ = ("_source", "starts")

    def __init__(self, source: bytes) -> None:
        self._source = source
        # bytes.splitlines breaks exactly on \n, \r\n and \r, as LSP does, and runs in C.
        # an array of machine integers: a tenth of a list of Python ints for a large file
        self.starts = array("q", accumulate(map(len, source.splitlines(keepends=True)), initial=0))
        if source and source[-1:] not in b"\r\n":
            self.starts.pop()  # the last line has no line break: no line starts after it

    @property
    def line_count(self) -> int:
        return len(self.starts)

    def line_of(self, offset: int) -> int:
        return bisect_right(self.starts, offset) - 1

    def line_bounds(self, line: int) -> tuple[int, int]:
        """[start, end) of the line's text without its line break."""
        start = self.starts[line]
        end = self.starts[line + 1] if line + 1 < len(self.starts) else len(self._source)
        while end > start and self._source[end - 1] in b"\r\n":
            end -= 1
        return start, end

    def point(self, offset: int) -> tuple[int, int]:
        """tree-sitter point (row, byte column) for an offset."""
        line = self.line_of(offset)
        return line, offset - self.starts[line]

    def offset(self, position: Position, encoding: Encoding) -> int:
        """Byte offset of a client position; out-of-range positions are clamped as LSP asks."""
        if position.line >= len(self.starts):
            return len(self._source)
        if position.line < 0:
            return 0
        start, end = self.line_bounds(position.line)
        if position.character <= 0:
            return start
        raw = self._source[start:end]
        if encoding is Encoding.UTF8 or raw.isascii():
            return start + min(position.character, len(raw))
        text = raw.decode("utf-8", errors="replace")
        units = 0
        consumed = 0
        for ch in text:
            width = _units(ch, encoding)
            if units + width > position.character:
                break
            units += width
            consumed += len(ch.encode("utf-8"))
        return start + consumed

    def position(self, offset: int, encoding: Encoding) -> Position:
        offset = max(0, min(offset, len(self._source)))
        line = self.line_of(offset)
        start, end = self.line_bounds(line)
        column = min(offset, end) - start
        if encoding is Encoding.UTF8:
            return Position(line, column)
        raw = self._source[start : start + column]
        if raw.isascii():
            return Position(line, column)
        text = raw.decode("utf-8", errors="replace")
        return Position(line, sum(_units(ch, encoding) for ch in text))

    def range(self, start: int, end: int, encoding: Encoding) -> Range:
        return Range(self.position(start, encoding), self.position(end, encoding))


def _units(ch: str, encoding: Encoding) -> int:
    if encoding is Encoding.UTF16:
        return 2 if ord(ch) > 0xFFFF else 1
    if encoding is Encoding.UTF32:
        return 1
    return len(ch.encode("utf-8"))
