"""The Copilot CLI's own hook contract (GitHub's hooks reference, `github/docs`
`content/copilot/reference/hooks-reference.md`; tests/fixtures/shell/SOURCES.md): `provguard guard copilot` and
`provguard hook copilot` run as the CLI runs them, with the payloads it sends under the event names `guard install
copilot` writes, and their answers checked on the channel and with the exit code the CLI acts on.

- PascalCase `PreToolUse` payloads name tools the Claude Code way (`Write` for `create`; `Edit` for `edit`,
  `str_replace_editor` and `apply_patch`; `Bash` for `bash` and `powershell`).
- A `preToolUse` command hook refuses with one JSON object on stdout and exit 0 (any other non-zero exit but a
  timeout denies the call too, so an allowed call must exit 0).
- `postToolUse` reads a top-level `additionalContext`; `postToolUseFailure` takes recovery guidance from a command
  hook only with exit code 2, as plain text (stdout in the reference today, stderr in its earlier CLI reference).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from git_support import Repo
from guard_support import GUARD_FIXTURES, allowed, answer, guard
from provguard.ledger.sqlite import SqliteLedger

WRITE_ROWS = "mkdir -p data/train && printf 'ROWS = [7]\\n' > data/train/rows.py"


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    repo = Repo(tmp_path / "shop")
    repo.commit({"src/cart.py": "def total(items):\n    return sum(items)\n",
                 "training_data/prompts.py": "EXAMPLES = []\n"}, "start")
    return repo


def pre_tool_use(root: Path, tool: str, tool_input: Any) -> dict[str, Any]:
    """The VS Code compatible payload the CLI sends a hook installed under `PreToolUse`."""
    return {"hook_event_name": "PreToolUse", "session_id": "7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f",
            "timestamp": "2026-12-07T20:15:02.114Z", "cwd": str(root), "tool_name": tool, "tool_input": tool_input}


def run(command: str, agent: str, data: dict[str, Any], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "provguard", command, agent], input=json.dumps(data),
                          capture_output=True, text=True, cwd=cwd, timeout=60, check=False)


def refusal(done: subprocess.CompletedProcess[str]) -> str:
    """The CLI's reading of a refusal: one JSON object on stdout, exit 0, `permissionDecision: deny` at the top."""
    found = answer("copilot", done)
    assert found["permissionDecision"] == "deny"
    reason: str = found["permissionDecisionReason"]
    return reason


# -- preToolUse: the tool names of the CLI's PascalCase payloads ---------------------------------------------------

@pytest.mark.parametrize(("tool", "arguments", "target"), [
    ("Write", {"path": "training_data/new_rows.py", "file_text": "ROWS = [1]\n"}, "training_data/new_rows.py"),
    ("Edit", {"path": "training_data/prompts.py", "old_str": "EXAMPLES = []", "new_str": "EXAMPLES = [1]"},
     "training_data/prompts.py"),
    ("Edit", {"command": "create", "path": "training_data/made.py", "file_text": "ROWS = [2]\n"},
     "training_data/made.py"),
    ("Edit", {"command": "insert", "path": "training_data/prompts.py", "insert_line": 1, "new_str": "MORE = [3]\n"},
     "training_data/prompts.py"),
    ("Edit", {"input": "*** Begin Patch\n*** Add File: training_data/patched.py\n+ROWS = [4]\n*** End Patch\n"},
     "training_data/patched.py"),
], ids=["create-as-Write", "edit-as-Edit", "text-editor-create-as-Edit", "text-editor-insert-as-Edit",
        "apply_patch-as-Edit"])
def test_a_write_under_its_claude_code_name_is_judged_as_the_copilot_tool_it_is(
        repo: Repo, tool: str, arguments: dict[str, Any], target: str) -> None:
    arguments = {k: str(repo.root / v) if k == "path" else v for k, v in arguments.items()}

    done = guard("copilot", json.dumps(pre_tool_use(repo.root, tool, arguments)).encode(), cwd=repo.root)

    assert refusal(done).startswith(f"provguard refused this write to {target}: Code written by Copilot (github) "
                                    "must not be in training data")
    assert done.stderr == ""


