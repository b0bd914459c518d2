"""Judging a proposed write: the project's policy applied by the analysis core to the file's text after the
call, with the agent's lines as a span of the agent's origin. Only findings on those lines count, and only
rules whose `agent-write` is deny or ask decide anything: a file that already breaks a rule is not the agent's
doing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from provguard.analysis import analyze
from provguard.documents import Document
from provguard.files import relative_to_root
from provguard.findings import Finding
from provguard.guard.proposed import ProposedWrite
from provguard.languages import detect
from provguard.policy.model import AgentWrite
from provguard.policy.policy import Policy
from provguard.provenance.origin import Origin, Span


@dataclass(frozen=True)
class Verdict:
    decision: AgentWrite
    """DENY or ASK (RECORD: nothing stands in the way)."""
    path: str
    """As the rules see it: where the file lands, relative to its project root (files.relative_to_root)."""
    finding: Finding | None = None
    """The finding that decided, the first of the strongest."""


def judge(write: ProposedWrite, origin: Origin, policy: Policy, root: Path) -> Verdict:
    relative = relative_to_root(write.path, root)
    spans = tuple(Span(start, end, origin) for start, end in write.agent_ranges)
    if not spans:
        return Verdict(AgentWrite.RECORD, relative)
    doc = Document(relative, detect(write.path), write.text)
    analysis = analyze(doc, relative, policy, spans)
    by_id = {rule.id: rule.agent_write for rule in policy.rules}
    deciding: list[tuple[AgentWrite, Finding]] = []
    for finding in (*analysis.findings, *_self_suppressed(analysis.suppressed, spans)):
        decision = by_id.get(finding.rule_id, AgentWrite.RECORD)
        if finding.span in spans and decision is not AgentWrite.RECORD:
            deciding.append((decision, finding))
    for wanted in (AgentWrite.DENY, AgentWrite.ASK):
        for decision, finding in deciding:
            if decision is wanted:
                return Verdict(decision, relative, finding)
    return Verdict(AgentWrite.RECORD, relative)


def _self_suppressed(suppressed: tuple[Finding, ...], spans: tuple[Span, ...]) -> list[Finding]:
    """Findings silenced by a suppression comment the agent writes in the same call: a person's reason is what
    a suppression stands for, so the agent's own does not count."""
    return [f for f in suppressed if f.suppressed is not None
            and any(s.start <= f.suppressed.start and f.suppressed.end <= s.end for s in spans)]
