"""A hook payload whose working folder does not exist never creates a workspace, for every agent's recording
hook and for the snapshot taken before a shell command: nothing is written anywhere, the hook exits 0 and says
why on stderr. Run as the agents run `provguard hook`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from guard_support import guard
from guard_support import payload as guard_payload
from transcript_support import payload

POST_PAYLOADS = [
    ("claude-code", "claude-code-write.json"),
    ("claude-code", "claude-code-notebookedit.json"),
    ("claude-code", "claude-code-bash.json"),
    ("codex", "codex-apply-patch.json"),
    ("copilot", "copilot-cli-post-create.json"),
    ("copilot", "copilot-vscode-post-multi-replace.json"),
    ("cursor", "cursor-after-tab-file-edit.json"),
]


def hook(agent: str, stdin: bytes, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "provguard", "hook", agent], input=stdin.decode(),
                          capture_output=True, text=True, cwd=cwd, timeout=60, check=False)


def tree(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))


@pytest.mark.parametrize(("agent", "name"), POST_PAYLOADS)
def test_a_post_tool_payload_in_a_folder_that_does_not_exist_creates_nothing(
        tmp_path: Path, agent: str, name: str) -> None:
    missing = tmp_path / "gone" / "shop"
    (tmp_path / "here").mkdir()
    before = tree(tmp_path)

    done = hook(agent, payload(name, missing), cwd=tmp_path / "here")

    assert (done.returncode, done.stdout) == (0, "")
    assert done.stderr == (f"provguard hook: no project (.provguard, provguard.toml or .git) at or above {missing} "
                           "(which does not exist): nothing recorded, and no ledger created\n")
    assert tree(tmp_path) == before


@pytest.mark.parametrize("agent", ["claude-code", "codex"])
def test_the_snapshot_before_a_shell_command_in_a_folder_that_does_not_exist_creates_nothing(
        tmp_path: Path, agent: str) -> None:
    missing = tmp_path / "gone" / "shop"
    data = json.loads(payload("claude-code-bash.json", missing))
    data["hook_event_name"] = "PreToolUse"
    data.pop("tool_response")
    before = tree(tmp_path)

    done = hook(agent, json.dumps(data).encode(), cwd=tmp_path)

    assert (done.returncode, done.stdout) == (0, "")
    assert "nothing recorded, and no ledger created" in done.stderr
    assert tree(tmp_path) == before


def test_the_edit_of_a_payload_from_a_deleted_folder_inside_a_project_lands_in_that_project(tmp_path: Path) -> None:
    project = tmp_path / "shop"
    (project / ".git").mkdir(parents=True)
    missing = project / "worktrees" / "feature"
    data = json.loads(payload("codex-apply-patch.json", missing))

    done = hook("codex", json.dumps(data).encode(), cwd=tmp_path)

    assert (done.returncode, done.stderr) == (0, "")
    assert not (project / "worktrees").exists()
    assert (project / ".provguard" / "ledger.sqlite3").is_file()


def test_the_guard_judging_a_call_from_a_folder_that_does_not_exist_creates_nothing_there(tmp_path: Path) -> None:
    missing = tmp_path / "gone" / "shop"
    before = tree(tmp_path)

    done = guard("claude-code", guard_payload("claude-code-write-source.json", missing), cwd=tmp_path)

    assert (done.returncode, done.stdout) == (0, "")
    assert tree(tmp_path) == before
