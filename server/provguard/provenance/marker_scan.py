"""A marker scan's result, and the same result moved over an edit that touched no marker comment.

Most keystrokes land away from every `provguard:` comment: the comments read the same, pair the same and give
the same problems, only the ones after the edit sit `delta` bytes further on. So the last scan is kept (in the
document's edit memo) and moved instead of read again; what still depends on the edited text is worked out
anew: the end of each next-unit marker's unit the edit (or tree-sitter's changed ranges) reached, the file
marker's end, and whether a marker that found no unit finds one now.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from provguard.documents import Document
from provguard.edit_memo import Edit
from provguard.provenance.origin import MarkerComment, Span
from provguard.provenance.units import next_unit_end

TAG = b"provguard:"
_BLANK = b" \t\n\r\x0b\x0c"
"""What `units._skip_space` skips (bytes.isspace)."""


@dataclass(frozen=True)
class MarkerProblem:
    code: str
    """marker-invalid, marker-unterminated, marker-unmatched-end or marker-no-unit."""
    message: str
    start: int
    end: int


@dataclass(frozen=True)
class MarkerScan:
    spans: tuple[Span, ...]
    problems: tuple[MarkerProblem, ...]
    directives: tuple[tuple[int, int], ...] = ()
    """Byte ranges of `provguard: allow[...]` comments: not markers, read by suppressions.py."""
    names_lines: bool = field(default=False, compare=False)
    """A problem's message names a line number (a `begin` inside another block): a moved scan would keep the
    old number, so a scan that has one is never moved."""


def moved(doc: Document, previous: MarkerScan, edit: Edit, stops: Callable[[bytes], bool]) -> MarkerScan | None:
    """`previous` (the scan of the text before `edit`) as a fresh scan of `doc` would give it, or None when
    that needs a real scan. The caller vouches that the edit and the changed ranges touched no comment holding
    the tag (the edit memo drops the scan when they did); a tag the edit itself wrote is checked here."""
    start, old_end, new_end, changed = edit
    delta = new_end - old_end
    source = doc.source
    if previous.names_lines or TAG in source[max(start - len(TAG) + 1, 0):new_end + len(TAG) - 1]:
        return None

    def marker(m: MarkerComment) -> MarkerComment:
        return m if m.start < start or not delta else m.moved(delta)

    # A next-unit marker's unit is found again when the edit or a changed range lies between the marker and the
    # first text after its unit (bounds of all changed ranges: a few more found again, never one too few).
    c_low, c_high = (min(c[0] for c in changed), max(c[1] for c in changed)) if changed else (len(source) + 1, -1)
    edit_reach = _blanks_before(source, start)  # a unit that ends here or later has only blanks up to the edit
    change_reach = _blanks_before(source, min(c_low, len(source)))
    spans: list[Span] = []
    for span in previous.spans:
        head = span.markers[0]
        if head.verb == "file":
            spans.append(Span(0, len(source), span.origin, (marker(head),)))
        elif head.verb == "begin":
            begin, end = span.markers
            if end.start < start:
                spans.append(span)
            else:
                begin, end = marker(begin), marker(end)
                spans.append(Span(begin.start, end.end, span.origin, (begin, end)))
        else:
            before = head.start < start
            placed = marker(head)
            unit_end = span.end if before else span.end + delta
            if (before and unit_end >= edit_reach) or (placed.start <= c_high and unit_end >= change_reach):
                found = next_unit_end(doc, placed.end, stops)
                if found is None:
                    return None  # it covers no unit any more: a problem now, in another order
                unit_end = found
            spans.append(span if placed is head and unit_end == span.end else
                         Span(placed.start, unit_end, span.origin, (placed,)))
    problems: list[MarkerProblem] = []
    for problem in previous.problems:
        placed_problem = problem if problem.start < start or not delta else MarkerProblem(
            problem.code, problem.message, problem.start + delta, problem.end + delta)
        if problem.code == "marker-no-unit" and next_unit_end(doc, placed_problem.end, stops) is not None:
            return None  # a unit follows it now
        problems.append(placed_problem)
    directives = previous.directives if not delta else tuple(
        d if d[0] < start else (d[0] + delta, d[1] + delta) for d in previous.directives)
    return MarkerScan(tuple(spans), tuple(problems), directives)


def _blanks_before(source: bytes, at: int) -> int:
    """Start of the run of blanks that ends at `at`."""
    while at > 0 and source[at - 1] in _BLANK:
        at -= 1
    return at
