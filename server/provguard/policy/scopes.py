"""Syntactic scopes: where inside a file a rule applies, written as tree-sitter queries in packs.

A query may filter with the text predicates (`#eq?`, `#match?`, `#any-of?` and their variants). Any other
predicate name is an error: tree-sitter would silently ignore it and the rule would cover more than meant.

A pack is untrusted input, so a query is checked before tree-sitter sees it: at most MAX_QUERY_BYTES long and
nested at most MAX_QUERY_DEPTH parentheses or brackets deep (tree-sitter parses a query recursively and
crashes the process on deep nesting). The `#match?` family runs in RE2 (linear_regex.py), not in Python's
backtracking `re` that py-tree-sitter would use: the query given to tree-sitter names those predicates with a
capital letter (same length, so its error positions stay right), which makes them custom predicates that
tree-sitter hands back to `_predicate` here. A pattern RE2 cannot compile (backreferences, lookaround) is
refused when the pack is loaded, at the pattern's place.

tree-sitter's own query engine is not linear either: building a query analyses every node pattern's children
against the grammar's parse table, at a cost that grows steeply with how many children one node lists (ten
`(_)*` under one C++ `for_range_loop` take ten seconds). So the query's shape is bounded too, before
tree-sitter sees it: at most MAX_CHILD_PATTERNS children per node, MAX_QUANTIFIERS quantifiers,
MAX_NODE_PATTERNS node patterns and MAX_TOP_PATTERNS top-level patterns; the slowest query inside those that
was found builds in 0.4 s (Ruby). Running a query is bounded by MATCH_LIMIT in-progress matches; a query that
reaches it is not trusted to have found everything, so its rule covers the whole range asked about (fail
closed, never a narrower rule) and a warning is logged once per query.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import tree_sitter as ts

from provguard.documents import Document
from provguard.languages import by_id
from provguard.policy.linear_regex import RegexError, compile_linear
from provguard.policy.query_tokens import query_tokens as _query_tokens

SCOPE_CAPTURE = "scope"
TEXT_PREDICATES = ("eq?", "not-eq?", "any-eq?", "any-not-eq?", "match?", "not-match?", "any-match?",
                   "any-not-match?", "any-of?", "not-any-of?")
REGEX_PREDICATES = ("match?", "not-match?", "any-match?", "any-not-match?")
MAX_QUERY_BYTES = 16 * 1024
"""A scope query's size limit in UTF-8 bytes: real ones are a few hundred."""
MAX_QUERY_DEPTH = 100
"""How deep parentheses and brackets may nest in a scope query: real ones nest under ten."""
MAX_CHILD_PATTERNS = 4
"""Children one node pattern may list (each alternative of an alternation and each pattern of a group
counts): the cost of building a query grows steeply with this; real ones list one or two."""
MAX_QUANTIFIERS = 8
"""`*`, `+` and `?` per query: each multiplies the ways a match can proceed; real ones use one at most."""
MAX_NODE_PATTERNS = 64
"""Node patterns (`(type ...)`, `(_)`, `_`, `"text"`) per query: every one with children is analysed on its
own when the query is built; real ones have about ten."""
MAX_TOP_PATTERNS = 16
"""Top-level patterns per query: real ones have three at most."""
MATCH_LIMIT = 1024
"""In-progress matches a running query may keep; past it tree-sitter drops some, so the result is unsure."""
_ERROR_AT = re.compile(r"row (\d+)(?:, column (\d+))?")


class ScopeQueryError(ValueError):
    """An invalid query, with its row and column (0-based, in characters) inside the query text."""

    def __init__(self, message: str, row: int = 0, column: int = 0) -> None:
        super().__init__(message)
        self.row = row
        self.column = column


