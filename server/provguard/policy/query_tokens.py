"""Reading a tree-sitter query's text as tree-sitter reads it, for the checks scopes.py makes before
tree-sitter sees a query from a pack."""

from __future__ import annotations

from collections.abc import Iterator

_STRING_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "0": "\0"}
_NOT_IN_NAMES = frozenset('()[]"@;')


def query_tokens(source: str) -> Iterator[tuple[str, str, int]]:
    """The parts of a query that matter here, with their offsets: `open` and `close` for parentheses and
    brackets, `predicate` for a predicate's name (at its `#` or `.`), `capture` names, decoded `string`
    literals and other `symbol`s. Strings and comments are read as tree-sitter reads them (a string ends at
    its quote or, unterminated, at the line's end; `;` comments to the line's end)."""
    i, n = 0, len(source)
    while i < n:
        c = source[i]
        if c == ";":
            newline = source.find("\n", i)
            i = n if newline == -1 else newline
        elif c == '"':
            chars: list[str] = []
            j = i + 1
            while j < n and source[j] not in '"\n':
                if source[j] == "\\" and j + 1 < n:
                    chars.append(_STRING_ESCAPES.get(source[j + 1], source[j + 1]))
                    j += 2
                else:
                    chars.append(source[j])
                    j += 1
            yield "string", "".join(chars), i
            i = j + 1
        elif c in "([":
            yield "open", c, i
            i += 1
            if c == "(":  # `(#name?` or `(.name?`, with any space or comment between: a predicate
                j = _skip_space(source, i)
                if j < n and source[j] in "#.":
                    name_end = _name_end(source, j + 1)
                    yield "predicate", source[j + 1 : name_end], j
                    i = name_end
        elif c in ")]":
            yield "close", c, i
            i += 1
        elif c == "@":
            end = _name_end(source, i + 1)
            yield "capture", source[i + 1 : end], i
            i = max(end, i + 1)
        elif c.isspace():
            i += 1
        else:
            end = _name_end(source, i)
            yield "symbol", source[i:end], i
            i = max(end, i + 1)


def _skip_space(source: str, i: int) -> int:
    """The index of the next character that is neither space nor inside a comment."""
    while i < len(source):
        if source[i].isspace():
            i += 1
        elif source[i] == ";":
            newline = source.find("\n", i)
            i = len(source) if newline == -1 else newline
        else:
            break
    return i


def _name_end(source: str, i: int) -> int:
    """The end of a name from `i`: as far as tree-sitter could read one, and further (a name provguard reads
    longer than tree-sitter does is refused, never let through)."""
    while i < len(source) and not source[i].isspace() and source[i] not in _NOT_IN_NAMES:
        i += 1
    return i
