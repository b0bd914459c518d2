"""Claude Code's PreToolUse payload: the file a Write, Edit, MultiEdit or NotebookEdit call would change.

The payload is `{session_id, transcript_path, cwd, permission_mode, hook_event_name: "PreToolUse", tool_name,
tool_input, tool_use_id}`. The tool inputs:

- Write: `{file_path, content}`: the whole new file.
- Edit: `{file_path, old_string, new_string, replace_all?}`: the first (or every) occurrence replaced; an
  empty `old_string` on a missing file creates it.
- MultiEdit: `{file_path, edits: [{old_string, new_string, replace_all?}, ...]}`: applied in order, all or none.
- NotebookEdit: `{notebook_path, new_source, cell_id?, cell_type?, edit_mode?}`: a code cell's source is judged
  as the text written at the notebook's path; markdown cells and deletions write no code.

An edit that cannot be applied (its `old_string` is not in the file, or the file is missing) writes nothing,
but its new text is judged on its own at the file's path, with a note on stderr saying why (edits.replaced).
The tool names come from provguard.agent_tools.
"""

from __future__ import annotations

from typing import Any

from provguard.guard.edits import Replacement, Unreadable, Writes, replaced, string, whole_file
from provguard.guard.project import landing
from provguard.guard.proposed import proposed


def writes(tool: str, tool_input: dict[str, Any], cwd: str | None) -> Writes | str:
    """The write the call would make, or why the payload cannot be read; [] for a call that writes nothing."""
    try:
        if tool == "NotebookEdit":
            return _notebook(tool_input, cwd)
        path = string(tool_input, "file_path", what=f"{tool} call")
        if tool == "Write":
            return whole_file(path, string(tool_input, "content", what="Write call"), cwd)
        edits = [tool_input] if tool == "Edit" else tool_input.get("edits")
        if not isinstance(edits, list) or not edits:
            return "MultiEdit call without a list of edits"
        return replaced(path, [_replacement(edit, number) for number, edit in enumerate(edits, 1)], cwd)
    except Unreadable as exc:
        return str(exc)


def _replacement(edit: Any, number: int) -> Replacement:
    if not isinstance(edit, dict):
        raise Unreadable(f"edit {number} is not an object")
    old, new = edit.get("old_string"), edit.get("new_string")
    if not isinstance(old, str) or not isinstance(new, str):
        raise Unreadable(f"edit {number} without old_string and new_string strings")
    return Replacement(old, new, edit.get("replace_all") is True)


def _notebook(tool_input: dict[str, Any], cwd: str | None) -> Writes:
    path = string(tool_input, "notebook_path", what="NotebookEdit call")
    if tool_input.get("edit_mode") == "delete" or tool_input.get("cell_type") == "markdown":
        return []
    source = string(tool_input, "new_source", what="NotebookEdit call")
    return [proposed(landing(path, cwd), None, source)]
