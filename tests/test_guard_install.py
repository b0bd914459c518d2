"""`provguard guard install|uninstall` on hooks files that already hold other tools' hooks, and
`provguard doctor` reporting what is guarded."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from guard_support import GUARD_FIXTURES, decision, payload

SETTINGS = GUARD_FIXTURES / "settings"
PROJECT_FILES = {"claude-code": ".claude/settings.json", "codex": ".codex/hooks.json",
                 "cursor": ".cursor/hooks.json", "copilot": ".github/hooks/provguard.json"}
FIXTURES = {"claude-code": "claude-code-settings.json", "codex": "codex-hooks.json", "cursor": "cursor-hooks.json",
            "copilot": "copilot-hooks.json"}
GUARD_HOOK = {"claude-code": ("PreToolUse", "Write|Edit|MultiEdit|NotebookEdit|mcp__.*__(write_file|edit_file)"),
              "codex": ("PreToolUse", "apply_patch|functions.apply_patch|mcp__.*__(write_file|edit_file)")}
RECORD_HOOK = {"claude-code": ("PostToolUse", "Write|Edit|MultiEdit|NotebookEdit|Bash|PowerShell|"
                                              "mcp__.*__(write_file|edit_file)"),
               "codex": ("PostToolUse", "apply_patch|functions.apply_patch|Bash|shell|exec_command|local_shell|"
                                        "mcp__.*__(write_file|edit_file)")}
SNAPSHOT_HOOK = {"claude-code": ("PreToolUse", "Bash|PowerShell"),
                 "codex": ("PreToolUse", "Bash|shell|exec_command|local_shell")}
"""The recording hook before a shell command: it snapshots the files git reports as changed."""
FAILURE_HOOK = {"claude-code": [("PostToolUseFailure", "Bash|PowerShell")], "codex": []}
"""The recording hook after a shell command that failed (Claude Code's own event): it may have written files."""


@pytest.fixture
def home(tmp_path: Path) -> Path:
    folder = tmp_path / "home"
    folder.mkdir()
    return folder


def provguard(*args: str, cwd: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOME": str(home)}
    env.pop("CODEX_HOME", None)
    env.pop("COPILOT_HOME", None)
    return subprocess.run([sys.executable, "-m", "provguard", *args], capture_output=True, text=True, cwd=cwd,
                          env=env, timeout=60, check=False)


def with_other_hooks(project: Path, agent: str) -> Path:
    file = project / PROJECT_FILES[agent]
    file.parent.mkdir(parents=True)
    shutil.copy(SETTINGS / FIXTURES[agent], file)
    return file


def group(command: str, matcher: str) -> dict[str, Any]:
    return {"matcher": matcher, "hooks": [{"type": "command", "command": command, "timeout": 10}]}


def copilot_entry(command: str) -> dict[str, object]:
    """The hook `guard install copilot` writes: the command for VS Code and for the Copilot CLI's shells."""
    return {"type": "command", "command": command, "bash": command, "powershell": command, "timeout": 10,
            "timeoutSec": 10}


@pytest.mark.parametrize("agent", ["claude-code", "codex"])
def test_install_adds_the_guard_and_the_recording_hook_after_the_other_tools_hooks(project: Path, home: Path,
                                                                                   agent: str) -> None:
    file = with_other_hooks(project, agent)
    before = json.loads(file.read_text(encoding="utf-8"))

    done = provguard("guard", "install", agent, cwd=project, home=home)

    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.splitlines() == [f"{file}: PreToolUse `provguard guard {agent}` added",
                                        f"{file}: PostToolUse `provguard hook {agent}` added",
                                        f"{file}: PreToolUse `provguard hook {agent}` added",
                                        *(f"{file}: {event} `provguard hook {agent}` added"
                                          for event, _ in FAILURE_HOOK[agent])]
    after = json.loads(file.read_text(encoding="utf-8"))
    expected = json.loads(json.dumps(before))
    for (event, matcher), command in ((GUARD_HOOK[agent], f"provguard guard {agent}"),
                                      (RECORD_HOOK[agent], f"provguard hook {agent}"),
                                      (SNAPSHOT_HOOK[agent], f"provguard hook {agent}"),
                                      *((hook, f"provguard hook {agent}") for hook in FAILURE_HOOK[agent])):
        expected["hooks"].setdefault(event, []).append(group(command, matcher))
    assert after == expected


@pytest.mark.parametrize("agent", ["claude-code", "codex", "cursor", "copilot"])
def test_installing_twice_changes_nothing_the_second_time(project: Path, home: Path, agent: str) -> None:
    file = with_other_hooks(project, agent)
    provguard("guard", "install", agent, cwd=project, home=home)
    once = file.read_bytes()

    done = provguard("guard", "install", agent, cwd=project, home=home)

    assert all(line.endswith("is already installed") for line in done.stdout.splitlines())
    assert file.read_bytes() == once


@pytest.mark.parametrize("agent", ["claude-code", "codex", "cursor", "copilot"])
def test_uninstall_removes_exactly_what_install_added(project: Path, home: Path, agent: str) -> None:
    file = with_other_hooks(project, agent)
    original = file.read_text(encoding="utf-8")
    provguard("guard", "install", agent, cwd=project, home=home)

    done = provguard("guard", "uninstall", agent, cwd=project, home=home)

    assert (done.returncode, done.stderr) == (0, "")
    assert file.read_text(encoding="utf-8") == original


def test_uninstall_keeps_other_hooks_sharing_a_matcher_group_with_provguards(project: Path, home: Path) -> None:
    file = project / ".claude" / "settings.json"
    file.parent.mkdir()
    shared = {"hooks": {"PostToolUse": [{"matcher": "Write|Edit|MultiEdit", "hooks": [
        {"type": "command", "command": "provguard hook claude-code"},
        {"type": "command", "command": "ruff format"}]}]}}
    file.write_text(json.dumps(shared), encoding="utf-8")

    provguard("guard", "uninstall", "claude-code", cwd=project, home=home)

    assert json.loads(file.read_text(encoding="utf-8")) == {"hooks": {"PostToolUse": [
        {"matcher": "Write|Edit|MultiEdit", "hooks": [{"type": "command", "command": "ruff format"}]}]}}


def test_a_hooks_file_provguard_created_is_removed_again(project: Path, home: Path) -> None:
    provguard("guard", "install", "codex", cwd=project, home=home)
    file = project / ".codex" / "hooks.json"
    assert file.is_file()

    done = provguard("guard", "uninstall", "codex", cwd=project, home=home)

    assert done.stdout.splitlines()[-1] == f"{file}: removed (only provguard's hooks were in it)"
    assert not file.exists()


def test_dry_run_shows_the_change_and_writes_nothing(project: Path, home: Path) -> None:
    file = with_other_hooks(project, "claude-code")
    original = file.read_bytes()

    done = provguard("guard", "install", "claude-code", "--dry-run", cwd=project, home=home)

    assert file.read_bytes() == original
    assert f"--- {file} (now)\n+++ {file} (after)\n" in done.stdout
    assert '+            "command": "provguard guard claude-code",\n' in done.stdout
    assert '-' + '  "env": {' not in done.stdout  # other settings are not touched


def test_user_scope_writes_the_users_own_settings(project: Path, home: Path) -> None:
    done = provguard("guard", "install", "claude-code", "--user", cwd=project, home=home)

    assert done.returncode == 0
    assert not (project / ".claude").exists()
    assert "provguard guard claude-code" in (home / ".claude" / "settings.json").read_text(encoding="utf-8")


def test_a_settings_file_that_is_not_valid_json_is_left_alone_with_the_place_of_the_error(project: Path,
                                                                                         home: Path) -> None:
    file = project / ".claude" / "settings.json"
    file.parent.mkdir()
    file.write_text('{\n  "hooks": {,\n}\n', encoding="utf-8")

    done = provguard("guard", "install", "claude-code", cwd=project, home=home)

    assert done.returncode == 2
    assert done.stderr == (f"provguard: {file}:2:13: not valid JSON (Expecting property name enclosed in double "
                           "quotes); fix it first; nothing changed\n")
    assert file.read_text(encoding="utf-8") == '{\n  "hooks": {,\n}\n'


def test_the_installed_guard_refuses_a_write_when_the_agent_runs_it(project: Path, home: Path) -> None:
    executable = f"{shlex.quote(sys.executable)} -m provguard"
    provguard("guard", "install", "claude-code", "--executable", executable, cwd=project, home=home)
    settings = json.loads((project / ".claude" / "settings.json").read_text(encoding="utf-8"))
    (command,) = [hook["command"] for g in settings["hooks"]["PreToolUse"] for hook in g["hooks"]
                  if g["matcher"] != "Bash|PowerShell"]

    done = subprocess.run(command, shell=True, input=payload("claude-code-write-test-file.json", project).decode(),
                          capture_output=True, text=True, cwd=project, timeout=60, check=False)

    assert decision("claude-code", done)[0] == "deny"


def test_cursor_install_adds_the_guard_with_its_matcher_and_the_recording_after_file_edits(project: Path,
                                                                                          home: Path) -> None:
    file = with_other_hooks(project, "cursor")
    before = json.loads(file.read_text(encoding="utf-8"))

    provguard("guard", "install", "cursor", cwd=project, home=home)

    after = json.loads(file.read_text(encoding="utf-8"))
    before["hooks"]["preToolUse"].append({"command": "provguard guard cursor",
                                          "matcher": "Write|StrReplace|Edit|MultiEdit|ApplyPatch"
                                                     "|MCP:(write_file|edit_file)", "timeout": 10})
    before["hooks"]["afterFileEdit"].append({"command": "provguard hook cursor", "timeout": 10})
    before["hooks"].setdefault("afterTabFileEdit", []).append({"command": "provguard hook cursor", "timeout": 10})
    shell = {"command": "provguard hook cursor", "matcher": "Shell|run_terminal_cmd", "timeout": 10}
    before["hooks"]["preToolUse"].append(shell)  # before and after a shell command: the files it changed
    before["hooks"].setdefault("postToolUse", []).append(  # and after an MCP server's write, which no afterFileEdit
        {**shell, "matcher": "Shell|run_terminal_cmd|MCP:(write_file|edit_file)"})  # reports
    assert after == before


def test_installing_again_brings_an_earlier_provguards_cursor_matchers_up_to_date(project: Path, home: Path) -> None:
    """Hooks an earlier provguard wrote, before Cursor's MCP tools (`MCP:<tool>`) were judged and recorded: each
    gets today's matcher in place of its own, and the other tools' hooks stay."""
    file = with_other_hooks(project, "cursor")
    data = json.loads(file.read_text(encoding="utf-8"))
    theirs = json.loads(json.dumps(data))
    shell = {"command": "provguard hook cursor", "matcher": "Shell|run_terminal_cmd", "timeout": 10}
    data["hooks"]["preToolUse"] += [{"command": "provguard guard cursor",
                                     "matcher": "Write|StrReplace|Edit|MultiEdit|ApplyPatch", "timeout": 10}, shell]
    data["hooks"]["afterFileEdit"].append({"command": "provguard hook cursor", "timeout": 10})
    data["hooks"]["afterTabFileEdit"] = [{"command": "provguard hook cursor", "timeout": 10}]
    data["hooks"]["postToolUse"] = [*data["hooks"].get("postToolUse", []), shell]
    file.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")

    done = provguard("guard", "install", "cursor", cwd=project, home=home)

    assert [line.split(": ", 1)[1] for line in done.stdout.splitlines() if "matcher updated" in line] == [
        "preToolUse `provguard guard cursor` matcher updated to Write|StrReplace|Edit|MultiEdit|ApplyPatch"
        "|MCP:(write_file|edit_file)",
        "postToolUse `provguard hook cursor` matcher updated to Shell|run_terminal_cmd|MCP:(write_file|edit_file)"]
    after = json.loads(file.read_text(encoding="utf-8"))["hooks"]
    assert [hook for hook in after["preToolUse"] if "provguard" not in hook["command"]] == theirs["hooks"][
        "preToolUse"]
    assert [hook["matcher"] for hook in after["postToolUse"] if "provguard" in hook["command"]] == [
        "Shell|run_terminal_cmd|MCP:(write_file|edit_file)"]
    again = provguard("guard", "install", "cursor", cwd=project, home=home)
    assert all(line.endswith("is already installed") for line in again.stdout.splitlines())


def test_a_copilot_shell_pre_hook_added_by_hand_gets_its_matcher(project: Path, home: Path) -> None:
    """What the README advised before `guard install copilot` added it: a `PreToolUse` entry running `provguard
    hook copilot` with no matcher (so it ran before every call)."""
    file = project / ".github" / "hooks" / "provguard.json"
    file.parent.mkdir(parents=True)
    file.write_text(json.dumps({"version": 1, "hooks": {"PreToolUse": [
        copilot_entry("provguard guard copilot"), copilot_entry("provguard hook copilot")]}}, indent=2) + "\n",
        encoding="utf-8")

    done = provguard("guard", "install", "copilot", cwd=project, home=home)

    assert f"{file}: PreToolUse `provguard hook copilot` matcher updated to run_in_terminal|bash|powershell|Bash" in (
        done.stdout.splitlines())
    pre = json.loads(file.read_text(encoding="utf-8"))["hooks"]["PreToolUse"]
    assert pre == [copilot_entry("provguard guard copilot"),
                   {"matcher": "run_in_terminal|bash|powershell|Bash", **copilot_entry("provguard hook copilot")}]


def test_copilot_install_writes_its_own_file_that_both_the_cli_and_vscode_read(project: Path, home: Path) -> None:
    done = provguard("guard", "install", "copilot", cwd=project, home=home)

    file = project / ".github" / "hooks" / "provguard.json"
    assert done.stdout == (f"{file}: PreToolUse `provguard guard copilot` added\n"
                           f"{file}: PostToolUse `provguard hook copilot` added\n"
                           f"{file}: PreToolUse `provguard hook copilot` added\n"
                           f"{file}: PostToolUseFailure `provguard hook copilot` added\n")
    assert json.loads(file.read_text(encoding="utf-8")) == {"version": 1, "hooks": {
        "PreToolUse": [copilot_entry("provguard guard copilot"),  # every tool: unknown names are judged too
                       {"matcher": "run_in_terminal|bash|powershell|Bash",  # the CLI's matcher, VS Code's tool
                        **copilot_entry("provguard hook copilot")}],  # only before a shell command
        "PostToolUse": [copilot_entry("provguard hook copilot")],
        "PostToolUseFailure": [copilot_entry("provguard hook copilot")]}}  # the CLI sends it for a failed call

    provguard("guard", "uninstall", "copilot", cwd=project, home=home)

    assert not file.exists()


def test_copilot_install_appends_its_hooks_after_the_other_tools_hooks_in_the_same_file(project: Path,
                                                                                        home: Path) -> None:
    file = with_other_hooks(project, "copilot")
    before = json.loads(file.read_text(encoding="utf-8"))

    provguard("guard", "install", "copilot", cwd=project, home=home)

    before["hooks"]["PreToolUse"].append(copilot_entry("provguard guard copilot"))
    before["hooks"]["PostToolUse"].append(copilot_entry("provguard hook copilot"))
    before["hooks"]["PreToolUse"].append({"matcher": "run_in_terminal|bash|powershell|Bash",
                                          **copilot_entry("provguard hook copilot")})
    before["hooks"].setdefault("PostToolUseFailure", []).append(copilot_entry("provguard hook copilot"))
    assert json.loads(file.read_text(encoding="utf-8")) == before


def test_copilot_install_and_uninstall_leave_another_tools_hooks_file_alone(project: Path, home: Path) -> None:
    other = project / ".github" / "hooks" / "security.json"
    other.parent.mkdir(parents=True)
    shutil.copy(SETTINGS / FIXTURES["copilot"], other)
    original = other.read_bytes()

    provguard("guard", "install", "copilot", cwd=project, home=home)
    assert other.read_bytes() == original
    assert (project / ".github" / "hooks" / "provguard.json").is_file()

    provguard("guard", "uninstall", "copilot", cwd=project, home=home)

    assert other.read_bytes() == original
    assert sorted(p.name for p in other.parent.iterdir()) == ["security.json"]


def test_doctor_names_the_guarded_agents_and_how_to_guard_the_others(project: Path, home: Path) -> None:
    with_other_hooks(project, "codex")
    provguard("guard", "install", "claude-code", cwd=project, home=home)
    provguard("guard", "install", "codex", "--user", cwd=project, home=home)
    provguard("guard", "install", "cursor", cwd=project, home=home)

    done = provguard("doctor", cwd=project, home=home)

    assert done.returncode == 0
    assert done.stdout.splitlines()[:6] == [
        f"project: {project}",
        f"claude-code  guarded, edits recorded: guard and recording in {project / '.claude/settings.json'} "
        "(project)",
        f"codex        guarded, edits recorded: guard and recording in {home / '.codex/hooks.json'} (user)",
        f"cursor       guarded, edits recorded: guard and recording in {project / '.cursor/hooks.json'} (project)",
        "copilot      NOT guarded, edits not recorded",
        "             to guard and record it: provguard guard install copilot [--user]",
    ]


def test_doctor_says_how_to_guard_an_unguarded_agent(project: Path, home: Path) -> None:
    done = provguard("doctor", cwd=project, home=home)

    assert done.stdout.splitlines()[1:5] == [
        "claude-code  NOT guarded, edits not recorded",
        "             to guard and record it: provguard guard install claude-code [--user]",
        "codex        NOT guarded, edits not recorded",
        "             to guard and record it: provguard guard install codex [--user]",
    ]
