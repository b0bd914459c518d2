"""Shell calls in the shapes the agents really send them (tests/fixtures/shell/SOURCES.md): Codex's PostToolUse
after a failed command (no failure field; the exit status only in its string response), Claude Code's PowerShell
tool on Windows, and one command that changes several files. Run as the agents run `provguard hook`, with a real
shell changing real files between the pre- and post-tool payloads."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from git_support import Repo
from guard_support import allowed, guard
from provguard.ledger.model import AgentEdit
from provguard.ledger.sqlite import SqliteLedger
from provguard.provenance.fingerprints import insertion_prints
from transcript_support import FIXTURES, SAMPLE_ROOT

SHELL = FIXTURES / "shell"
CART = "def total(items):\n    return sum(items)\n"
PATCH = ("*** Begin Patch\n*** Update File: src/cart.py\n@@\n-    return sum(items)\n+    return round(sum(items), 2)\n"
         "*** End Patch\n")


def sent(name: str, root: Path, **changes: Any) -> dict[str, Any]:
    """The fixture's post-tool payload for a project at `root`, with `changes`."""
    data: dict[str, Any] = json.loads((SHELL / name).read_text(encoding="utf-8").replace(SAMPLE_ROOT, str(root)))
    data.update(changes)
    return data


def before(post: dict[str, Any]) -> dict[str, Any]:
    """The same call's pre-tool payload: the agent sends it without the tool's response (or error)."""
    return {**{k: v for k, v in post.items() if k not in ("tool_response", "error")}, "hook_event_name": "PreToolUse"}


def hook(agent: str, data: dict[str, Any], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "provguard", "hook", agent], input=json.dumps(data),
                          capture_output=True, text=True, cwd=cwd, timeout=60, check=False)


def run_call(agent: str, repo: Repo, post: dict[str, Any], command: str | None = None, exit_code: int = 0
             ) -> subprocess.CompletedProcess[str]:
    """The pre hook, the command run by a real shell in the project (else nothing changes), the post hook, which
    exits with `exit_code`."""
    pre = hook(agent, before(post), repo.root)
    assert (pre.returncode, pre.stdout, pre.stderr) == (0, "", "")
    if command is not None:
        subprocess.run(["bash", "-c", command], cwd=repo.root, check=False, timeout=60)
    done = hook(agent, post, repo.root)
    assert done.returncode == exit_code
    return done


def edits(repo: Repo) -> list[AgentEdit]:
    ledger = repo.root / ".provguard" / "ledger.sqlite3"
    return SqliteLedger(ledger).agent_edits() if ledger.exists() else []


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    repo = Repo(tmp_path / "shop")
    repo.commit({"src/cart.py": CART, "README.md": "# shop\n"}, "start")
    return repo


# -- Codex: PostToolUse after a failed command -------------------------------------------------------------------

def test_a_failed_codex_command_that_wrote_into_training_data_is_recorded_and_reported(repo: Repo) -> None:
    """Codex sends PostToolUse for a failed call too (never PostToolUseFailure): what the command wrote before it
    failed is the agent's all the same."""
    post = sent("codex-bash-failed.json", repo.root)

    done = run_call("codex", repo, post, "mkdir -p data/train && printf 'ROWS = [1, 2]\\n' > data/train/rows.py "
                                         "&& false")

    assert done.stderr == ""
    assert [(e.path, e.tool, e.model, e.session_id, e.tool_call_id, e.source, e.lines) for e in edits(repo)] == [
        ("data/train/rows.py", "codex", "gpt-5-codex", post["session_id"], post["tool_use_id"], "shell", 1)]
    answer = json.loads(done.stdout)
    assert answer["decision"] == "block"
    assert answer["hookSpecificOutput"] == {"hookEventName": "PostToolUse", "additionalContext": answer["reason"]}
    assert answer["reason"].startswith("provguard: your Bash command wrote to data/train/rows.py, which agents may "
                                       "not write:")


def test_a_codex_post_tool_use_failure_is_recorded_and_answered_as_that_event(repo: Repo) -> None:
    """The event is in Codex's vocabulary though its builds so far send PostToolUse (openai/codex issue #34289):
    should one send it, the failed command's writes are recorded and the answer names the event it answers."""
    post = sent("codex-bash-failed.json", repo.root, hook_event_name="PostToolUseFailure")

    done = run_call("codex", repo, post, "mkdir -p data/train && printf 'ROWS = [3]\\n' > data/train/rows.py && false")

    assert done.stderr == ""
    assert [(e.path, e.source) for e in edits(repo)] == [("data/train/rows.py", "shell")]
    assert json.loads(done.stdout)["hookSpecificOutput"]["hookEventName"] == "PostToolUseFailure"


@pytest.mark.parametrize("status", ["Chunk ID: 9a1f\nWall time: 0.0312 seconds\nProcess exited with code 1\n"
                                    "Output:\nInvalid Context 0:\n    return sum(items)\n",
                                    "Exit code: 1\nWall time: 0.1 seconds\nOutput:\nInvalid Context 0\n"])
def test_a_codex_patch_through_the_shell_that_failed_records_nothing(repo: Repo, status: str) -> None:
    """The patch in the command did not apply (the file is as it was): its lines are not the agent's."""
    post = sent("codex-bash-failed.json", repo.root, tool_input={"command": f"apply_patch <<'EOF'\n{PATCH}EOF\n"},
                tool_response=status)

    done = run_call("codex", repo, post)

    assert edits(repo) == []
    assert (done.stdout, done.stderr) == ("", "provguard hook: the patch did not apply; nothing recorded\n")
    assert (repo.root / "src" / "cart.py").read_text(encoding="utf-8") == CART