@dataclass(frozen=True)
class ScopeQuery:
    """A compiled query; its captures are only ever taken with the predicates evaluated here."""

    query: ts.Query
    roots: frozenset[str] | None = None
    """The node types its patterns start at; None when a pattern spans siblings or starts at any node (`_`),
    so its answer may depend on text far from the range asked about."""

    def captures(self, root: ts.Node, start: int, end: int) -> list[ts.Node] | None:
        """The @scope nodes, or None when the query hit MATCH_LIMIT and may have missed some."""
        # No progress_callback deadline: py-tree-sitter 0.26.1 crashes when one is given with a match limit,
        # and did not call it while a slow query ran; the load-time limits and MATCH_LIMIT bound the time.
        cursor = ts.QueryCursor(self.query, match_limit=MATCH_LIMIT)
        cursor.set_byte_range(start, end)  # yields every node that intersects the range, including its ancestors
        found = cursor.captures(root, _predicate).get(SCOPE_CAPTURE, [])
        return None if cursor.did_exceed_match_limit else found


@lru_cache(maxsize=256)
def compile_scope(language_id: str, source: str) -> ScopeQuery:
    """The compiled query; raises ScopeQueryError with the position of the problem."""
    language = by_id(language_id)
    if language is None or not language.has_grammar:
        raise ScopeQueryError(f"no grammar for language {language_id!r}")
    _check_text(source)
    _check_shape(source)
    rewritten = _checked_predicates(source)
    try:
        query = ts.Query(language.ts_language(), rewritten)
    except ts.QueryError as exc:
        raise _located(source, str(exc)) from None
    names = {query.capture_name(i) for i in range(query.capture_count)}
    if SCOPE_CAPTURE not in names:
        raise ScopeQueryError(f"the query captures no @{SCOPE_CAPTURE} node: mark the node the rule covers")
    return ScopeQuery(query, _pattern_roots(query, rewritten.encode("utf-8")))


def _pattern_roots(query: ts.Query, source: bytes) -> frozenset[str] | None:
    """The node types the query's patterns are rooted at, read from each pattern's text: the names right after
    the opening brackets (every alternative's, for an alternation)."""
    roots: set[str] = set()
    for i in range(query.pattern_count):
        if not query.is_pattern_rooted(i) or query.is_pattern_non_local(i):
            return None
        text = source[query.start_byte_for_pattern(i):query.end_byte_for_pattern(i)].decode("utf-8")
        tokens = [(kind, name) for kind, name, _ in _query_tokens(text) if kind != "capture"]
        depth = 0
        alternation = False
        for index, (kind, name) in enumerate(tokens):
            if kind == "open":
                depth += 1
                alternation = alternation or name == "["
                continue
            if kind == "close":
                depth -= 1
                continue
            if kind == "predicate":
                continue
            before = tokens[index - 1] if index else ("", "")
            if before == ("open", "(") or (kind == "string" and before[0] == "open"):
                roots.add(name if kind == "symbol" else '"')
                if not alternation:
                    break
            if not alternation:
                return None  # a bare `_` or something not read here: treated as reaching anywhere
    return frozenset(roots) if "_" not in roots else None


def scope_ranges(doc: Document, language_id: str, source: str, start: int, end: int) -> list[tuple[int, int]]:
    """Byte ranges of @scope nodes that overlap [start, end); all of [start, end) when the query ran into
    MATCH_LIMIT, since a rule must never cover less than its pack says because its query was costly, and all
    of it for a text its grammar must not be given (Language.refuse): a crafted file must not slip by unparsed."""
    if doc.tree is None:
        return [(start, end)] if doc.refused else []
    compiled = compile_scope(language_id, source)
    root = doc.tree.root_node
    if compiled.roots is None or root.type in compiled.roots:
        return _ranges(compiled, root, language_id, source, start, end)
    # Every match starts inside one top-level node: the answer depends on the ones the range touches alone.
    key = (language_id, source, start, end)
    known = doc.memo.scopes.get(key)
    if known is not None:
        return list(known[2])
    found = _ranges(compiled, root, language_id, source, start, end)
    low, high = _units_around(root, start, end)
    doc.memo.scopes[key] = (min(low, start), max(high, end), tuple(found))
    return found


def _ranges(compiled: ScopeQuery, root: ts.Node, language_id: str, source: str, start: int,
            end: int) -> list[tuple[int, int]]:
    nodes = compiled.captures(root, start, end)
    if nodes is None:
        _warn_cut_short(language_id, source)
        return [(start, end)]
    return sorted({(n.start_byte, n.end_byte) for n in nodes if n.start_byte < end and n.end_byte > start})


