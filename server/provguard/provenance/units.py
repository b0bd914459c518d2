"""The syntactic unit after a position: what a next-unit marker covers and a suppression reaches over."""

from __future__ import annotations

from collections.abc import Callable

import tree_sitter as ts

from provguard.documents import Document


def next_unit_end(doc: Document, after: int, stops: Callable[[bytes], bool]) -> int | None:
    """End of the function, class or method that follows `after` (a marker or a suppression comment).

    Attributes (Rust) and ordinary comments such as doc comments may stand between; a comment for which
    `stops` is true may not (another marker: each marker covers its own code). Without a tree, the paragraph.
    """
    source = doc.source
    pos = _skip_space(source, after)
    if pos >= len(source):
        return None
    if doc.tree is None:
        return _paragraph_end(doc, pos)
    language = doc.language
    while pos < len(source):
        node: ts.Node | None = doc.tree.root_node.named_descendant_for_byte_range(pos, pos)
        chosen: ts.Node | None = None
        while node is not None and node.start_byte == pos:
            is_unit = node.type in language.unit_nodes or node.type in language.unit_prefix_nodes
            if is_unit or (chosen is None and node.type in language.comment_nodes):
                chosen = node
            node = node.parent
        if chosen is None:
            return None
        if chosen.type in language.unit_nodes:
            return chosen.end_byte
        if chosen.type in language.comment_nodes and stops(source[chosen.start_byte:chosen.end_byte]):
            return None
        pos = _skip_space(source, max(chosen.end_byte, pos + 1))
    return None


def _skip_space(source: bytes, pos: int) -> int:
    while pos < len(source) and source[pos : pos + 1].isspace():
        pos += 1
    return pos


def _paragraph_end(doc: Document, pos: int) -> int:
    """Start of the first blank line after pos (the paragraph keeps its last line break), else the end."""
    lines = doc.lines
    for line in range(lines.line_of(pos) + 1, lines.line_count):
        line_start, line_end = lines.line_bounds(line)
        if not doc.source[line_start:line_end].strip():
            return line_start
    return len(doc.source)
