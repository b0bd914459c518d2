"""Which parts of some spans other spans leave uncovered: how one source of provenance yields to a better one.

Whole-commit git evidence yields to markers and recorded spans; an insertion of unknown origin yields to a
recorded agent edit that accounts for its text; a rule that asks whether AI output is marked looks only at
the parts no AI marker covers. All three are this one computation.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from provguard.positions import trimmed
from provguard.provenance.origin import Span


def uncovered(weak: Iterable[Span], strong: Iterable[Span], source: bytes) -> tuple[Span, ...]:
    """The parts of `weak` spans no `strong` span covers, without the blank space at their edges (a piece
    that is only white space is no code left uncovered)."""
    taken = sorted((s.start, s.end) for s in strong if s.start < s.end)
    pieces: list[tuple[Span, int, int]] = []
    for span in weak:
        at = span.start
        for start, end in taken:
            if end <= at or start >= span.end:
                continue
            if start > at:
                pieces.append((span, at, start))
            at = max(at, end)
        if at < span.end:
            pieces.append((span, at, span.end))
    out: list[Span] = []
    for span, start, end in pieces:
        start, end = trimmed(source, start, end)
        if start < end:
            out.append(span if (start, end) == (span.start, span.end) else replace(span, start=start, end=end))
    return tuple(out)