def _units_around(root: ts.Node, start: int, end: int) -> tuple[int, int]:
    """The bytes of the root's children that touch [start, end] (inclusive bounds).

    Walked with a cursor: py-tree-sitter 0.26.1's `Node.first_child_for_byte` crashes the process when no child
    ends past the byte (an empty file, a range at the end of the text); the cursor's own lookup says None."""
    low, high = start, end
    cursor = root.walk()
    if cursor.goto_first_child_for_byte(max(start - 1, 0)) is None and not cursor.goto_last_child():
        return low, high  # no children at all
    cursor.goto_previous_sibling()  # the unit just before may end where the range starts
    while True:
        child = cursor.node
        if child is None or child.start_byte > end + 1:
            break
        if child.end_byte >= start - 1:
            low, high = min(low, child.start_byte), max(high, child.end_byte)
        if not cursor.goto_next_sibling():
            break
    return low, high


@lru_cache(maxsize=64)
def _warn_cut_short(language_id: str, source: str) -> None:
    """Said once per query, not once per span it runs on."""
    logging.getLogger(__name__).warning(
        "a %s scope query reached tree-sitter's limit of %d in-progress matches; its rule covers the whole "
        "range it was asked about: %s", language_id, MATCH_LIMIT, source.strip()[:200])


def _predicate(predicate: str, args: list[tuple[str, Literal["capture", "string"]]], pattern_index: int,
               captures: dict[str, list[ts.Node]]) -> bool:
    """A `#match?`-family predicate (renamed with a capital letter), with py-tree-sitter's meaning: every
    captured node's text must match (`any-`: at least one must), or not match for `not-`; no node passes."""
    try:
        return _satisfied(predicate, args, captures)
    finally:
        # py-tree-sitter 0.26.1 never releases the node lists it hands over (py-tree-sitter#467): emptied,
        # they no longer keep their nodes, and through them the whole tree, alive for good.
        for nodes in captures.values():
            nodes.clear()


def _satisfied(predicate: str, args: list[tuple[str, Literal["capture", "string"]]],
               captures: dict[str, list[ts.Node]]) -> bool:
    name = predicate[:1].lower() + predicate[1:]
    if name not in REGEX_PREDICATES or len(args) != 2:
        return False  # cannot happen: the query was checked when it was compiled
    try:
        regex = compile_linear(args[1][0])
    except RegexError:
        return False
    wanted = "not-" not in name
    nodes = captures.get(args[0][0], [])
    texts = ((node.text or b"").decode("utf-8", errors="replace") for node in nodes)
    if name.startswith("any-"):
        return not nodes or any(regex.search(text) == wanted for text in texts)
    return all(regex.search(text) == wanted for text in texts)


def _check_text(source: str) -> None:
    """Small enough, valid Unicode, and not nested deeper than tree-sitter's recursive parser can take."""
    data = source.encode("utf-8", errors="surrogatepass")
    if len(data) > MAX_QUERY_BYTES:
        offset = len(data[:MAX_QUERY_BYTES].decode("utf-8", errors="ignore"))
        raise ScopeQueryError(f"the query is {len(data)} bytes long; a scope query may be at most "
                              f"{MAX_QUERY_BYTES} bytes", *_row_column(source, offset))
    try:
        source.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ScopeQueryError("the query holds a character that is not valid Unicode text (a lone surrogate)",
                              *_row_column(source, exc.start)) from None
    depth = 0
    for kind, _, offset in _query_tokens(source):
        if kind == "open":
            depth += 1
            if depth > MAX_QUERY_DEPTH:
                raise ScopeQueryError(f"the query nests parentheses and brackets more than {MAX_QUERY_DEPTH} "
                                      f"deep", *_row_column(source, offset))
        elif kind == "close":
            depth = max(depth - 1, 0)


