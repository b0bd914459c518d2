"""`provguard guard install` again, over provguard hooks a person gave a matcher of their own: a matcher that
reaches every tool provguard's does is theirs to keep; one that misses some is kept too, and the install says on
stdout which tools it misses; one an earlier provguard wrote (no matcher, or some of today's names only) gets
today's."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from test_guard_install import provguard

CURSOR_SHELL = "Shell|run_terminal_cmd"
CURSOR_AFTER = "Shell|run_terminal_cmd|MCP:(write_file|edit_file)"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    folder = tmp_path / "home"
    folder.mkdir()
    return folder


def cursor_file(project: Path, hooks: dict[str, list[dict[str, Any]]]) -> Path:
    file = project / ".cursor" / "hooks.json"
    file.parent.mkdir(parents=True)
    file.write_text(json.dumps({"version": 1, "hooks": hooks}, indent=2) + "\n", encoding="utf-8")
    return file


def entry(command: str, matcher: str | None = None) -> dict[str, Any]:
    return {"command": command, **({"matcher": matcher} if matcher is not None else {}), "timeout": 10}


def ours(file: Path, event: str, command: str) -> list[str | None]:
    """The matchers of the event's hooks running `command`."""
    hooks = json.loads(file.read_text(encoding="utf-8"))["hooks"].get(event, [])
    return [hook.get("matcher") for hook in hooks if hook["command"] == command]


def test_a_cursor_shell_hook_whose_own_matcher_reaches_more_tools_is_kept(project: Path, home: Path) -> None:
    """The shell pre hook, widened by hand to Cursor's Delete tool as well: nothing to change, and it says so."""
    own = "Shell|run_terminal_cmd|Delete"
    file = cursor_file(project, {"preToolUse": [entry("provguard hook cursor", own)]})

    done = provguard("guard", "install", "cursor", cwd=project, home=home)

    assert done.returncode == 0
    assert (f"{file}: preToolUse `provguard hook cursor` is already installed (its own matcher {own} reaches every "
            "tool provguard's does)") in done.stdout.splitlines()
    assert ours(file, "preToolUse", "provguard hook cursor") == [own]
    assert ours(file, "postToolUse", "provguard hook cursor") == [CURSOR_AFTER]  # the hooks not there are added


def test_a_cursor_recording_hook_matching_every_tool_by_pattern_is_kept(project: Path, home: Path) -> None:
    file = cursor_file(project, {"postToolUse": [entry("provguard hook cursor", ".*")]})

    done = provguard("guard", "install", "cursor", cwd=project, home=home)

    assert (f"{file}: postToolUse `provguard hook cursor` is already installed (its own matcher .* reaches every "
            "tool provguard's does)") in done.stdout.splitlines()
    assert ours(file, "postToolUse", "provguard hook cursor") == [".*"]
    assert ours(file, "preToolUse", "provguard hook cursor") == [CURSOR_SHELL]


def test_an_own_matcher_that_misses_provguards_tools_is_left_and_the_install_says_which(project: Path,
                                                                                        home: Path) -> None:
    """A recording hook a person limited to the shell: MCP writes are not recorded. provguard does not overrule
    them; it names what their matcher misses."""
    own = "Shell|run_terminal_cmd|Task"
    file = cursor_file(project, {"postToolUse": [entry("provguard hook cursor", own)]})

    done = provguard("guard", "install", "cursor", cwd=project, home=home)

    assert (f"{file}: postToolUse `provguard hook cursor` left as it is: its own matcher {own} does not reach "
            f"MCP:write_file, MCP:edit_file (provguard's is {CURSOR_AFTER})") in done.stdout.splitlines()
    assert ours(file, "postToolUse", "provguard hook cursor") == [own]


def test_an_earlier_provguards_narrower_matcher_is_still_brought_up_to_date(project: Path, home: Path) -> None:
    """Only names provguard's matcher has: what an earlier provguard wrote before the list grew."""
    file = cursor_file(project, {"postToolUse": [entry("provguard hook cursor", CURSOR_SHELL)]})

    done = provguard("guard", "install", "cursor", cwd=project, home=home)

    assert f"{file}: postToolUse `provguard hook cursor` matcher updated to {CURSOR_AFTER}" in done.stdout.splitlines()
    assert ours(file, "postToolUse", "provguard hook cursor") == [CURSOR_AFTER]


def test_a_claude_code_guard_group_with_its_own_wider_matcher_is_kept(project: Path, home: Path) -> None:
    """A matcher group holding only provguard's guard, its matcher a pattern of the person's own (one more MCP
    tool, written another way): kept as it is."""
    own = "(Write|Edit)$|MultiEdit|NotebookEdit|mcp__.*__(write_file|edit_file|move_file)"
    settings = project / ".claude" / "settings.json"
    settings.parent.mkdir(parents=True)
    settings.write_text(json.dumps({"hooks": {"PreToolUse": [{"matcher": own, "hooks": [
        {"type": "command", "command": "provguard guard claude-code", "timeout": 10}]}]}}, indent=2) + "\n",
        encoding="utf-8")

    done = provguard("guard", "install", "claude-code", cwd=project, home=home)

    assert (f"{settings}: PreToolUse `provguard guard claude-code` is already installed (its own matcher {own} "
            "reaches every tool provguard's does)") in done.stdout.splitlines()
    groups = json.loads(settings.read_text(encoding="utf-8"))["hooks"]["PreToolUse"]
    assert [g["matcher"] for g in groups if g["hooks"][0]["command"] == "provguard guard claude-code"] == [own]


def test_uninstall_removes_provguards_hook_under_an_own_matcher_too(project: Path, home: Path) -> None:
    file = cursor_file(project, {"preToolUse": [entry("./hooks/block-secrets.sh", "Read"),
                                                entry("provguard hook cursor", "Shell|run_terminal_cmd|Delete")]})
    provguard("guard", "install", "cursor", cwd=project, home=home)

    provguard("guard", "uninstall", "cursor", cwd=project, home=home)

    assert json.loads(file.read_text(encoding="utf-8"))["hooks"]["preToolUse"] == [
        entry("./hooks/block-secrets.sh", "Read")]
