"""Issue 16's end-to-end case: a shell-tool write into a training-data path, recorded and reported, from a real
agent's hook payloads (tests/fixtures/claude-code/real/SOURCE.md: the `Bash` PreToolUse/PostToolUse pair a mid-2025
Claude Code sent in ranaroussi/quantstats, Apache-2.0; its working folder rewritten into the test's git project, its
command kept). Between the two hooks a real shell writes the file, as the agent's command would have: the post hook
must record what changed as the agent's edit, tell the agent which rule the write broke, and `provguard check` and
the editor must show it as a finding.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types

from git_support import Repo
from lsp_support import capabilities, open_file, pulled, session
from provguard.ledger.sqlite import SqliteLedger
from provguard.provenance.origin import Evidence
from test_hooks_real_claude_code import SESSION_ID, before_the_session, hook, payloads

RULE = "rival-ai-output-in-training-data"
RETURNS = "RETURNS = [0.01, -0.02, 0.03, -0.01, 0.02]\nSHARPE = 4.593220484431882\n"
"""What the session's command printed, as an agent might keep it for a training set."""


@pytest.fixture
def project(tmp_path: Path) -> Repo:
    return before_the_session(tmp_path / "quantstats")


def bash_pair(root: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    pre, post = [call for call in payloads(root) if call["tool_name"] == "Bash"]
    assert (pre["hook_event_name"], post["hook_event_name"]) == ("PreToolUse", "PostToolUse")
    assert pre["tool_input"]["command"] == post["tool_input"]["command"]  # as sent: nothing names the file
    return pre, post


def shell(command: str, cwd: Path) -> None:
    subprocess.run(["bash", "-c", command], cwd=cwd, check=True, timeout=60, capture_output=True)


def recorded(root: Path) -> list[tuple[str, str, str | None, str | None, int, Evidence]]:
    ledger = SqliteLedger(root / ".provguard" / "ledger.sqlite3")
    try:
        return [(e.path, e.tool, e.source, e.session_id, e.lines, e.evidence) for e in ledger.agent_edits()]
    finally:
        ledger.close()


def checked(root: Path, path: str) -> tuple[int, list[tuple[str, int, int]]]:
    """`provguard check PATH`'s exit code and its findings as (rule, first line, last line)."""
    done = subprocess.run([sys.executable, "-m", "provguard", "check", "--format", "json", path],
                          capture_output=True, text=True, cwd=root, timeout=120, check=False)
    findings = json.loads(done.stdout)["findings"]
    return done.returncode, [(f["rule"], f["range"]["start"]["line"], f["range"]["end"]["line"]) for f in findings]


def test_a_real_bash_call_writing_a_new_file_into_training_data_is_recorded_and_its_rule_reported(
        project: Repo) -> None:
    pre, post = bash_pair(project.root)

    before = hook(pre, project.root)
    shell(f"mkdir -p training_data && cat > training_data/returns.py <<'EOF'\n{RETURNS}EOF", project.root)
    after = hook(post, project.root)

    assert (before.returncode, before.stdout, before.stderr) == (0, "", "")  # nothing to judge before it runs
    assert (after.returncode, after.stderr) == (0, "")
    answer = json.loads(after.stdout)
    assert answer["decision"] == "block"
    assert answer["reason"].startswith("provguard: your Bash command wrote to training_data/returns.py, which agents "
                                       "may not write: Code written by Claude Code (anthropic) must not be in "
                                       "training data")
    assert f"(provguard rule {RULE})" in answer["reason"]
    assert answer["hookSpecificOutput"] == {"hookEventName": "PostToolUse", "additionalContext": answer["reason"]}
    assert recorded(project.root) == [("training_data/returns.py", "claude-code", "shell", SESSION_ID, 2,
                                       Evidence.HOOK)]
    code, findings = checked(project.root, "training_data/returns.py")
    assert code == 1
    assert (RULE, 1, 2) in findings


def test_only_what_the_command_changed_is_the_agents_not_a_persons_earlier_changes(project: Repo) -> None:
    """A committed training-data file the command appends to, and changes a person made before the call (one in
    the same file, one elsewhere): the snapshot before the call leaves theirs out of the agent's edit."""
    project.commit({"training_data/returns.py": RETURNS}, "training data")
    person = "# kept by hand\n"
    (project.root / "training_data" / "returns.py").write_text(person + RETURNS, encoding="utf-8")
    (project.root / "requirements.txt").write_text("pandas>=0.24.0\n", encoding="utf-8")
    pre, post = bash_pair(project.root)

    assert hook(pre, project.root).returncode == 0
    shell("printf 'VOLATILITY = 0.0187\\nSORTINO = 9.21\\n' >> training_data/returns.py", project.root)
    after = hook(post, project.root)

    assert after.returncode == 0
    assert f"(provguard rule {RULE})" in json.loads(after.stdout)["reason"]
    assert recorded(project.root) == [("training_data/returns.py", "claude-code", "shell", SESSION_ID, 2,
                                       Evidence.HOOK)]
    assert [f for f in checked(project.root, "training_data/returns.py")[1] if f[0] == RULE] == [(RULE, 4, 5)]


async def test_the_editor_shows_the_recorded_shell_write_as_a_finding_of_the_rule(project: Repo) -> None:
    pre, post = bash_pair(project.root)
    assert hook(pre, project.root).returncode == 0
    shell(f"mkdir -p training_data && cat > training_data/returns.py <<'EOF'\n{RETURNS}EOF", project.root)
    assert hook(post, project.root).returncode == 0

    async with session(capabilities(pull=True), project.root.as_uri()) as client:
        uri = open_file(client, project.root / "training_data" / "returns.py", RETURNS)
        # the first answer may come before the server has read the ledger; pulls half a second apart, as an editor
        # makes them (one every 50 ms kept the server from its idle-time work: no finding in 22 s)
        async with asyncio.timeout(60):
            while not (ruled := [d for d in await pulled(client, uri) if d.code == RULE]):
                await asyncio.sleep(0.5)

    assert [(d.severity, d.range.start.line, d.range.end.line) for d in ruled] == [
        (types.DiagnosticSeverity.Error, 0, 1)]