def test_a_codex_patch_through_the_shell_that_applied_is_recorded_once_from_the_patch(repo: Repo) -> None:
    post = sent("codex-bash-failed.json", repo.root, tool_input={"command": f"apply_patch <<'EOF'\n{PATCH}EOF\n"},
                tool_response="Chunk ID: 9a20\nWall time: 0.0290 seconds\nProcess exited with code 0\nOutput:\n"
                              "Success. Updated the following files:\nM src/cart.py\n")

    done = run_call("codex", repo, post, "printf 'def total(items):\\n    return round(sum(items), 2)\\n' > "
                                         "src/cart.py")

    assert (done.stdout, done.stderr) == ("", "")
    assert [(e.path, e.source, e.lines) for e in edits(repo)] == [("src/cart.py", "hook", 1)]


# -- Copilot CLI: PostToolUseFailure in place of PostToolUse -------------------------------------------------------

def test_a_failed_copilot_command_that_wrote_into_training_data_is_recorded_and_reported(repo: Repo) -> None:
    """The Copilot CLI (1.0.15 and later) sends PostToolUseFailure, not PostToolUse, after a failed call, with an
    `error` in place of the result: what the command wrote before it failed is the agent's all the same."""
    post = sent("copilot-bash-failure.json", repo.root)

    done = run_call("copilot", repo, post, "mkdir -p data/train && printf 'ROWS = [4]\\n' > data/train/rows.py "
                                           "&& false", exit_code=2)

    assert [(e.path, e.tool, e.session_id, e.source, e.lines) for e in edits(repo)] == [
        ("data/train/rows.py", "copilot", post["session_id"], "shell", 1)]
    assert done.stdout.startswith("provguard: your bash command wrote to data/train/rows.py")  # recovery guidance
    assert done.stdout in done.stderr  # tests/test_copilot_cli_hooks.py: the CLI's channels


@pytest.mark.parametrize("shape", ["vscode", "camelCase"])
def test_a_failed_copilot_file_tool_call_records_nothing_and_says_nothing(repo: Repo, shape: str) -> None:
    """Copilot's hooks have no matcher: its failure hook sees every tool's failures; an edit that failed wrote
    nothing. The CLI's camelCase payload names no event: its `error` and missing result tell it failed."""
    arguments = {"path": str(repo.root / "src" / "cart.py"), "old_str": "return total", "new_str": "return 0"}
    post = (sent("copilot-bash-failure.json", repo.root, tool_name="edit", tool_input=arguments,
                 error="No match found") if shape == "vscode" else
            {"sessionId": "5b0e7c2a", "timestamp": 1764580467512, "cwd": str(repo.root), "toolName": "edit",
             "toolArgs": json.dumps(arguments), "error": "No match found"})

    done = hook("copilot", post, repo.root)

    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    assert edits(repo) == []


# -- Claude Code's PowerShell tool --------------------------------------------------------------------------------

def test_a_claude_code_powershell_write_passes_the_guard_and_is_recorded_and_reported_like_bash(repo: Repo) -> None:
    post = sent("claude-code-powershell.json", repo.root)
    assert allowed(guard("claude-code", json.dumps(before(post)).encode(), cwd=repo.root)) == ""

    done = run_call("claude-code", repo, post, "mkdir -p data/train && printf 'ROWS = [1, 2]\\n' > data/train/rows.py")

    assert done.stderr == ""
    assert [(e.path, e.tool, e.tool_call_id, e.source) for e in edits(repo)] == [
        ("data/train/rows.py", "claude-code", post["tool_use_id"], "shell")]
    answer = json.loads(done.stdout)
    assert answer["hookSpecificOutput"]["hookEventName"] == "PostToolUse"
    assert answer["reason"].startswith("provguard: your PowerShell command wrote to data/train/rows.py, which "
                                       "agents may not write:")


# -- one command, several files ----------------------------------------------------------------------------------

def test_each_file_one_command_changes_is_its_own_edit_with_its_own_lines(repo: Repo) -> None:
    """A new file, a new line in a tracked file and a file in training data: three edits of the one call, each at
    its own path with only the lines the command put there; only the training-data file is reported."""
    post = sent("codex-bash-failed.json", repo.root, tool_response="Process exited with code 0\nOutput:\n")
    command = ("mkdir -p data/train docs && printf 'ROWS = [1, 2]\\n' > data/train/rows.py && "
               "printf '# Notes\\n\\nRun make.\\n' > docs/notes.md && printf 'TAX = 0.2\\n' >> src/cart.py")

    done = run_call("codex", repo, post, command)

    assert done.stderr == ""
    expected = {"data/train/rows.py": "ROWS = [1, 2]\n", "docs/notes.md": "# Notes\n\nRun make.\n",
                "src/cart.py": "TAX = 0.2\n"}
    assert sorted((e.path, e.tool_call_id, e.lines, tuple(e.line_hashes)) for e in edits(repo)) == sorted(
        (path, post["tool_use_id"], prints.lines, tuple(prints.line_hashes))
        for path, prints in ((path, insertion_prints(text, path)) for path, text in expected.items()))
    reason = json.loads(done.stdout)["reason"]
    assert "wrote to data/train/rows.py" in reason
    assert "docs/notes.md" not in reason and "src/cart.py" not in reason
