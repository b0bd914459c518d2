"""Claude Code's PreToolUse payload: the file a Write, Edit, MultiEdit or NotebookEdit call would change.

The payload is `{session_id, transcript_path, cwd, permission_mode, hook_event_name: "PreToolUse", tool_name,
tool_input, tool_use_id}`. The tool inputs:

- Write: `{file_path, content}`: the whole new file.
- Edit: `{file_path, old_string, new_string, replace_all?}`: the first (or every) occurrence replaced; an
  empty `old_string` on a missing file creates it.
- MultiEdit: `{file_path, edits: [{old_string, new_string, replace_all?}, ...]}`: applied in order, all or none.
- NotebookEdit: `{notebook_path, new_source, cell_id?, cell_type?, edit_mode?}`: a code cell's source is judged
  as the text written at the notebook's path; markdown and raw cells and deletions write no code. A replaced
  cell keeps its type, so without `cell_type` the type is the notebook's for `cell_id`.

An edit that cannot be applied (its `old_string` is not in the file, or the file is missing) writes nothing,
but its new text is judged on its own at the file's path, with a note on stderr saying why (edits.replaced).
The tool names come from provguard.agent_tools.
"""

from __future__ import annotations

from typing import Any

from provguard.guard.edits import Replacement, Unreadable, Writes, replaced, string, whole_file
from provguard.guard.project import landing
from provguard.guard.proposed import Skipped, proposed, read_current
from provguard.untrusted_json import loads_untrusted


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
    path = landing(string(tool_input, "notebook_path", what="NotebookEdit call"), cwd)
    mode, cell_type = tool_input.get("edit_mode"), tool_input.get("cell_type")
    if mode == "delete":
        return []
    if cell_type is None and mode in (None, "replace"):  # a replaced cell keeps its type
        cell_type = _cell_type(path, tool_input.get("cell_id"))
    if cell_type in NOT_CODE:
        return []
    source = string(tool_input, "new_source", what="NotebookEdit call")
    return [proposed(path, None, source)]


NOT_CODE = ("markdown", "raw")
"""Notebook cell types whose text is not run: prose, like the import and the hook, which record no code for them."""


def _cell_type(path: str, cell_id: object) -> str | None:
    """The type of the notebook's cell `cell_id` (its `id`, or `cell-N` for the N-th cell of a notebook without
    ids, as Claude Code names them); None when the notebook or the cell cannot be read: judged as code."""
    if not isinstance(cell_id, str):
        return None
    current = read_current(path)
    if isinstance(current, Skipped) or current.text is None:
        return None
    notebook = loads_untrusted(current.text)
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(cells, list):
        return None
    found = next((c for c in cells if isinstance(c, dict) and c.get("id") == cell_id), None)
    number = cell_id.removeprefix("cell-")
    if found is None and number.isascii() and number.isdigit() and len(number) < 10 and int(number) < len(cells):
        found = cells[int(number)]
    kind = found.get("cell_type") if isinstance(found, dict) else None
    return kind if isinstance(kind, str) else None
