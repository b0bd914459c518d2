"""GitHub Copilot's `preToolUse` hook payload, from the Copilot CLI and from VS Code's agent mode.

Both read hooks from `.github/hooks/*.json`. Two payload styles exist:

- The Copilot CLI's own (event `preToolUse`): `{sessionId, timestamp, cwd, toolName, toolArgs}`, `toolArgs`
  a JSON string (or an object). Its file tools: `create {path, file_text}` and `edit {path, old_str, new_str}`.
- The VS Code compatible one (event `PreToolUse`, also what the Copilot CLI sends for that event name):
  `{hook_event_name: "PreToolUse", session_id, timestamp, cwd, tool_name, tool_input, tool_use_id}`. VS Code's
  file tools: `create_file {filePath, content}`, `replace_string_in_file {filePath, oldString, newString}`,
  `multi_replace_string_in_file {replacements: [{filePath, oldString, newString}]}`, `insert_edit_into_file
  {filePath, code}` (an edit sketched with "...existing code..." lines: its code is judged on its own at the
  file's path) and `apply_patch {input}` (the patch format Codex uses).
- `str_replace_editor {command, path, file_text?, old_str?, new_str?, insert_line?}` (Anthropic's text-editor
  shape, which agent mode offers Claude models): `create`, `str_replace` and `insert` write.
- Under the PascalCase event names the Copilot CLI names its tools the Claude Code way (`Write` for `create`;
  `Edit` for `edit`, `str_replace_editor` and `apply_patch`, told apart here by their input; `Bash`, `Read`, ...:
  agent_tools.CLAUDE_NAMES), and a freeform `apply_patch` has the bare patch for its arguments.

Tool names: provguard.agent_tools.

The answer (outcome.py) carries the decision both ways: the CLI reads `permissionDecision` and
`permissionDecisionReason` at the top level, VS Code reads them in `hookSpecificOutput`.
"""

from __future__ import annotations

from typing import Any

from provguard import agent_tools
from provguard.guard.edits import Replacement, Unreadable, Writes, alone, replaced, string, whole_file
from provguard.guard.project import landing
from provguard.guard.proposed import Skipped, proposed, read_current
from provguard.provenance.transcripts.apply_patch import contains_patch
from provguard.untrusted_json import NotJson, loads_untrusted


def call(payload: dict[str, Any]) -> tuple[str | None, dict[str, Any] | str]:
    """The tool name (the Copilot tool's own, for a Claude Code name the CLI sent) and its arguments, from either
    payload style. Arguments that are a bare patch (a freeform `apply_patch`, as Codex's) are that tool's input."""
    tool = payload.get("tool_name", payload.get("toolName"))
    name = tool if isinstance(tool, str) else None
    arguments = payload.get("tool_input", payload.get("toolArgs"))
    if isinstance(arguments, str):
        raw = arguments
        arguments = loads_untrusted(raw)
        if isinstance(arguments, NotJson):
            if contains_patch(raw):
                return _runtime_name(name, {"input": raw}), {"input": raw}
            return str(tool), "the tool arguments are a string but not JSON"
    if not isinstance(arguments, dict):
        return name, "no tool arguments object in the payload"
    return _runtime_name(name, arguments), arguments


def _runtime_name(name: str | None, arguments: dict[str, Any]) -> str | None:
    """The Copilot CLI's own tool for a Claude Code name (agent_tools.CLAUDE_NAMES); `Edit` by its input: a
    `command` is the text editor's, a patch is apply_patch's, else it is `edit`."""
    if name == "Edit":
        if arguments.get("command") in _EDITOR_COMMANDS:
            return "str_replace_editor"
        from provguard.guard.codex import patch_text

        return "apply_patch" if patch_text(arguments) is not None else "edit"
    return agent_tools.CLAUDE_NAMES["copilot"].get(name, name) if name is not None else None


_EDITOR_COMMANDS = ("create", "str_replace", "insert", "view", "undo_edit")


def writes(tool: str, arguments: dict[str, Any], cwd: str | None) -> tuple[Writes, list[str]] | str:
    try:
        if tool in ("create", "create_file"):
            path = string(arguments, "path", "filePath", what=f"{tool} call")
            return whole_file(path, string(arguments, "file_text", "content", what=f"{tool} call"), cwd), []
        if tool in ("edit", "replace_string_in_file"):
            path = string(arguments, "path", "filePath", what=f"{tool} call")
            return replaced(path, [_replacement(arguments, tool)], cwd), []
        if tool == "multi_replace_string_in_file":
            return _multi(arguments, cwd), []
        if tool == "insert_edit_into_file":
            path = landing(string(arguments, "filePath", "path", what=f"{tool} call"), cwd)
            code = string(arguments, "code", what=f"{tool} call")
            return [proposed(path, None, code)], [f"{path}: an insert_edit_into_file sketch; judged its code alone"]
        if tool == "apply_patch":
            from provguard.guard import codex

            found, notes = codex.writes({"command": string(arguments, "input", "patch", what=f"{tool} call")}, cwd)
            return found, notes
        if tool == "str_replace_editor":
            return _editor(arguments, cwd), []
    except Unreadable as exc:
        return str(exc)
    return f"{tool} is in provguard's table of Copilot's tools but has no reader here"  # the parity test's catch


