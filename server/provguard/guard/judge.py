"""Judging a proposed write: the project's policy applied by the analysis core to the file's text after the
call, with the agent's lines as a span of the agent's origin. Only findings on those lines count, and only
rules whose `agent-write` is deny or ask decide anything: a file that already breaks a rule is not the agent's
doing. A file a patch moves is the exception: the lines it keeps land at the new path with the move, so the
copies of recorded agent edits `check` will find there are judged too, with the recorded edit's origin.
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
    if not spans and write.moved_from is None:
        return Verdict(AgentWrite.RECORD, relative)
    doc = Document(relative, detect(write.path), write.text)
    copies = _moved_copies(write, doc, relative, root)
    if not spans and not copies:
        return Verdict(AgentWrite.RECORD, relative)
    analysis = analyze(doc, relative, policy, spans + copies)
    by_id = {rule.id: rule.agent_write for rule in policy.rules}
    deciding: list[tuple[AgentWrite, Finding]] = []
    for finding in (*analysis.findings, *_self_suppressed(analysis.suppressed, spans)):
        decision = by_id.get(finding.rule_id, AgentWrite.RECORD)
        if (finding.span in spans or finding.span in copies) and decision is not AgentWrite.RECORD:
            deciding.append((decision, finding))
    for wanted in (AgentWrite.DENY, AgentWrite.ASK):
        for decision, finding in deciding:
            if decision is wanted:
                return Verdict(decision, relative, finding)
    return Verdict(AgentWrite.RECORD, relative)


def _moved_copies(write: ProposedWrite, doc: Document, relative: str, root: Path) -> tuple[Span, ...]:
    """Copies of recorded agent edits in a moved file, found as `check` finds them at the new path, in the ledger
    `check` reads by default ($PROVGUARD_LEDGER_URL, else ROOT/.provguard/ledger.sqlite3 if present). No
    ledger, or one that cannot be read: none (the guard never blocks on its own fault)."""
    if write.moved_from is None:
        return ()
    from provguard.ledger.location import default_location, ledger_url, open_postgres
    from provguard.ledger.sqlite import SqliteLedger
    from provguard.ledger.store import Ledger, LedgerError
    from provguard.provenance.matching import index_spans

    url = ledger_url(None)
    file = default_location(root)
    if url is None and not file.is_file():
        return ()
    try:
        ledger: Ledger = open_postgres(url) if url is not None else SqliteLedger(file)
        try:
            return index_spans(doc, relative, ledger)
        finally:
            ledger.close()
    except LedgerError:
        return ()


def _self_suppressed(suppressed: tuple[Finding, ...], spans: tuple[Span, ...]) -> list[Finding]:
    """Findings silenced by a suppression comment the agent writes in the same call: a person's reason is what
    a suppression stands for, so the agent's own does not count."""
    return [f for f in suppressed if f.suppressed is not None
            and any(s.start <= f.suppressed.start and f.suppressed.end <= s.end for s in spans)]
