"""Syntactic scopes: where inside a file a rule applies, written as tree-sitter queries in packs.

A query may filter with the text predicates (`#eq?`, `#match?`, `#any-of?` and their variants). Any other
predicate name is an error: tree-sitter would silently ignore it and the rule would cover more than meant.
`#match?` runs Python regular expressions, so a pattern that can backtrack exponentially (a repeated group
that itself repeats or alternates, backreferences, lookaround) is refused when the pack is loaded.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

import tree_sitter as ts

from provguard.documents import Document
from provguard.languages import by_id

SCOPE_CAPTURE = "scope"
TEXT_PREDICATES = ("eq?", "not-eq?", "any-eq?", "any-not-eq?", "match?", "not-match?", "any-match?",
                   "any-not-match?", "any-of?", "not-any-of?")
REGEX_PREDICATES = ("match?", "not-match?", "any-match?", "any-not-match?")
_ERROR_AT = re.compile(r"row (\d+)(?:, column (\d+))?")
_STRING_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "0": "\0"}


class ScopeQueryError(ValueError):
    """An invalid query, with its row and column (0-based, in characters) inside the query text."""

    def __init__(self, message: str, row: int = 0, column: int = 0) -> None:
        super().__init__(message)
        self.row = row
        self.column = column


@lru_cache(maxsize=256)
def compile_scope(language_id: str, source: str) -> ts.Query:
    """The compiled query; raises ScopeQueryError with the position of the problem."""
    language = by_id(language_id)
    if language is None or not language.has_grammar:
        raise ScopeQueryError(f"no grammar for language {language_id!r}")
    try:
        query = ts.Query(language.ts_language(), source)
    except ts.QueryError as exc:
        if "predicate" in str(exc):
            _check_predicates(source)  # tree-sitter gives no column for a bad predicate; this does
        raise _located(source, str(exc)) from None
    _check_predicates(source)
    names = {query.capture_name(i) for i in range(query.capture_count)}
    if SCOPE_CAPTURE not in names:
        raise ScopeQueryError(f"the query captures no @{SCOPE_CAPTURE} node: mark the node the rule covers")
    return query


def scope_ranges(doc: Document, language_id: str, source: str, start: int, end: int) -> list[tuple[int, int]]:
    """Byte ranges of @scope nodes that overlap [start, end)."""
    if doc.tree is None:
        return []
    cursor = ts.QueryCursor(compile_scope(language_id, source))
    cursor.set_byte_range(start, end)  # yields every node that intersects the range, including its ancestors
    nodes = cursor.captures(doc.tree.root_node).get(SCOPE_CAPTURE, [])
    return sorted({(n.start_byte, n.end_byte) for n in nodes if n.start_byte < end and n.end_byte > start})


def _located(source: str, text: str) -> ScopeQueryError:
    """tree-sitter's message with its position turned into characters (tree-sitter counts bytes)."""
    lines = source.split("\n")
    found = _ERROR_AT.search(text)
    if found is None:  # "Unexpected EOF": point just after the last thing written
        row, column = _row_column(source, len(source.rstrip()))
    else:
        row = min(int(found.group(1)), len(lines) - 1)
        line = lines[row]
        if found.group(2) is None:
            column = len(line) - len(line.lstrip())
        else:
            column = len(line.encode("utf-8")[: int(found.group(2))].decode("utf-8", errors="ignore"))
    return ScopeQueryError(f"invalid tree-sitter query: {text}", row, column)


def _row_column(source: str, offset: int) -> tuple[int, int]:
    row = source.count("\n", 0, offset)
    return row, offset - (source.rfind("\n", 0, offset) + 1)


def _check_predicates(source: str) -> None:
    predicate: str | None = None
    for kind, text, offset in _query_tokens(source):
        if kind == "predicate":
            if text not in TEXT_PREDICATES:
                raise ScopeQueryError(
                    f"unknown predicate #{text}; provguard supports "
                    f"{', '.join('#' + p for p in TEXT_PREDICATES)}", *_row_column(source, offset))
            predicate = text
        elif kind == "close":
            predicate = None
        elif kind == "string" and predicate in REGEX_PREDICATES:
            problem = regex_problem(text)
            if problem is not None:
                raise ScopeQueryError(f"#{predicate} pattern {text!r}: {problem}", *_row_column(source, offset))


