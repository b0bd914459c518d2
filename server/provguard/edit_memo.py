"""What an analysis worked out from one part of a document, kept across the edits that did not touch it.

Each entry names the bytes it was read from (inclusive bounds). An edit drops the entries whose bytes it
touched or whose syntax tree-sitter reports changed (`Tree.changed_ranges`); entries before it stay as they
are, and the ones after it move with it (marker readings and rendered diagnostics lazily: their owners move
one when it is next read). The last whole marker scan is kept while edits touch no marker comment, with the
edit since it was made: markers.py moves it over that edit instead of reading the comments again.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

ScopeKey = tuple[str, str, int, int]
"""(language id, query source, start, end) of one `scope_ranges` call."""
Edit = tuple[int, int, int, Sequence[tuple[int, int]]]
"""(start, old end, new end, tree-sitter's changed ranges in new offsets) of one edit."""
_NOWHERE = (1 << 62, -1)
"""Bounds of no changed range: every entry is outside them."""


@dataclass
class Rendered:
    """A front end's rendering of a finding (the LSP's JSON) and how far edits since moved it."""

    low: int
    """Start of the line of the first byte its positions count from: an edit that ends before the line break
    ending the line before leaves every position it holds on the same character, `lines` further down."""
    high: int
    """The last byte it names: an edit that starts after it leaves it as it is."""
    value: object
    moved: int = 0
    """Bytes the finding moved since `value` was made (its offsets in `value` are that much behind)."""
    lines: int = 0
    """Lines the finding moved since `value` was made."""


@dataclass
class EditMemo:
    scopes: dict[ScopeKey, tuple[int, int, tuple[tuple[int, int], ...]]] = field(default_factory=dict)
    """A scope query's answer for a range, with the bytes of the top-level units it depended on."""
    comments: dict[int, tuple[int, int, object, int]] = field(default_factory=dict)
    """What the marker reader made of the `provguard:` tag at an offset (markers.py owns the value), and how
    far edits since moved it (the value's offsets are that much behind)."""
    marker_scan: object | None = None
    """The last whole marker scan (markers.py owns it), kept while no edit touched a tag's comment."""
    scan_edits: list[Edit] = field(default_factory=list)
    """The edits since `marker_scan` was made (it is moved over one; more, and it is made again)."""
    diagnostics: dict[tuple[int, Hashable], Rendered] = field(default_factory=dict)
    """Renderings of findings by (start, what else the rendering depends on, with offsets from the start)."""
    evaluation: object | None = None
    """What rule evaluation keeps between edits (policy/evaluate.py owns it): origins met and rule messages,
    neither of which depends on the text, so edits leave it as it is."""

    def clear(self) -> None:
        self.scopes.clear()
        self.comments.clear()
        self.diagnostics.clear()
        self.evaluation = None
        self.marker_scan = None
        self.scan_edits.clear()

    def edited(self, start: int, old_end: int, new_end: int, changed: Sequence[tuple[int, int]],
               lines: int = 0) -> None:
        """Bytes [start, old_end) became [start, new_end), the text `lines` lines longer; `changed`:
        tree-sitter's changed ranges (new offsets)."""
        delta = new_end - old_end
        c_low, c_high = (min(c[0] for c in changed), max(c[1] for c in changed)) if changed else _NOWHERE

        def touched(lo: int, hi: int) -> bool:
            """By a changed range (called only for entries between the first and the last one's bounds)."""
            return any(lo <= c_end and c_start <= hi for c_start, c_end in changed)

        scopes: dict[ScopeKey, tuple[int, int, tuple[tuple[int, int], ...]]] = {}
        for key, entry in self.scopes.items():
            lo, hi, found = entry
            if hi < start:
                if hi < c_low or lo > c_high or not touched(lo, hi):
                    scopes[key] = entry
            elif lo > old_end:
                lo, hi = lo + delta, hi + delta
                if hi < c_low or lo > c_high or not touched(lo, hi):
                    scopes[(key[0], key[1], key[2] + delta, key[3] + delta)] = (
                        lo, hi, tuple((s + delta, e + delta) for s, e in found))
        self.scopes = scopes
        comments: dict[int, tuple[int, int, object, int]] = {}
        for at, known in self.comments.items():
            lo, hi = known[0], known[1]
            if hi < start:
                if hi < c_low or lo > c_high or not touched(lo, hi):
                    comments[at] = known
            elif lo > old_end:
                lo, hi = lo + delta, hi + delta
                if hi < c_low or lo > c_high or not touched(lo, hi):
                    comments[at + delta] = (lo, hi, known[2], known[3] + delta)
        if len(comments) != len(self.comments) or self.scan_edits:
            self.marker_scan = None  # a tag's comment changed, or more than one edit to move it over
            self.scan_edits.clear()
        elif self.marker_scan is not None:
            self.scan_edits.append((start, old_end, new_end, tuple(changed)))
        self.comments = comments
        diagnostics: dict[tuple[int, Hashable], Rendered] = {}
        for (at, what), kept in self.diagnostics.items():
            if kept.high < start:
                diagnostics[(at, what)] = kept
            elif kept.low > old_end + 1:
                diagnostics[(at + delta, what)] = Rendered(
                    kept.low + delta, kept.high + delta, kept.value, kept.moved + delta, kept.lines + lines)
        self.diagnostics = diagnostics
