"""Where each key and value of a TOML document is written, which `tomllib` does not say.

Project configuration errors ("unknown severity 'loud'", "pack 'acme' is 1.0.0 but the project requires
>=1.2") must point at the line and column to change, like pack errors do. The text is parsed by tomllib first,
so this scanner only runs on valid TOML and only records positions: key paths (table names, keys, dotted
keys, inline tables; array elements by index) to 1-based (line, column in characters).
"""

from __future__ import annotations

import bisect
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field

Path = tuple[str | int, ...]
Position = tuple[int, int]

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_SCALAR_END = re.compile(r"[,\]}\n#]")


@dataclass
class TomlPositions:
    keys: dict[Path, Position] = field(default_factory=dict)
    values: dict[Path, Position] = field(default_factory=dict)

    def key(self, path: Path) -> Position:
        """Where the key of `path` is written, else its nearest ancestor's; (1, 1) when nothing is known."""
        return self._nearest(path, self.keys)

    def value(self, path: Path) -> Position:
        """Where the value of `path` starts, else where its key or an ancestor's value is."""
        return self.values.get(path) or self.key(path)

    def _nearest(self, path: Path, table: dict[Path, Position]) -> Position:
        for end in range(len(path), 0, -1):
            if path[:end] in table:
                return table[path[:end]]
        return 1, 1


def toml_positions(text: str) -> TomlPositions:
    """Positions of every key and value of a valid TOML document."""
    scanner = _Scanner(text)
    scanner.document()
    return scanner.found


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.at = 0
        self.found = TomlPositions()
        self.line_starts = [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]
        self.table_arrays: dict[Path, int] = {}

    def position(self, index: int) -> Position:
        line = bisect.bisect_right(self.line_starts, index) - 1
        return line + 1, index - self.line_starts[line] + 1

    def peek(self, ahead: int = 0) -> str:
        index = self.at + ahead
        return self.text[index] if index < len(self.text) else ""

    def skip(self, newlines: bool) -> None:
        """Spaces, tabs, comments, and newlines too when `newlines`."""
        while self.at < len(self.text):
            char = self.text[self.at]
            if char in " \t\r" or (newlines and char == "\n"):
                self.at += 1
            elif char == "#":
                end = self.text.find("\n", self.at)
                self.at = len(self.text) if end < 0 else end
            else:
                return

    def document(self) -> None:
        table: Path = ()
        while True:
            self.skip(newlines=True)
            start = self.at
            if start >= len(self.text):
                return
            if self.peek() == "[":
                table = self.header()
            else:
                keys = self.dotted_key(table)
                self.skip(newlines=False)
                self.at += 1  # "="
                self.value((*table, *keys))
            if self.at <= start:  # cannot happen on valid TOML; never loop forever
                return

    def header(self) -> Path:
        array = self.peek(1) == "["
        self.at += 2 if array else 1
        keys = self.dotted_key(())
        self.skip(newlines=False)
        self.at += 2 if array else 1
        if not array:
            return keys
        index = self.table_arrays.get(keys, -1) + 1
        self.table_arrays[keys] = index
        self.found.keys.setdefault((*keys, index), self.found.keys[keys])
        return (*keys, index)

    def dotted_key(self, table: Path) -> Path:
        """Reads `a."b".c`, recording where each prefix of table + key is written."""
        keys: list[str] = []
        while True:
            self.skip(newlines=False)
            start = self.at
            keys.append(self.key_part())
            self.found.keys.setdefault((*table, *keys), self.position(start))
            self.skip(newlines=False)
            if self.peek() != ".":
                return tuple(keys)
            self.at += 1

    def key_part(self) -> str:
        char = self.peek()
        if char in "\"'":
            start = self.at
            self.string()
            raw = self.text[start:self.at]
            return raw[1:-1] if char == "'" else str(next(iter(tomllib.loads(f"{raw} = 0"))))
        match = _BARE_KEY.match(self.text, self.at)
        self.at = match.end() if match else self.at + 1
        return match.group() if match else ""

    def value(self, path: Path) -> None:
        self.skip(newlines=False)
        self.found.values.setdefault(path, self.position(self.at))
        char = self.peek()
        if char in "\"'":
            self.string()
        elif char == "[":
            self.at += 1
            self.entries(path, "]", lambda index: self.value((*path, index)))
        elif char == "{":
            self.at += 1
            self.entries(path, "}", lambda _: self.inline_entry(path))
        else:
            end = _SCALAR_END.search(self.text, self.at)
            self.at = end.start() if end else len(self.text)

    def inline_entry(self, path: Path) -> None:
        keys = self.dotted_key(path)
        self.skip(newlines=False)
        self.at += 1  # "="
        self.value((*path, *keys))

    def entries(self, path: Path, close: str, entry: Callable[[int], None]) -> None:
        """Comma-separated entries up to `close`; `entry(index)` reads one."""
        index = 0
        while self.at < len(self.text):
            self.skip(newlines=True)
            if self.peek() == close:
                self.at += 1
                return
            start = self.at
            entry(index)
            index += 1
            self.skip(newlines=True)
            if self.peek() == ",":
                self.at += 1
            elif self.at <= start:
                return

    def string(self) -> None:
        quote = self.peek()
        triple = self.text.startswith(quote * 3, self.at)
        self.at += 3 if triple else 1
        while self.at < len(self.text):
            char = self.text[self.at]
            if char == "\\" and quote == '"':
                self.at += 2
            elif triple and self.text.startswith(quote * 3, self.at):
                self.at += 3
                while self.peek() == quote:  # up to two quotes may end the content: """a""""
                    self.at += 1
                return
            elif char == quote and not triple:
                self.at += 1
                return
            else:
                self.at += 1
