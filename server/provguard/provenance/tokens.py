"""Code as a stream of normalised tokens: what fingerprints hash, so that layout and names do not matter.

tree-sitter gives the tokens (the leaves of the syntax tree). Identifiers of every kind become one token
`$id` and literals become `$str` or `$num`, so renaming variables or changing a constant changes nothing;
comments are dropped (licence headers are comments), so are import statements (every file has them; they name
other code rather than being any), and so are `;` and `,`, which formatters add and remove.
Keywords and operators stay themselves: they are the code's shape. Which identifiers are the same name is
kept, though not the names: in `total = total + step` the second `total` refers back two tokens to the first,
and the k-gram hash includes that reference (see `provguard.provenance.winnow`). Consistent renaming keeps
every reference, and unrelated code that merely has the same shape rarely has the same references. White
space is never a token, so re-indenting or re-wrapping lines changes nothing either.

What normalisation throws away is kept beside each token as its `name` (`name_value`: a stable 32-bit value of
an identifier's or a string literal's text): fingerprints never see it (only identifiers' back-references do), but
recorded edits keep the set of their names, and `provguard.provenance.copy_score` weighs how many of a region's
names the edit also holds, so that a renamed copy (calls, fields, types and messages kept) still matches and
code of merely the same shape does not.

Files without a grammar are split by a regular expression; there no word can be told to be a name, so words
stay themselves (lower-cased) and only numbers are normalised.

Each token is reduced to a 32-bit id (blake2b of its normalised text): stable across runs, machines and
Python versions, because fingerprints built from it are stored in ledgers; 32 bits keep an open document's
tokens at 8 bytes each (id and name), and a few thousand distinct tokens do not collide in 32 bits.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from collections.abc import Callable, Iterable
from itertools import accumulate, count
from operator import add

import tree_sitter as ts

from provguard.languages import Language

IDENTIFIER = "$id"
STRING = "$str"
NUMBER = "$num"

DROPPED = frozenset({";", ",", ""})
"""Tokens formatters add or remove at will: never part of a fingerprint."""

_STRING_TYPES = frozenset({
    "string", "string_literal", "raw_string_literal", "interpreted_string_literal", "template_string",
    "char_literal", "character_literal", "rune_literal", "concatenated_string", "heredoc_body", "regex",
    "text_block", "string_value", "double_quote_scalar", "single_quote_scalar", "block_scalar", "symbol",
    "simple_symbol", "delimited_symbol", "bare_symbol", "string_array", "symbol_array", "subshell",
})
IMPORT_NODES = frozenset({
    "import_statement", "import_from_statement", "future_import_statement",  # Python, JavaScript, TypeScript
    "import_declaration", "package_declaration",  # Java, Go
    "use_declaration", "extern_crate_declaration",  # Rust
    "preproc_include",  # C, C++
})
"""Statements that only name other code: every file starts with them, so they are never evidence (skipped like
comments)."""
_IDENTIFIER_TYPES = frozenset({
    "constant", "instance_variable", "class_variable", "global_variable", "hash_key_symbol", "label_name",
    "plain_scalar",
})

_PLAIN_TOKEN = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*|\d[\w.]*|[^\sA-Za-z0-9_]")

_ids: dict[str, int] = {}


def token_id(text: str) -> int:
    """The 32-bit id of a normalised token (unsigned)."""
    found = _ids.get(text)
    if found is None:
        found = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=4).digest(), "little")
        if len(_ids) < 100_000:  # plain-text words are unbounded; code has a few hundred distinct tokens
            _ids[text] = found
    return found


def normalise(node_type: str, named: bool) -> str | None:
    """The normalised token for a leaf (or a literal node, read as one token); None to skip it."""
    if named:
        if node_type in _STRING_TYPES or "string" in node_type:
            return STRING
        if node_type.endswith("identifier") or node_type in _IDENTIFIER_TYPES:
            return IDENTIFIER
        if "integer" in node_type or "float" in node_type or "number" in node_type or node_type.endswith(
                ("int_literal", "imaginary_literal", "decimal_literal")):
            return NUMBER
    text = node_type.strip()
    return None if text in DROPPED else text


def is_literal(node_type: str) -> bool:
    """A node read as one token, its insides ignored (strings with escapes or interpolations)."""
    return node_type in _STRING_TYPES or "string" in node_type


Token = tuple[int, int, int]
"""(row, token id, name): `name` (32 bits, see `name_value`) is what normalisation threw away from an identifier or
a string literal, else 0."""

LITERAL = 1 << 31
"""Set in the name of a string literal: its text, which fingerprints ignore but a verifier of copies weighs."""
WEAK = 1 << 30
"""Set in the name of a name of one or two characters (`i`, `n`, `ok`): every file has them, so they are no
evidence that two texts are the same code (back-references still use them)."""
_NAME_BITS = WEAK - 1


def name_value(text: bytes, literal: bool = False) -> int:
    """A stable 32-bit value for an identifier's or a string literal's text (0: none).

    Stable across runs and machines (CRC-32, not Python's salted `hash`), because the names of recorded edits are
    stored in ledgers and compared with the names of files scanned later. A literal's quotes and prefixes
    (`f"..."`, `r#"..."#`, backquotes) are left out, so swapping quotes changes nothing.
    """
    if literal:
        text = text.lstrip(b"rbfuRBFU@$").strip(b"'\"`#")
        if not text:
            return 0
    value = (zlib.crc32(text) & _NAME_BITS) or 1
    if len(text) <= 2:
        value |= WEAK
    return value | LITERAL if literal else value


def evidence_names(names: Iterable[int], common: Callable[[int], bool]) -> set[int]:
    """Of token names, those that tell code apart: identifiers and literals longer than two characters that are not
    `common` in code at large (see `background.Table.has_name`)."""
    return {n for n in set(names) if n and not n & WEAK and not common(n)}


Columns = tuple[list[int], list[int], list[int]]
"""Tokens as three lists, (rows, token ids, names): a tuple per token would cost more than reading it."""


def tree_token_columns(tree: ts.Tree, language: Language, start: int = 0, end: int | None = None,
                       source: bytes | None = None, *, keep: bool = False) -> Columns:
    """The tokens that start in bytes [start, end), in order, as columns. `source`, the text `tree` was parsed
    from, spares asking each node for its text and, for a whole text, its row.

    `keep`: the very next call for the same tree, text and range gets these same columns back instead of walking
    the tree again (`check_prefilter` reads a file's tokens before the matcher does; the columns must not be
    changed). Any other call forgets them.
    """
    global _kept
    kept, _kept = _kept, None
    if kept is not None and kept[0] is tree and kept[1] is source and kept[2] == (start, end):
        return kept[3]
    columns = _read_tree(tree, language, start, end, source)
    if keep and source is not None:
        _kept = (tree, source, (start, end), columns)
    return columns


_kept: tuple[ts.Tree, bytes, tuple[int, int | None], Columns] | None = None
"""The columns of the last `keep` read, until the next call (see `tree_token_columns`)."""


def _read_tree(tree: ts.Tree, language: Language, start: int, end: int | None, source: bytes | None) -> Columns:
    """`tree_token_columns` itself. What a node becomes depends only on its kind (its type and whether it is
    named): a table per language caches that, so each node costs one look-up; a node is a leaf when the cursor
    finds no child in it."""
    actions = _actions(language)
    rows: list[int] = []
    ids: list[int] = []
    names: list[int] = []
    literal_names: dict[bytes, int] = {}
    identifier_names: dict[bytes, int] = {}
    root = tree.root_node
    limit = end if end is not None else root.end_byte
    ranged = start > 0 or limit < root.end_byte
    # A whole text's rows come from its line breaks, all at once: tree-sitter counts \n only, as the document does
    # unless a lone \r breaks a line (then an edited tree's rows follow the document's count: ask each node).
    by_offset = source is not None and not ranged and source.count(b"\r") == source.count(b"\r\n")
    breaks = _line_breaks(source) if by_offset and source is not None else []
    breaks.append(1 << 62)
    row, next_break = 0, breaks[0]
    cursor = tree.walk()
    while True:
        node = cursor.node
        assert node is not None
        kind = node.kind_id
        action = actions.get(kind)
        if action is None:
            action = actions[kind] = _action(node.type, node.is_named, language)
        if ranged and not (node.end_byte > start and node.start_byte < limit):
            if node.start_byte >= limit:
                break
        elif action == _SKIP:
            pass
        elif action != _LITERAL and cursor.goto_first_child():
            continue
        elif action != _DROP:  # a leaf, or a literal read whole
            first, last = node.start_byte, node.end_byte
            if last > first and first >= start:
                if by_offset:
                    while first > next_break:
                        row += 1
                        next_break = breaks[row]
                    rows.append(row)
                else:
                    rows.append(node.start_point[0])
                if action >= 0:
                    ids.append(action)
                    names.append(0)
                else:
                    text = source[first:last] if source is not None else node.text or b""
                    if action == _LITERAL:
                        ids.append(_STRING_ID)
                        name = literal_names.get(text)
                        if name is None:
                            name = literal_names[text] = name_value(text, literal=True)
                    else:
                        ids.append(_IDENTIFIER_ID)
                        name = identifier_names.get(text)
                        if name is None:
                            name = identifier_names[text] = name_value(text)
                    names.append(name)
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():
                break
        else:
            continue
        break
    return rows, ids, names


def _line_breaks(source: bytes) -> list[int]:
    """The offsets of the \\n bytes of a text, ascending."""
    return list(map(add, accumulate(map(len, source.split(b"\n")[:-1])), count()))


_SKIP = -1
"""A comment or an import: neither it nor anything inside it is a token."""
_LITERAL = -2
"""A literal, read whole as one `$str` token named by its text."""
_IDENTIFIER = -3
"""An identifier when a leaf: `$id`, named by its text."""
_DROP = -4
"""Nothing when a leaf (`;`, `,`)."""
_action_tables: dict[str, dict[int, int]] = {}


def _actions(language: Language) -> dict[int, int]:
    """What each kind of node of `language` becomes, filled as kinds are met: one of the codes above, or the
    token id of a leaf (a node with children is read through)."""
    return _action_tables.setdefault(language.id, {})


def _action(node_type: str, named: bool, language: Language) -> int:
    if node_type in language.comment_nodes or node_type == "comment" or node_type in IMPORT_NODES:
        return _SKIP
    if named and is_literal(node_type):
        return _LITERAL
    text = normalise(node_type, named)
    if text is None:
        return _DROP
    return _IDENTIFIER if text is IDENTIFIER else token_id(text)


def plain_token_columns(source: bytes, start: int = 0, end: int | None = None, first_row: int = 0) -> Columns:
    """The tokens of a file without a grammar, as columns (see `tree_token_columns`): words lower-cased, numbers
    normalised, one per symbol. Words are tokens themselves (nothing tells a name from a keyword here), so renaming
    does change these fingerprints; each word's text is also its name, flagged LITERAL so that back-references
    ignore it. No token spans a line break, so each line is matched
    on its own and its tokens are on its row; each distinct word is read once."""
    rows: list[int] = []
    ids: list[int] = []
    names: list[int] = []
    words: dict[bytes, tuple[int, int] | None] = {}
    for row, line in enumerate(source[start:len(source) if end is None else end].split(b"\n"), first_row):
        for word in _PLAIN_TOKEN.findall(line):
            known = words.get(word, _UNREAD)
            if known is _UNREAD:
                known = words[word] = _plain_token(word)
            if known is not None:
                rows.append(row)
                ids.append(known[0])
                names.append(known[1])
    return rows, ids, names


_UNREAD = (-1, -1)


def _plain_token(word: bytes) -> tuple[int, int] | None:
    """(token id, name) of a word of a file without a grammar; None for one never a token."""
    if word[:1].isdigit():
        return token_id(NUMBER), 0
    if word in (b";", b","):
        return None
    name = name_value(word, literal=True) if word[:1].isalpha() or word[:1] == b"_" else 0
    return token_id(word.decode("ascii", errors="replace").lower()), name


_IDENTIFIER_ID = token_id(IDENTIFIER)
_STRING_ID = token_id(STRING)
