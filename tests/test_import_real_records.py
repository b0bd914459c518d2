"""Transcripts real agents wrote (tests/fixtures/claude-code/real/SOURCE.md, tests/fixtures/codex/real/SOURCE.md:
ingo-eichhorst/Irrlicht, MIT), imported with `provguard import`: every call that wrote a file is recorded, and the
line types the agents write about their sessions are passed over without a word, not reported as problems."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from provguard.cli import main
from provguard.ledger.sqlite import SqliteLedger

FIXTURES = Path(__file__).parent / "fixtures"
CLAUDE_CODE = FIXTURES / "claude-code" / "real" / "transcripts" / "9046234b-7e13-4df4-af39-e20c59fe9382.jsonl"
CODEX_LEGACY = FIXTURES / "codex" / "real" / "rollout-2026-04-06-legacy.jsonl"


def records(file: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in file.read_text(encoding="utf-8").splitlines()]


def imported(agent: str, file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    assert main(["import", agent, str(file), "--root", str(tmp_path), "--ledger", str(tmp_path / "l.sqlite3")]) == 0
    return capsys.readouterr().out.splitlines()


def test_a_claude_code_2_1_transcript_is_read_without_a_problem_and_its_writes_recorded(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Claude Code 2.1.157 writes `mode`, `agent-name` (and elsewhere `worktree-state`, `atis-latch`) lines about
    the session between the conversation's: no edit is in them."""
    out = imported("claude-code", CLAUDE_CODE, tmp_path, capsys)

    lines = records(CLAUDE_CODE)
    assert {"mode", "agent-name"} <= {line["type"] for line in lines}
    assert out == [f"claude-code: 1 of 1 transcript files read ({len(lines)} lines); 2 new edits recorded "
                   "(0 already known); 0 lines skipped"]
    writes = [(block["input"]["file_path"], line["message"]["model"], block["id"],
               len(block["input"]["content"].splitlines()))
              for line in lines if line["type"] == "assistant" for block in line["message"]["content"]
              if block.get("type") == "tool_use" and block["name"] == "Write"]
    found = SqliteLedger(tmp_path / "l.sqlite3").agent_edits()
    assert sorted((e.path, e.model, e.tool_call_id, e.lines) for e in found) == sorted(writes)


def test_a_codex_rollout_in_the_legacy_format_is_read_without_a_problem_and_its_patch_recorded(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The legacy rollout (a first line with `id` and `instructions`, items without a payload wrapper) marks its
    state with `{"record_type": "state"}` lines: no edit is in them."""
    out = imported("codex", CODEX_LEGACY, tmp_path, capsys)

    lines = records(CODEX_LEGACY)
    assert sum(line == {"record_type": "state"} for line in lines) == 4
    assert out == [f"codex: 1 of 1 transcript files read ({len(lines)} lines); 1 new edits recorded "
                   "(0 already known); 0 lines skipped"]
    call = next(line for line in lines if line.get("type") == "function_call")
    patch = json.loads(call["arguments"])["command"][1]
    added = [line for line in patch.splitlines() if line.startswith("+") and not line.startswith("+++")]
    found = SqliteLedger(tmp_path / "l.sqlite3").agent_edits()
    assert [(e.path, e.tool_call_id, e.lines) for e in found] == [
        ("core/pkg/transcript/cwd.go", call["call_id"], len(added))]
