"""Agent hooks: the edit a tool call just made, recorded while the agent runs.

Claude Code's PostToolUse hook sends `{session_id, transcript_path, cwd, hook_event_name, tool_name,
tool_input, tool_response, tool_use_id}` on stdin, plus `agent_id` for a subagent's call (its edits name it, and
take its model from its transcript in `<session>/subagents/`); Codex's (0.124 and later) sends the same shape plus
`model` and `turn_id`, with `tool_name` "apply_patch" and the patch as `tool_input.command`. Edits get the
ids a later transcript import derives for the same call, so importing afterwards adds nothing.

Cursor's afterFileEdit sends `{hook_event_name, conversation_id, generation_id, model, workspace_roots,
file_path, edits: [{old_string, new_string}]}` (its postToolUse: the preToolUse payload the guard reads, plus
the outcome). GitHub Copilot's PostToolUse (VS Code agent mode, and the Copilot CLI for that event name) sends
`{session_id, cwd, tool_name, tool_input, tool_response, tool_use_id}`; the CLI's own postToolUse `{sessionId,
cwd, toolName, toolArgs, toolResult: {resultType}}`. The tools' argument names are read by the guard's module
for each agent (provguard.guard.cursor, .copilot), and the tool names from the one table the guard uses too
(provguard.agent_tools), so the guard and the recording read a call alike: an MCP file-system write, or a tool
not in the table whose input names a file and new text for it, is recorded by those fields.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from provguard import agent_tools
from provguard.ledger.model import AgentEdit
from provguard.project_markers import nearest_project
from provguard.provenance.origin import Evidence
from provguard.provenance.transcripts import paths
from provguard.provenance.transcripts.records import Call, Recorder, Write, agent_edits, field, input_call_id, now, text
from provguard.untrusted_json import NotJson, json_object, loads_untrusted

POST_EVENTS = (None, "PostToolUse", "postToolUse", "afterFileEdit", "afterTabFileEdit")
CURSOR_TAB = "cursor-tab"
"""The tool of Cursor Tab's inline completions (afterTabFileEdit): their origin is `ai-completion`."""


@dataclass(frozen=True)
class HookEdits:
    edits: list[AgentEdit]
    cwd: str | None
    note: str | None = None
    """Why nothing was recorded, when that is worth saying (not for a tool that edits no file)."""


def parse_payload(data: bytes) -> dict[str, Any] | str:
    return json_object(data, "the hook input")


def project_root(cwd: str | None) -> Path:
    """The nearest folder at or above the agent's working folder holding a ledger or a repository."""
    start = Path(cwd) if cwd else Path.cwd()
    return nearest_project(start) or start


def payload_cwd(payload: dict[str, Any]) -> str | None:
    """The agent's working folder: `cwd`, or Cursor's first workspace root."""
    cwd = text(payload.get("cwd"))
    roots = payload.get("workspace_roots")
    if cwd is None and isinstance(roots, list) and roots:
        cwd = text(roots[0])
    return cwd


def hook_edits(agent: str, payload: dict[str, Any], roots: tuple[str, ...]) -> HookEdits:
    cwd = payload_cwd(payload)
    recorder = Recorder(agent, Evidence.HOOK, roots)
    event = payload.get("hook_event_name")
    if event not in POST_EVENTS:
        return HookEdits([], cwd, f"ignored a {event} event (only PostToolUse, afterFileEdit and afterTabFileEdit "
                         "record edits)")
    if agent == "cursor":
        return _cursor(recorder, payload, cwd)
    if agent == "copilot":
        return _copilot(recorder, payload, cwd)
    tool_input = payload.get("tool_input")
    if not isinstance(tool_input, dict):
        return HookEdits([], cwd, "no tool_input object in the hook input")
    name = str(payload.get("tool_name"))
    if agent == "claude-code":
        return _claude(recorder, payload, name, tool_input, cwd)
    return _codex(recorder, payload, name, tool_input, cwd)


