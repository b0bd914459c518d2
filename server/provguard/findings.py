"""Findings: a rule violated by a span, the one result type every front end reports."""

from __future__ import annotations

from dataclasses import dataclass

from provguard.policy.model import FixKind, Severity
from provguard.provenance.origin import Origin, Span


@dataclass(frozen=True)
class Justification:
    """Why a person allowed a finding: the reason of the `provguard: allow[...]` comment, and where it is."""

    reason: str
    start: int
    end: int


@dataclass(frozen=True)
class Finding:
    rule_id: str
    severity: Severity
    start: int
    end: int
    """Byte range the finding covers."""
    message: str
    origin: Origin | None
    """None for problems with the provenance markers themselves."""
    span: Span | None
    fixes: tuple[FixKind, ...] = ()
    note: str | None = None
    url: str | None = None
    suppressed: Justification | None = None
    """Set on findings an in-source suppression silences: reports list them apart (SARIF `suppressions`)."""
    display: str | None = None
    """The message for people (kinds and tools by name, as the editor shows it); None when it is `message`."""

    @property
    def key(self) -> str:
        """Stable within one document version; identifies the finding in fix data."""
        return f"{self.rule_id}@{self.start}-{self.end}"
