"""The tool names the guard and the recording hook know, from one table (provguard.agent_tools): every
file-writing tool of Claude Code, Codex, Cursor and Copilot is judged by `provguard guard <agent>` and recorded
by `provguard hook <agent>`, under the names the agents really send (a host's `functions.` prefix, another
spelling, an MCP file-system server under any name); a tool the table does not know is judged by its input's
fields; an edit that cannot be applied has its new text judged alone. Run as the agents run them."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any

import pytest

from git_support import Repo
from guard_support import SAMPLE_ROOT, allowed, answer, guard, payload
from provguard.agent_tools import (
    CLAUDE_EDIT,
    CLAUDE_NAMES,
    READ_ONLY_TOOLS,
    SHELL_TOOLS,
    WRITE_TOOLS,
    Kind,
    known,
    matcher,
    read_only,
    shell,
    shell_matcher,
)
from provguard.guard.agent_hooks import agent_hooks
from provguard.ledger.sqlite import SqliteLedger
from provguard.provenance.transcripts import claude_code

DATA = "training_data/prompts.py"
OLD = "EXAMPLES = []"
NEW = 'EXAMPLES = ["vat(100) == 20"]'


@pytest.fixture
def project(project: Path) -> Path:
    """The shared git project (conftest.py), with this module's files."""
    root = project
    for folder in ("training_data", "src"):
        (root / folder).mkdir()
        (root / folder / "prompts.py").write_text(OLD + "\n", encoding="utf-8")
    return root


def refused(agent: str, done: subprocess.CompletedProcess[str]) -> bool:
    found = answer(agent, done)
    if agent == "cursor":
        return bool(found["permission"] == "deny")
    return bool(found["hookSpecificOutput"]["permissionDecision"] == "deny")


def elsewhere(stdin: bytes) -> bytes:
    """The same call, writing to src/ instead of the training-data folder."""
    return stdin.replace(b"training_data/", b"src/")


# -- the names agents send -----------------------------------------------------------------------------------

NEW_NAMES = [
    ("codex", "codex-desktop-functions-apply-patch.json"),
    ("codex", "codex-mcp-edit-file.json"),
    ("cursor", "cursor-applypatch-training-data.json"),
    ("copilot", "copilot-vscode-str-replace-editor.json"),
    ("copilot", "copilot-vscode-mcp-write-file.json"),
    ("claude-code", "claude-code-mcp-write-file.json"),
]


@pytest.mark.parametrize(("agent", "fixture"), NEW_NAMES)
def test_a_tool_name_variant_is_refused_in_training_data_and_let_through_elsewhere(
        project: Path, agent: str, fixture: str) -> None:
    stdin = payload(fixture, project)

    assert refused(agent, guard(agent, stdin))
    assert allowed(guard(agent, elsewhere(stdin))) == ""


@pytest.mark.parametrize(("agent", "sent", "table"), [
    ("codex", "functions.apply_patch", "apply_patch"),
    ("cursor", "apply_patch", "ApplyPatch"),
    ("copilot", "functions.create_file", "create_file"),
    ("claude-code", "write", "Write"),
])
def test_a_host_prefix_or_another_spelling_is_the_same_tool(agent: str, sent: str, table: str) -> None:
    tool = known(agent, sent)
    assert tool is not None and (tool.name, tool.mcp) == (table, False)


@pytest.mark.parametrize(("agent", "sent", "table"), [
    ("claude-code", "mcp__filesystem__write_file", "write_file"),
    ("codex", "mcp__my_files__edit_file", "edit_file"),
    ("copilot", "mcp_mcp-filesystem_edit_file", "edit_file"),
    ("copilot", "filesystem-write_file", "write_file"),  # the Copilot CLI: `<server>-<tool>`
    ("copilot", "mcp-filesystem-edit_file", "edit_file"),
    ("cursor", "MCP:write_file", "write_file"),  # Cursor names no server: `MCP:<tool>`
    ("cursor", "MCP:edit_file", "edit_file"),
])
def test_an_mcp_file_system_write_is_known_under_any_server_name(agent: str, sent: str, table: str) -> None:
    tool = known(agent, sent)
    assert tool is not None and (tool.name, tool.mcp) == (table, True)


