"""A document: its text as UTF-8 bytes, its language and tree-sitter tree, kept current edit by edit."""

from __future__ import annotations

from dataclasses import InitVar, dataclass, field

import tree_sitter as ts

from provguard.edit_memo import EditMemo
from provguard.languages import Language
from provguard.positions import LineIndex


@dataclass
class Document:
    path: str
    """Filesystem path (or the URI's path for unsaved buffers); used for path rules and reports."""
    language: Language
    source: bytes
    version: int | None = None
    tree: ts.Tree | None = field(default=None, repr=False)
    lines: LineIndex = field(init=False, repr=False)
    _parser: ts.Parser | None = field(default=None, init=False, repr=False)
    refused: str | None = field(default=None, init=False)
    """Why the text is not parsed although its language has a grammar (one that would crash on it)."""
    memo: EditMemo = field(default_factory=EditMemo, init=False, repr=False)
    """Parts of the last analysis that edits since did not touch (valid only with the tree they came from)."""
    changed: tuple[ts.Tree, tuple[ts.Range, ...]] | None = field(default=None, init=False, repr=False)
    """The tree the last `replace` parsed and tree-sitter's changed ranges from the tree before it to it, so
    readers of the same edit (fingerprint tokens) do not ask tree-sitter again (a pass over both trees)."""
    retired: ts.Tree | None = field(default=None, init=False, repr=False)
    """The tree the last `replace` parsed anew from, edited: freeing a tree of 10,000 lines costs about 1 ms, more
    than asking for its changed ranges, so the language server frees it once the edit's diagnostics are out
    (`free_retired`); else it goes at the next `replace`."""
    parse: InitVar[bool] = True
    """False to leave the tree unparsed until `ensure_tree` (a report placing findings needs no tree)."""

    def __post_init__(self, parse: bool) -> None:
        self.lines = LineIndex(self.source)
        if parse:
            self.tree = self._parsed()

    @classmethod
    def from_text(cls, path: str, language: Language, text: str, version: int | None = None) -> Document:
        return cls(path, language, text.encode("utf-8", errors="surrogatepass"), version)

    @property
    def text(self) -> str:
        return self.source.decode("utf-8", errors="replace")

    def slice(self, start: int, end: int) -> str:
        return self.source[start:end].decode("utf-8", errors="replace")

    def ensure_tree(self) -> None:
        """Parses again when the tree was released (see `release_tree`)."""
        if self.tree is None and self.language.has_grammar:
            self.memo.clear()
            self.tree = self._parsed()

    def release_tree(self) -> None:
        """Frees the tree of a document nobody is editing: trees are most of a document's memory (about 1 MB
        per 1,000 lines), and a full parse when it is needed again takes milliseconds. Its parser goes too: one
        holds ~9 kB once it parsed a 5,000-line text, and making one takes microseconds."""
        self.tree = None
        self._parser = None
        self.changed = None
        self.retired = None

    def free_retired(self) -> None:
        self.retired = None

    def replace(self, start: int, end: int, new_text: str) -> None:
        """Replace bytes [start, end) and reparse incrementally from the edited old tree (if one is kept)."""
        new = new_text.encode("utf-8", errors="surrogatepass")
        lines = self.lines
        start_point = lines.point(start)
        old_end_point = lines.point(end)
        whole = memoryview(self.source)  # one copy of the text, not three: a keystroke in 30 MiB costs its copy
        self.source = b"".join((whole[:start], new, whole[end:]))
        line_count = lines.line_count
        lines.edited(start, end, self.source)  # in place: a rebuilt index costs a pass over the whole text
        old_tree = self.tree
        self.changed = None
        if old_tree is None or not self.language.has_grammar:
            self.memo.clear()
            return
        if self._check() is not None:  # the edit made it a text the grammar must not see
            self.tree = None
            self.memo.clear()
            return
        old_tree.edit(
            start_byte=start,
            old_end_byte=end,
            new_end_byte=start + len(new),
            start_point=start_point,
            old_end_point=old_end_point,
            new_end_point=lines.point(start + len(new)),
        )
        self.tree = self._parsing().parse(self.source, old_tree)
        self.retired = old_tree
        ranges = tuple(old_tree.changed_ranges(self.tree))
        self.changed = (self.tree, ranges)
        self.memo.edited(start, end, start + len(new), [(r.start_byte, r.end_byte) for r in ranges],
                         lines.line_count - line_count)

    def changed_ranges(self, old_tree: ts.Tree) -> tuple[ts.Range, ...]:
        """tree-sitter's changed ranges from `old_tree`, the tree before the last `replace` (edited as it leaves
        it), to the current tree: the ones `replace` found when the current tree is the one it parsed."""
        if self.tree is None:
            return ()
        if self.changed is not None and self.changed[0] is self.tree:
            return self.changed[1]
        return tuple(old_tree.changed_ranges(self.tree))

    def set_text(self, text: str, parse: bool = True) -> None:
        """Replace the whole text (full-document sync) with a fresh parse; with `parse` False the tree is
        dropped until `ensure_tree` (a text too large to judge is never parsed)."""
        self.source = text.encode("utf-8", errors="surrogatepass")
        self.lines = LineIndex(self.source)
        self.memo.clear()
        self.changed = self.retired = None
        self.tree = self._parsed() if parse else None

    def _check(self) -> str | None:
        self.refused = self.language.refusal(self.source)
        return self.refused

    def _parsed(self) -> ts.Tree | None:
        """A fresh tree, or None for a text the grammar must not be given (see Language.refuse)."""
        if not self.language.has_grammar or self._check() is not None:
            return None
        return self._parsing().parse(self.source)

    def _parsing(self) -> ts.Parser:
        """The document's parser, made when it is first needed again after `release_tree`."""
        if self._parser is None:
            self._parser = self.language.parser()
        return self._parser