def _editor(arguments: dict[str, Any], cwd: str | None) -> Writes:
    command = arguments.get("command")
    path = string(arguments, "path", "filePath", what=f"a str_replace_editor {command} call")
    if command == "create":
        return whole_file(path, string(arguments, "file_text", "content", what="a str_replace_editor create"), cwd)
    if command == "str_replace":
        return replaced(path, [Replacement(string(arguments, "old_str", what="a str_replace_editor str_replace"),
                                           string(arguments, "new_str", what="a str_replace_editor str_replace"))],
                        cwd)
    if command == "insert":
        new = string(arguments, "new_str", "text", what="a str_replace_editor insert")
        line = arguments.get("insert_line")
        target = landing(path, cwd)
        current = read_current(target)
        if isinstance(current, Skipped):
            return [current]
        if current.text is None or not isinstance(line, int) or isinstance(line, bool) or line < 0:
            return alone(target, [new], "no line to insert at" if current.text is not None
                         else "the file does not exist, so the insert cannot be applied")
        lines = current.text.splitlines(keepends=True)
        if lines and not lines[-1].endswith("\n"):
            lines[-1] += "\n"
        at = min(line, len(lines))
        return [proposed(target, current.text, "".join(lines[:at]) + new + ("" if new.endswith("\n") else "\n")
                         + "".join(lines[at:]))]
    return []  # view, undo_edit


def _replacement(arguments: dict[str, Any], tool: str) -> Replacement:
    return Replacement(string(arguments, "old_str", "oldString", what=f"{tool} call"),
                       string(arguments, "new_str", "newString", what=f"{tool} call"))


def _multi(arguments: dict[str, Any], cwd: str | None) -> Writes:
    """Replacements grouped by file, in order; each file judged after all of its replacements."""
    items = arguments.get("replacements")
    if not isinstance(items, list) or not items:
        raise Unreadable("multi_replace_string_in_file call without a list of replacements")
    by_file: dict[str, list[Replacement]] = {}
    for item in items:
        if not isinstance(item, dict):
            raise Unreadable("multi_replace_string_in_file call with a replacement that is not an object")
        path = string(item, "filePath", "path", what="a replacement")
        by_file.setdefault(path, []).append(_replacement(item, "multi_replace_string_in_file"))
    return [write for path, steps in by_file.items() for write in replaced(path, steps, cwd)]


def inserted(tool: str, arguments: dict[str, Any]) -> list[tuple[str, str]] | str:
    """(file, text) for each text a file tool's call put in a file, for recording the call once made (the
    PostToolUse hook); a message when the arguments do not say."""
    try:
        if tool in ("create", "create_file"):
            return [(string(arguments, "path", "filePath", what=f"{tool} call"),
                     string(arguments, "file_text", "content", what=f"{tool} call"))]
        if tool in ("edit", "replace_string_in_file"):
            return [(string(arguments, "path", "filePath", what=f"{tool} call"), _replacement(arguments, tool).new)]
        if tool == "multi_replace_string_in_file":
            items = arguments.get("replacements")
            if not isinstance(items, list):
                return "multi_replace_string_in_file call without a list of replacements"
            return [(string(item, "filePath", "path", what="a replacement"), _replacement(item, tool).new)
                    for item in items if isinstance(item, dict)]
        if tool == "insert_edit_into_file":
            return [(string(arguments, "filePath", "path", what=f"{tool} call"),
                     string(arguments, "code", what=f"{tool} call"))]
        if tool == "apply_patch":
            from provguard.provenance.transcripts.apply_patch import parse_patch

            patch = parse_patch(string(arguments, "input", "patch", what=f"{tool} call"))
            return [(file.target, file.added) for file in patch.files]
        if tool == "str_replace_editor":
            command = arguments.get("command")
            path = string(arguments, "path", "filePath", what=f"a str_replace_editor {command} call")
            if command == "create":
                return [(path, string(arguments, "file_text", "content", what="a str_replace_editor create"))]
            if command in ("str_replace", "insert"):
                return [(path, string(arguments, "new_str", "text", what=f"a str_replace_editor {command}"))]
    except Unreadable as exc:
        return str(exc)
    return []
