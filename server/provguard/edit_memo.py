"""What an analysis worked out from one part of a document, kept across the edits that did not touch it.

Each entry names the bytes it was read from (inclusive bounds). An edit drops the entries whose bytes it
touched or whose syntax tree-sitter reports changed (`Tree.changed_ranges`); entries before it stay as they
are, and the ones after it move with it (marker readings lazily: markers.py moves one when it is next read).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

ScopeKey = tuple[str, str, int, int]
"""(language id, query source, start, end) of one `scope_ranges` call."""


@dataclass
class EditMemo:
    scopes: dict[ScopeKey, tuple[int, int, tuple[tuple[int, int], ...]]] = field(default_factory=dict)
    """A scope query's answer for a range, with the bytes of the top-level units it depended on."""
    comments: dict[int, tuple[int, int, object, int]] = field(default_factory=dict)
    """What the marker reader made of the `provguard:` tag at an offset (markers.py owns the value), and how
    far edits since moved it (the value's offsets are that much behind)."""

    diagnostics: dict[Hashable, tuple[int, object]] = field(default_factory=dict)
    """A front end's rendering of a finding (the LSP's JSON), with the finding's end: a line/character
    position depends on the bytes before it alone, so the rendering holds until an edit starts at or before
    that end."""

    def clear(self) -> None:
        self.scopes.clear()
        self.comments.clear()
        self.diagnostics.clear()

    def edited(self, start: int, old_end: int, new_end: int, changed: Sequence[tuple[int, int]]) -> None:
        """Bytes [start, old_end) became [start, new_end); `changed`: tree-sitter's changed ranges (new offsets)."""
        delta = new_end - old_end

        def untouched(lo: int, hi: int) -> bool:
            return not changed or not any(lo <= c_end and c_start <= hi for c_start, c_end in changed)

        scopes: dict[ScopeKey, tuple[int, int, tuple[tuple[int, int], ...]]] = {}
        for key, (lo, hi, found) in self.scopes.items():
            if hi < start:
                if untouched(lo, hi):
                    scopes[key] = (lo, hi, found)
            elif lo > old_end:
                lo, hi = lo + delta, hi + delta
                if untouched(lo, hi):
                    scopes[(key[0], key[1], key[2] + delta, key[3] + delta)] = (
                        lo, hi, tuple((s + delta, e + delta) for s, e in found))
        self.scopes = scopes
        comments: dict[int, tuple[int, int, object, int]] = {}
        for at, (lo, hi, value, moved) in self.comments.items():
            if hi < start:
                if untouched(lo, hi):
                    comments[at] = (lo, hi, value, moved)
            elif lo > old_end and untouched(lo + delta, hi + delta):
                comments[at + delta] = (lo + delta, hi + delta, value, moved + delta)
        self.comments = comments
        self.diagnostics = {key: kept for key, kept in self.diagnostics.items() if kept[0] < start}
