"""Lines of one file by origin: what `provguard report` adds up over a tree.

Computed where the file is analysed (check_file.py, in the worker) from the spans the analysis found, and cached
with the findings, so a report over a large tree costs what a check costs. Each line counts once: where spans
overlap, the first the analysis lists wins (markers, then recorded spans, then git history, which speaks only
where nothing else does). Lines no span covers are "unrecorded": no source said where they came from.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path
from typing import Any

from provguard.provenance.origin import Span


@dataclass(frozen=True, order=True)
class LineOrigin:
    """The parts of an origin a report groups lines by."""

    kind: str
    evidence: str
    tool: str = ""
    vendor: str = ""
    model: str = ""
    confidence: float = 1.0


@dataclass(frozen=True)
class LineCounts:
    total: int
    """Lines of the file (a last line without a line break counts; an empty file has none)."""
    origins: tuple[tuple[LineOrigin, int], ...] = ()
    """Lines per origin, sorted; the rest (`unrecorded`) no source spoke about."""

    @property
    def unrecorded(self) -> int:
        return self.total - sum(n for _, n in self.origins)

    def to_json(self) -> list[Any]:
        return [self.total, [[o.kind, o.evidence, o.tool, o.vendor, o.model, o.confidence, n]
                             for o, n in self.origins]]

    @staticmethod
    def from_json(value: Any) -> LineCounts:
        """The cached form back; ValueError (or TypeError) when it is not what `to_json` wrote."""
        total, rows = value
        origins = tuple((LineOrigin(str(k), str(e), str(t), str(v), str(m), float(c)), int(n))
                        for k, e, t, v, m, c, n in rows)
        if not isinstance(total, int) or total < 0 or sum(n for _, n in origins) > total:
            raise ValueError("line counts do not add up")
        return LineCounts(total, origins)


@dataclass(frozen=True)
class FileLines:
    """One checked file's line counts, with the paths a report needs to place it."""

    path: str
    """As shown: relative to the run's display root."""
    rule_path: str
    """As rules see it: relative to the file's project root."""
    root: Path
    counts: LineCounts


def count_lines(source: bytes, spans: Sequence[Span]) -> LineCounts:
    starts = list(accumulate(map(len, source.splitlines(keepends=True)), initial=0))
    total = len(starts) - 1
    if not spans:
        return LineCounts(total)
    owner: list[LineOrigin | None] = [None] * total
    for span in spans:
        if span.end <= span.start or total == 0:
            continue
        first = bisect_right(starts, span.start) - 1
        last = min(bisect_right(starts, span.end - 1) - 1, total - 1)
        o = span.origin
        key = LineOrigin(o.kind.value, o.evidence.value, o.tool or "", o.vendor or "", o.model or "",
                         round(o.confidence, 3))
        for line in range(max(first, 0), last + 1):
            if owner[line] is None:
                owner[line] = key
    counts: dict[LineOrigin, int] = {}
    for key_or_none in owner:
        if key_or_none is not None:
            counts[key_or_none] = counts.get(key_or_none, 0) + 1
    return LineCounts(total, tuple(sorted(counts.items())))
