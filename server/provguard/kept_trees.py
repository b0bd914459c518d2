"""Which open documents keep their tree-sitter trees between edits: a tree is about 1 MB per 1,000 lines, so only
the documents analysed last keep theirs, and the others parse again when next edited or analysed."""

from __future__ import annotations

from collections import OrderedDict

from provguard.open_document import OpenDocument

MAX_TREES = 16
"""Documents that keep a tree-sitter tree between edits."""
MAX_TREE_LINES = 10_000
"""And at most this many lines in those trees together (a 5,000-line tree is ~4.7 MB; the next edit of a document
that gave its tree up parses it whole: ~22 ms for 5,000 lines); the document analysed last keeps its tree whatever
its size."""


class KeptTrees:
    """The documents keeping their trees, least recently analysed first."""

    def __init__(self) -> None:
        self._kept: OrderedDict[str, OpenDocument] = OrderedDict()

    def __contains__(self, uri: str) -> bool:
        return uri in self._kept

    def keep(self, opened: OpenDocument) -> None:
        """`opened` was just analysed or edited: it keeps its tree, and the idlest others give theirs up."""
        self._kept.pop(opened.uri, None)
        self._kept[opened.uri] = opened
        lines = sum(kept.document.lines.line_count for kept in self._kept.values())
        while len(self._kept) > MAX_TREES or (len(self._kept) > 1 and lines > MAX_TREE_LINES):
            _, idle = self._kept.popitem(last=False)
            lines -= idle.document.lines.line_count
            idle.document.release_tree()
            idle.tokens.reset()  # read again (from a new tree) at its next lookup

    def drop(self, uri: str) -> None:
        self._kept.pop(uri, None)