def _check_shape(source: str) -> None:
    """Within the limits that keep tree-sitter's query construction fast (see the module's docstring); the
    error points at the first child, quantifier or pattern past a limit."""
    frames: list[list[str | int]] = []  # one per open bracket: [node/group/alternation/predicate, children]
    quantifiers = nodes = tops = 0
    pending: int | None = None  # the offset of a `(` whose next token says whether it opens a node or a group

    def fail(message: str, offset: int) -> ScopeQueryError:
        return ScopeQueryError(message, *_row_column(source, offset))

    def pattern(offset: int, is_node: bool) -> None:
        """Something that starts a pattern at `offset`: a node (or anonymous `"text"` node) or a bracket."""
        nonlocal nodes, tops
        if not frames:
            tops += 1
            if tops > MAX_TOP_PATTERNS:
                raise fail(f"the query has more than {MAX_TOP_PATTERNS} top-level patterns; split it between "
                           f"rules", offset)
        if not is_node:
            return
        nodes += 1
        if nodes > MAX_NODE_PATTERNS:
            raise fail(f"the query has more than {MAX_NODE_PATTERNS} node patterns", offset)
        for frame in reversed(frames):  # through groups and alternations, to the node they are children of
            if frame[0] == "node":
                frame[1] = int(frame[1]) + 1
                if int(frame[1]) > MAX_CHILD_PATTERNS:
                    raise fail(f"a node pattern lists more than {MAX_CHILD_PATTERNS} children (each alternative "
                               f"and each pattern in a group counts); split it into several patterns", offset)
                break

    for kind, text, offset in _query_tokens(source):
        if frames and frames[-1][0] == "predicate":
            if kind == "open":
                frames.append(["predicate", 0])
            elif kind == "close":
                frames.pop()
            continue
        if pending is not None:
            opened, pending = pending, None
            if kind == "predicate":
                frames.append(["predicate", 0])
                continue
            if kind == "symbol" and not text.endswith(":") and text[0] not in "*+?!.":
                pattern(opened, is_node=True)  # `(type` or `(_`: a child of the node around it
                frames.append(["node", 0])
                continue
            pattern(opened, is_node=False)
            frames.append(["group", 0])
        if kind == "open":
            if text == "(":
                pending = offset
            else:
                pattern(offset, is_node=False)
                frames.append(["alternation", 0])
        elif kind == "close":
            if frames:
                frames.pop()
        elif kind == "string" or (kind == "symbol" and text == "_"):
            pattern(offset, is_node=True)
        elif kind == "symbol" and text[0] in "*+?":
            quantifiers += 1
            if quantifiers > MAX_QUANTIFIERS:
                raise fail(f"the query has more than {MAX_QUANTIFIERS} quantifiers (*, + and ?)", offset)


def _checked_predicates(source: str) -> str:
    """The source to give tree-sitter: predicates checked, the regex ones renamed for `_predicate`."""
    out = list(source)
    tokens = list(_query_tokens(source))
    for i, (kind, name, offset) in enumerate(tokens):
        if kind != "predicate":
            continue
        if name not in TEXT_PREDICATES:
            raise ScopeQueryError(
                f"unknown predicate #{name}; provguard supports {', '.join('#' + p for p in TEXT_PREDICATES)}",
                *_row_column(source, offset))
        if name not in REGEX_PREDICATES:
            continue
        args = []
        for arg in tokens[i + 1 :]:
            if arg[0] in ("close", "open", "predicate"):
                break
            args.append(arg)
        if [a[0] for a in args] != ["capture", "string"]:
            raise ScopeQueryError(f'#{name} takes a capture and a pattern in quotes, as in (#{name} @name "^test")',
                                  *_row_column(source, offset))
        pattern, at = args[1][1], args[1][2]
        try:
            compile_linear(pattern)
        except RegexError as exc:
            raise ScopeQueryError(
                f"#{name} pattern {pattern!r} is not a valid regular expression for RE2 ({exc}); patterns run in "
                f"linear time, so backreferences, lookaround and atomic groups are not available",
                *_row_column(source, at)) from None
        out[offset + 1] = name[0].upper()
    return "".join(out)


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
