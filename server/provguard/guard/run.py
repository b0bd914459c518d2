"""One guard decision: payload bytes in, the agent's answer and the notes for stderr out.

Whatever goes wrong (a payload that is not JSON, a tool the guard does not know, a pack that does not load, a
file it cannot read) the call is let through with a note on stderr: a guard that blocks every write on its
own fault would be switched off. Only a rule's `agent-write: deny|ask` stands in the agent's way.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from provguard.guard.agents import AGENTS, Agent
from provguard.guard.judge import Verdict, judge, project_root
from provguard.guard.proposed import Skipped
from provguard.policy.model import AgentWrite
from provguard.policy.policy import Policy
from provguard.provenance.origin import Evidence, Kind, Origin
from provguard.provenance.tools import infer_vendor


@dataclass
class Outcome:
    stdout: str = ""
    """The agent's answer: empty to allow."""
    notes: list[str] = field(default_factory=list)
    """Lines for stderr."""


def decide(agent_name: str, data: bytes) -> Outcome:
    outcome = Outcome()
    agent = AGENTS[agent_name]
    payload = _payload(data)
    if isinstance(payload, str):
        outcome.notes.append(payload)
        return outcome
    call = agent.read(payload)
    if isinstance(call, str):
        outcome.notes.append(call)
        return outcome
    outcome.notes.extend(call.notes)
    origin = Origin(Kind.AI_AGENT, Evidence.HOOK, agent.tool, infer_vendor(agent.tool, call.model), call.model)
    verdicts: list[Verdict] = []
    policies: dict[Path, Policy | None] = {}
    for write in call.writes:
        if isinstance(write, Skipped):
            outcome.notes.append(str(write))
            continue
        root = project_root(write.path)
        if root not in policies:
            policies[root] = _policy(root, outcome.notes)
        policy = policies[root]
        if policy is not None:
            verdicts.append(judge(write, origin, policy, root))
    strongest = _strongest(verdicts)
    if strongest is not None:
        outcome.stdout = _answer(agent, strongest)
    return outcome


def _payload(data: bytes) -> dict[str, object] | str:
    try:
        payload = json.loads(data)
    except UnicodeDecodeError:
        return "the payload on stdin is not UTF-8; the call is let through"
    except ValueError as exc:
        return f"the payload on stdin is not JSON ({getattr(exc, 'msg', exc)}); the call is let through"
    return payload if isinstance(payload, dict) else "the payload on stdin is not a JSON object; let through"


def _policy(root: Path, notes: list[str]) -> Policy | None:
    from provguard.policy.project import load_project_policy

    loaded = load_project_policy(root)
    notes.extend(f"{error}" for error in loaded.errors)
    if loaded.errors and not loaded.policy.packs:
        notes.append(f"no rule pack loaded for {root}; writes there are let through")
        return None
    return loaded.policy


def _strongest(verdicts: list[Verdict]) -> Verdict | None:
    for wanted in (AgentWrite.DENY, AgentWrite.ASK):
        for verdict in verdicts:
            if verdict.decision is wanted:
                return verdict
    return None


def _answer(agent: Agent, verdict: Verdict) -> str:
    return agent.answer(verdict) + "\n"
