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



# -- the CLI's matcher, and its camelCase payloads, which name no event -------------------------------------------

RUNTIME_TOOLS = {"bash": "Bash", "powershell": "Bash", "view": "Read", "create": "Write", "edit": "Edit",
                 "str_replace_editor": "Edit", "apply_patch": "Edit", "grep": "Grep", "rg": "Grep", "glob": "Glob",
                 "web_fetch": "WebFetch", "web_search": "WebSearch", "ask_user": "AskUserQuestion",
                 "update_todo": "TodoWrite", "task": "Agent", "report_intent": None, "skill": None}
"""The CLI's tools and the Claude Code name each has under the PascalCase events (GitHub's hooks reference; None:
no Claude Code name, the runtime name is used)."""


def fires(matcher: str, runtime: str, claude: str | None) -> bool:
    """Whether a PascalCase `PreToolUse` entry with this matcher runs for the tool, by the reference's Claude-format
    rules: `*` or empty for all; a `|` list of plain names when one equals the runtime or the Claude Code name; any
    other value a regex that must match the whole Claude Code name (the runtime one when there is none)."""
    import re

    if matcher in ("", "*", "**"):
        return True
    if re.fullmatch(r"[\w| -]+", matcher):
        return bool({token.strip() for token in matcher.split("|")} & {runtime, claude})
    return re.fullmatch(matcher, claude or runtime) is not None


def test_the_shell_pre_hook_runs_before_the_clis_shell_tools_only_and_the_guard_before_every_tool() -> None:
    """Read the CLI's way (1.0.62 and later), and the way 1.0.36 to 1.0.61 read a matcher: a regex matching the whole
    runtime name. VS Code drops the field: there the pre hook runs before every call and answers at once."""
    import re

    from provguard.guard.agent_hooks import agent_hooks

    entries = {(entry.event, entry.command.split()[-2]): entry.hook for entry in agent_hooks("copilot").entries}
    shell_pre = entries[("PreToolUse", "hook")]["matcher"]

    assert sorted(tool for tool, claude in RUNTIME_TOOLS.items() if fires(shell_pre, tool, claude)) == [
        "bash", "powershell"]
    assert sorted(tool for tool in RUNTIME_TOOLS if re.fullmatch(shell_pre, tool)) == ["bash", "powershell"]
    assert [key for key, hook in entries.items() if "matcher" in hook] == [("PreToolUse", "hook")]


def test_a_camelcase_pre_tool_payload_sent_to_the_recording_hook_records_nothing(repo: Repo) -> None:
    """Before the call there is nothing to record: the payload has no result (the CLI's camelCase preToolUse)."""
    arguments = {"path": str(repo.root / "src" / "invoice.py"), "file_text": "X = 1\n"}
    pre = {"sessionId": "7c1d2e3f", "timestamp": 1765138502114, "cwd": str(repo.root), "toolName": "create",
           "toolArgs": json.dumps(arguments)}

    done = run("hook", "copilot", pre, repo.root)

    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    assert not (repo.root / ".provguard" / "ledger.sqlite3").exists()


@pytest.mark.parametrize(("pre_shape", "post_args"), [("camelCase", "string"), ("camelCase", "object"),
                                                      ("PascalCase", "object")])
def test_a_shell_write_between_payloads_of_either_shape_is_recorded_and_reported(
        repo: Repo, pre_shape: str, post_args: str) -> None:
    """The CLI's camelCase payloads name no event (their shape does) and give `toolArgs` as a JSON string (the
    reference's example) or an object (what 1.0.89 and later send); a PascalCase pre names the tool `Bash`, a
    camelCase post `bash`: the pre and post payloads of one call still meet."""
    arguments = {"command": WRITE_ROWS, "description": "Write rows"}
    camel = {"sessionId": "7c1d2e3f", "timestamp": 1765138502114, "cwd": str(repo.root), "toolName": "bash",
             "toolArgs": json.dumps(arguments) if post_args == "string" else arguments}
    pre = camel if pre_shape == "camelCase" else {**pre_tool_use(repo.root, "Bash", arguments),
                                                  "session_id": "7c1d2e3f"}

    assert (before := run("hook", "copilot", pre, repo.root)).returncode == 0 and before.stderr == ""
    subprocess.run(["bash", "-c", WRITE_ROWS], cwd=repo.root, check=True, timeout=60)
    done = run("hook", "copilot", {**camel, "toolResult": {"resultType": "success", "textResultForLlm": ""}},
               repo.root)

    assert (done.returncode, done.stderr) == (0, "")
    assert json.loads(done.stdout)["additionalContext"].startswith(
        "provguard: your bash command wrote to data/train/rows.py, which agents may not write:")
    edits = SqliteLedger(repo.root / ".provguard" / "ledger.sqlite3").agent_edits()
    assert [(e.path, e.tool, e.source, e.session_id) for e in edits] == [
        ("data/train/rows.py", "copilot", "shell", "7c1d2e3f")]


@pytest.mark.parametrize(("tool", "arguments"), [
    ("task_complete", {"summary": "Done: rows added."}),  # CLI 1.0.77/1.0.78 session records (Irrlicht)
    ("read_agent", {"agent_id": "a1", "timeout": 30, "wait": True}),
    ("report_intent", {"intent": "Exploring the codebase"}),
    ("skill", {"skill": "fix-pr"}),
])
def test_the_clis_own_tools_that_write_no_file_pass_the_guard_without_a_word(repo: Repo, tool: str,
                                                                                  arguments: dict[str, Any]) -> None:
    """The guard entry has no matcher, so every tool the CLI runs reaches it: one it knows writes nothing is let
    through with no note on stderr (camelCase payload, `toolArgs` an object as 1.0.89 and later send it)."""
    data = {"sessionId": "7c1d2e3f", "timestamp": 1765138502114, "cwd": str(repo.root), "toolName": tool,
            "toolArgs": arguments}

    assert allowed(guard("copilot", json.dumps(data).encode(), cwd=repo.root)) == ""
