"""Findings: a rule violated by a span, the one result type every front end reports."""

from __future__ import annotations

from dataclasses import dataclass

from provguard.policy.model import FixKind, Severity
from provguard.provenance.origin import Origin, Span


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

    @property
    def key(self) -> str:
        """Stable within one document version; identifies the finding in fix data."""
        return f"{self.rule_id}@{self.start}-{self.end}"
