"""Findings: a rule violated by a span, the one result type every front end reports."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

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
    """For people, the same in every front end: kinds and tools by name ("Code pasted from ChatGPT ...")."""
    origin: Origin | None
    """None for problems with the provenance markers themselves."""
    span: Span | None
    fixes: tuple[FixKind, ...] = ()
    note: str | None = None
    url: str | None = None
    suppressed: Justification | None = None
    """Set on findings an in-source suppression silences: reports list them apart (SARIF `suppressions`)."""
    related: tuple[Finding, ...] = ()
    """Other findings of the same rule at the same place (the same code recorded and marked, say): the editor
    shows one diagnostic with these as its related information."""

    @property
    def key(self) -> str:
        """Stable within one document version; identifies the finding in fix data."""
        return f"{self.rule_id}@{self.start}-{self.end}"


def one_per_place(findings: Iterable[Finding]) -> tuple[Finding, ...]:
    """One finding per rule and place: a finding overlapping an earlier one of the same rule (findings come
    sorted by start) goes into that one's `related`. A marked block that was also recorded as an agent edit,
    or several edits of one block, then make one diagnostic instead of a stack of them on the same lines."""
    kept: list[Finding] = []
    others: dict[int, list[Finding]] = {}
    last: dict[str, int] = {}  # per rule, the index in `kept` of its latest finding
    for finding in findings:
        at = last.get(finding.rule_id)
        if at is not None and (finding.start < kept[at].end or (finding.start, finding.end) == (kept[at].start,
                                                                                             kept[at].end)):
            others.setdefault(at, []).append(finding)
            continue
        last[finding.rule_id] = len(kept)
        kept.append(finding)
    return tuple(replace(f, related=(*f.related, *others[i])) if i in others else f for i, f in enumerate(kept))
