"""What `provguard filter` tells about its run: counts, a summary line, and the side report.

The side report is JSON Lines, written as the run goes (so it never grows in memory): one record per line
that was not kept as it was, in input order, then one summary record.

    {"line": 12, "action": "drop", "path": "src/a.py", "rules": ["rival-ai-output-in-training-data"],
     "reasons": [{"rule": ..., "severity": "error", "lines": [3, 9], "bytes": [40, 210], "placement": ...,
                  "source": "marker", "origin": {...}, "message": ...}]}
    {"line": 30, "action": "bad-line", "problem": "not JSON: Expecting value", "column": 1, "written": true}
    {"summary": {"lines": 1000, "samples": 990, "kept": 950, "dropped": 30, "redacted": 10, "badLines": 10,
                 "badLinesWritten": 10, "rules": {"rival-ai-output-in-training-data": 38}}}
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, TextIO

from provguard.report.json import origin_fields

from .judge import Action, Reason
from .pipeline import Outcome


@dataclass
class Counts:
    lines: int = 0
    kept: int = 0
    dropped: int = 0
    redacted: int = 0
    bad: int = 0
    bad_written: int = 0
    rules: Counter[str] = field(default_factory=Counter)
    """Samples each rule dropped or redacted."""
    dropped_rules: Counter[str] = field(default_factory=Counter)
    """Samples each rule dropped (a sample flagged by two rules counts for both)."""
    redacted_rules: Counter[str] = field(default_factory=Counter)

    def add(self, outcome: Outcome) -> None:
        self.lines += 1
        if outcome.action is None:
            self.bad += 1
            self.bad_written += outcome.written
            return
        self.kept += outcome.action is Action.KEEP
        self.dropped += outcome.action is Action.DROP
        self.redacted += outcome.action is Action.REDACT
        rules = {r.rule_id for r in outcome.reasons}
        self.rules.update(rules)
        if outcome.action is Action.DROP:
            self.dropped_rules.update(rules)
        elif outcome.action is Action.REDACT:
            self.redacted_rules.update(rules)

    def merge(self, part: Counts) -> None:
        """Adds another run's counts (one file's, on Ray)."""
        self.lines += part.lines
        self.kept += part.kept
        self.dropped += part.dropped
        self.redacted += part.redacted
        self.bad += part.bad
        self.bad_written += part.bad_written
        self.rules.update(part.rules)
        self.dropped_rules.update(part.dropped_rules)
        self.redacted_rules.update(part.redacted_rules)

    @property
    def samples(self) -> int:
        return self.lines - self.bad

    def summary(self) -> str:
        """One line, e.g. `1000 lines: 950 kept, 30 dropped, 10 redacted, 10 bad lines (10 passed through)`."""
        parts = [f"{self.kept} kept", f"{self.dropped} dropped"]
        if self.redacted:
            parts.append(f"{self.redacted} redacted")
        text = f"{self.lines} {'line' if self.lines == 1 else 'lines'}: {', '.join(parts)}"
        if self.bad:
            passed = self.bad_written
            text += (f", {self.bad} bad {'line' if self.bad == 1 else 'lines'} ({passed} passed through, "
                     f"{self.bad - passed} dropped)")
        if self.rules:
            text += "; by rule: " + ", ".join(f"{rule} {n}" for rule, n in sorted(self.rules.items()))
        return text

    def as_json(self) -> dict[str, Any]:
        return {"lines": self.lines, "samples": self.samples, "kept": self.kept, "dropped": self.dropped,
                "redacted": self.redacted, "badLines": self.bad, "badLinesWritten": self.bad_written,
                "rules": dict(sorted(self.rules.items()))}


def reason_json(reason: Reason) -> dict[str, Any]:
    return {"rule": reason.rule_id, "severity": reason.severity.value, "lines": [reason.line, reason.end_line],
            "bytes": [reason.start, reason.end], "placement": reason.placement, "source": reason.source,
            "origin": origin_fields(reason.origin) if reason.origin is not None else None,
            "message": reason.message}


def report_entry(outcome: Outcome) -> dict[str, Any] | None:
    """The side-report record of a line not kept as it was; None for a kept line."""
    if outcome.action is Action.KEEP:
        return None
    if outcome.action is None:
        assert outcome.problem is not None
        return {"line": outcome.line, "action": "bad-line", "problem": outcome.problem.problem,
                "column": outcome.problem.column, "written": outcome.written}
    return {"line": outcome.line, "action": outcome.action.value, "path": outcome.path,
            "rules": sorted({r.rule_id for r in outcome.reasons}),
            "reasons": [reason_json(r) for r in outcome.reasons]}


class SideReport:
    def __init__(self, out: TextIO) -> None:
        self._out = out

    def add(self, outcome: Outcome) -> None:
        record = report_entry(outcome)
        if record is not None:
            self._out.write(json.dumps(record, ensure_ascii=False) + "\n")

    def finish(self, counts: Counts) -> None:
        self._out.write(json.dumps({"summary": counts.as_json()}) + "\n")
