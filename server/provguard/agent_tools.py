"""The one table of the file-writing tools each agent has, by name, and how a name the agent sends is
normalised onto it. The guard (provguard.guard) judges these calls and the recording hook
(provguard.provenance.hooks) records them; both read the names here, so a tool one knows the other knows too.

Kept free of imports from either side so both can use it without an import cycle. Field names of each tool's
input are read by the agent's own module (provguard.guard.claude_code, .codex, .cursor, .copilot); the MCP
file-system server's tools and tools not in the table are read here, by their fields alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from typing import Any


class Kind(Enum):
    """What a tool writes."""

    WHOLE_FILE = "whole file"
    REPLACE = "string replace"
    MULTI_EDIT = "multi-edit"
    PATCH = "patch"
    INSERT = "insert"
    NOTEBOOK = "notebook cell"
    EDITOR = "editor command"
    """Anthropic's text-editor shape (`str_replace_editor`): create, str_replace or insert, by `command`."""
    SHELL = "shell command"
    """A command that may carry a patch (Codex's Bash with an apply_patch heredoc)."""


WRITE_TOOLS: dict[str, dict[str, Kind]] = {
    "claude-code": {"Write": Kind.WHOLE_FILE, "Edit": Kind.REPLACE, "MultiEdit": Kind.MULTI_EDIT,
                    "NotebookEdit": Kind.NOTEBOOK},
    "codex": {"apply_patch": Kind.PATCH, "Bash": Kind.SHELL, "shell": Kind.SHELL, "exec_command": Kind.SHELL,
              "local_shell": Kind.SHELL},
    "cursor": {"Write": Kind.WHOLE_FILE, "StrReplace": Kind.REPLACE, "Edit": Kind.REPLACE,
               "MultiEdit": Kind.MULTI_EDIT, "ApplyPatch": Kind.PATCH},
    "copilot": {"create": Kind.WHOLE_FILE, "edit": Kind.REPLACE, "create_file": Kind.WHOLE_FILE,
                "replace_string_in_file": Kind.REPLACE, "multi_replace_string_in_file": Kind.MULTI_EDIT,
                "insert_edit_into_file": Kind.INSERT, "apply_patch": Kind.PATCH,
                "str_replace_editor": Kind.EDITOR},
}
"""Each agent's own file-writing tools, by the name its hooks send (after `normalise`). Codex's shell tools are
here as well as in SHELL_TOOLS: a command of theirs may carry an apply_patch heredoc, which the guard judges."""

MCP_WRITE_TOOLS: dict[str, Kind] = {"write_file": Kind.WHOLE_FILE, "edit_file": Kind.MULTI_EDIT}
"""The MCP file-system server's writing tools (`write_file {path, content}`, `edit_file {path, edits: [{oldText,
newText}], dryRun}`), under any server name: `mcp__<server>__<tool>` (Claude Code, Codex), `mcp_<server>_<tool>`
(VS Code), `<server>-<tool>` (the Copilot CLI) or `MCP:<tool>`, no server named (Cursor: `MCP:browser_navigate`
as cursor-agent 2026.09.02 sent it to a postToolUse hook)."""

READ_ONLY_TOOLS: dict[str, frozenset[str]] = {
    "claude-code": frozenset({"Read", "Bash", "BashOutput", "KillShell", "Glob", "Grep", "LS", "WebFetch",
                              "WebSearch", "Task", "TodoWrite", "ExitPlanMode", "SlashCommand", "Skill"}),
    "codex": frozenset(),  # its hooks see Bash (judged for a patch), apply_patch and MCP tools
    "cursor": frozenset({"Read", "Shell", "Grep", "Glob", "LS", "Delete", "Task", "CodebaseSearch", "WebSearch",
                         "ReadLints", "TodoWrite"}),
    "copilot": frozenset({"ask_user", "bash", "glob", "grep", "powershell", "task", "view", "web_fetch",
                          "read_file", "list_dir", "file_search", "grep_search", "semantic_search",
                          "run_in_terminal", "get_terminal_output", "get_errors", "fetch_webpage",
                          "manage_todo_list", "runSubagent", "rg", "web_search", "update_todo", "report_intent",
                          "task_complete", "read_agent", "skill"}),
}
"""Tools each agent documents that write no file: let through without a word. (The Copilot CLI's `report_intent`,
`task_complete`, `read_agent` and `skill` are seen in its real session records and other projects' captures of its
hook payloads: its guard entry has no matcher, so they reach it.)"""

