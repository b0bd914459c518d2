"""Fingerprints of code that survive moving, re-indenting and renaming: winnowed k-grams of normalised tokens.

A recorded AI edit keeps `insertion_prints` of the text it inserted (a few 64-bit hashes, no code); an
open document or a file on disk computes `document_prints`, and the ledger finds the edits sharing them
(`provguard.provenance.matching`). How the tokens are normalised is in `provguard.provenance.tokens`; K,
WINDOW and what they guarantee are in `provguard.provenance.winnow`; which k-grams are too common to be
evidence is in `provguard.provenance.background`.

An open document keeps its tokens line by line (`LineTokens`): an edit marks the lines it touched, and the
next refresh tokenises only those lines again (the k-gram hashing and winnowing over the whole token stream
that follows are plain arithmetic, a few milliseconds per 1,000 lines).
"""

from __future__ import annotations

import hashlib
import textwrap
from array import array
from bisect import bisect_right
from dataclasses import dataclass

import tree_sitter as ts

from provguard.documents import Document
from provguard.languages import Language, detect
from provguard.provenance import background
from provguard.provenance.fragments import fragment_tokens
from provguard.provenance.name_prints import name_print, prints_to_add
from provguard.provenance.tokens import Columns, evidence_names, is_literal, plain_token_columns, tree_token_columns
from provguard.provenance.winnow import K, chosen_hashes

MAX_NAMES = 1024
"""Names kept of one recorded edit (4 bytes each): a whole file's worth; longer texts keep a uniform sample."""


@dataclass(frozen=True)
class InsertionPrints:
    """What the ledger keeps of an inserted text instead of the text."""

    fingerprints: tuple[int, ...]
    """Winnowed k-gram hashes (signed 64-bit) of the normalised tokens, distinct, in text order; then, for a text
    whose shape is mostly common code (`copy_score.indexes_names`), the name prints of its first few names
    (`name_prints`), so that a renamed copy or an excerpt of it is looked up by its names."""
    line_hashes: tuple[int, ...]
    """Hashes of the text's non-blank lines with surrounding white space removed (signed 64-bit)."""
    lines: int
    names: tuple[int, ...] = ()
    """The distinct names of the text (identifiers and string literals longer than two characters, as
    `tokens.name_value`), ascending; at most MAX_NAMES, the smallest values (a uniform sample of a long text's)."""


@dataclass(frozen=True)
class Print:
    """One fingerprint of a document and the lines (0-based, inclusive) of the k-gram it hashes."""

    hash: int
    first_line: int
    last_line: int


def insertion_prints(text: str, path: str) -> InsertionPrints:
    """Fingerprints of `text`, inserted into the file at `path` (its name picks the grammar).

    The text is dedented first: an agent's edit is often a fragment from inside a class or function, and
    a fragment parsed at its own indentation reads as the code it is rather than as a syntax error. Class members
    that their grammar reads as an error alone are read inside a class body (`fragments.fragment_tokens`).
    """
    lines = text.splitlines()
    language = detect(path)
    source = textwrap.dedent(text).encode("utf-8", errors="surrogatepass")
    _, ids, token_names = fragment_tokens(source, language)
    table = background.common()
    chosen = dict.fromkeys(h for _, h in sorted(chosen_hashes(ids, token_names, table.__contains__,
                                                              table.has_name if language.has_grammar else None)))
    names = tuple(sorted(evidence_names(token_names, table.has_name))[:MAX_NAMES])
    line_hashes = tuple(line_hash(line) for line in lines if line.strip())
    prints = tuple(chosen)
    if language.has_grammar:
        prints += prints_to_add(prints, names, len(line_hashes))
    return InsertionPrints(prints, line_hashes, len(lines), names)


def line_hash(line: str) -> int:
    """The hash `InsertionPrints.line_hashes` holds for one line (white space around it ignored)."""
    return _hash64(line.strip().encode("utf-8", errors="surrogatepass"))


def document_prints(doc: Document) -> list[Print]:
    """Every fingerprint of a whole document, for one-off checks (the CLI)."""
    return document_tokens(doc).prints()


def document_tokens(doc: Document) -> LineTokens:
    """A whole document's tokens, read once: its prints, and its names where a copy is weighed."""
    tokens = LineTokens()
    tokens.refresh(doc)
    return tokens


