"""Cursor's `preToolUse` hook payload: the file a Write, StrReplace, Edit or MultiEdit call would change.

The payload is `{hook_event_name: "preToolUse", conversation_id, generation_id, model, cursor_version,
workspace_roots, tool_name, tool_input, ...}`; `tool_input` is an object or a JSON string. Cursor's agent
names the file `path` (`file_path` in some versions) and a Write's text `contents` (or `content`);
StrReplace and Edit take `old_string`, `new_string`, `replace_all`; MultiEdit a list of such `edits`; with
GPT models, ApplyPatch takes a patch in Codex's format (read as Codex's, from whichever argument holds it).
Other tools (Read, Shell, Grep, Delete, ...) write no code. Tool names: provguard.agent_tools.

The answer (outcome.py) is `{"permission": "deny" | "ask", "user_message": ..., "agent_message": ...}`.
"""

from __future__ import annotations

from typing import Any

from provguard.guard.edits import Replacement, Unreadable, Writes, replaced, string, whole_file
from provguard.untrusted_json import NotJson, loads_untrusted


def tool_input(payload: dict[str, Any]) -> dict[str, Any] | str:
    value = payload.get("tool_input")
    if isinstance(value, str):
        value = loads_untrusted(value)
        if isinstance(value, NotJson):
            return "tool_input is a string but not JSON"
    return value if isinstance(value, dict) else "no tool_input object in the payload"


def writes(tool: str, arguments: dict[str, Any], cwd: str | None) -> tuple[Writes, list[str]] | str:
    if tool == "ApplyPatch":
        from provguard.guard import codex

        if codex.patch_text(arguments) is None:
            return "ApplyPatch call without a patch"
        return codex.writes(arguments, cwd)
    found = _edits(tool, arguments, cwd)
    return found if isinstance(found, str) else (found, [])


def _edits(tool: str, arguments: dict[str, Any], cwd: str | None) -> Writes | str:
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


def inserted(tool: str, arguments: dict[str, Any]) -> list[tuple[str, str]] | str:
    """(file, text) for each text a file tool's call put in a file, for recording the call once made (the
    postToolUse hook); a message when the arguments do not say."""
    try:
        if tool == "ApplyPatch":
            from provguard.guard import codex
            from provguard.provenance.transcripts.apply_patch import parse_patch

            patch = codex.patch_text(arguments)
            if patch is None:
                return "ApplyPatch call without a patch"
            return [(file.target, file.added) for file in parse_patch(patch).files]
        path = string(arguments, "path", "file_path", what=f"{tool} call")
        if tool == "Write":
            return [(path, string(arguments, "contents", "content", what="Write call"))]
        edits = arguments.get("edits") if tool == "MultiEdit" else [arguments]
        if not isinstance(edits, list):
            return "MultiEdit call without a list of edits"
        return [(path, string(e, "new_string", what=f"{tool} call")) for e in edits if isinstance(e, dict)]
    except Unreadable as exc:
        return str(exc)