def test_a_patch_given_bare_as_the_tool_arguments_is_judged(repo: Repo) -> None:
    """A freeform apply_patch (as Codex's) has the patch itself for its arguments, not a JSON object."""
    patch = "*** Begin Patch\n*** Add File: training_data/loose.py\n+ROWS = [5]\n*** End Patch\n"
    data = {"sessionId": "7c1d2e3f", "timestamp": 1765138502114, "cwd": str(repo.root), "toolName": "apply_patch",
            "toolArgs": patch}

    done = guard("copilot", json.dumps(data).encode(), cwd=repo.root)

    assert refusal(done).startswith("provguard refused this write to training_data/loose.py:")


@pytest.mark.parametrize(("tool", "arguments"), [
    ("Read", {"path": "training_data/prompts.py"}), ("Grep", {"pattern": "EXAMPLES"}), ("Glob", {"pattern": "**/*.py"}),
    ("Bash", {"command": WRITE_ROWS}), ("TodoWrite", {"todos": []}), ("AskUserQuestion", {"question": "Go on?"}),
])
def test_tools_that_write_no_file_under_their_claude_code_names_are_let_through_without_a_word(
        repo: Repo, tool: str, arguments: dict[str, Any]) -> None:
    done = guard("copilot", json.dumps(pre_tool_use(repo.root, tool, arguments)).encode(), cwd=repo.root)

    assert allowed(done) == ""


def test_a_write_under_its_claude_code_name_is_recorded_as_the_copilot_tool_it_is(repo: Repo) -> None:
    path = str(repo.root / "src" / "cart.py")
    post = {**pre_tool_use(repo.root, "Edit", {"path": path, "old_str": "sum(items)", "new_str": "round(sum(items))"}),
            "hook_event_name": "PostToolUse", "tool_result": {"result_type": "success", "text_result_for_llm": "ok"}}
    (repo.root / "src" / "cart.py").write_text("def total(items):\n    return round(sum(items))\n", encoding="utf-8")

    done = run("hook", "copilot", post, repo.root)

    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    edits = SqliteLedger(repo.root / ".provguard" / "ledger.sqlite3").agent_edits()
    assert [(e.path, e.tool, e.source, e.lines) for e in edits] == [("src/cart.py", "copilot", "hook", 1)]



@pytest.mark.parametrize("outcome", ["denied", "failure", "error"])
def test_a_write_whose_result_says_it_did_not_succeed_is_not_recorded(repo: Repo, outcome: str) -> None:
    """The VS Code compatible PostToolUse payload gives the call's outcome as `tool_result.result_type`."""
    post = {**pre_tool_use(repo.root, "Write", {"path": str(repo.root / "src" / "new.py"), "file_text": "X = 1\n"}),
            "hook_event_name": "PostToolUse", "tool_result": {"result_type": outcome, "text_result_for_llm": "no"}}

    done = run("hook", "copilot", post, repo.root)

    assert (done.returncode, done.stdout) == (0, "")
    assert done.stderr == f"provguard hook: the create call did not succeed ({outcome}); nothing recorded\n"
    assert not (repo.root / ".provguard" / "ledger.sqlite3").exists()


# -- postToolUse and postToolUseFailure: the report of a shell command's write ------------------------------------

def shell_call(repo: Repo, after: dict[str, Any], command: str) -> subprocess.CompletedProcess[str]:
    """The pre hook (a `PreToolUse` entry running `provguard hook copilot`), the command run by a real shell, and
    the hook the CLI runs after it with `after`'s fields."""
    pre = run("hook", "copilot", pre_tool_use(repo.root, "Bash", {"command": command}), repo.root)
    assert (pre.returncode, pre.stdout, pre.stderr) == (0, "", "")
    subprocess.run(["bash", "-c", command], cwd=repo.root, check=False, timeout=60)
    return run("hook", "copilot", {**pre_tool_use(repo.root, "Bash", {"command": command}), **after}, repo.root)


