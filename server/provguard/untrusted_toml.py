"""Parsing TOML that a cloned repository holds (pyproject.toml, provguard.toml).

`tomllib` recurses once or more per level of nested arrays and inline tables and raises `RecursionError`, not
`TOMLDecodeError`, on `x = [[[[...]]]]` a few hundred levels deep: a repository could crash `provguard check`,
the editor's server or the guard with one line. And a value that parses just under the interpreter's limit can
still fail later, where code walks it from a deeper stack. So every configuration is read by `loads_toml`, which
returns a table no deeper than MAX_DEPTH, or a `NotToml` saying why not and where: never raises on bad input.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from typing import Any

from provguard.untrusted_json import too_deep

MAX_DEPTH = 64
"""Tables, arrays and inline tables, counting the document itself: a configuration nests a few levels, and
walkers of the parsed table (the positions reader among them) stay far below the interpreter's recursion limit."""

_ERROR_AT = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")
"""Where tomllib (before Python 3.14) puts the position: at the end of its message."""


@dataclass(frozen=True)
class NotToml:
    """Why a text is not a TOML document provguard reads, with the 1-based line and column."""

    reason: str
    line: int
    column: int


def loads_toml(text: str) -> dict[str, Any] | NotToml:
    """The document's top-level table, or why there is none (syntax, nesting), with where."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = _ERROR_AT.search(str(exc))
        line, column = (int(found[1]), int(found[2])) if found else (1, 1)
        return NotToml(_ERROR_AT.sub("", str(exc)), line, column)
    except RecursionError:
        return _too_deep(text)
    if too_deep(data, MAX_DEPTH):
        return _too_deep(text)
    return data


def _too_deep(text: str) -> NotToml:
    line, column = _deep_position(text)
    return NotToml(f"nested deeper than {MAX_DEPTH} levels", line, column)


def _deep_position(text: str) -> tuple[int, int]:
    """Where brackets first open past MAX_DEPTH, skipping strings and comments (1, 1 if no such place is seen:
    the scan only points, the parser above decided)."""
    depth, line, start, index, size = 0, 1, 0, 0, len(text)
    while index < size:
        char = text[index]
        if char in "\"'":
            quote = text[index:index + 3] if text.startswith(char * 3, index) else char
            end = _string_end(text, index + len(quote), quote)
            if (newlines := text.count("\n", index, end)) > 0:  # a multi-line string
                line, start = line + newlines, text.rfind("\n", index, end) + 1
            index = end
            continue
        if char == "#":
            index = text.find("\n", index)
            index = size if index < 0 else index
            continue
        if char == "\n":
            line, start = line + 1, index + 1
        elif char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return line, index - start + 1
        elif char in "]}":
            depth = max(0, depth - 1)
        index += 1
    return 1, 1


def _string_end(text: str, index: int, quote: str) -> int:
    """The index just past the string that opened before `index` (the text's end if it never closes)."""
    escapes = quote[0] == '"'
    while index < len(text):
        if escapes and text[index] == "\\":
            index += 2
        elif text.startswith(quote, index):
            return index + len(quote)
        elif len(quote) == 1 and text[index] == "\n":
            return index  # a one-line string ends at the line's end (tomllib has reported the error already)
        else:
            index += 1
    return len(text)
