"""Session records real agents wrote, imported with `provguard import` as a user runs it: a codex-cli 0.135
rollout (tests/fixtures/codex/real/SOURCE.md) and a Claude Code 2.1 transcript that another tool's hook appended
its own lines to (tests/fixtures/claude-code/real/SOURCE.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from provguard.cli import main
from provguard.ledger.sqlite import SqliteLedger
from provguard.provenance.origin import Evidence

REAL = Path(__file__).parent / "fixtures"
CODEX_135 = REAL / "codex" / "real" / "rollout-0.135-apply-patch.jsonl"
CODEX_CWD = "/Users/dana/projects/irrlicht/.build/refresh/codex/5-4_architect-editor-pair-20260530T231044/cwd"
CLAUDE_CODE = REAL / "claude-code" / "real" / "transcripts" / "9046234b-7e13-4df4-af39-e20c59fe9382.jsonl"


def imported(agent: str, file: Path, root: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    root.mkdir(exist_ok=True)
    ledger = root / "ledger.sqlite3"
    assert main(["import", agent, str(file), "--root", str(root), "--ledger", str(ledger), "--store-text"]) == 0
    return capsys.readouterr().out.splitlines()


def test_a_codex_0_135_rollout_imports_its_custom_tool_call_apply_patch_as_an_edit(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rollout = tmp_path / "rollout.jsonl"
    rollout.write_text(CODEX_135.read_text(encoding="utf-8").replace(CODEX_CWD, str(tmp_path)), encoding="utf-8")
    lines = [json.loads(line) for line in rollout.read_text(encoding="utf-8").splitlines()]
    (call,) = [line["payload"] for line in lines if line["payload"].get("type") == "custom_tool_call"]
    assert call["name"] == "apply_patch"  # the newer form: the patch is the call's free-form input

    out = imported("codex", rollout, tmp_path, capsys)

    assert out == ["codex: 1 of 1 transcript files read (20 lines); 1 new edits recorded (0 already known); "
                   "0 lines skipped"]
    ledger = SqliteLedger(tmp_path / "ledger.sqlite3")
    (edit,) = ledger.agent_edits()
    ledger.close()
    added = "".join(line[1:] + "\n" for line in call["input"].splitlines() if line.startswith("+"))
    assert (edit.path, edit.tool, edit.vendor, edit.model, edit.evidence, edit.tool_call_id, edit.lines) == (
        "calc.py", "codex", "openai", "gpt-5.5", Evidence.TRANSCRIPT, call["call_id"], 6)
    assert edit.session_id == lines[0]["payload"]["id"]
    assert edit.text == added


def test_lines_opentraces_appends_to_a_claude_code_transcript_are_passed_over_without_a_problem(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """opentraces' PostToolUse hook appends `{"type": "opentraces_hook", "event": "PostToolUse", "data": {...}}`
    to the session's transcript after each call (its shape, written here: no such transcript was found published)."""
    plain = imported("claude-code", CLAUDE_CODE, tmp_path / "plain", capsys)
    transcript = tmp_path / "9046234b-7e13-4df4-af39-e20c59fe9382.jsonl"
    lines = CLAUDE_CODE.read_text(encoding="utf-8").splitlines()
    hook_line = json.dumps({"type": "opentraces_hook", "event": "PostToolUse", "timestamp": "2026-05-29T23:34:40Z",
                            "data": {"tool": "Write", "file_path": "/Users/dana/scratch/calc.py", "start_line": 1,
                                     "end_line": 6, "content_hash": "murmur3:" + "0" * 32, "confidence": "high",
                                     "tool_use_id": "toolu_01", "session_id": "9046234b"}})
    transcript.write_text("\n".join([*lines, hook_line, hook_line]) + "\n", encoding="utf-8")

    out = imported("claude-code", transcript, tmp_path / "with-hook-lines", capsys)

    assert plain[0].endswith("2 new edits recorded (0 already known); 0 lines skipped")
    assert out == [plain[0].replace(f"({len(lines)} lines)", f"({len(lines) + 2} lines)")]
