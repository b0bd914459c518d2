"""What the agent (deny) or the user (ask) reads: the rule, its message, and what to do instead."""

from __future__ import annotations

from provguard.guard.judge import Verdict
from provguard.policy.model import AgentWrite


def reason(verdict: Verdict) -> str:
    finding = verdict.finding
    assert finding is not None, "only a deny or ask has a reason"
    note = f" {finding.note.strip()}" if finding.note else ""
    rule = f"{finding.message} (provguard rule {finding.rule_id}).{note}"
    if verdict.decision is AgentWrite.ASK:
        return (f"provguard asks before this write to {verdict.path}: {rule} Approve only if a person will "
                "review and take responsibility for this code.")
    return (f"provguard refused this write to {verdict.path}: {rule} Instead: do not retry it or reach the "
            "file another way (a shell command, another tool, a suppression comment); tell the user that a "
            f"person has to write this change to {verdict.path}, and go on with the rest of the task.")


def ask_as_deny(verdict: Verdict) -> str:
    """For an agent whose hook cannot ask the user: refuse, and tell the agent to ask."""
    finding = verdict.finding
    assert finding is not None
    note = f" {finding.note.strip()}" if finding.note else ""
    return (f"provguard needs a person's approval for this write to {verdict.path}: {finding.message} "
            f"(provguard rule {finding.rule_id}).{note} Instead: stop and ask the user; do not make this change "
            "unless they approve it and review it.")
