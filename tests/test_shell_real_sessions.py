"""Shell calls from real agent sessions (tests/fixtures/shell/SOURCES.md: public recordings, MIT, trimmed), replayed
through `provguard hook` as each agent runs its hooks: the pre hook when the call starts, the recorded command run
by a real shell in a git project, the post hook with the recorded result when it ends. What the commands wrote is
recorded as the agent's shell edits, with the session, call id and model each agent's payload carries."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from git_support import Repo
from provguard.ledger.sqlite import SqliteLedger

SHELL = Path(__file__).parent / "fixtures" / "shell"
COPILOT_SESSIONS = SHELL / "copilot-cli-session-events.jsonl"
"""Copilot CLI 1.0.78 and 1.0.77 session-state records: three commands that each write a file, then two calls that
ran side by side, one of them exiting 1."""
CODEX_ROLLOUT = SHELL / "codex-0.130-rollout-shell-writes.jsonl"
"""A codex-cli 0.130 rollout (gpt-5.5): three `exec_command` calls that write files, two that read them."""


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    repo = Repo(tmp_path / "shop")
    repo.commit({"README.md": "# shop\n"}, "start")
    return repo


def hook(agent: str, data: dict[str, Any], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "provguard", "hook", agent], input=json.dumps(data),
                          capture_output=True, text=True, cwd=cwd, timeout=60, check=False)


def shell(command: str, cwd: Path) -> None:
    subprocess.run(["bash", "-c", command], cwd=cwd, check=False, timeout=60, capture_output=True)


def recorded(repo: Repo) -> list[tuple[str, str, str | None, str | None, str, int, str | None]]:
    edits = SqliteLedger(repo.root / ".provguard" / "ledger.sqlite3").agent_edits()
    return sorted((e.path, e.tool, e.session_id, e.tool_call_id, e.source, e.lines, e.model) for e in edits)


def test_a_real_copilot_cli_sessions_shell_calls_are_recorded_as_its_hooks_see_them(repo: Repo) -> None:
    """Under `PreToolUse`/`PostToolUse` the CLI names the tool `Bash` and sends no call id and no model. A command
    exiting 1 is a successful call to the CLI (its result text says the exit code), so it gets PostToolUse too."""
    session = ""
    running: dict[str, dict[str, Any]] = {}
    answers: list[subprocess.CompletedProcess[str]] = []
    for line in COPILOT_SESSIONS.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        data = record["data"]
        if record["type"] == "session.start":
            session = data["sessionId"]
        elif record["type"] == "tool.execution_start":
            call = {"hook_event_name": "PreToolUse", "session_id": session, "timestamp": record["timestamp"],
                    "cwd": str(repo.root), "tool_name": "Bash", "tool_input": data["arguments"]}
            pre = hook("copilot", call, repo.root)
            assert (pre.returncode, pre.stdout, pre.stderr) == (0, "", "")
            shell(data["arguments"]["command"], repo.root)
            running[data["toolCallId"]] = call
        else:
            assert data["success"] is True
            answers.append(hook("copilot", {
                **running.pop(data["toolCallId"]), "hook_event_name": "PostToolUse", "timestamp": record["timestamp"],
                "tool_result": {"result_type": "success", "text_result_for_llm": data["result"]["content"]}},
                repo.root))

    assert [(done.returncode, done.stdout, done.stderr) for done in answers] == [(0, "", "")] * 5
    assert [(path, tool, session_id, source, lines, model) for path, tool, session_id, _, source, lines, model
            in recorded(repo)] == [(f"loop{n}.txt", "copilot", "7a2f9870-d353-4c15-8fd8-00cdc70debdc", "shell", 1,
                                    None) for n in (1, 2, 3)]


def test_a_real_codex_rollouts_shell_writes_are_recorded_as_its_hooks_see_them(repo: Repo) -> None:
    """Codex's hooks name its `exec_command` calls `Bash`, with the rollout's call id, the turn's model and the
    output string the rollout holds (its exit status in `Process exited with code 0`)."""
    session, model = "", ""
    calls: dict[str, dict[str, Any]] = {}
    answers: list[subprocess.CompletedProcess[str]] = []
    for line in CODEX_ROLLOUT.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        item = record["payload"]
        if record["type"] == "session_meta":
            session = item["id"]
        elif record["type"] == "turn_context":
            model = item["model"]
        elif item["type"] == "function_call":
            command = json.loads(item["arguments"])["cmd"]
            call = {"session_id": session, "turn_id": "0", "transcript_path": None, "cwd": str(repo.root),
                    "hook_event_name": "PreToolUse", "model": model, "permission_mode": "default",
                    "tool_name": "Bash", "tool_input": {"command": command}, "tool_use_id": item["call_id"]}
            pre = hook("codex", call, repo.root)
            assert (pre.returncode, pre.stdout, pre.stderr) == (0, "", "")
            shell(command, repo.root)
            calls[item["call_id"]] = call
        else:
            answers.append(hook("codex", {**calls.pop(item["call_id"]), "hook_event_name": "PostToolUse",
                                          "tool_response": item["output"]}, repo.root))

    assert [(done.returncode, done.stdout, done.stderr) for done in answers] == [(0, "", "")] * 5
    assert recorded(repo) == [
        ("a.txt", "codex", "019e56a6-a7f0-75d0-a6ed-b560f4a1d899", "call_92c9NldzuUxFrKWmpLhDuZQK", "shell", 3,
         "gpt-5.5"),
        ("b.txt", "codex", "019e56a6-a7f0-75d0-a6ed-b560f4a1d899", "call_oXn7zMyGRRRiJjSGLlWpg2k3", "shell", 2,
         "gpt-5.5"),
        ("c.txt", "codex", "019e56a6-a7f0-75d0-a6ed-b560f4a1d899", "call_ioRx6G4DsHRPXL3V9iKVH7b4", "shell", 20,
         "gpt-5.5")]