CLAUDE_NAMES: dict[str, dict[str, str]] = {
    "copilot": {"Write": "create", "Read": "view", "Bash": "bash", "Grep": "grep", "Glob": "glob",
                "WebFetch": "web_fetch", "WebSearch": "web_search", "AskUserQuestion": "ask_user",
                "TodoWrite": "update_todo", "Agent": "task", "Task": "task"},
}
"""The agent's own tool behind each Claude Code tool name its hooks may send: the Copilot CLI names its tools the
Claude Code way in the payloads of hooks installed under the PascalCase `PreToolUse` (GitHub's hooks reference,
"Claude-format matchers"). `Edit` stands for three of its tools (CLAUDE_EDIT): provguard.guard.copilot tells them
apart by their input."""

CLAUDE_EDIT: dict[str, tuple[str, ...]] = {"copilot": ("edit", "str_replace_editor", "apply_patch")}
"""The agent's own tools that its hooks name `Edit` under the PascalCase events."""

SHELL_TOOLS: dict[str, tuple[str, ...]] = {
    "claude-code": ("Bash", "PowerShell"),
    "codex": ("Bash", "shell", "exec_command", "local_shell"),
    "cursor": ("Shell", "run_terminal_cmd"),
    "copilot": ("run_in_terminal", "bash", "powershell"),
}
"""Each agent's shell tools: what they write is found by comparing the files git reports as changed before
and after the call (provguard.provenance.shell_writes). The guard cannot judge a command before it runs, so it
lets these through without a word (Codex's: once their command carries no patch). Claude Code on Windows runs
commands with its `PowerShell` tool (same `command` input as `Bash`). Codex's hooks send `Bash`; `shell`,
`exec_command` and `local_shell` are its rollouts' names for the same tool."""

PREFIXES = ("functions.",)
"""Namespaces some hosts put before a tool's name (Codex Desktop: `functions.apply_patch`)."""

_MCP = re.compile(r"mcp__.+__(?P<tool>[^_].*)|mcp_.+?_(?P<vscode>write_file|edit_file)"
                  r"|MCP:(?P<cursor>write_file|edit_file)|[\w.-]+-(?P<cli>write_file|edit_file)")


@dataclass(frozen=True)
class Tool:
    name: str
    """The table's name for the tool (for an MCP tool: `write_file` or `edit_file`)."""
    kind: Kind
    mcp: bool = False


def _fold(name: str) -> str:
    return name.replace("_", "").replace("-", "").lower()


def normalise(name: str) -> str:
    for prefix in PREFIXES:
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


def known(agent: str, name: object) -> Tool | None:
    """The table's tool for a name as the agent sent it: exactly, after a host prefix, in another case or
    spelling (`ApplyPatch`, `apply_patch`), or an MCP file-system write under any server; None otherwise."""
    if not isinstance(name, str):
        return None
    name = normalise(name)
    tools = WRITE_TOOLS.get(agent, {})
    if name in tools:
        return Tool(name, tools[name])
    folded = {_fold(own): own for own in tools}
    if (own := folded.get(_fold(name))) is not None:
        return Tool(own, tools[own])
    match = _MCP.fullmatch(name)
    if match is not None:
        tool = match.group("tool") or match.group("vscode") or match.group("cursor") or match.group("cli")
        if tool in MCP_WRITE_TOOLS:
            return Tool(tool, MCP_WRITE_TOOLS[tool], mcp=True)
    return None


def read_only(agent: str, name: object) -> bool:
    """A tool the agent documents as writing no file."""
    return normalise(str(name)) in READ_ONLY_TOOLS.get(agent, frozenset())


