"""Claude Code's PreToolUse payload: the file a Write, Edit, MultiEdit or NotebookEdit call would change.

The payload is `{session_id, transcript_path, cwd, permission_mode, hook_event_name: "PreToolUse", tool_name,
tool_input, tool_use_id}`. The tool inputs:

- Write: `{file_path, content}`: the whole new file.
- Edit: `{file_path, old_string, new_string, replace_all?}`: the first (or every) occurrence replaced; an
  empty `old_string` on a missing file creates it.
- MultiEdit: `{file_path, edits: [{old_string, new_string, replace_all?}, ...]}`: applied in order, all or none.
- NotebookEdit: `{notebook_path, new_source, cell_id?, cell_type?, edit_mode?}`: a code cell's source is judged
  as the text written at the notebook's path; markdown cells and deletions write no code.

A call that would fail (its `old_string` is not in the file) writes nothing and is let through: the tool
reports the failure itself.
"""

from __future__ import annotations

from typing import Any

from provguard.guard.proposed import Current, ProposedWrite, Skipped, proposed, read_current
from provguard.provenance.transcripts import paths

TOOLS = ("Write", "Edit", "MultiEdit", "NotebookEdit")

Writes = list[ProposedWrite | Skipped]


def writes(tool: str, tool_input: dict[str, Any], cwd: str | None) -> Writes | str:
    """The write the call would make, or why the payload cannot be read; [] for a call that writes nothing."""
    key = "notebook_path" if tool == "NotebookEdit" else "file_path"
    path = tool_input.get(key)
    if not isinstance(path, str) or not path:
        return f"{tool} call without a {key}"
    path = paths.resolve(path, cwd)
    if tool == "NotebookEdit":
        return _notebook(path, tool_input)
    current = read_current(path)
    if isinstance(current, Skipped):
        return [current]
    if tool == "Write":
        content = tool_input.get("content")
        if not isinstance(content, str):
            return "Write call without a content string"
        return [proposed(path, current.text, content)]
    edits = [tool_input] if tool == "Edit" else tool_input.get("edits")
    if not isinstance(edits, list) or not edits:
        return "MultiEdit call without a list of edits"
    try:
        new = _apply(current, edits)
    except _Unreadable as exc:
        return str(exc)
    return [] if new is None else [proposed(path, current.text, new)]


class _Unreadable(Exception):
    """An edit the payload does not spell out."""


def _apply(current: Current, edits: list[Any]) -> str | None:
    """The text after the edits; None when one would fail (so the call writes nothing)."""
    text = current.text
    for number, edit in enumerate(edits, 1):
        if not isinstance(edit, dict):
            raise _Unreadable(f"edit {number} is not an object")
        old, new = edit.get("old_string"), edit.get("new_string")
        if not isinstance(old, str) or not isinstance(new, str):
            raise _Unreadable(f"edit {number} without old_string and new_string strings")
        if text is None:
            if old:
                return None  # editing a file that does not exist: the tool fails
            text = new
            continue
        if not old or old not in text:
            return None
        text = text.replace(old, new) if edit.get("replace_all") is True else text.replace(old, new, 1)
    return text


def _notebook(path: str, tool_input: dict[str, Any]) -> Writes | str:
    if tool_input.get("edit_mode") == "delete" or tool_input.get("cell_type") == "markdown":
        return []
    source = tool_input.get("new_source")
    if not isinstance(source, str):
        return "NotebookEdit call without a new_source string"
    return [proposed(path, None, source)]