def _claude(recorder: Recorder, payload: dict[str, Any], name: str, tool_input: dict[str, Any],
            cwd: str | None) -> HookEdits:
    from provguard.guard.project import possible
    from provguard.provenance.transcripts import claude_code  # each agent's hook loads only its own format

    tool = agent_tools.known("claude-code", name)
    if tool is None or tool.mcp or tool.name not in claude_code.EDIT_TOOLS:
        return _by_fields(recorder, payload, name, tool_input, cwd)
    call_id, model, agent = (text(payload.get("tool_use_id")), None,
                             claude_code.agent_name(text(payload.get("agent_id"))))
    transcript = text(payload.get("transcript_path"))
    found = (claude_code.find_call(Path(transcript), call_id, name, tool_input, agent)
             if transcript is not None and possible(transcript) else None)  # no NUL byte, nothing unencodable
    if found is not None:
        call_id, model, agent = found.id, found.model, agent or found.agent
    note = None
    if call_id is None:  # Claude Code before tool_use_id was sent, its transcript unreadable: the edit still counts
        call_id = input_call_id(name, tool_input)
        note = (f"no tool_use_id, and the {name} call is not in the transcript: recorded under an id derived from "
                "its input, with no model")
    writes = claude_code.writes(tool.name, tool_input, payload.get("tool_response"), cwd)
    if isinstance(writes, str):
        return HookEdits([], cwd, writes)
    call = Call(text(payload.get("session_id")), call_id, model, now(), f"hook{claude_code.subagent_label(agent)}")
    return HookEdits(agent_edits(recorder, call, writes), cwd, note)


def _codex(recorder: Recorder, payload: dict[str, Any], name: str, tool_input: dict[str, Any],
           cwd: str | None) -> HookEdits:
    from provguard.guard import codex
    from provguard.provenance.transcripts.apply_patch import parse_patch

    tool = agent_tools.known("codex", name)
    patch_text = None if tool is not None and tool.mcp else codex.patch_text(tool_input)
    if patch_text is None:
        return _by_fields(recorder, payload, name, tool_input, cwd)  # else a shell command that applies no patch
    if _failed(payload.get("tool_response")):
        return HookEdits([], cwd, "the patch did not apply; nothing recorded")
    call_id = text(payload.get("tool_use_id"))
    if call_id is None:
        return HookEdits([], cwd, "no tool_use_id in the hook input")
    patch = parse_patch(patch_text)
    workdir = text(tool_input.get("workdir"))
    base = paths.resolve(workdir, cwd) if workdir else cwd
    writes = [Write(paths.resolve(f.target, base), f.added) for f in patch.files]
    call = Call(text(payload.get("session_id")), call_id, text(payload.get("model")), now(), "hook")
    note = "; ".join(str(p) for p in patch.problems) or None
    return HookEdits(agent_edits(recorder, call, writes), cwd, note)


def _cursor(recorder: Recorder, payload: dict[str, Any], cwd: str | None) -> HookEdits:
    from provguard.guard import cursor

    if payload.get("hook_event_name") == "afterTabFileEdit":  # same shape, plus each edit's range and lines
        recorder = replace(recorder, tool=CURSOR_TAB)
    if payload.get("hook_event_name") in ("afterFileEdit", "afterTabFileEdit"):
        path, edits = text(payload.get("file_path")), payload.get("edits")
        if path is None or not isinstance(edits, list):
            return HookEdits([], cwd, f"an {payload.get('hook_event_name')} without file_path and a list of edits")
        texts = [e["new_string"] for e in edits if isinstance(e, dict) and isinstance(e.get("new_string"), str)]
    else:
        name, arguments = text(payload.get("tool_name")), cursor.tool_input(payload)
        tool = agent_tools.known("cursor", name)
        if tool is None or tool.mcp:
            if isinstance(arguments, str):
                return HookEdits([], cwd)
            return _by_fields(recorder, payload, str(name), arguments, cwd)
        if isinstance(arguments, str):
            return HookEdits([], cwd, arguments)
        found = cursor.inserted(tool.name, arguments)
        if isinstance(found, str):
            return HookEdits([], cwd, found)
        by_file: dict[str, list[str]] = {}
        for file, added in found:
            by_file.setdefault(file, []).append(added)
        return HookEdits([edit for file, added_texts in by_file.items()
                          for edit in _cursor_edits(recorder, payload, file, added_texts, cwd)], cwd)
    return HookEdits(_cursor_edits(recorder, payload, path, texts, cwd), cwd)


def _cursor_edits(recorder: Recorder, payload: dict[str, Any], path: str, texts: list[str],
                  cwd: str | None) -> list[AgentEdit]:
    # One generation may edit a file several times, each its own afterFileEdit: the call is the generation
    # and what it wrote, so each is recorded once, and a repeated hook call records nothing new.
    generation = text(payload.get("generation_id")) or text(payload.get("tool_use_id")) or ""
    call_id = f"{generation}:{_digest(path, *texts)}"
    call = Call(text(payload.get("conversation_id")), call_id, text(payload.get("model")), now(), "hook")
    return agent_edits(recorder, call, [Write(paths.resolve(path, cwd), t) for t in texts])