@pytest.mark.parametrize(("agent", "sent"), [("claude-code", "mcp__filesystem__read_file"),
                                             ("cursor", "MCP:browser_navigate"), ("copilot", "filesystem-read_file")])
def test_an_mcp_tool_that_reads_is_not_a_write(agent: str, sent: str) -> None:
    assert known(agent, sent) is None


def test_an_mcp_write_as_cursor_names_it_reaches_the_installed_guard_and_is_refused(project: Path) -> None:
    """cursor-agent names an MCP server's tool `MCP:<tool>` (`MCP:browser_navigate` in its postToolUse payloads):
    the guard's matcher (an unanchored regex in Cursor) must reach `MCP:write_file`, which is judged by its input."""
    pattern = next(entry.hook["matcher"] for entry in agent_hooks("cursor").entries
                   if entry.command.endswith("guard cursor"))
    tool_input, _ = sample_input("cursor", "MCP:write_file", project)

    assert re.search(pattern, "MCP:write_file") and not re.search(pattern, "MCP:browser_navigate")
    assert refused("cursor", guard("cursor", call("cursor", "MCP:write_file", tool_input, project, "PreToolUse")))


def test_an_mcp_edit_file_dry_run_writes_nothing(project: Path) -> None:
    data = json.loads(payload("codex-mcp-edit-file.json", project))
    data["tool_input"]["dryRun"] = True

    assert allowed(guard("codex", json.dumps(data).encode())) == ""


# -- a tool the table does not know ----------------------------------------------------------------------------


def test_an_unknown_tool_naming_a_file_and_its_content_is_judged_and_named_on_stderr(project: Path) -> None:
    stdin = payload("cursor-unknown-tool-write.json", project)

    done = guard("cursor", stdin)

    assert refused("cursor", done)
    assert "SaveFile is not a tool provguard knows; judged as a write of the file its input names" in done.stderr
    assert "SaveFile is not a tool provguard knows" in allowed(guard("cursor", elsewhere(stdin)))


def test_an_unknown_tool_with_a_new_string_has_that_text_judged_alone(project: Path) -> None:
    stdin = payload("copilot-vscode-mcp-write-file.json", project, tool_name="save_snippet",
                    tool_input={"filePath": str(project / DATA), "newString": NEW})

    done = guard("copilot", stdin)

    assert refused("copilot", done)
    assert "save_snippet is not a tool provguard knows" in done.stderr


def test_an_unknown_tool_without_content_is_let_through_with_a_note(project: Path) -> None:
    stdin = payload("cursor-unknown-tool-write.json", project, tool_input={"target_file": str(project / DATA)})

    assert "SaveFile is not a tool provguard knows how to judge; the call is let through" in allowed(
        guard("cursor", stdin))


# -- edits the guard cannot apply ------------------------------------------------------------------------------


def test_a_replacement_whose_old_text_is_not_in_the_file_has_its_new_text_judged_and_says_why(
        project: Path) -> None:
    (project / DATA).write_text("EXAMPLES = [1]\n", encoding="utf-8")
    stdin = payload("cursor-strreplace-training-data.json", project)

    done = guard("cursor", stdin)

    assert refused("cursor", done)
    assert (f"{project / DATA}: the text to replace is not in the file, so the edit cannot be applied; judged the new "
            "text alone") in done.stderr


def test_an_edit_of_a_missing_file_has_its_new_text_judged_and_says_why(project: Path) -> None:
    (project / DATA).unlink()

    done = guard("codex", payload("codex-mcp-edit-file.json", project))

    assert refused("codex", done)
    assert f"{project / DATA}: the file does not exist, so the edit cannot be applied" in done.stderr


def test_an_edit_that_cannot_be_applied_outside_any_rule_is_let_through_saying_why(project: Path) -> None:
    (project / "src" / "prompts.py").write_text("EXAMPLES = [1]\n", encoding="utf-8")

    stderr = allowed(guard("claude-code", elsewhere(payload("claude-code-edit-training-data.json", project))))

    assert "src/prompts.py: the text to replace is not in the file, so the edit cannot be applied" in stderr


