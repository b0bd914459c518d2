"""How many lines one import reads for Agent Trace ranges: each range's lines are read and fingerprinted, so a
small record from a cloned repository naming one large file in thousands of overlapping ranges would cost that
file thousands of times over. An import stops before the record that would pass the budget, and the next import
goes on from there (the cursor is kept before it); a record that alone claims more is never importable and is a
problem at its line. Real records claim the lines of one change: far below the budget."""

from __future__ import annotations

from dataclasses import dataclass

from .agent_trace import TraceRecord

MAX_CLAIMED_LINES = 1_000_000
"""Lines of ranges one import reads and fingerprints (~25 s of CPU at the measured ~25 ms per 1,000 lines)."""


def claimed_lines(record: TraceRecord) -> int:
    """The lines the record's ranges name, overlaps counted as often as they are named."""
    return sum(max(0, line_range.end_line - line_range.start_line + 1)
               for traced in record.files for conversation in traced.conversations
               for line_range in conversation.ranges)


@dataclass
class ClaimBudget:
    """The lines claimed so far by one import, over all its trace files."""

    used: int = 0
    spent: bool = False

    def admit(self, record: TraceRecord) -> str | None:
        """None when the record may be read (its lines are counted); else why not: a record over the whole
        budget is refused for good, one that would pass what is left stops the import (`spent`)."""
        claim = claimed_lines(record)
        if claim > MAX_CLAIMED_LINES:
            return (f"ranges claim {claim:,} lines (overlaps counted), more than the {MAX_CLAIMED_LINES:,} an "
                    "import reads: the record is not imported")
        if self.spent or (self.used and self.used + claim > MAX_CLAIMED_LINES):
            self.spent = True
            return (f"import paused before this record: {self.used:,} lines of ranges read, the most one import "
                    "reads; run the import again to go on from here")
        self.used += claim
        return None
