"""`provguard guard install|uninstall` keep a hooks file as its user wrote it: the same indentation, separators,
line endings and final newline; install then uninstall gives back the same bytes; uninstall takes out the
containers provguard filled and created, and keeps the ones that were there before, even empty."""

from __future__ import annotations

import difflib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from provguard.commands.guard import main as guard_main

SETTINGS = Path(__file__).parent / "fixtures" / "guard" / "settings"
PROJECT_FILES = {"claude-code": ".claude/settings.json", "codex": ".codex/hooks.json",
                 "cursor": ".cursor/hooks.json", "copilot": ".github/hooks/provguard.json"}
OTHER_TOOLS = {"claude-code": "claude-code-settings.json", "codex": "codex-hooks.json",
               "cursor": "cursor-hooks.json", "copilot": "cursor-hooks.json"}
"""A file each agent's users could have; Copilot's hooks file has Cursor's layout (version, hooks lists)."""
STYLES: dict[str, dict[str, Any]] = {
    "2-space": {"indent": 2}, "4-space": {"indent": 4}, "tab": {"indent": "\t"},
    "compact": {}, "tight": {"separators": (",", ":")}}


def guard(*args: str, project: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    """`provguard guard install|uninstall ...` on the project's file; its output lines."""
    capsys.readouterr()
    assert guard_main([*args, "--root", str(project)]) == 0
    return capsys.readouterr().out.splitlines()


def written(project: Path, agent: str, text: str) -> Path:
    file = project / PROJECT_FILES[agent]
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_bytes(text.encode("utf-8"))
    return file


def styled(data: Any, style: str, newline: str = "\n", final_newline: bool = True) -> str:
    text = json.dumps(data, ensure_ascii=False, **STYLES[style])
    return text.replace("\n", newline) + (newline if final_newline else "")


def other_tools(agent: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SETTINGS / OTHER_TOOLS[agent]).read_text(encoding="utf-8"))
    return data


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("agent", ["claude-code", "cursor", "codex", "copilot"])
def test_install_then_uninstall_gives_back_the_file_byte_for_byte(project: Path, capsys: pytest.CaptureFixture[str],
                                                                  agent: str, style: str) -> None:
    original = styled(other_tools(agent), style)
    file = written(project, agent, original)

    guard("install", agent, project=project, capsys=capsys)
    installed = file.read_bytes()
    guard("install", agent, project=project, capsys=capsys)
    assert file.read_bytes() == installed  # a second install changes nothing
    guard("uninstall", agent, project=project, capsys=capsys)

    assert file.read_bytes() == original.encode("utf-8")


@pytest.mark.parametrize("style", ["2-space", "4-space", "tab", "compact", "tight"])
@pytest.mark.parametrize("agent", ["claude-code", "cursor"])
def test_install_writes_the_hooks_in_the_files_style_and_changes_nothing_else(
        project: Path, capsys: pytest.CaptureFixture[str], agent: str, style: str) -> None:
    data = other_tools(agent)
    original = styled(data, style)
    file = written(project, agent, original)

    guard("install", agent, project=project, capsys=capsys)

    after = file.read_text(encoding="utf-8")
    assert after == styled(json.loads(after), style)  # every line, the added ones too, in the file's style
    assert list(json.loads(after)) == list(data)  # the keys in their order
    for event, hooks in data["hooks"].items():  # the other tools' hooks first, as they were
        assert json.loads(after)["hooks"][event][:len(hooks)] == hooks


@pytest.mark.parametrize("style", ["2-space", "4-space", "tab"])
@pytest.mark.parametrize("agent", ["claude-code", "cursor"])
def test_the_dry_run_diff_shows_only_the_added_lines(project: Path, capsys: pytest.CaptureFixture[str], agent: str,
                                                     style: str) -> None:
    original = styled(other_tools(agent), style)
    file = written(project, agent, original)

    lines = guard("install", agent, "--dry-run", project=project, capsys=capsys)

    assert file.read_text(encoding="utf-8") == original
    diff = lines[lines.index(f"--- {file} (now)"):]
    assert diff[1] == f"+++ {file} (after)"
    assert [line for line in diff[2:] if line.startswith("-")] == []
    added = [line[1:] for line in diff[2:] if line.startswith("+")]
    unit = "\t" if style == "tab" else " " * int(style[0])
    assert f'"command": "provguard guard {agent}",' in [line.lstrip(unit) for line in added]
    assert all(line.startswith(unit) and line.lstrip(unit)[:1] in '"{}]' for line in added)