# -- the guard and the recording hook know the same tools ------------------------------------------------------


def patch(path: str) -> str:
    return f"*** Begin Patch\n*** Update File: {path}\n@@\n-{OLD}\n+{NEW}\n*** End Patch\n"


def sample_input(agent: str, name: str, root: Path) -> tuple[dict[str, Any], str]:
    """An input for the tool writing NEW into the training-data file, and the file's path in the project."""
    path = str(root / DATA)
    kind = WRITE_TOOLS[agent].get(name)
    if name.endswith("write_file"):
        return {"path": path, "content": NEW + "\n"}, DATA
    if name.endswith("edit_file"):
        return {"path": path, "edits": [{"oldText": OLD, "newText": NEW}]}, DATA
    if kind is Kind.NOTEBOOK:
        return {"notebook_path": str(root / "training_data" / "cells.ipynb"), "new_source": NEW,
                "cell_type": "code", "edit_mode": "insert"}, "training_data/cells.ipynb"
    if kind is Kind.SHELL:
        return {"command": ["bash", "-lc", f"apply_patch <<'EOF'\n{patch(DATA)}EOF\n"]}, DATA
    if kind is Kind.PATCH:
        return {"command" if agent == "codex" else "input" if agent == "copilot" else "patch": patch(DATA)}, DATA
    if kind is Kind.INSERT:
        return {"filePath": path, "code": NEW}, DATA
    if kind is Kind.EDITOR:
        return {"command": "insert", "path": path, "insert_line": 1, "new_str": NEW}, DATA
    spelled = {"claude-code": ("file_path", "content", "old_string", "new_string"),
               "cursor": ("path", "contents", "old_string", "new_string"),
               "copilot": (("path", "file_text", "old_str", "new_str") if name in ("create", "edit")
                           else ("filePath", "content", "oldString", "newString"))}
    where, content, old, new = spelled[agent]
    if kind is Kind.WHOLE_FILE:
        return {where: path, content: NEW + "\n"}, DATA
    if kind is Kind.REPLACE:
        return {where: path, old: OLD, new: NEW}, DATA
    if agent == "copilot":
        return {"replacements": [{where: path, old: OLD, new: NEW}]}, DATA
    return {where: path, "edits": [{old: OLD, new: NEW}]}, DATA


def call(agent: str, name: str, tool_input: dict[str, Any], root: Path, event: str) -> bytes:
    """The agent's hook payload for the call, on the pre- or post-tool-use event."""
    number = zlib.crc32(name.encode())
    if agent == "cursor":
        data: dict[str, Any] = {"conversation_id": "c-1", "generation_id": f"g-{number}", "model": "gpt-5",
                                "hook_event_name": event[0].lower() + event[1:], "workspace_roots": [str(root)]}
    else:
        data = {"session_id": "s-1", "cwd": str(root), "hook_event_name": event, "transcript_path": None,
                "timestamp": "2026-11-25T04:00:00.000Z"}
        if agent == "codex":
            data["model"] = "gpt-5-codex"
    data.update({"tool_name": name, "tool_input": tool_input, "tool_use_id": f"call_{number}"})
    return json.dumps(data).replace(SAMPLE_ROOT, str(root)).encode()


def mcp_names(agent: str) -> list[str]:
    """The MCP file-system server's writing tools as the agent's host names them (the Copilot CLI's and VS Code's
    for Copilot)."""
    hosts = {"copilot": ("mcp_filesystem_", "filesystem-"), "cursor": ("MCP:",)}.get(agent, ("mcp__filesystem__",))
    return [host + tool for host in hosts for tool in ("write_file", "edit_file")]


ALL_WRITE_TOOLS = [(agent, name) for agent in WRITE_TOOLS for name in [*WRITE_TOOLS[agent], *mcp_names(agent)]]


@pytest.mark.parametrize(("agent", "name"), ALL_WRITE_TOOLS)
def test_every_write_tool_in_the_table_is_judged_by_the_guard_and_recorded_by_the_hook(
        project: Path, agent: str, name: str) -> None:
    assert judged_and_recorded(agent, name, name, project) == (True, 0, "", True)


