"""The agents the guard serves: how each one's pre-tool-use payload names the writes, who the agent is, and
how it wants the answer. An allowed call gets no output at all from any of them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from provguard import agent_tools
from provguard.guard import reasons
from provguard.guard.judge import Verdict
from provguard.guard.outcome import copilot_permission, cursor_permission, pre_tool_use
from provguard.guard.project import possible
from provguard.guard.proposed import ProposedWrite, Skipped, Unapplied
from provguard.policy.model import AgentWrite
from provguard.provenance.transcripts.records import text


@dataclass(frozen=True)
class Call:
    """A tool call the guard is asked about."""

    writes: list[ProposedWrite | Skipped | Unapplied]
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


def _with_notes(found: list[ProposedWrite | Skipped | Unapplied], cwd: str | None, model: str | None = None,
                notes: tuple[str, ...] | list[str] = ()) -> Call:
    """The call, with a note for each write judged in part (an edit that does not fit the file) or not at all
    (one that does not fit and adds no text)."""
    parts = tuple(w.note for w in found if isinstance(w, (ProposedWrite, Unapplied)) and w.note)
    return Call(found, cwd, model, (*notes, *parts))


def _not_in_table(agent: str, name: object, tool_input: object, cwd: str | None) -> Call | str:
    """A tool that is not one of the agent's own file tools (provguard.agent_tools): an MCP file-system write is
    read as such; any other tool whose input names a file and new text for it is judged as a write of that
    text, with a note naming the tool; a tool that writes no file is let through without a word."""
    from provguard.guard import edits

    tool = agent_tools.known(agent, name)
    if tool is not None and tool.mcp:
        if not isinstance(tool_input, dict):
            return "no tool_input object in the payload"
        try:
            return _with_notes(edits.mcp(tool.name, tool_input, cwd), cwd)
        except edits.Unreadable as exc:  # another server's spelling: its fields, as the recording hook reads them
            found = edits.by_fields(str(name), tool_input, cwd)
            if not found:
                return str(exc)
            return _with_notes(found, cwd, notes=(f"{exc}; judged as a write of the file its input names",))
    if not agent_tools.by_fields(agent, name):  # a reader; or a shell, whose writes are recorded after it runs
        return Call([], cwd)
    found = edits.by_fields(str(name), tool_input, cwd) if isinstance(tool_input, dict) else []
    if found:
        note = f"{name} is not a tool provguard knows; judged as a write of the file its input names"
        return _with_notes(found, cwd, notes=(note,))
    if agent_tools.mcp_tool(name):  # an MCP tool that names no file and text for it: a read, a query
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
    sent, tool_input = payload.get("tool_name"), payload.get("tool_input")
    tool = agent_tools.known("claude-code", sent)
    if tool is None or tool.mcp:
        return _not_in_table("claude-code", sent, tool_input, cwd)
    if not isinstance(tool_input, dict):
        return "no tool_input object in the payload"
    found = claude_code.writes(tool.name, tool_input, cwd)
    if isinstance(found, str):
        return found
    model = None
    transcript = text(payload.get("transcript_path"))
    if found and transcript and possible(transcript):  # the call's line is written before the hook runs
        call = find_call(Path(transcript), text(payload.get("tool_use_id")), str(sent), tool_input,
                         text(payload.get("agent_id")))
        model = call[1] if call else None
    return _with_notes(found, cwd, model)


def _codex(payload: dict[str, Any]) -> Call | str:
    from provguard.guard import codex

    cwd = text(payload.get("cwd"))
    if (other := _other_event(payload, "PreToolUse")) is not None:
        return other
    sent, tool_input = payload.get("tool_name"), payload.get("tool_input")
    tool = agent_tools.known("codex", sent)
    patch = isinstance(tool_input, dict) and codex.patch_text(tool_input) is not None
    if (tool is None and not patch) or (tool is not None and tool.mcp):
        return _not_in_table("codex", sent, tool_input, cwd)
    if not isinstance(tool_input, dict):
        return "no tool_input object in the payload"
    found, notes = codex.writes(tool_input, cwd)
    if tool is None:  # the recording hook records a patch under any name: so it is judged under any name
        notes = [*notes, f"{sent} is not a tool provguard knows; judged as a write of the patch its input holds"]
    elif not patch and tool.kind is not agent_tools.Kind.SHELL:  # no patch: its input may still name a file
        from provguard.guard import edits

        found = edits.by_fields(str(sent), tool_input, cwd)
        notes = [f"no patch in the {sent} call; judged as a write of the file its input names"] if found else []
    return _with_notes(found, cwd, text(payload.get("model")), notes)


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
    sent = payload.get("tool_name")
    tool = agent_tools.known("cursor", sent)
    arguments = cursor.tool_input(payload)
    if tool is None or tool.mcp:
        return _not_in_table("cursor", sent, arguments, cwd)
    if isinstance(arguments, str):
        return arguments
    found = cursor.writes(tool.name, arguments, cwd)
    if isinstance(found, str):
        return found
    return _with_notes(found[0], cwd, text(payload.get("model")), found[1])


def _copilot(payload: dict[str, Any]) -> Call | str:
    from provguard.guard import copilot

    cwd = text(payload.get("cwd"))
    event = payload.get("hook_event_name", payload.get("hookEventName"))
    if event not in (None, "PreToolUse", "preToolUse"):
        return Call([], cwd, notes=(f"a {event} event, not preToolUse: nothing to judge",))
    sent, arguments = copilot.call(payload)
    tool = agent_tools.known("copilot", sent)
    if tool is None or tool.mcp:
        return _not_in_table("copilot", sent, arguments, cwd)
    if isinstance(arguments, str):
        return arguments
    found = copilot.writes(tool.name, arguments, cwd)
    if isinstance(found, str):
        return found
    writes, notes = found
    return _with_notes(writes, cwd, notes=notes)


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
