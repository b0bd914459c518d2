"""A Claude Code write recorded by its hook and by an import of its transcript at the same instant is one record.

A Claude Code that sent its hook no `tool_use_id` has the hook record a write under an id derived from the
call's input; an import of the transcript records it under the transcript's id. Each side looks for the other's
record first, but both may look before either writes. The ledger keeps them one record itself (a unique write
key: the same tool, session, file and inserted text), in SQLite and in PostgreSQL, whichever comes first;
writes that differ in any of those stay apart.
"""

from __future__ import annotations

import json
import multiprocessing
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from ledger_support import Store, agent_edit, make_store
from provguard.ledger.model import AgentEdit
from provguard.provenance.origin import Evidence

MODEL = "claude-sonnet-4-20250514"
ROUNDS = 60


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    with make_store(request.param, tmp_path) as made:
        yield made


def hooked(edit_id: str = "derived-id") -> AgentEdit:
    """The hook's record: an id derived from the call's input, no model (it could not read the transcript)."""
    return replace(agent_edit(edit_id), evidence=Evidence.HOOK, model=None, vendor=None,
                   tool_call_id="5f1c0a9e2b7d4c3a8e6f0b1d", source="hook")


def imported(edit_id: str = "transcript-id") -> AgentEdit:
    """The import's record of the same write: the transcript's id and model."""
    return replace(agent_edit(edit_id), evidence=Evidence.TRANSCRIPT, model=MODEL, vendor="anthropic",
                   tool_call_id="toolu_01Race", source="transcript /t/s.jsonl:3")


@pytest.mark.parametrize("first", ["hook", "import"])
def test_the_same_write_from_two_recorders_is_one_record_whichever_comes_first(store: Store, first: str) -> None:
    one, other = store.open(), store.open()  # two connections, as a hook's and an import's process have
    try:
        records = [hooked(), imported()] if first == "hook" else [imported(), hooked()]

        added = [one.add_agent_edits([records[0]]), other.add_agent_edits([records[1]])]

        assert added == [1, 0]
        [stored] = one.agent_edits()
        assert stored.id == records[0].id
        assert stored.model == MODEL  # the import's word on the model, first or second
    finally:
        one.close()
        other.close()


@pytest.mark.parametrize("differs", [
    {"session_id": "another-session"}, {"path": "src/b.py"}, {"fingerprints": (1, 2, 4)}, {"lines": 8},
    {"tool": "codex"}])
def test_writes_that_differ_in_session_file_text_or_tool_stay_two_records(store: Store,
                                                                          differs: dict[str, Any]) -> None:
    ledger = store.open()
    try:
        added = ledger.add_agent_edits([hooked(), replace(imported(), **differs)])

        assert added == 2
        assert len(ledger.agent_edits()) == 2
    finally:
        ledger.close()


# -- a real hook and a real import in two processes, started together ----------------------------------------

def session_files(root: Path, session: str) -> tuple[bytes, Path]:
    """A Write's PostToolUse payload with no tool_use_id (its transcript path not on this machine), and the
    session's transcript holding the same call under the transcript's own id."""
    target = root / f"{session}.py"
    content = f"def made_in_{session.replace('-', '_')}(rows):\n    return [row * 2 for row in rows if row]\n"
    target.write_text(content, encoding="utf-8")
    tool_input = {"file_path": str(target), "content": content}
    response = {"type": "create", "filePath": str(target), "content": content, "structuredPatch": []}
    payload = {"session_id": session, "transcript_path": str(root / "elsewhere.jsonl"), "cwd": str(root),
               "hook_event_name": "PostToolUse", "tool_name": "Write", "tool_input": tool_input,
               "tool_response": response}
    line: dict[str, Any] = {"isSidechain": False, "sessionId": session, "cwd": str(root),
                            "timestamp": "2026-12-08T02:00:00Z"}
    use = {"type": "tool_use", "id": f"toolu_01{session[:8]}", "name": "Write", "input": tool_input}
    result = {"type": "tool_result", "tool_use_id": use["id"], "content": "File created successfully."}
    transcript = root.parent / f"{session}.jsonl"
    transcript.write_text(
        json.dumps({**line, "type": "assistant", "message": {"model": MODEL, "role": "assistant", "content": [use]}})
        + "\n" + json.dumps({**line, "type": "user", "message": {"role": "user", "content": [result]},
                             "toolUseResult": response}) + "\n", encoding="utf-8")
    return json.dumps(payload).encode(), transcript


def run_hook(start: Any, root: str, setting: str, payloads: list[bytes]) -> None:
    """The hook, one call per round, each started with the import's round."""
    from provguard.commands.hook import record

    for payload in payloads:
        start.wait()
        message, _, _ = record("claude-code", payload, Path(root), setting, False)
        assert message is None or "recorded" in message, message


def run_import(start: Any, root: str, setting: str, transcripts: list[str]) -> None:
    """An import of each round's transcript, each in a ledger opened anew as `provguard import` opens it."""
    from provguard.ledger.location import open_ledger
    from provguard.provenance.transcripts.importer import import_agent

    for transcript in transcripts:
        opened = open_ledger(Path(root), setting)
        try:
            start.wait()
            import_agent(opened.ledger, "claude-code", Path(root), [Path(transcript)])
        finally:
            opened.ledger.close()


def test_a_hook_and_an_import_racing_over_one_write_leave_one_record(store: Store, tmp_path: Path) -> None:
    root = tmp_path / "shop"
    (root / ".git").mkdir(parents=True)
    sessions = [f"{number:04d}-race-session" for number in range(ROUNDS)]
    files = [session_files(root, session) for session in sessions]
    first = store.open()  # the schema made before the race: a ledger's creation is not what is raced here
    try:
        context = multiprocessing.get_context("spawn")
        start = context.Barrier(2)
        racers = [context.Process(target=run_hook, args=(start, str(root), store.setting, [p for p, _ in files])),
                  context.Process(target=run_import, args=(start, str(root), store.setting,
                                                           [str(t) for _, t in files]))]
        for racer in racers:
            racer.start()
        for racer in racers:
            racer.join(300)
        assert [racer.exitcode for racer in racers] == [0, 0]

        recorded = first.agent_edits()

        for session in sessions:
            assert [edit.path for edit in recorded if edit.session_id == session] == [f"{session}.py"], session
    finally:
        first.close()