def judged_and_recorded(agent: str, sent: str, own: str, project: Path) -> tuple[bool, int, str, bool]:
    """The agent's call of its tool `own`, sent under the name `sent`: whether the guard refused it before the write,
    the recording hook's exit code and stderr after it, and whether the ledger then holds that one edit."""
    tool_input, where = sample_input(agent, own, project)
    refuses = refused(agent, guard(agent, call(agent, sent, tool_input, project, "PreToolUse")))
    done = hook_run(agent, call(agent, sent, tool_input, project, "PostToolUse"), project)
    edits = SqliteLedger(project / ".provguard" / "ledger.sqlite3").agent_edits()
    return refuses, done.returncode, done.stderr, [edit.path for edit in edits] == [where]


CLAUDE_NAMED_WRITES = [(agent, claude, own) for agent, names in CLAUDE_NAMES.items() for claude, own in names.items()
                       if own in WRITE_TOOLS[agent]] + [(agent, "Edit", own) for agent, owns in CLAUDE_EDIT.items()
                                                         for own in owns]
"""Each writing tool an agent's hooks may name the Claude Code way (the Copilot CLI under its PascalCase events)."""


@pytest.mark.parametrize(("agent", "claude", "own"), CLAUDE_NAMED_WRITES)
def test_every_write_tool_under_its_claude_code_name_is_judged_by_the_guard_and_recorded_by_the_hook(
        project: Path, agent: str, claude: str, own: str) -> None:
    assert judged_and_recorded(agent, claude, own, project) == (True, 0, "", True)


@pytest.mark.parametrize("agent", ["claude-code", "codex", "cursor"])
def test_the_installed_guard_and_recording_matchers_reach_every_write_tool_in_the_table(agent: str) -> None:
    names = [name for name, kind in WRITE_TOOLS[agent].items() if kind is not Kind.SHELL]
    names += mcp_names(agent)
    names += ["functions.apply_patch"] if agent == "codex" else []

    for entry in agent_hooks(agent).entries:
        pattern = entry.matcher if entry.matcher is not None else entry.hook.get("matcher")
        if pattern is None:
            continue  # Cursor's afterFileEdit: every edit
        if pattern.startswith(shell_matcher(agent)):  # the recording hook around a shell command, before and after
            assert [name for name in SHELL_TOOLS[agent] if not re.fullmatch(pattern, name)] == []
            if agent == "cursor" and entry.event == "postToolUse":  # and after an MCP write: no afterFileEdit for it
                assert [name for name in mcp_names(agent) if not re.fullmatch(pattern, name)] == []
            continue
        assert pattern == matcher(agent, with_shell=entry.event == "PostToolUse")
        assert [name for name in names if not re.fullmatch(pattern, name)] == []
        if entry.event == "PostToolUse":
            assert [name for name in SHELL_TOOLS[agent] if not re.fullmatch(pattern, name)] == []


def test_the_claude_code_transcript_import_records_the_same_tools_the_guard_judges() -> None:
    assert frozenset(WRITE_TOOLS["claude-code"]) == claude_code.EDIT_TOOLS


SHELL_CALLS = [(agent, name) for agent, names in SHELL_TOOLS.items() for name in names] + [
    (agent, claude) for agent, names in CLAUDE_NAMES.items() for claude, own in names.items()
    if own in SHELL_TOOLS[agent]]
"""Each agent's shell tools, under their own names and the Claude Code ones its hooks may send (`Bash`)."""


