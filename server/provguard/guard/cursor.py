"""Cursor's `preToolUse` hook payload: the file a Write, StrReplace, Edit or MultiEdit call would change.

The payload is `{hook_event_name: "preToolUse", conversation_id, generation_id, model, cursor_version,
workspace_roots, tool_name, tool_input, ...}`; `tool_input` is an object or a JSON string. Cursor's agent
names the file `path` (`file_path` in some versions) and a Write's text `contents` (or `content`);
StrReplace and Edit take `old_string`, `new_string`, `replace_all`; MultiEdit a list of such `edits`. Other
tools (Read, Shell, Grep, Delete, ...) write no code.

The answer (outcome.py) is `{"permission": "deny" | "ask", "user_message": ..., "agent_message": ...}`.
"""

from __future__ import annotations

from typing import Any

from provguard.guard.edits import Replacement, Unreadable, Writes, replaced, string, whole_file
from provguard.untrusted_json import NotJson, loads_untrusted

TOOLS = ("Write", "StrReplace", "Edit", "MultiEdit")


def tool_input(payload: dict[str, Any]) -> dict[str, Any] | str:
    value = payload.get("tool_input")
    if isinstance(value, str):
        value = loads_untrusted(value)
        if isinstance(value, NotJson):
            return "tool_input is a string but not JSON"
    return value if isinstance(value, dict) else "no tool_input object in the payload"


def writes(tool: str, arguments: dict[str, Any], cwd: str | None) -> Writes | str:
    try:
        path = string(arguments, "path", "file_path", what=f"{tool} call")
        if tool == "Write":
            return whole_file(path, string(arguments, "contents", "content", what="Write call"), cwd)
        edits = arguments.get("edits") if tool == "MultiEdit" else [arguments]
        if not isinstance(edits, list) or not edits:
            return "MultiEdit call without a list of edits"
        steps = []
        for edit in edits:
            if not isinstance(edit, dict):
                return f"{tool} call with an edit that is not an object"
            steps.append(Replacement(string(edit, "old_string", what=f"{tool} call"),
                                     string(edit, "new_string", what=f"{tool} call"), edit.get("replace_all") is True))
        return replaced(path, steps, cwd)
    except Unreadable as exc:
        return str(exc)



def inserted(tool: str, arguments: dict[str, Any]) -> tuple[str, list[str]] | str:
    """The file a file tool's call names and the texts it put there, for recording the call once made (the
    afterFileEdit and postToolUse hooks); a message when the arguments do not say."""
    try:
        path = string(arguments, "path", "file_path", what=f"{tool} call")
        if tool == "Write":
            return path, [string(arguments, "contents", "content", what="Write call")]
        edits = arguments.get("edits") if tool == "MultiEdit" else [arguments]
        if not isinstance(edits, list):
            return "MultiEdit call without a list of edits"
        return path, [string(e, "new_string", what=f"{tool} call") for e in edits if isinstance(e, dict)]
    except Unreadable as exc:
        return str(exc)