class LineTokens:
    """An open document's normalised tokens, line by line, re-read only where it was edited."""

    def __init__(self) -> None:
        self._rows: list[bytes | None] = []
        """The tokens starting on each line as packed unsigned 32-bit (token id, name) pairs, 8 bytes a token
        (a tuple of Python ints would take twenty times that); None for a line not read since it changed."""
        self._lexical = True
        """Whether lexical fingerprints are made (not for a language without a grammar)."""
        self._prints: list[Print] | None = None
        """The fingerprints as of the last refresh, until a line is read again."""
        self._named: list[Print] | None = None
        """The name prints (`name_prints`) likewise."""

    def edited(self, first_line: int, old_last_line: int, new_last_line: int, doc: Document,
               old_tree: ts.Tree | None) -> None:
        """Lines first..old_last (inclusive) were replaced by first..new_last in `doc`, now parsed again.

        `old_tree` is the tree before the edit (edited to match it, as `Document.replace` leaves it): lines
        whose syntax changed elsewhere (an opened string or comment) are read again too. When either tree is
        missing every line is read again.
        """
        tree = doc.tree
        self._prints = self._named = None
        if first_line > len(self._rows) or (doc.language.has_grammar and (tree is None or old_tree is None)):
            self._rows = []  # out of step with the document, or no way to tell what changed: read it all
            return
        self._rows[first_line:old_last_line + 1] = [None] * (new_last_line - first_line + 1)
        if tree is None or old_tree is None:
            return
        # A string spanning lines is one token on its first line, its whole text the name. Its text changes with an
        # edit inside it or at its end (the edited old tree shrinks it alike, so no changed range shows that), or
        # when a changed range moves its end: so the line it starts on is read again, as it was and as it is.
        at = doc.lines.line_bounds(first_line)[0] if first_line < doc.lines.line_count else len(doc.source)
        places = [at]
        for changed in doc.changed_ranges(old_tree):
            last = min(changed.end_point[0], len(self._rows) - 1)
            self._rows[changed.start_point[0]:last + 1] = [None] * max(0, last + 1 - changed.start_point[0])
            places.append(changed.start_byte)
        for place in places:
            for version in (tree, old_tree):
                opened = _literal_start(version, place)
                if opened is not None and opened < len(self._rows):
                    self._rows[opened] = None
        for version in (tree, old_tree):  # inside an error the parser may read a token anew unreported
            for first, last in _error_rows(version):
                last = min(last, len(self._rows) - 1)
                self._rows[first:last + 1] = [None] * max(0, last + 1 - first)

    def reset(self) -> None:
        """The whole text changed: read it all on the next refresh."""
        self._rows = []
        self._prints = self._named = None

    def refresh(self, doc: Document) -> int:
        """Tokenises the lines changed since the last refresh; returns how many lines were read."""
        count = doc.lines.line_count
        if self._lexical != doc.language.has_grammar:
            self._lexical = doc.language.has_grammar
            self._prints = self._named = None
        if len(self._rows) != count:
            self._rows = [None] * count
        dirty = [row for row, tokens in enumerate(self._rows) if tokens is None]
        if not dirty:
            return 0
        self._prints = self._named = None
        doc.ensure_tree()
        for first, last in _runs(dirty):
            start = doc.lines.line_bounds(first)[0]
            end = doc.lines.starts[last + 1] if last + 1 < count else len(doc.source)
            rows, ids, names = _tokens(doc.source, doc.language, doc, start, end, first)
            if rows and (rows[0] < first or rows[-1] > last):  # lines told apart otherwise (a lone \r)
                rows = [min(max(row, first), last) for row in rows]
            packed = _pairs(ids, names)
            at = 0
            for row in range(first, last + 1):
                to = bisect_right(rows, row, at)
                self._rows[row] = packed[8 * at:8 * to]
                at = to
        return len(dirty)

    def has_code(self, row: int) -> bool:
        """Whether a token of code starts on line `row` (not blank, not only a comment), as of the last refresh."""
        return 0 <= row < len(self._rows) and bool(self._rows[row])

    def names(self, first_line: int, last_line: int) -> set[int]:
        """The evidence names (`tokens.evidence_names`) of tokens starting on lines first..last (inclusive)."""
        packed = array("I")
        packed.frombytes(b"".join(row for row in self._rows[first_line:last_line + 1] if row))
        return evidence_names(packed[1::2], background.common().has_name)

    def name_prints(self) -> list[Print]:
        """A `name_print` for each evidence name on each line where it stands (a name's every line, since a copy
        may hold it anywhere), in line order: the lookup of edits whose names are indexed. None without a grammar."""
        if self._named is None:
            self._named = self._name_prints() if self._lexical else []
        return self._named

    def _name_prints(self) -> list[Print]:
        packed = array("I")
        packed.frombytes(b"".join(row for row in self._rows if row))
        names = packed[1::2].tolist()
        hashed = {name: name_print(name) for name in evidence_names(names, background.common().has_name)}
        out: list[Print] = []
        at = 0
        for row, tokens in enumerate(self._rows):
            if not tokens:
                continue
            count = len(tokens) // 8
            for name in set(names[at:at + count]) & hashed.keys():
                out.append(_print(hashed[name], row, row))
            at += count
        return out

    def prints(self) -> list[Print]:
        """The document's fingerprints as of the last refresh, in text order."""
        if self._prints is None:
            self._prints = self._fingerprints()
        return self._prints

    def _fingerprints(self) -> list[Print]:
        packed = array("I")
        packed.frombytes(b"".join(row for row in self._rows if row))
        rows: list[int] = []
        size = 2 * packed.itemsize
        for row, tokens in enumerate(self._rows):
            if tokens:
                rows.extend([row] * (len(tokens) // size))
        table = background.common()
        chosen = chosen_hashes(packed[0::2].tolist(), packed[1::2].tolist(), table.__contains__,
                               table.has_name if self._lexical else None)
        return [_print(h, rows[i], rows[i + K - 1]) for i, h in sorted(chosen)]


def _print(h: int, first_line: int, last_line: int) -> Print:
    """`Print(h, first_line, last_line)` in half the time: a frozen dataclass's `__init__` sets each field through
    `object.__setattr__`, and a document has a print or two a line. The same object (equal, same hash)."""
    made = object.__new__(Print)
    made.__dict__.update(hash=h, first_line=first_line, last_line=last_line)
    return made


def _tokens(source: bytes, language: Language, doc: Document | None = None, start: int = 0,
            end: int | None = None, first_row: int = 0) -> Columns:
    tree = doc.tree if doc is not None else None
    refused = language.refusal(source) if tree is None else None  # a tree kept was of an accepted text
    if not language.has_grammar or refused:
        return plain_token_columns(source, start, end, first_row)  # a text its grammar must not be given too
    if tree is None:
        tree = language.parser().parse(source)
    return tree_token_columns(tree, language, start, end, source)


def _pairs(ids: list[int], names: list[int]) -> bytes:
    """Token ids and names interleaved as unsigned 32-bit values, 8 bytes a token (see `LineTokens._rows`)."""
    packed = array("I", bytes(8 * len(ids)))
    packed[0::2] = array("I", ids)
    packed[1::2] = array("I", names)
    return packed.tobytes()


def _literal_start(tree: ts.Tree, at: int) -> int | None:
    """The first line of the literal (a string read as one token) holding byte `at` or ending there, if any.

    The outermost one: `tree_token_columns` reads a literal whole, so a string inside another (a part of a
    `concatenated_string`, a string in an f-string's interpolation) is part of the outer one's token and name."""
    node: ts.Node | None = tree.root_node.descendant_for_byte_range(max(at - 1, 0), at)
    found = None
    while node is not None:
        if node.is_named and is_literal(node.type):
            found = node.start_point[0]
        node = node.parent
    return found


def _error_rows(tree: ts.Tree) -> list[tuple[int, int]]:
    """The lines (first, last) of every error and missing node: `changed_ranges` does not report a token inside
    an error read anew (a keyword become an identifier). Only subtrees holding an error are walked."""
    rows: list[tuple[int, int]] = []
    if not tree.root_node.has_error:
        return rows
    cursor = tree.walk()
    while True:
        node = cursor.node
        assert node is not None
        descend = False
        if node.is_error or node.is_missing:
            rows.append((node.start_point[0], node.end_point[0]))
        elif node.has_error:
            descend = True
        if descend and cursor.goto_first_child():
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():
                return rows


def _runs(rows: list[int]) -> list[tuple[int, int]]:
    """Consecutive rows as (first, last) pairs."""
    runs: list[tuple[int, int]] = []
    for row in rows:
        if runs and runs[-1][1] == row - 1:
            runs[-1] = (runs[-1][0], row)
        else:
            runs.append((row, row))
    return runs


def _hash64(data: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little", signed=True)