def test_after_a_shell_write_into_training_data_the_cli_reads_the_report_as_additional_context(repo: Repo) -> None:
    done = shell_call(repo, {"hook_event_name": "PostToolUse",
                             "tool_result": {"result_type": "success", "text_result_for_llm": ""}}, WRITE_ROWS)

    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.endswith("\n") and done.stdout.count("\n") == 1  # one JSON document: the CLI parses it whole
    found = json.loads(done.stdout)
    assert found["additionalContext"].startswith("provguard: your Bash command wrote to data/train/rows.py, which "
                                                 "agents may not write:")
    assert found["hookSpecificOutput"]["additionalContext"] == found["additionalContext"]  # VS Code's reading


@pytest.mark.parametrize("shape", ["PostToolUseFailure", "postToolUseFailure"])
def test_after_a_failed_shell_write_into_training_data_the_report_is_recovery_guidance_with_exit_code_2(
        repo: Repo, shape: str) -> None:
    """The camelCase event's payload names no event: its `error` and missing result say the call failed."""
    command = WRITE_ROWS + " && false"
    failure: dict[str, Any] = ({"hook_event_name": "PostToolUseFailure", "error": "Command failed with exit code 1"}
                               if shape == "PostToolUseFailure" else {"error": "Command failed with exit code 1"})
    if shape == "postToolUseFailure":
        pre = run("hook", "copilot", pre_tool_use(repo.root, "bash", {"command": command}), repo.root)
        assert pre.returncode == 0
        subprocess.run(["bash", "-c", command], cwd=repo.root, check=False, timeout=60)
        done = run("hook", "copilot", {"sessionId": "7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f", "timestamp": 1765138502114,
                                       "cwd": str(repo.root), "toolName": "bash",
                                       "toolArgs": {"command": command}, **failure}, repo.root)
    else:
        done = shell_call(repo, failure, command)

    assert done.returncode == 2
    guidance = done.stdout
    assert guidance.startswith("provguard: your bash command wrote to data/train/rows.py, which agents may not write:"
                               if shape == "postToolUseFailure" else
                               "provguard: your Bash command wrote to data/train/rows.py, which agents may not write:")
    assert not guidance.lstrip().startswith("{")  # plain text: appended to the failure as the agent reads it
    assert guidance in done.stderr  # where earlier CLIs read it
    edits = SqliteLedger(repo.root / ".provguard" / "ledger.sqlite3").agent_edits()
    assert [(e.path, e.tool, e.source) for e in edits] == [("data/train/rows.py", "copilot", "shell")]


def test_after_a_failed_shell_call_that_wrote_nothing_refused_the_hook_exits_0_saying_nothing(repo: Repo) -> None:
    """Exit code 2 is kept for guidance: a failure with nothing to report gets the CLI's default handling."""
    done = shell_call(repo, {"hook_event_name": "PostToolUseFailure", "error": "Command failed with exit code 1"},
                      "printf 'x\\n' > notes.txt && false")

    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


# -- the hooks file, as a Copilot CLI older than one of its events reads it -------------------------------------

def test_the_installed_hooks_file_is_one_every_copilot_cli_loads_whatever_events_it_knows(tmp_path: Path) -> None:
    """An event name a CLI does not know (`PostToolUseFailure` before 1.0.15) is skipped there; only the file's
    structure can make a CLI reject it whole, and it is provguard's own file, so no other hooks file is touched."""
    project = tmp_path / "shop"
    (project / ".git").mkdir(parents=True)
    theirs = project / ".github" / "hooks" / "team.json"
    theirs.parent.mkdir(parents=True)
    theirs.write_text('{"version": 1, "hooks": {"sessionStart": [{"type": "command", "bash": "./banner.sh"}]}}\n',
                      encoding="utf-8")
    before = theirs.read_bytes()

    done = subprocess.run([sys.executable, "-m", "provguard", "guard", "install", "copilot"], cwd=project,
                          capture_output=True, text=True, timeout=60, check=False,
                          env={**os.environ, "HOME": str(tmp_path / "home")})

    assert done.returncode == 0, done.stderr
    written = json.loads((project / ".github" / "hooks" / "provguard.json").read_text(encoding="utf-8"))
    jsonschema.validate(written, json.loads((GUARD_FIXTURES / "copilot-hooks-file.schema.json").read_text("utf-8")))
    assert set(written["hooks"]) == {"PreToolUse", "PostToolUse", "PostToolUseFailure"}
    assert theirs.read_bytes() == before

