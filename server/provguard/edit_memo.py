"""What an analysis worked out from one part of a document, kept across the edits that did not touch it.

Each entry names the bytes it was read from (inclusive bounds). An edit drops the entries whose bytes it
touched or whose syntax tree-sitter reports changed (`Tree.changed_ranges`); entries before it stay as they
are, and the ones after it move with it (marker readings lazily: markers.py moves one when it next reads it).
Rendered diagnostics are not visited by an edit at all (with 1,000 tracked spans, remaking the ~700 of ~1,400 an
edit moved cost ~2 ms of CPU an edit): the edits since the last push are kept, and the next push's lookups go
through them (`Renderings`). The last whole marker scan is kept while edits touch no marker comment, with the
edit since it was made: markers.py moves it over that edit instead of reading the comments again.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

ScopeKey = tuple[str, str, int, int]
"""(language id, query source, start, end) of one `scope_ranges` call."""
Edit = tuple[int, int, int, Sequence[tuple[int, int]]]
"""(start, old end, new end, tree-sitter's changed ranges in new offsets) of one edit."""
_NOWHERE = (1 << 62, -1)
"""Bounds of no changed range: every entry is outside them."""
RenderKey = tuple[int, Hashable]
"""A rendering's finding start and what else the rendering depends on (offsets from the start)."""
_PENDING_LIMIT = 64
"""Edits kept unapplied between pushes at most; past it they are applied to every rendering at once."""


@dataclass(slots=True)
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


class Renderings(Mapping[RenderKey, Rendered]):
    """The renderings given at the last push, looked up as the edits since left them: one that an edit reached
    is gone (its last byte at or after the edit's start, the line before its first one ending at or after the
    edit's old end); one after an edit is under its key moved by the edit. A lookup maps the key back through
    the edits, then checks the rendering it finds forward through them: O(edits since the push)."""

    def __init__(self, kept: dict[RenderKey, Rendered] | None = None) -> None:
        self._kept: dict[RenderKey, Rendered] = {} if kept is None else kept
        self._edits: list[tuple[int, int, int, int]] = []
        """(start, old end, new end, lines added) of each edit since `_kept` was given."""

    def edited(self, start: int, old_end: int, new_end: int, lines: int) -> None:
        self._edits.append((start, old_end, new_end, lines))
        if len(self._edits) > _PENDING_LIMIT:  # many edits and no push: apply them, lookups stay cheap
            self._kept = dict(self._applied())
            self._edits.clear()

    def get(self, key: RenderKey, default: Rendered | None = None) -> Rendered | None:  # type: ignore[override]
        edits = self._edits
        if len(edits) == 1:  # the usual case, a push after each edit: `_moved` inlined
            start, old_end, new_end, lines = edits[0]
            at = key[0]
            if at < start:
                kept = self._kept.get(key)
                return default if kept is None or kept.high >= start else kept
            if at <= new_end + 1:
                return default
            delta = new_end - old_end
            kept = self._kept.get((at - delta, key[1]))
            if kept is None or kept.low <= old_end + 1:
                return default
            return Rendered(kept.low + delta, kept.high + delta, kept.value, kept.moved + delta, kept.lines + lines)
        if not edits:
            return self._kept.get(key, default)
        at, what = key
        for start, old_end, new_end, _ in reversed(self._edits):
            if at > new_end + 1:
                at -= new_end - old_end
            elif at >= start:
                return default  # inside an edit (or just after it): nothing kept there survived it
        kept = self._kept.get((at, what))
        if kept is None:
            return default
        found = self._moved(kept)
        return default if found is None else found

    def __getitem__(self, key: RenderKey) -> Rendered:
        found = self.get(key)
        if found is None:
            raise KeyError(key)
        return found

    def __iter__(self) -> Iterator[RenderKey]:
        return (key for key, _ in self._applied())

    def __len__(self) -> int:
        return sum(1 for _ in self._applied())

    def _applied(self) -> Iterator[tuple[RenderKey, Rendered]]:
        """Every rendering the edits left, under its key now (O(all): for iteration and compaction)."""
        for (at, what), kept in self._kept.items():
            found = self._moved(kept)
            if found is not None:
                yield (at + found.moved - kept.moved, what), found

    def _moved(self, kept: Rendered) -> Rendered | None:
        """`kept` as the edits since left it: itself, moved, or None (an edit reached it)."""
        moved = lines = 0
        for start, old_end, new_end, more in self._edits:
            if kept.high + moved < start:
                continue
            if kept.low + moved <= old_end + 1:
                return None
            moved += new_end - old_end
            lines += more
        if not moved and not lines:
            return kept
        return Rendered(kept.low + moved, kept.high + moved, kept.value, kept.moved + moved, kept.lines + lines)


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
    renderings: Renderings = field(default_factory=Renderings)
    """Renderings of findings by (start, what else the rendering depends on, with offsets from the start)."""
    evaluation: object | None = None
    """What rule evaluation keeps between edits (policy/evaluate.py owns it): origins met and rule messages,
    neither of which depends on the text, so edits leave it as it is."""

    @property
    def diagnostics(self) -> Renderings:
        """The renderings of the last push, moved over the edits since."""
        return self.renderings

    @diagnostics.setter
    def diagnostics(self, kept: dict[RenderKey, Rendered]) -> None:
        """The renderings of a push, by their findings' keys at this push."""
        self.renderings = Renderings(kept)

    def clear(self) -> None:
        self.scopes.clear()
        self.comments.clear()
        self.renderings = Renderings()
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
        self.renderings.edited(start, old_end, new_end, lines)
