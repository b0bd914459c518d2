"""Agent hooks: the edit a tool call just made, recorded while the agent runs.

Claude Code's PostToolUse hook sends `{session_id, transcript_path, cwd, hook_event_name, tool_name,
tool_input, tool_response, tool_use_id}` on stdin; Codex's (0.124 and later) sends the same shape plus
`model` and `turn_id`, with `tool_name` "apply_patch" and the patch as `tool_input.command`. Edits get the
ids a later transcript import derives for the same call, so importing afterwards adds nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from provguard.ledger.model import AgentEdit
from provguard.provenance.origin import Evidence
from provguard.provenance.transcripts import paths
from provguard.provenance.transcripts.records import Call, Recorder, Write, agent_edits, field, now, text

PROJECT_MARKERS = (".provguard", ".git")


@dataclass(frozen=True)
class HookEdits:
    edits: list[AgentEdit]
    cwd: str | None
    note: str | None = None
    """Why nothing was recorded, when that is worth saying (not for a tool that edits no file)."""


def parse_payload(data: bytes) -> dict[str, Any] | str:
    try:
        payload = json.loads(data)
    except UnicodeDecodeError:
        return "the hook input is not UTF-8"
    except ValueError as exc:
        return f"the hook input is not JSON ({getattr(exc, 'msg', exc)})"
    return payload if isinstance(payload, dict) else "the hook input is not a JSON object"


def project_root(cwd: str | None) -> Path:
    """The nearest folder at or above the agent's working folder holding a ledger or a repository."""
    start = Path(cwd) if cwd else Path.cwd()
    for folder in (start, *start.parents):
        if any((folder / marker).exists() for marker in PROJECT_MARKERS):
            return folder
    return start


def hook_edits(agent: str, payload: dict[str, Any], roots: tuple[str, ...]) -> HookEdits:
    cwd = text(payload.get("cwd"))
    recorder = Recorder(agent, Evidence.HOOK, roots)
    event = payload.get("hook_event_name")
    if event not in (None, "PostToolUse"):
        return HookEdits([], cwd, f"ignored a {event} event (only PostToolUse records edits)")
    tool_input = payload.get("tool_input")
    if not isinstance(tool_input, dict):
        return HookEdits([], cwd, "no tool_input object in the hook input")
    name = str(payload.get("tool_name"))
    if agent == "claude-code":
        return _claude(recorder, payload, name, tool_input, cwd)
    return _codex(recorder, payload, tool_input, cwd)


def _claude(recorder: Recorder, payload: dict[str, Any], name: str, tool_input: dict[str, Any],
            cwd: str | None) -> HookEdits:
    from provguard.provenance.transcripts import claude_code  # each agent's hook loads only its own format

    if name not in claude_code.EDIT_TOOLS:
        return HookEdits([], cwd)
    call_id, model = text(payload.get("tool_use_id")), None
    transcript = text(payload.get("transcript_path"))
    found = claude_code.find_call(Path(transcript), call_id, name, tool_input) if transcript else None
    if found is not None:
        call_id, model = found
    if call_id is None:
        return HookEdits([], cwd, f"no tool_use_id, and the {name} call is not in the transcript")
    writes = claude_code.writes(name, tool_input, payload.get("tool_response"), cwd)
    if isinstance(writes, str):
        return HookEdits([], cwd, writes)
    call = Call(text(payload.get("session_id")), call_id, model, now(), "hook")
    return HookEdits(agent_edits(recorder, call, writes), cwd)


def _codex(recorder: Recorder, payload: dict[str, Any], tool_input: dict[str, Any], cwd: str | None) -> HookEdits:
    from provguard.provenance.transcripts.apply_patch import contains_patch, parse_patch

    command = tool_input.get("command")
    patch_text = next((part for part in (command if isinstance(command, list) else [command])
                       if isinstance(part, str) and contains_patch(part)), None)
    if patch_text is None:
        return HookEdits([], cwd)  # a shell command that applies no patch
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


def _failed(response: Any) -> bool:
    """Only a clear failure counts: the response's exact shape is not part of Codex's documented contract."""
    if isinstance(response, str):
        try:
            response = json.loads(response)
        except ValueError:
            lowered = response.lstrip().lower()
            return lowered.startswith(("error", "apply_patch verification failed")) or "exit code: 1" in lowered[:40]
    if isinstance(response, dict):
        exit_code = field(response, "metadata", "exit_code")
        if exit_code is None:
            exit_code = response.get("exit_code")
        return (isinstance(exit_code, int) and exit_code != 0) or response.get("success") is False
    return False