def test_a_one_line_file_stays_on_one_line_and_its_diff_is_that_line(project: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    original = '{"version": 1, "hooks": {"afterFileEdit": [{"command": "./format.sh"}]}}'
    file = written(project, "cursor", original)

    lines = guard("install", "cursor", "--dry-run", project=project, capsys=capsys)

    assert [line for line in lines if line.startswith(("-{", "+{"))] == [
        "-" + original,
        '+{"version": 1, "hooks": {"afterFileEdit": [{"command": "./format.sh"}, {"command": "provguard hook cursor", '
        '"timeout": 10}], "preToolUse": [{"command": "provguard guard cursor", "matcher": '
        '"Write|StrReplace|Edit|MultiEdit|ApplyPatch|MCP:(write_file|edit_file)", "timeout": 10}, {"command": '
        '"provguard hook cursor", "matcher": "Shell|run_terminal_cmd", "timeout": 10}], "afterTabFileEdit": '
        '[{"command": "provguard hook cursor", "timeout": 10}], "postToolUse": [{"command": "provguard hook cursor", '
        '"matcher": "Shell|run_terminal_cmd|MCP:(write_file|edit_file)", "timeout": 10}]}}']
    assert "\\ No newline at end of file" in lines
    assert file.read_text(encoding="utf-8") == original


def test_windows_line_endings_and_a_missing_final_newline_are_kept(project: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    original = styled(other_tools("claude-code"), "4-space", newline="\r\n", final_newline=False)
    file = written(project, "claude-code", original)

    guard("install", "claude-code", project=project, capsys=capsys)

    after = file.read_bytes()
    assert after.count(b"\n") == after.count(b"\r\n") > original.count("\n")
    assert not after.endswith(b"\n")
    guard("uninstall", "claude-code", project=project, capsys=capsys)
    assert file.read_bytes() == original.encode("utf-8")


def test_a_file_with_one_line_lists_keeps_them_and_gets_the_hooks_in_its_indentation(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    original = ('{\n    "permissions": {"allow": ["Bash(npm test)", "Read"], "deny": []},\n'
                '    "hooks": {\n        "Stop": [{"hooks": [{"type": "command", "command": "notify-send done"}]}]\n'
                '    }\n}\n')
    file = written(project, "claude-code", original)

    guard("install", "claude-code", project=project, capsys=capsys)

    after = file.read_text(encoding="utf-8")
    diff = [line[0] + line[2:] for line in difflib.ndiff(original.splitlines(), after.splitlines())
            if line[:1] in "+-"]
    assert '-' + ' ' * 8 + '"Stop": [{"hooks": [{"type": "command", "command": "notify-send done"}]}]' in diff
    assert '+' + ' ' * 8 + '"Stop": [{"hooks": [{"type": "command", "command": "notify-send done"}]}],' in diff
    assert '+' + ' ' * 24 + '"command": "provguard guard claude-code",' in diff
    assert len([line for line in diff if line.startswith("-")]) == 1
    guard("uninstall", "claude-code", project=project, capsys=capsys)
    assert file.read_text(encoding="utf-8") == original


@pytest.mark.parametrize("original", ['{"version": 1, "hooks": {}}', '{\n    "version": 1,\n    "hooks": {}\n}\n',
                                      '{\n\t"version": 1,\n\t"hooks": {}\n}\n'])
def test_a_cursor_hooks_file_that_held_no_hooks_before_install_stays_after_uninstall(
        project: Path, capsys: pytest.CaptureFixture[str], original: str) -> None:
    file = written(project, "cursor", original)

    guard("install", "cursor", project=project, capsys=capsys)
    lines = guard("uninstall", "cursor", project=project, capsys=capsys)

    assert lines == [f"{file}: preToolUse `provguard guard cursor` removed",
                     f"{file}: afterFileEdit `provguard hook cursor` removed",
                     f"{file}: afterTabFileEdit `provguard hook cursor` removed",
                     f"{file}: preToolUse `provguard hook cursor` removed",
                     f"{file}: postToolUse `provguard hook cursor` removed"]
    assert file.read_text(encoding="utf-8") == original


@pytest.mark.parametrize("original", ['{"hooks": {}, "model": "x"}', '{\n  "hooks": {},\n  "model": "x"\n}\n'])
def test_an_empty_hooks_setting_that_was_there_before_install_stays(project: Path,
                                                                    capsys: pytest.CaptureFixture[str],
                                                                    original: str) -> None:
    file = written(project, "claude-code", original)

    guard("install", "claude-code", project=project, capsys=capsys)
    guard("uninstall", "claude-code", project=project, capsys=capsys)

    assert file.read_text(encoding="utf-8") == original


def test_settings_without_hooks_get_no_hooks_setting_left_behind(project: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    original = '{\n  "model": "claude-sonnet-4-5",\n  "env": {\n    "NODE_ENV": "development"\n  }\n}\n'
    file = written(project, "claude-code", original)

    guard("install", "claude-code", project=project, capsys=capsys)
    assert set(json.loads(file.read_text(encoding="utf-8"))["hooks"]) == {"PreToolUse", "PostToolUse",
                                                                          "PostToolUseFailure"}
    guard("uninstall", "claude-code", project=project, capsys=capsys)

    assert file.read_text(encoding="utf-8") == original


def test_an_empty_event_list_that_was_there_before_install_stays(project: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    original = '{"hooks": {"PreToolUse": [], "Stop": [{"hooks": [{"type": "command", "command": "true"}]}]}}\n'
    file = written(project, "codex", original)

    guard("install", "codex", project=project, capsys=capsys)
    assert json.loads(file.read_text(encoding="utf-8"))["hooks"]["PreToolUse"][0]["matcher"] == \
        "apply_patch|functions.apply_patch|mcp__.*__(write_file|edit_file)"
    guard("uninstall", "codex", project=project, capsys=capsys)

    assert file.read_text(encoding="utf-8") == original


@pytest.mark.parametrize("agent", ["claude-code", "codex", "cursor", "copilot"])
def test_a_file_provguard_created_is_removed_cleanly(project: Path, capsys: pytest.CaptureFixture[str],
                                                     agent: str) -> None:
    file = project / PROJECT_FILES[agent]

    guard("install", agent, project=project, capsys=capsys)
    skeleton = {"version": 1} if agent in ("cursor", "copilot") else {}
    assert json.loads(file.read_text(encoding="utf-8")).keys() == {*skeleton, "hooks"}
    lines = guard("uninstall", agent, project=project, capsys=capsys)

    assert lines[-1] == f"{file}: removed (only provguard's hooks were in it)"
    assert not file.exists()


def test_uninstall_without_provguards_hooks_leaves_an_empty_hooks_file_alone(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = written(project, "cursor", '{\n  "version": 1,\n  "hooks": {}\n}\n')

    lines = guard("uninstall", "cursor", project=project, capsys=capsys)

    assert lines == [f"{file}: preToolUse `provguard guard cursor` was not installed",
                     f"{file}: afterFileEdit `provguard hook cursor` was not installed",
                     f"{file}: afterTabFileEdit `provguard hook cursor` was not installed",
                     f"{file}: preToolUse `provguard hook cursor` was not installed",
                     f"{file}: postToolUse `provguard hook cursor` was not installed"]
    assert file.read_text(encoding="utf-8") == '{\n  "version": 1,\n  "hooks": {}\n}\n'


def test_a_file_edited_since_install_loses_provguards_hooks_and_the_lists_they_filled(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    guard("install", "cursor", project=project, capsys=capsys)
    file = project / PROJECT_FILES["cursor"]
    data = json.loads(file.read_text(encoding="utf-8"))
    data["hooks"]["preToolUse"][0]["timeout"] = 30  # no longer what provguard wrote
    data["hooks"]["beforeShellExecution"] = [{"command": "./audit.sh"}]
    file.write_text(json.dumps(data, indent=4), encoding="utf-8")

    guard("uninstall", "cursor", project=project, capsys=capsys)

    assert file.read_text(encoding="utf-8") == (
        '{\n    "version": 1,\n    "hooks": {\n        "beforeShellExecution": [\n            {\n'
        '                "command": "./audit.sh"\n            }\n        ]\n    }\n}')


def test_a_file_provguard_created_and_that_holds_nothing_else_is_removed_even_when_edited(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    guard("install", "claude-code", project=project, capsys=capsys)
    file = project / PROJECT_FILES["claude-code"]
    file.write_text(file.read_text(encoding="utf-8").replace('"timeout": 10', '"timeout": 20'), encoding="utf-8")

    guard("uninstall", "claude-code", project=project, capsys=capsys)

    assert not file.exists()


def test_a_file_byte_for_byte_what_provguard_writes_from_nothing_is_taken_for_provguards(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The one case the file cannot tell: it is removed, as the file provguard made would be."""
    file = written(project, "cursor", '{\n  "version": 1,\n  "hooks": {}\n}\n')

    guard("install", "cursor", project=project, capsys=capsys)
    guard("uninstall", "cursor", project=project, capsys=capsys)

    assert not file.exists()


def test_the_recording_hook_for_claude_code_covers_notebook_edits_and_shell_commands_too(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    guard("install", "claude-code", project=project, capsys=capsys)

    hooks = json.loads((project / PROJECT_FILES["claude-code"]).read_text(encoding="utf-8"))["hooks"]
    writes = "Write|Edit|MultiEdit|NotebookEdit|mcp__.*__(write_file|edit_file)"
    assert [group["matcher"] for group in hooks["PostToolUse"]] == [
        "Write|Edit|MultiEdit|NotebookEdit|Bash|PowerShell|mcp__.*__(write_file|edit_file)"]
    assert [(group["matcher"], group["hooks"][0]["command"]) for group in hooks["PreToolUse"]] == [
        (writes, "provguard guard claude-code"), ("Bash|PowerShell", "provguard hook claude-code")]  # the snapshot
    assert [(group["matcher"], group["hooks"][0]["command"]) for group in hooks["PostToolUseFailure"]] == [
        ("Bash|PowerShell", "provguard hook claude-code")]  # a failing command may have written files too


def test_install_help_names_the_recording_hook_of_every_agent(project: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "provguard", "guard", "install", "--help"], capture_output=True,
                          text=True, cwd=project, env={**os.environ, "COLUMNS": "200"}, timeout=60, check=False)

    assert done.returncode == 0
    words = " ".join(done.stdout.split())
    assert "the recording hook after it: Cursor's afterFileEdit, PostToolUse for the others" in words
    assert "Claude Code and Codex" not in words


def test_uninstall_gives_back_the_file_when_the_hooks_run_another_executable(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    original = '{"version": 1, "hooks": {}}\n'
    file = written(project, "cursor", original)
    guard("install", "cursor", "--executable", "/opt/tools/bin/provguard", project=project, capsys=capsys)
    assert "/opt/tools/bin/provguard guard cursor" in file.read_text(encoding="utf-8")

    guard("uninstall", "cursor", project=project, capsys=capsys)

    assert file.read_text(encoding="utf-8") == original


def test_a_file_nested_too_deeply_is_left_alone_with_a_reason(project: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    original = '{"deep": ' + "[" * 100_000 + "]" * 100_000 + "}\n"
    file = written(project, "claude-code", original)

    assert guard_main(["install", "claude-code", "--root", str(project)]) == 2

    assert capsys.readouterr().err == f"provguard: {file}:1:1: nested too deeply to edit; nothing changed\n"
    assert file.read_text(encoding="utf-8") == original


def test_an_event_list_written_on_one_line_gets_provguards_group_on_that_line(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    original = ('{\n  "hooks": {\n    "PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", '
                '"command": "./check.sh"}]}]\n  }\n}\n')
    file = written(project, "claude-code", original)

    guard("install", "claude-code", project=project, capsys=capsys)

    lines = file.read_text(encoding="utf-8").splitlines()
    assert lines[2] == ('    "PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", '
                        '"command": "./check.sh"}]}, '
                        '{"matcher": "Write|Edit|MultiEdit|NotebookEdit|mcp__.*__(write_file|edit_file)", '
                        '"hooks": [{"type": "command", '
                        '"command": "provguard guard claude-code", "timeout": 10}]}, '
                        '{"matcher": "Bash|PowerShell", "hooks": [{"type": "command", '
                        '"command": "provguard hook claude-code", "timeout": 10}]}],')
    assert lines[3] == '    "PostToolUse": ['
    guard("uninstall", "claude-code", project=project, capsys=capsys)
    assert file.read_text(encoding="utf-8") == original


def test_installing_again_brings_an_earlier_provguards_matcher_up_to_date(project: Path,
                                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """A project guarded before NotebookEdit edits were recorded: its recording group gets today's matcher."""
    old_group = {"matcher": "Write|Edit|MultiEdit",
                 "hooks": [{"type": "command", "command": "provguard hook claude-code", "timeout": 10}]}
    data = other_tools("claude-code")
    data.setdefault("hooks", {}).setdefault("PostToolUse", []).append(old_group)
    file = written(project, "claude-code", styled(data, "4-space"))

    lines = guard("install", "claude-code", project=project, capsys=capsys)

    assert (f"{file}: PostToolUse `provguard hook claude-code` matcher updated to "
            "Write|Edit|MultiEdit|NotebookEdit|Bash|PowerShell|mcp__.*__(write_file|edit_file)") in lines
    post = json.loads(file.read_text(encoding="utf-8"))["hooks"]["PostToolUse"]
    ours = [g for g in post if any("provguard hook" in h["command"] for h in g["hooks"])]
    assert [g["matcher"] for g in ours] == [
        "Write|Edit|MultiEdit|NotebookEdit|Bash|PowerShell|mcp__.*__(write_file|edit_file)"]
    assert post[:-1] == other_tools("claude-code")["hooks"].get("PostToolUse", [])  # other tools' groups kept
    assert all(line.endswith("is already installed")
               for line in guard("install", "claude-code", project=project, capsys=capsys))
