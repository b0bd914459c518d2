"""One guard decision: payload bytes in, the agent's answer and the notes for stderr out.

Whatever goes wrong (a payload that is not JSON, a pack that does not load, a file it cannot read) the call
is let through with a note on stderr: a guard that blocks every write on its own fault would be switched off.
Only a rule's `agent-write: deny|ask` stands in the agent's way, unless a pack of the project says
`agent-write-on-error: deny`: then what cannot be judged is refused. That is known as soon as the project's
policy is loaded, first thing, so that a timeout or an internal error later on can still honour it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from provguard.guard.agents import AGENTS, Agent
from provguard.guard.judge import Verdict, judge, project_root
from provguard.guard.outcome import Outcome
from provguard.guard.proposed import Skipped
from provguard.policy.model import AgentWrite
from provguard.policy.policy import Policy
from provguard.provenance.origin import Evidence, Kind, Origin
from provguard.provenance.tools import infer_vendor


class _Policies:
    """The policy of each project root, loaded once per call."""

    def __init__(self, outcome: Outcome) -> None:
        self.outcome = outcome
        self.loaded: dict[Path, Policy | None] = {}

    def of(self, root: Path) -> Policy | None:
        if root not in self.loaded:
            self.loaded[root] = self.load(root)
        return self.loaded[root]

    def load(self, root: Path) -> Policy | None:
        from provguard.guard import policy_cache

        policy = policy_cache.load(root)
        if policy is None:
            from provguard.policy.project import load_project_policy  # slow: YAML, every scope query

            loaded = load_project_policy(root)
            self.outcome.notes.extend(str(error) for error in loaded.errors)
            if loaded.errors and not loaded.policy.packs:
                return None
            policy = loaded.policy
            if not loaded.errors:
                policy_cache.save(root, policy)
        self.outcome.fails_closed |= any(pack.fails_closed for pack in policy.packs)
        return policy


def decide(agent_name: str, data: bytes, outcome: Outcome) -> None:
    """Fills `outcome` as it goes (the caller reads it after a timeout too)."""
    agent = AGENTS[agent_name]
    payload = _payload(data)
    cwd = payload.get("cwd") if isinstance(payload, dict) else None
    policies = _Policies(outcome)
    policies.of(project_root(os.path.join(cwd if isinstance(cwd, str) and cwd else os.getcwd(), "_")))
    if isinstance(payload, str):
        return outcome.cannot_judge(agent_name, payload)
    call = agent.read(payload)
    if isinstance(call, str):
        return outcome.cannot_judge(agent_name, call)
    outcome.notes.extend(call.notes)
    origin = Origin(Kind.AI_AGENT, Evidence.HOOK, agent.tool, infer_vendor(agent.tool, call.model), call.model)
    verdicts: list[Verdict] = []
    for write in call.writes:
        if isinstance(write, Skipped):
            outcome.cannot_judge(agent_name, str(write))
            continue
        root = project_root(write.path)
        policy = policies.of(root)
        if policy is None:
            outcome.cannot_judge(agent_name, f"no rule pack loaded for {root}")
        else:
            verdicts.append(judge(write, origin, policy, root))
    strongest = _strongest(verdicts)
    if strongest is not None:
        outcome.stdout = _answer(agent, strongest)


def _payload(data: bytes) -> dict[str, object] | str:
    try:
        payload = json.loads(data)
    except UnicodeDecodeError:
        return "the payload on stdin is not UTF-8"
    except json.JSONDecodeError as exc:  # its msg may end in a dangling "at": the position follows here
        return (f"the payload on stdin is not JSON (line {exc.lineno}, column {exc.colno}: "
                f"{exc.msg.removesuffix(' at')})")
    except ValueError as exc:
        return f"the payload on stdin is not JSON ({exc})"
    return payload if isinstance(payload, dict) else "the payload on stdin is not a JSON object"


def _strongest(verdicts: list[Verdict]) -> Verdict | None:
    for wanted in (AgentWrite.DENY, AgentWrite.ASK):
        for verdict in verdicts:
            if verdict.decision is wanted:
                return verdict
    return None


def _answer(agent: Agent, verdict: Verdict) -> str:
    return agent.answer(verdict) + "\n"
