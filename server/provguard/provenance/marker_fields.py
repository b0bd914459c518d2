"""The words and key=value fields of a marker comment's body, and where they sit in its bytes."""

from __future__ import annotations

import re
from collections.abc import Iterator

_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_.-]*")

_Value = tuple[str, tuple[int, int], str | None]
_Token = tuple[str, tuple[int, int], _Value | None]


def tokens(raw: str, pos: int, end: int) -> Iterator[_Token]:
    """Words and key=value fields of a marker body; quoted values may hold spaces and \\" escapes."""
    while True:
        while pos < end and (raw[pos].isspace() or (raw[pos] in "*#/-" and _is_decoration(raw, pos))):
            pos += 1
        if pos >= end:
            return
        key = _KEY.match(raw, pos, end)
        if key is None or key.end() >= end or raw[key.end()] != "=":
            word_end = pos
            while word_end < end and not raw[word_end].isspace():
                word_end += 1
            yield raw[pos:word_end], (pos, word_end), None
            pos = word_end
            continue
        value_start = key.end() + 1
        value, value_end, token_end, error = _value(raw, value_start, end)
        yield key.group(), (pos, token_end), (value, (value_start, value_end), error)
        pos = token_end


def _value(raw: str, start: int, end: int) -> tuple[str, int, int, str | None]:
    if start < end and raw[start] in "\"'":
        quote = raw[start]
        chars: list[str] = []
        i = start + 1
        while i < end:
            if raw[i] == "\\" and i + 1 < end:
                chars.append(raw[i + 1])
                i += 2
            elif raw[i] == quote:
                return "".join(chars), i + 1, i + 1, None
            else:
                chars.append(raw[i])
                i += 1
        return "", end, end, f"unterminated quoted value: add the closing {quote}"
    i = start
    while i < end and not raw[i].isspace():
        i += 1
    if i == start:
        return "", i, i, "empty value after '='; quote it to give an empty value on purpose"
    return raw[start:i], i, i, None


def readable(text: str) -> str:
    """Text for values and messages: invalid bytes become U+FFFD instead of lone surrogates."""
    return text if text.isascii() else text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _is_decoration(raw: str, pos: int) -> bool:
    """Comment decoration at a line start inside a block comment (leading *, #, // or --)."""
    line_start = raw.rfind("\n", 0, pos) + 1
    return raw[line_start:pos].strip() == "" and line_start > 0


class ByteOffsets:
    """Maps character indexes in a comment's text to absolute byte offsets."""

    def __init__(self, raw: str, base: int) -> None:
        self._raw = raw
        self._base = base
        self._ascii = raw.isascii()

    def __call__(self, index: int) -> int:
        if self._ascii:
            return self._base + index
        return self._base + len(self._raw[:index].encode("utf-8", "surrogateescape"))