def by_fields(agent: str, name: object) -> bool:
    """Whether a call of this name whose input names a file and new text for it is taken as a write of that text
    (judged by the guard, recorded by the hook): any name but the agent's read-only and shell tools (what a shell
    command writes is found by comparing the files after it). One answer for both sides."""
    return not read_only(agent, name) and not shell(agent, name)


def mcp_tool(name: object) -> bool:
    """An MCP tool (`mcp__server__tool`, VS Code's `mcp_server_tool`, Cursor's `MCP:tool`, `server/tool`)."""
    text = normalise(str(name))
    return text.startswith(("mcp_", "MCP:")) or "/" in text


def shell(agent: str, name: object) -> bool:
    """One of the agent's shell tools (a host's prefix and another spelling allowed)."""
    if not isinstance(name, str):
        return False
    return _fold(normalise(name)) in {_fold(own) for own in SHELL_TOOLS.get(agent, ())}


def shell_matcher(agent: str) -> str:
    """The hook matcher of the agent's shell tools (the pre-tool hook that snapshots the files before one), with the
    Claude Code names its hooks may match them by (the Copilot CLI's `Bash`)."""
    names = list(SHELL_TOOLS[agent])
    names += [claude for claude, own in CLAUDE_NAMES.get(agent, {}).items() if own in names and claude not in names]
    return "|".join(names)


def matcher(agent: str, with_shell: bool = False) -> str:
    """The hook matcher that reaches every writing tool of the agent's in the table (Codex's Bash aside: a
    shell command is judged only when it reaches the guard anyway); `with_shell`: the shell tools too, for the
    recording hook that compares the files after a shell call."""
    names = [name for name, kind in WRITE_TOOLS[agent].items() if kind is not Kind.SHELL]
    if agent == "codex":
        names += [prefix + name for prefix in PREFIXES for name in list(names)]
    if with_shell:
        names += [name for name in SHELL_TOOLS[agent] if name not in names]
    if (mcp := mcp_matcher(agent)) is not None:
        names.append(mcp)
    return "|".join(names)


def mcp_matcher(agent: str) -> str | None:
    """The hook matcher of the MCP file-system server's writing tools under the agent's naming (None for Copilot,
    whose guard entry has no matcher)."""
    tools = "|".join(MCP_WRITE_TOOLS)
    return {"claude-code": f"mcp__.*__({tools})", "codex": f"mcp__.*__({tools})", "cursor": f"MCP:({tools})"}.get(agent)


PATH_FIELDS = ("file_path", "path", "filePath", "target_file", "targetFile", "filename", "file", "notebook_path",
               "uri")
"""Where a tool's input names the file it writes, in the spellings agents and servers use."""
WHOLE_FIELDS = ("content", "contents", "file_text", "fileText", "text")
"""Fields that hold the whole new file."""
PART_FIELDS = ("new_string", "newString", "new_str", "newStr", "newText", "new_text", "code", "code_edit",
               "codeEdit", "new_source", "replacement", "insert_text")
"""Fields that hold a part of the file: new text whose place in the file is not known here."""


@dataclass(frozen=True)
class Inserted:
    """Text a call puts in a file, by its fields alone."""

    path: str
    text: str
    whole: bool
    """The text is the whole file (else a part of it, to be judged on its own)."""


def inserted(arguments: dict[str, Any]) -> list[Inserted]:
    """The texts an MCP file-system write, or a tool not in the table, puts in a file: a path field and a
    content field (an MCP `edit_file`: each edit's `newText`). [] when the input has no such pair, or the call
    is a dry run."""
    path = next((arguments[f] for f in PATH_FIELDS if isinstance(arguments.get(f), str) and arguments[f]), None)
    if path is None or arguments.get("dryRun") is True:
        return []
    for fields, whole in ((WHOLE_FIELDS, True), (PART_FIELDS, False)):
        for field in fields:
            value = arguments.get(field)
            if isinstance(value, str):
                return [Inserted(path, value, whole)]
    edits = arguments.get("edits")
    if isinstance(edits, list):
        return [Inserted(path, text, False) for edit in edits if isinstance(edit, dict)
                for text in (edit.get("newText", edit.get("new_string", edit.get("newString"))),)
                if isinstance(text, str)]
    return []
