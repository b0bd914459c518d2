"""A region: lines of a document one recorded agent edit accounts for, as matching.py and same_file.py find
them, moved with the editor's changes until the next lookup, and turned into spans for the analysis."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from provguard.documents import Document
from provguard.provenance.origin import Origin, Span


@dataclass(frozen=True)
class Region:
    """Lines first..last (0-based, inclusive) of a document accounted for by one recorded edit."""

    first_line: int
    last_line: int
    origin: Origin
    edit_id: str
    strength: int
    """How much evidence: matching lines' word characters (same file) or shared fingerprints."""

    def moved(self, first: int, old_last: int, new_last: int) -> Region:
        """This region after lines first..old_last became first..new_last: below the edit it moves; an edit inside
        it stretches or shrinks it (the next lookup settles the exact lines)."""
        delta = new_last - old_last
        if old_last < self.first_line:
            return replace(self, first_line=self.first_line + delta, last_line=self.last_line + delta)
        if first > self.last_line:
            return self
        start = min(self.first_line, first)
        end = self.last_line + delta if self.last_line > old_last else new_last
        return replace(self, first_line=start, last_line=max(start, end))


def spans(doc: Document, regions: Iterable[Region]) -> tuple[Span, ...]:
    """Regions as spans of whole lines: from the first line's first non-blank byte to the last line's end."""
    out: list[Span] = []
    count = doc.lines.line_count
    for region in regions:
        if region.first_line >= count:
            continue
        start, first_end = doc.lines.line_bounds(region.first_line)
        while start < first_end and doc.source[start] in b" \t":
            start += 1
        end = doc.lines.line_bounds(min(region.last_line, count - 1))[1]
        if end > start:
            out.append(Span(start, end, region.origin))
    return tuple(out)
