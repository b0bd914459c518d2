"""Claude Code's PostToolUse hook for a subagent's edit: newer versions write the subagent's lines to
`<session>/subagents/agent-<id>.jsonl` and send its `agent_id` with the hook input, older ones wrote them into
the session's own file as side-chain lines. The edit is recorded with the subagent named and its own model,
under the session's id, so that importing the session later adds nothing for it. Run as Claude Code runs
`provguard hook`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from provguard.ledger.sqlite import SqliteLedger
from provguard.provenance.transcripts.importer import import_agent
from transcript_support import SUBAGENT_FIXTURE, SUBAGENT_SESSION, moved

SONNET, HAIKU = "claude-sonnet-4-5-20250929", "claude-haiku-4-5-20251001"
SUBAGENT = "a3f9c21"


@pytest.fixture
def session(tmp_path: Path, project: Path) -> Path:
    """The session's transcript and its subagent's file, as Claude Code lays them out."""
    main = moved(SUBAGENT_FIXTURE, tmp_path / "claude" / SUBAGENT_FIXTURE.name, project)
    sub = SUBAGENT_FIXTURE.with_suffix("") / "subagents" / f"agent-{SUBAGENT}.jsonl"
    moved(sub, main.with_suffix("") / "subagents" / sub.name, project)
    return main


def post_tool_use(session: Path, call_id: str, **extra: str) -> bytes:
    """The PostToolUse input Claude Code sends for the call: its tool_use and result, from whichever of the
    session's files holds them, with the session's own transcript_path."""
    call: dict[str, Any] | None = None
    response: Any = None
    for file in (session, *session.with_suffix("").glob("subagents/*.jsonl")):
        for line in file.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            for block in record["message"]["content"] if isinstance(record["message"]["content"], list) else ():
                if block.get("type") == "tool_use" and block.get("id") == call_id:
                    call, cwd = block, record["cwd"]
                if block.get("type") == "tool_result" and block.get("tool_use_id") == call_id:
                    response = record.get("toolUseResult")
    assert call is not None
    return json.dumps({"session_id": SUBAGENT_SESSION, "transcript_path": str(session), "cwd": cwd,
                       "permission_mode": "acceptEdits", "hook_event_name": "PostToolUse", "tool_name": call["name"],
                       "tool_input": call["input"], "tool_response": response, "tool_use_id": call_id,
                       **extra}).encode()


def hook(stdin: bytes) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "provguard", "hook", "claude-code"], input=stdin.decode(),
                          capture_output=True, text=True, timeout=60, check=False)


def recorded(project: Path) -> list[tuple[object, ...]]:
    return [(e.tool_call_id, e.path, e.session_id, e.model, e.source)
            for e in SqliteLedger(project / ".provguard" / "ledger.sqlite3").agent_edits()]


@pytest.mark.parametrize("sends_agent_id", [True, False])
def test_a_subagents_edit_in_its_own_file_is_recorded_with_the_subagent_named_and_its_model(
        project: Path, session: Path, sends_agent_id: bool) -> None:
    extra = {"agent_id": SUBAGENT, "agent_type": "general-purpose"} if sends_agent_id else {}

    done = hook(post_tool_use(session, "toolu_01WriteTaxModule8Lm", **extra))

    assert (done.returncode, done.stderr) == (0, "")
    assert recorded(project) == [("toolu_01WriteTaxModule8Lm", "src/tax.py", SUBAGENT_SESSION, HAIKU,
                                  f"hook (subagent {SUBAGENT})")]


def test_an_older_versions_subagent_edit_inline_in_the_session_is_recorded_as_a_subagents(
        project: Path, session: Path) -> None:
    done = hook(post_tool_use(session, "toolu_01WriteTaxTable5Gh"))

    assert (done.returncode, done.stderr) == (0, "")
    assert recorded(project) == [("toolu_01WriteTaxTable5Gh", "src/tax_table.py", SUBAGENT_SESSION, HAIKU,
                                  "hook (subagent)")]


def test_a_main_thread_edit_names_no_subagent(project: Path, session: Path) -> None:
    done = hook(post_tool_use(session, "toolu_01EditCartTax1Ab"))

    assert (done.returncode, done.stderr) == (0, "")
    assert recorded(project) == [("toolu_01EditCartTax1Ab", "src/cart.py", SUBAGENT_SESSION, SONNET, "hook")]


def test_importing_the_session_after_the_hook_adds_nothing_for_the_subagents_edit(
        project: Path, session: Path) -> None:
    hook(post_tool_use(session, "toolu_01WriteTaxModule8Lm", agent_id=SUBAGENT))
    ledger = SqliteLedger(project / ".provguard" / "ledger.sqlite3")

    report = import_agent(ledger, "claude-code", project, [session])

    assert (report.edits_found, report.edits_new) == (3, 2)
    (edit,) = ledger.agent_edits(path="src/tax.py")
    assert edit.source == f"hook (subagent {SUBAGENT})"


def test_an_agent_id_that_is_not_a_name_is_not_followed_as_a_path(project: Path, session: Path) -> None:
    done = hook(post_tool_use(session, "toolu_01WriteTaxModule8Lm", agent_id="../../../elsewhere"))

    assert (done.returncode, done.stderr) == (0, "")
    assert recorded(project) == [("toolu_01WriteTaxModule8Lm", "src/tax.py", SUBAGENT_SESSION, HAIKU,
                                  f"hook (subagent {SUBAGENT})")]  # found among the session's subagent files


def test_a_transcript_path_no_file_can_have_is_not_read_and_the_edit_is_still_recorded(
        project: Path, session: Path) -> None:
    data = json.loads(post_tool_use(session, "toolu_01EditCartTax1Ab"))
    data["transcript_path"] = f"{session}\0.jsonl"

    done = hook(json.dumps(data).encode())

    assert (done.returncode, done.stderr) == (0, "")
    assert recorded(project) == [("toolu_01EditCartTax1Ab", "src/cart.py", SUBAGENT_SESSION, None, "hook")]
