"""`provguard export`: what in a tree must not enter a training set or a test-task set, for data pipelines.

Every file is judged at its own path by the same judge `provguard filter` uses. Two outputs: JSON Lines with
one record per flagged span (for tools that cut spans out), and the list of files holding any (for tools that
exclude by path). Both are sorted by path, then byte range, so two runs over the same tree are identical.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from provguard.files import SkippedFile, read_document, relative_to_root, walk
from provguard.policy.model import Severity
from provguard.provenance.origin import Origin
from provguard.readable_json import readable_json
from provguard.report.json import origin_fields

from .judge import Judge


@dataclass(frozen=True)
class FlaggedSpan:
    path: str
    start: int
    end: int
    """UTF-8 byte range in the file."""
    line: int
    end_line: int
    """1-based lines of the first and last byte."""
    rules: tuple[str, ...]
    severity: Severity
    """The highest severity among the rules."""
    origin: Origin | None
    sha256: str
    """Of the span's bytes, so a pipeline can recognise the same code elsewhere."""

    def as_json(self) -> dict[str, Any]:
        return {"path": self.path, "lines": [self.line, self.end_line], "bytes": [self.start, self.end],
                "rules": list(self.rules), "severity": self.severity.value,
                "origin": origin_fields(self.origin) if self.origin is not None else None, "sha256": self.sha256}


@dataclass(frozen=True)
class ExportRun:
    spans: tuple[FlaggedSpan, ...]
    files_judged: int
    skipped: tuple[SkippedFile, ...]

    @property
    def files(self) -> tuple[str, ...]:
        """Files with at least one flagged span, sorted."""
        return tuple(sorted({s.path for s in self.spans}))

    def jsonl(self) -> str:
        """One record a line; by default on stdout, so nothing in a path or message a terminal obeys goes raw."""
        return "".join(readable_json(s.as_json(), sort_keys=True) + "\n" for s in self.spans)

    def summary(self) -> str:
        text = (f"{self.files_judged} {'file' if self.files_judged == 1 else 'files'} judged: {len(self.spans)} "
                f"flagged {'span' if len(self.spans) == 1 else 'spans'} in {len(self.files)} "
                f"{'file' if len(self.files) == 1 else 'files'}")
        return text + (f", {len(self.skipped)} skipped" if self.skipped else "")


def export_paths(paths: Sequence[Path], root: Path, judge: Judge) -> ExportRun:
    spans: list[FlaggedSpan] = []
    skipped: list[SkippedFile] = []
    judged = 0
    for path in walk(paths, root):
        if isinstance(path, SkippedFile):
            skipped.append(path)
            continue
        display = relative_to_root(path, root)
        doc = read_document(path, display)
        if isinstance(doc, SkippedFile):
            skipped.append(doc)
            continue
        judged += 1
        grouped: dict[tuple[int, int, Origin | None], list[tuple[str, Severity]]] = {}
        for reason in judge.reasons(doc, display):
            grouped.setdefault((reason.start, reason.end, reason.origin), []).append(
                (reason.rule_id, reason.severity))
        for (start, end, origin), rules in grouped.items():
            spans.append(FlaggedSpan(
                display, start, end, doc.lines.line_of(start) + 1, doc.lines.line_of(max(start, end - 1)) + 1,
                tuple(sorted({r for r, _ in rules})), max((s for _, s in rules), key=lambda s: s.rank), origin,
                hashlib.sha256(doc.source[start:end]).hexdigest()))
    spans.sort(key=lambda s: (s.path, s.start, s.end, s.rules))
    return ExportRun(tuple(spans), judged, tuple(sorted(skipped, key=lambda s: s.path)))
