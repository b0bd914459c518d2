"""The guard's answer as it is being worked out, and how each agent is refused when the guard cannot judge.

Kept free of the judging imports: after a timeout or an internal error the command still answers from here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field


def pre_tool_use(decision: str, reason: str) -> str:
    """Claude Code's and Codex's PreToolUse answer: `hookSpecificOutput` with the permission decision."""
    return json.dumps({"hookSpecificOutput": _hook_specific(decision, reason)})


def cursor_permission(decision: str, agent_message: str, user_message: str) -> str:
    """Cursor's answer to `preToolUse`: the agent reads `agent_message`, the person `user_message`."""
    return json.dumps({"permission": decision, "user_message": user_message, "agent_message": agent_message})


def copilot_permission(decision: str, reason: str) -> str:
    """The Copilot CLI reads the decision at the top level, VS Code in `hookSpecificOutput`: both are given."""
    return json.dumps({"permissionDecision": decision, "permissionDecisionReason": reason,
                       "hookSpecificOutput": _hook_specific(decision, reason)})


def _hook_specific(decision: str, reason: str) -> dict[str, str]:
    return {"hookEventName": "PreToolUse", "permissionDecision": decision, "permissionDecisionReason": reason}


def refusal(agent: str, reason: str) -> str:
    """The agent's answer refusing the call for `reason`."""
    if agent == "cursor":
        return cursor_permission("deny", reason, reason)
    if agent == "copilot":
        return copilot_permission("deny", reason)
    return pre_tool_use("deny", reason)


@dataclass
class Outcome:
    stdout: str = ""
    """The agent's answer: empty to allow."""
    notes: list[str] = field(default_factory=list)
    """Lines for stderr."""
    fails_closed: bool = False
    """A pack in force says `agent-write-on-error: deny`."""
    presumed_closed: bool = False
    """The working folder's project said so when its packs were last read (project.py); stands until they are
    read in this call."""

    def cannot_judge(self, agent: str, problem: str) -> None:
        """Let the call through with the problem on stderr, or refuse it when a pack says to fail closed."""
        if not (self.fails_closed or self.presumed_closed):
            self.notes.append(f"{problem}; the call is let through")
        elif not self.stdout:
            self.stdout = refusal(agent, (
                f"provguard could not judge this call ({problem}), and this project's rule pack refuses what it "
                "cannot judge (agent-write-on-error: deny). Instead: tell the user what you were about to write "
                "and where, and let them decide.")) + "\n"