def _copilot(recorder: Recorder, payload: dict[str, Any], cwd: str | None) -> HookEdits:
    from provguard.guard import copilot

    name, arguments = copilot.call(payload)
    tool = agent_tools.known("copilot", name)
    if tool is None or tool.mcp:
        if isinstance(arguments, str):
            return HookEdits([], cwd)
        return _by_fields(recorder, payload, str(name), arguments, cwd)
    if isinstance(arguments, str):
        return HookEdits([], cwd, arguments)
    outcome = _result_type(payload)
    if outcome not in (None, "success"):
        return HookEdits([], cwd, f"the {name} call did not succeed ({outcome}); nothing recorded")
    if _failed(payload.get("tool_response")):
        return HookEdits([], cwd, f"the {name} call failed; nothing recorded")
    found = copilot.inserted(tool.name, arguments)
    if isinstance(found, str):
        return HookEdits([], cwd, found)
    session = text(payload.get("session_id")) or text(payload.get("sessionId"))
    call_id = (text(payload.get("tool_use_id"))
               or _digest(str(payload.get("timestamp")), tool.name, *(t for _, t in found)))
    call = Call(session, call_id, text(payload.get("model")), now(), "hook")
    return HookEdits(agent_edits(recorder, call, [Write(paths.resolve(p, cwd), t) for p, t in found]), cwd)


def _result_type(payload: dict[str, Any]) -> object:
    """The Copilot CLI's result type of the call: `toolResult.resultType` (camelCase payloads) or
    `tool_result.result_type` (the VS Code compatible ones: "success", "failure", "denied" or "error"); None when
    the payload has no result."""
    camel, snake = payload.get("toolResult"), payload.get("tool_result")
    if isinstance(camel, dict):
        return camel.get("resultType")
    return snake.get("result_type") if isinstance(snake, dict) else None


def _by_fields(recorder: Recorder, payload: dict[str, Any], name: str, arguments: dict[str, Any],
               cwd: str | None) -> HookEdits:
    """An MCP file-system write, or a tool not in the table whose input names a file and new text for it,
    recorded by those fields (as the guard judges it); nothing for a tool that writes no file."""
    found = agent_tools.inserted(arguments) if agent_tools.by_fields(recorder.tool, name) else []
    if not found:
        return HookEdits([], cwd)
    if _failed(payload.get("tool_response")) or _result_type(payload) not in (None, "success"):
        return HookEdits([], cwd, f"the {name} call failed; nothing recorded")
    session = (text(payload.get("session_id")) or text(payload.get("sessionId"))
               or text(payload.get("conversation_id")))
    call_id = (text(payload.get("tool_use_id")) or text(payload.get("toolUseId"))
               or _digest(str(payload.get("timestamp")), name, *(f.text for f in found)))
    call = Call(session, call_id, text(payload.get("model")), now(), "hook")
    return HookEdits(agent_edits(recorder, call, [Write(paths.resolve(f.path, cwd), f.text) for f in found]), cwd)


def _digest(*parts: str) -> str:
    import hashlib

    return hashlib.blake2b("\0".join(parts).encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()


_EXIT = re.compile(r"^(?:process exited with code|exit code:)\s*(-?\d+)\s*$", re.MULTILINE)
"""A Codex shell call's exit status in its string `tool_response`: `Exit code: 1` (older), `Process exited with
code 7` (unified exec, after `Chunk ID` and `Wall time` lines). Codex sends PostToolUse for a failed call too,
with no other sign of the failure (openai/codex issue #34289)."""


def _failed(response: Any) -> bool:
    """Only a clear failure counts: the response's exact shape is not part of Codex's documented contract."""
    if isinstance(response, str):
        parsed = loads_untrusted(response)
        if isinstance(parsed, NotJson):
            lowered = response.lstrip().lower()
            if lowered.startswith(("error", "apply_patch verification failed")):
                return True
            code = _EXIT.search(lowered.split("output:", 1)[0][:400])  # the header, before the command's output
            return code is not None and int(code.group(1)) != 0
        response = parsed
    if isinstance(response, dict):
        exit_code = field(response, "metadata", "exit_code")
        if exit_code is None:
            exit_code = response.get("exit_code")
        return (isinstance(exit_code, int) and exit_code != 0) or response.get("success") is False
    return False