@pytest.mark.parametrize(("agent", "name"), SHELL_CALLS)
def test_every_shell_tool_in_the_table_passes_the_guard_quietly_and_what_it_wrote_is_recorded_by_the_hook(
        tmp_path: Path, agent: str, name: str) -> None:
    """A command cannot be judged before it runs (the guard says nothing about it, not even that it does not know
    the tool); the recording hook's pre and post calls find the file it wrote and report it."""
    repo = Repo(tmp_path / "shop")
    repo.commit({"README.md": "# shop\n"}, "start")
    tool_input = {"command": "python3 make_data.py"}

    assert allowed(guard(agent, call(agent, name, tool_input, repo.root, "PreToolUse"), cwd=repo.root)) == ""
    pre = hook_run(agent, call(agent, name, tool_input, repo.root, "PreToolUse"), repo.root)
    repo.write(DATA, NEW + "\n")
    post = hook_run(agent, call(agent, name, tool_input, repo.root, "PostToolUse"), repo.root)

    assert [(d.returncode, d.stderr) for d in (pre, post)] == [(0, "")] * 2
    edits = SqliteLedger(repo.root / ".provguard" / "ledger.sqlite3").agent_edits()
    assert [(edit.path, edit.source) for edit in edits] == [(DATA, "shell")]
    assert "rival-ai-output-in-training-data" in post.stdout


def hook_run(agent: str, stdin: bytes, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "provguard", "hook", agent], input=stdin.decode(),
                          capture_output=True, text=True, cwd=cwd, timeout=60, check=False)


@pytest.mark.parametrize("agent", sorted(WRITE_TOOLS))
def test_the_tables_never_call_one_tool_both_a_writer_and_a_reader(agent: str) -> None:
    """A name in two lists would be judged by one side and waved through by the other."""
    assert [name for name in WRITE_TOOLS[agent] if read_only(agent, name)] == []
    assert [name for name, kind in WRITE_TOOLS[agent].items() if shell(agent, name) != (kind is Kind.SHELL)] == []
    assert [name for name in READ_ONLY_TOOLS[agent] if known(agent, name) is not None] == []
    assert sorted(SHELL_TOOLS) == sorted(WRITE_TOOLS) == sorted(READ_ONLY_TOOLS)


ALL_NAMES = sorted({name for table in (WRITE_TOOLS, READ_ONLY_TOOLS, SHELL_TOOLS) for names in table.values()
                    for name in names})
"""Every tool name any agent's table knows, writer, reader or shell."""


@pytest.mark.parametrize("agent", sorted(WRITE_TOOLS))
def test_every_call_the_recording_hook_records_is_one_the_guard_judges(project: Path, agent: str) -> None:
    """The other way round: any tool name of any agent, with the input of any writing tool in the table, sent to
    this agent's hooks: whenever the post-tool hook records an edit of a file, the guard judges a write of it."""
    from provguard.guard.agents import AGENTS
    from provguard.provenance.hooks import hook_edits
    from provguard.provenance.transcripts.paths import project_roots

    roots, top = project_roots(project), os.path.realpath(project)
    inputs = [sample_input(owner, name, project)[0] for owner in WRITE_TOOLS for name in WRITE_TOOLS[owner]]
    recorded_any, missed = 0, []
    for name in [*ALL_NAMES, *mcp_names(agent)]:
        for tool_input in inputs:
            recorded = {e.path for e in hook_edits(agent, json.loads(call(agent, name, tool_input, project,
                                                                          "PostToolUse")), roots).edits}
            if not recorded:
                continue
            recorded_any += 1
            judged = AGENTS[agent].read(json.loads(call(agent, name, tool_input, project, "PreToolUse")))
            seen = set() if isinstance(judged, str) else {os.path.relpath(os.path.realpath(w.path), top)
                                                           for w in judged.writes}
            if recorded - seen:
                missed.append((name, sorted(tool_input), sorted(recorded - seen)))
    assert missed == []
    assert recorded_any >= len(WRITE_TOOLS[agent])  # the agent's own tools were recorded, so judged


@pytest.mark.parametrize(("agent", "claude", "own"), [(agent, claude, own) for agent, names in CLAUDE_NAMES.items()
                                                       for claude, own in names.items()])
def test_every_claude_code_name_an_agent_sends_stands_for_a_tool_of_its_own_table(agent: str, claude: str,
                                                                                   own: str) -> None:
    """A name mapped onto nothing would be neither judged nor let through knowingly (`Edit` is read by its input:
    tests/test_copilot_cli_hooks.py)."""
    assert known(agent, own) is not None or read_only(agent, own) or shell(agent, own)
