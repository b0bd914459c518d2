"""The agents the guard serves: how each one's pre-tool-use payload names the writes, who the agent is, and
how it wants the answer. An allowed call gets no output at all from any of them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from provguard.guard import reasons
from provguard.guard.judge import Verdict
from provguard.guard.outcome import copilot_permission, cursor_permission, pre_tool_use
from provguard.guard.project import possible
from provguard.guard.proposed import ProposedWrite, Skipped
from provguard.policy.model import AgentWrite
from provguard.provenance.transcripts.records import text


@dataclass(frozen=True)
class Call:
    """A tool call the guard is asked about."""

    writes: list[ProposedWrite | Skipped]
    cwd: str | None
    model: str | None = None
    notes: tuple[str, ...] = ()
    """Problems with the payload worth a line on stderr (the call is still judged)."""


@dataclass(frozen=True)
class Agent:
    name: str
    tool: str
    """The Origin's tool."""
    read: Callable[[dict[str, Any]], Call | str]
    """The call's writes, or why the payload cannot be read."""
    answer: Callable[[Verdict], str]
    """stdout for a deny or ask."""


READ_ONLY_TOOLS: dict[str, frozenset[str]] = {
    "claude-code": frozenset({"Read", "Bash", "BashOutput", "KillShell", "Glob", "Grep", "LS", "WebFetch",
                              "WebSearch", "Task", "TodoWrite", "ExitPlanMode", "SlashCommand", "Skill"}),
    "codex": frozenset(),  # its hooks see Bash (judged for a patch), apply_patch and MCP tools
    "cursor": frozenset({"Read", "Shell", "Grep", "Glob", "LS", "Delete", "Task", "CodebaseSearch", "WebSearch",
                         "ReadLints", "TodoWrite"}),
    "copilot": frozenset({"ask_user", "bash", "glob", "grep", "powershell", "task", "view", "web_fetch",
                          "read_file", "list_dir", "file_search", "grep_search", "semantic_search",
                          "run_in_terminal", "get_terminal_output", "get_errors", "fetch_webpage",
                          "manage_todo_list", "runSubagent"}),
}
"""Tools each agent documents that write no file: let through without a word. Any other tool the guard does not
know is let through with a note, since it might write a file provguard cannot see."""


def _not_a_write(agent: str, tool: object, cwd: str | None) -> Call:
    name = str(tool)
    if name in READ_ONLY_TOOLS[agent] or name.startswith("mcp__") or "/" in name:  # MCP tools: mcp__s__t, s/t
        return Call([], cwd)
    return Call([], cwd, notes=(f"{name} is not a tool provguard knows how to judge; the call is let through",))


def _other_event(payload: dict[str, Any], event: str) -> Call | None:
    """A call with nothing to judge when the hook is installed on another event (a mistake worth a note)."""
    name = payload.get("hook_event_name")
    if name in (None, event):
        return None
    return Call([], text(payload.get("cwd")), notes=(f"a {name} event, not {event}: nothing to judge",))


def _claude_code(payload: dict[str, Any]) -> Call | str:
    from provguard.guard import claude_code
    from provguard.provenance.transcripts.claude_code import find_call

    cwd = text(payload.get("cwd"))
    if (other := _other_event(payload, "PreToolUse")) is not None:
        return other
    tool, tool_input = payload.get("tool_name"), payload.get("tool_input")
    if tool not in claude_code.TOOLS:
        return _not_a_write("claude-code", tool, cwd)
    if not isinstance(tool_input, dict):
        return "no tool_input object in the payload"
    found = claude_code.writes(str(tool), tool_input, cwd)
    if isinstance(found, str):
        return found
    model = None
    transcript = text(payload.get("transcript_path"))
    if found and transcript and possible(transcript):  # the call's line is written before the hook runs
        call = find_call(Path(transcript), text(payload.get("tool_use_id")), str(tool), tool_input)
        model = call[1] if call else None
    return Call(found, cwd, model)


def _codex(payload: dict[str, Any]) -> Call | str:
    from provguard.guard import codex

    cwd = text(payload.get("cwd"))
    if (other := _other_event(payload, "PreToolUse")) is not None:
        return other
    tool_input = payload.get("tool_input")
    if payload.get("tool_name") not in codex.TOOLS:
        return _not_a_write("codex", payload.get("tool_name"), cwd)
    if not isinstance(tool_input, dict):
        return "no tool_input object in the payload"
    found, notes = codex.writes(tool_input, cwd)
    return Call(found, cwd, text(payload.get("model")), tuple(notes))


def _claude_code_answer(verdict: Verdict) -> str:
    return pre_tool_use(verdict.decision.value, reasons.reason(verdict))


def _codex_answer(verdict: Verdict) -> str:
    """Codex refuses `permissionDecision: ask` in PreToolUse (it treats the output as invalid and runs the
    call), so an ask is a deny that tells the agent to ask the user."""
    if verdict.decision is AgentWrite.ASK:
        return pre_tool_use("deny", reasons.ask_as_deny(verdict))
    return pre_tool_use("deny", reasons.reason(verdict))


def _pre_tool_use_deny(reason: str) -> str:
    return pre_tool_use("deny", reason)


def _cursor(payload: dict[str, Any]) -> Call | str:
    from provguard.guard import cursor

    roots = payload.get("workspace_roots")
    cwd = text(payload.get("cwd")) or (text(roots[0]) if isinstance(roots, list) and roots else None)
    if (other := _other_event(payload, "preToolUse")) is not None:
        return other
    tool = payload.get("tool_name")
    if tool not in cursor.TOOLS:
        return _not_a_write("cursor", tool, cwd)
    arguments = cursor.tool_input(payload)
    if isinstance(arguments, str):
        return arguments
    found = cursor.writes(str(tool), arguments, cwd)
    return found if isinstance(found, str) else Call(found, cwd, text(payload.get("model")))


def _copilot(payload: dict[str, Any]) -> Call | str:
    from provguard.guard import copilot

    cwd = text(payload.get("cwd"))
    event = payload.get("hook_event_name", payload.get("hookEventName"))
    if event not in (None, "PreToolUse", "preToolUse"):
        return Call([], cwd, notes=(f"a {event} event, not preToolUse: nothing to judge",))
    tool, arguments = copilot.call(payload)
    if tool not in copilot.TOOLS:
        return _not_a_write("copilot", tool, cwd)
    if isinstance(arguments, str):
        return arguments
    found = copilot.writes(str(tool), arguments, cwd)
    if isinstance(found, str):
        return found
    writes, notes = found
    return Call(writes, cwd, notes=tuple(notes))


def _cursor_answer(verdict: Verdict) -> str:
    finding = verdict.finding
    assert finding is not None
    told = reasons.reason(verdict)
    if verdict.decision is AgentWrite.ASK:
        return cursor_permission("ask", told, told)
    return cursor_permission("deny", told, f"provguard refused a write to {verdict.path} ({finding.rule_id}): "
                                           f"{finding.message}")


def _copilot_answer(verdict: Verdict) -> str:
    return copilot_permission(verdict.decision.value, reasons.reason(verdict))


AGENTS: dict[str, Agent] = {
    "claude-code": Agent("claude-code", "claude-code", _claude_code, _claude_code_answer),
    "codex": Agent("codex", "codex", _codex, _codex_answer),
    "cursor": Agent("cursor", "cursor", _cursor, _cursor_answer),
    "copilot": Agent("copilot", "copilot", _copilot, _copilot_answer),
}
