"""One guard decision: payload bytes in, the agent's answer and the notes for stderr out.

Whatever goes wrong (a payload that is not JSON, a pack that does not load, a file it cannot read) the call
is let through with a note on stderr: a guard that blocks every write on its own fault would be switched off.
Only a rule's `agent-write: deny|ask` stands in the agent's way, unless a pack of the project says
`agent-write-on-error: deny`: then what cannot be judged is refused. That is known before the payload is read
(the choice remembered in project.py, else the policy of the working folder's project loaded first,
`Policies.presume`), so that a payload that never ends, a timeout or an internal error can still honour it.
"""

from __future__ import annotations

import os
from pathlib import Path

from provguard.guard import project
from provguard.guard.agents import AGENTS, Agent
from provguard.guard.judge import Verdict, judge
from provguard.guard.outcome import Outcome
from provguard.guard.proposed import Skipped, Unapplied
from provguard.policy.model import AgentWrite
from provguard.policy.policy import Policy
from provguard.provenance.origin import Evidence, Kind, Origin
from provguard.provenance.tools import infer_vendor
from provguard.untrusted_json import json_object


class Policies:
    """The policy of each project root, loaded once per call, and the choice on errors of the projects the call
    concerns: the agent's working folder's and each written file's."""

    def __init__(self, outcome: Outcome) -> None:
        self.outcome = outcome
        self.loaded: dict[Path, Policy | None] = {}
        self.closed: dict[Path, bool] = {}
        """Per root whose packs loaded: whether one says `agent-write-on-error: deny`."""
        self.whole: set[Path] = set()
        """Roots whose packs all loaded: their choice is exact."""

    def of(self, root: Path) -> Policy | None:
        """The root's policy; its choice on errors now holds for this call."""
        policy = self._get(root)
        self.outcome.fails_closed |= self.closed.get(root, False)
        return policy

    def presume(self, folder: str) -> None:
        """Before the payload says where the agent works: the choice of the project of this process's working
        folder (where agents run their hooks) stands in, so that a payload that never ends is judged by it."""
        root = project.project_root(os.path.join(folder, "_"))
        self._get(root)
        if root in self.whole:
            self.outcome.presumed_closed = self.closed[root]
        elif root in self.closed:
            self.outcome.presumed_closed |= self.closed[root]

    def settle(self, folder: str) -> None:
        """The working folder's project's policy: its choice replaces the one presumed."""
        root = project.project_root(os.path.join(folder, "_"))
        self.of(root)
        if root in self.whole:
            self.outcome.presumed_closed = False

    def _get(self, root: Path) -> Policy | None:
        if root not in self.loaded:
            self.loaded[root] = self._load(root)
        return self.loaded[root]

    def _load(self, root: Path) -> Policy | None:
        from provguard.guard import policy_cache

        policy = policy_cache.load(root)
        errors = False
        if policy is None:
            from provguard.policy.project import load_project_policy  # slow: YAML, every scope query

            loaded = load_project_policy(root)
            self.outcome.notes.extend(str(error) for error in loaded.errors)
            if loaded.errors and not loaded.policy.packs:
                return None
            policy, errors = loaded.policy, bool(loaded.errors)
            if not errors:
                policy_cache.save(root, policy)
        self.closed[root] = any(pack.fails_closed for pack in policy.packs)
        if not errors:  # else a pack that did not load may be the one that says deny
            self.whole.add(root)
            project.remember(root, self.closed[root], policy.pack_files)
        return policy


def decide(agent_name: str, data: bytes, outcome: Outcome, policies: Policies | None = None) -> None:
    """Fills `outcome` as it goes (the caller reads it after a timeout too)."""
    agent = AGENTS[agent_name]
    payload = _payload(data)
    cwd = payload.get("cwd") if isinstance(payload, dict) else None
    policies = Policies(outcome) if policies is None else policies
    policies.settle(cwd if isinstance(cwd, str) and os.path.isabs(cwd) and project.possible(cwd) else os.getcwd())
    if isinstance(payload, str):
        return outcome.cannot_judge(agent_name, payload)
    try:
        call = agent.read(payload)
    except project.BadPath as exc:
        call = str(exc)
    if isinstance(call, str):
        return outcome.cannot_judge(agent_name, call)
    outcome.notes.extend(call.notes)
    origin = Origin(Kind.AI_AGENT, Evidence.HOOK, agent.tool, infer_vendor(agent.tool, call.model), call.model)
    verdicts: list[Verdict] = []
    for write in call.writes:
        if isinstance(write, Unapplied):  # its note is among the call's notes; nothing is written
            continue
        if isinstance(write, Skipped):  # refused if the project it would land in fails closed
            policies.of(project.project_root(write.path))
            outcome.cannot_judge(agent_name, str(write))
            continue
        root = project.project_root(write.path)
        policy = policies.of(root)
        if policy is None:
            outcome.cannot_judge(agent_name, f"no rule pack loaded for {root}")
        else:
            verdicts.append(judge(write, origin, policy, root))
    strongest = _strongest(verdicts)
    if strongest is not None:
        outcome.stdout = _answer(agent, strongest)


def _payload(data: bytes) -> dict[str, object] | str:
    return json_object(data, "the payload on stdin")


def _strongest(verdicts: list[Verdict]) -> Verdict | None:
    for wanted in (AgentWrite.DENY, AgentWrite.ASK):
        for verdict in verdicts:
            if verdict.decision is wanted:
                return verdict
    return None


def _answer(agent: Agent, verdict: Verdict) -> str:
    return agent.answer(verdict) + "\n"
