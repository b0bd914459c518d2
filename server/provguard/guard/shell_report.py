"""After a shell tool call: the files it changed judged as the guard judges a write (guard.judge, the same
policy of the project each file lands in, the call's inserted lines as the agent's span), and the report the
agent reads when a rule says `agent-write: deny` or `ask`. The guard could not refuse the call beforehand (a
command names no file and text), so the report tells the agent to undo the change and leave it to a person.

Post-tool answers: Claude Code, Codex and Copilot (VS Code) read `{"decision": "block", "reason"}` (the reason
goes to the model) and `hookSpecificOutput.additionalContext`; Cursor's postToolUse reads `additional_context`; the
Copilot CLI's postToolUse reads a top-level `additionalContext`, and its postToolUseFailure takes recovery guidance
from a command hook only with exit code 2, as plain text (on stdout in GitHub's hooks reference today, on stderr
in its earlier CLI hooks reference: `failure_guidance` gives both).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from provguard.guard import project
from provguard.guard.agents import AGENTS
from provguard.guard.judge import Verdict, judge
from provguard.guard.outcome import Outcome
from provguard.guard.proposed import ProposedWrite, proposed
from provguard.guard.run import Policies
from provguard.policy.model import AgentWrite
from provguard.printable import printable
from provguard.provenance.origin import Evidence, Kind, Origin
from provguard.provenance.shell_writes import Protected, ShellWrite
from provguard.provenance.tools import infer_vendor


def report(agent: str, tool: str, writes: list[ShellWrite], model: str | None,
           event: str = "PostToolUse") -> tuple[str, list[str]]:
    """stdout for the agent, as the answer to the hook's `event` (empty when no rule refuses what the call
    wrote): JSON, or the plain text of the Copilot CLI's recovery guidance after a failed call
    (`failure_guidance`); and notes for stderr."""
    outcome = Outcome()
    policies = Policies(outcome)
    who = AGENTS[agent].tool
    origin = Origin(Kind.AI_AGENT, Evidence.HOOK, who, infer_vendor(who, model), model)
    refused: list[Verdict] = []
    for write in writes:
        path = os.path.realpath(write.path)
        change = proposed(path, write.before, write.after)
        if not isinstance(change, ProposedWrite):
            continue
        root = project.project_root(path)
        policy = policies.of(root)
        if policy is None:
            continue
        verdict = judge(change, origin, policy, root)
        if verdict.decision is not AgentWrite.RECORD:
            refused.append(verdict)
    if not refused:
        return "", outcome.notes
    reason = " ".join(_reason(tool, verdict) for verdict in refused)
    if failure_guidance(agent, event == "PostToolUseFailure"):  # plain text on a terminal's streams: escaped
        return printable(reason) + "\n", outcome.notes
    return answer(agent, reason, event) + "\n", outcome.notes


def protected_paths(root: Path) -> tuple[Protected | None, list[str]]:
    """The paths the packs of the project at `root` refuse to agents (each `agent-write: deny|ask` rule's
    globs), for the shell snapshot to cover the gitignored files there too; notes for stderr (a pack that
    does not load)."""
    outcome = Outcome()
    policy_root = project.project_root(os.path.join(root, "_"))
    policy = Policies(outcome).of(policy_root)
    if policy is None:
        return None, outcome.notes
    globs = tuple(dict.fromkeys((rule.paths.include, rule.paths.exclude) for rule in policy.rules
                                if rule.agent_write is not AgentWrite.RECORD))
    return (Protected(str(policy_root), globs) if globs else None), outcome.notes


def answer(agent: str, reason: str, event: str = "PostToolUse") -> str:
    """The report in the agent's post-tool answer. Claude Code reads `hookSpecificOutput` only when its
    `hookEventName` is the event the hook runs for (PostToolUse, or PostToolUseFailure after a failed call); the
    Copilot CLI reads `additionalContext` at the top level, VS Code as Claude Code does: Copilot's has both."""
    if agent == "cursor":
        return json.dumps({"additional_context": reason})
    told: dict[str, object] = {"additionalContext": reason} if agent == "copilot" else {}
    return json.dumps({**told, "decision": "block", "reason": reason,
                       "hookSpecificOutput": {"hookEventName": event, "additionalContext": reason}})


FAILURE_GUIDANCE_EXIT = 2
"""The exit code with which a Copilot CLI postToolUseFailure command hook hands the agent recovery guidance."""


def failure_guidance(agent: str, failed: bool) -> bool:
    """Whether the report after the call goes as the Copilot CLI's recovery guidance (plain text, exit code 2)
    rather than as JSON: the call failed, and only the Copilot CLI sends Copilot's failure event (VS Code skips the
    name in the hooks file)."""
    return agent == "copilot" and failed


def _reason(tool: str, verdict: Verdict) -> str:
    finding = verdict.finding
    assert finding is not None, "only a deny or ask is reported"
    note = f" {finding.note.strip()}" if finding.note else ""
    rule = f"{finding.message} (provguard rule {finding.rule_id}).{note}"
    if verdict.decision is AgentWrite.ASK:
        return (f"provguard: your {tool} command wrote to {verdict.path}, which needs a person's approval: {rule} "
                "The change is recorded as yours. Stop and ask the user whether to keep it; if they do not "
                "approve and review it, undo exactly that change.")
    return (f"provguard: your {tool} command wrote to {verdict.path}, which agents may not write: {rule} The "
            f"change is recorded as yours and shown to the user as a finding. Undo exactly that change to "
            f"{verdict.path} (restore the lines as they were before the command), do not write it again by any "
            "other way, tell the user that a person has to make this change, and go on with the rest of the task.")