def _query_tokens(source: str) -> Iterator[tuple[str, str, int]]:
    """Predicate names, decoded string literals and closing parentheses of a query, with offsets."""
    i, n = 0, len(source)
    while i < n:
        c = source[i]
        if c == ";":
            newline = source.find("\n", i)
            i = n if newline == -1 else newline
        elif c == '"':
            chars: list[str] = []
            j = i + 1
            while j < n and source[j] != '"':
                if source[j] == "\\" and j + 1 < n:
                    chars.append(_STRING_ESCAPES.get(source[j + 1], source[j + 1]))
                    j += 2
                else:
                    chars.append(source[j])
                    j += 1
            yield "string", "".join(chars), i
            i = j + 1
        elif c == "#":
            j = i + 1
            while j < n and (source[j].isalnum() or source[j] in "_-.?!"):
                j += 1
            yield "predicate", source[i + 1 : j], i
            i = j
        else:
            if c == ")":
                yield "close", c, i
            i += 1


def regex_problem(pattern: str) -> str | None:
    """Why a pack's regular expression is refused, or None when it compiles and cannot blow up."""
    try:
        re.compile(pattern)
    except re.error as exc:
        return f"not a valid regular expression ({exc})"
    # Each open group: [has a repeat inside, has an alternation inside].
    groups: list[list[bool]] = [[False, False]]
    last_group: list[bool] | None = None  # the group just closed, if the last atom was a group
    i, n = 0, len(pattern)
    while i < n:
        c = pattern[i]
        atom_group: list[bool] | None = None
        if c == "\\":
            if pattern[i + 1 : i + 2].isdigit() and pattern[i + 1] != "0":
                return "backreferences are not allowed"
            i += 2
        elif c == "[":
            i = _class_end(pattern, i)
        elif c == "(":
            ahead = pattern[i + 1 : i + 4]
            if ahead.startswith(("?=", "?!", "?<=", "?<!", "?(", "?P=")):
                return "lookaround, conditionals and backreferences are not allowed"
            groups.append([False, False])
            i += 1
        elif c == ")":
            atom_group = groups.pop() if len(groups) > 1 else [False, False]
            groups[-1][0] |= atom_group[0]
            groups[-1][1] |= atom_group[1]
            i += 1
        elif c == "|":
            groups[-1][1] = True
            i += 1
        elif c in "*+?{":
            end, repeats = _quantifier(pattern, i)
            if end == i:  # a literal {
                i += 1
            else:
                groups[-1][0] = True
                if repeats and last_group is not None and (last_group[0] or last_group[1]):
                    return ("a repeated group may not itself repeat or alternate (this can take "
                            "exponential time); simplify the pattern")
                i = end + (1 if pattern[end : end + 1] in ("?", "+") else 0)
        else:
            i += 1
        last_group = atom_group
    return None


def _class_end(pattern: str, start: int) -> int:
    """Index after the `]` closing the character class that opens at `start`."""
    i = start + 1
    if pattern[i : i + 1] == "^":
        i += 1
    if pattern[i : i + 1] == "]":
        i += 1
    while i < len(pattern) and pattern[i] != "]":
        i += 2 if pattern[i] == "\\" else 1
    return i + 1


def _quantifier(pattern: str, start: int) -> tuple[int, bool]:
    """(index after the quantifier at `start`, whether it repeats more than once); start itself if none."""
    c = pattern[start]
    if c in "*+":
        return start + 1, True
    if c == "?":
        return start + 1, False
    found = re.match(r"\{(\d*)(,?)(\d*)\}", pattern[start:])
    if found is None or not (found.group(1) or found.group(3)):
        return start, False
    low, comma, high = found.groups()
    repeats = bool(comma and not high) or int(high or low or "0") > 1
    return start + found.end(), repeats
