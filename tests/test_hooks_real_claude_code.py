"""A real Claude Code session's hook payloads (tests/fixtures/claude-code/real/SOURCE.md: ranaroussi/quantstats,
Apache-2.0), replayed through the public commands as Claude Code runs them: `provguard guard claude-code` before each
call, `provguard hook claude-code` after it (and before a shell call), on the files the session edited.

That Claude Code sent no `tool_use_id`, and the transcript its payloads name is not on this machine: the edits must
be recorded all the same, each under one id its pre- and post-tool payloads share.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from git_support import Repo
from guard_support import allowed, decision, guard
from provguard.ledger.sqlite import SqliteLedger

REAL = Path(__file__).parent / "fixtures" / "claude-code" / "real"
SESSION_ROOT = "/private/var/folders/5b/dd_48lts2zsbcg8dpyl1k1_40000gn/T/vibe-kanban/vk-2b7f-please-fix"
SESSION_ID = "b23e5d8a-855f-44c5-95f0-075485a6ffcf"
MODEL = "claude-sonnet-4-20250514"
"""The model the transcript written here names (the session's own transcript is not published)."""


def before_the_session(root: Path) -> Repo:
    """The project as it was when the session started (the commit before the session's own), at `root`."""
    repo = Repo(root)
    project = REAL / "project"
    repo.commit({str(path.relative_to(project)): path.read_text(encoding="utf-8")
                 for path in sorted(project.rglob("*")) if path.is_file()}, "before the session")
    return repo


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return before_the_session(tmp_path / "quantstats")


def payloads(root: Path) -> list[dict[str, Any]]:
    """The session's payloads, in the order Claude Code sent them, for the project at `root`."""
    text = (REAL / "session-b23e5d8a.jsonl").read_text(encoding="utf-8").replace(SESSION_ROOT, str(root))
    return [json.loads(line) for line in text.splitlines()]


def hook(data: dict[str, Any], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "provguard", "hook", "claude-code"], input=json.dumps(data),
                          capture_output=True, text=True, cwd=cwd, timeout=60, check=False)


def added_lines(post: dict[str, Any]) -> list[str]:
    """The lines the Edit added, as its result's structured patch gives them."""
    return [line[1:] for hunk in post["tool_response"]["structuredPatch"] for line in hunk["lines"]
            if line.startswith("+")]


def apply(call: dict[str, Any]) -> None:
    """What the Edit did to the file on disk."""
    arguments = call["tool_input"]
    file = Path(arguments["file_path"])
    before = file.read_text(encoding="utf-8")
    assert before.count(arguments["old_string"]) == 1
    file.write_text(before.replace(arguments["old_string"], arguments["new_string"]), encoding="utf-8")


def test_the_session_passes_the_guard_and_each_edit_is_recorded_with_the_lines_it_added(repo: Repo) -> None:
    sent = payloads(repo.root)
    notes: list[str] = []
    for call in sent:
        if call["hook_event_name"] == "PreToolUse":
            assert allowed(guard("claude-code", json.dumps(call).encode(), cwd=repo.root)) == ""
            if call["tool_name"] == "Bash":
                assert (done := hook(call, repo.root)).returncode == 0 and done.stdout == ""
            if call["tool_name"] == "Edit":
                apply(call)
            continue
        done = hook(call, repo.root)
        assert (done.returncode, done.stdout) == (0, "")
        notes += done.stderr.splitlines()

    posts = [call for call in sent if call["hook_event_name"] == "PostToolUse" and call["tool_name"] == "Edit"]
    recorded = SqliteLedger(repo.root / ".provguard" / "ledger.sqlite3").agent_edits()
    assert sorted((e.path, e.tool, e.session_id, e.model, e.source, e.lines) for e in recorded) == sorted(
        (str(Path(post["tool_input"]["file_path"]).relative_to(repo.root)), "claude-code", SESSION_ID, None, "hook",
         len(added_lines(post))) for post in posts)
    assert all(edit.tool_call_id for edit in recorded)
    assert notes == ["provguard hook: no tool_use_id, and the Edit call is not in the transcript: recorded under an "
                     "id derived from its input, with no model"] * len(posts)


def test_recording_a_call_again_stores_nothing_new(repo: Repo) -> None:
    """The id derived from the call's input is the same each time: a hook run twice records the edit once."""
    pre, post = [call for call in payloads(repo.root) if call["tool_name"] == "Edit"][:2]
    apply(pre)

    for _ in range(2):
        assert hook(post, repo.root).returncode == 0

    assert len(SqliteLedger(repo.root / ".provguard" / "ledger.sqlite3").agent_edits()) == 1


def test_the_sessions_edit_aimed_at_training_data_is_refused(repo: Repo) -> None:
    """The version.py Edit as sent, its file moved under training_data/ (the payload's only change)."""
    repo.commit({"training_data/version.py": (REAL / "project" / "quantstats" / "version.py").read_text("utf-8")},
                "training data")
    pre = next(call for call in payloads(repo.root)
               if call["tool_name"] == "Edit" and call["tool_input"]["file_path"].endswith("version.py"))
    pre["tool_input"]["file_path"] = str(repo.root / "training_data" / "version.py")

    verdict, reason = decision("claude-code", guard("claude-code", json.dumps(pre).encode(), cwd=repo.root))

    assert verdict == "deny"
    assert "training_data/version.py" in reason and "rival-ai-output-in-training-data" in reason


def test_a_file_the_sessions_bash_call_writes_into_training_data_is_recorded_and_reported(repo: Repo) -> None:
    """The session's Bash call, its pre- and post-tool payloads as sent (no tool_use_id); what its command wrote is
    played by the test between the two."""
    pre, post = [call for call in payloads(repo.root) if call["tool_name"] == "Bash"]

    assert hook(pre, repo.root).returncode == 0
    repo.write("training_data/rows.py", "ROWS = [1, 2]\n")
    done = hook(post, repo.root)

    assert (done.returncode, done.stderr) == (0, "")
    answer = json.loads(done.stdout)
    assert answer["decision"] == "block"
    assert answer["reason"].startswith("provguard: your Bash command wrote to training_data/rows.py, which agents "
                                       "may not write:")
    recorded = SqliteLedger(repo.root / ".provguard" / "ledger.sqlite3").agent_edits()
    assert [(e.path, e.source, e.session_id, e.lines) for e in recorded] == [
        ("training_data/rows.py", "shell", SESSION_ID, 1)]


def transcript_line(kind: str, message: dict[str, Any], root: Path, **extra: Any) -> str:
    """One line as Claude Code writes its transcript (the fields provguard reads; see claude_code.py)."""
    return json.dumps({"type": kind, "isSidechain": False, "sessionId": SESSION_ID, "cwd": str(root),
                       "timestamp": "2025-07-21T10:00:00Z", "message": message, **extra}) + "\n"


def session_transcript(root: Path, calls: list[tuple[dict[str, Any], dict[str, Any]]]) -> str:
    """The transcript of the session the payloads name (not published): each call as the model made it (its
    input, under a tool_use id of the transcript's own) and its result (the PostToolUse's tool_response)."""
    lines = [transcript_line("user", {"role": "user", "content": "please fix the numpy pin"}, root)]
    for number, (tool_input, response) in enumerate(calls, 1):
        call_id = f"toolu_01Real{number:02d}"
        use = {"type": "tool_use", "id": call_id, "name": "Edit" if "old_string" in tool_input else "Write",
               "input": tool_input}
        lines.append(transcript_line("assistant", {"model": MODEL, "role": "assistant", "content": [use]}, root))
        lines.append(transcript_line("user", {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": call_id, "content": "The file has been updated."}]}, root,
            toolUseResult=response))
    return "".join(lines)


def import_transcript(transcript: Path, root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "provguard", "import", "claude-code", str(transcript), "--root",
                           str(root)], capture_output=True, text=True, cwd=root, timeout=60, check=False)


def test_importing_the_transcript_later_records_the_hooked_edits_once_with_its_model(repo: Repo,
                                                                                   tmp_path: Path) -> None:
    """The hooks recorded the session's Edits under ids derived from their input, with no model; the transcript,
    read later, names the same calls under its own ids, and the model. Each edit stays one record, the hook's,
    which gets the model; a call only the transcript holds (a Write no hook saw) is recorded from it."""
    sent = payloads(repo.root)
    posts = [call for call in sent if call["hook_event_name"] == "PostToolUse" and call["tool_name"] == "Edit"]
    for call in sent:
        if call["hook_event_name"] == "PreToolUse" and call["tool_name"] == "Edit":
            apply(call)
    for post in posts:
        assert hook(post, repo.root).returncode == 0
    ledger = SqliteLedger(repo.root / ".provguard" / "ledger.sqlite3")
    hooked = {e.id for e in ledger.agent_edits()}
    notes = repo.root / "NOTES.md"
    written = {"file_path": str(notes), "content": "numpy 2 is supported from 0.0.67 on\n"}
    transcript = tmp_path / f"{SESSION_ID}.jsonl"
    transcript.write_text(session_transcript(repo.root, [
        *((post["tool_input"], post["tool_response"]) for post in posts),
        (written, {"type": "create", "filePath": str(notes), "content": written["content"], "structuredPatch": []})]),
        encoding="utf-8")

    done = import_transcript(transcript, repo.root)

    assert done.returncode == 0, done.stderr
    assert "1 new edits recorded (3 already known)" in done.stdout
    recorded = ledger.agent_edits()
    assert len(hooked) == len(posts) == 3
    assert {e.id for e in recorded} >= hooked
    assert sorted((e.path, e.source.split(" ")[0] if e.source else None, e.model) for e in recorded) == sorted(
        [*((str(Path(post["tool_input"]["file_path"]).relative_to(repo.root)), "hook", MODEL) for post in posts),
         ("NOTES.md", "transcript", MODEL)])
    assert import_transcript(transcript, repo.root).returncode == 0 and len(ledger.agent_edits()) == 4


def test_a_default_the_hook_payload_fills_in_derives_the_same_id(repo: Repo, tmp_path: Path) -> None:
    """A version whose hook payload carries the Edit's defaults (`replace_all: false`) while the model's input in
    the transcript leaves them out: the same call, one record."""
    pre, post = [call for call in payloads(repo.root) if call["tool_name"] == "Edit"][:2]
    apply(pre)
    model_input = dict(post["tool_input"])
    post["tool_input"] = {**model_input, "replace_all": False}
    assert hook(post, repo.root).returncode == 0
    transcript = tmp_path / f"{SESSION_ID}.jsonl"
    transcript.write_text(session_transcript(repo.root, [(model_input, post["tool_response"])]), encoding="utf-8")

    done = import_transcript(transcript, repo.root)

    assert "0 new edits recorded (1 already known)" in done.stdout
    assert len(SqliteLedger(repo.root / ".provguard" / "ledger.sqlite3").agent_edits()) == 1


def test_a_hook_after_the_transcripts_import_records_no_second_copy(repo: Repo, tmp_path: Path) -> None:
    """The other order: the session's transcript imported first (copied from the machine that ran it), then the
    session's own hooks here, sent no tool_use_id and naming a transcript path that does not exist on this machine.
    Each Edit stays the import's one record, with its model, and stderr says why nothing was added."""
    sent = payloads(repo.root)
    posts = [call for call in sent if call["hook_event_name"] == "PostToolUse" and call["tool_name"] == "Edit"]
    transcript = tmp_path / f"{SESSION_ID}.jsonl"
    transcript.write_text(session_transcript(repo.root, [(post["tool_input"], post["tool_response"])
                                                         for post in posts]), encoding="utf-8")
    assert import_transcript(transcript, repo.root).returncode == 0
    ledger = SqliteLedger(repo.root / ".provguard" / "ledger.sqlite3")
    imported = ledger.agent_edits()
    notes: list[str] = []
    for call in sent:
        if call["hook_event_name"] == "PreToolUse" and call["tool_name"] == "Edit":
            apply(call)
    for post in posts:
        assert not Path(post["transcript_path"]).exists()
        done = hook(post, repo.root)
        assert (done.returncode, done.stdout) == (0, "")
        notes += done.stderr.splitlines()

    assert ledger.agent_edits() == imported
    assert len(imported) == len(posts) == 3 and {e.model for e in imported} == {MODEL}
    assert notes == ["provguard hook: no tool_use_id, and the Edit call is not in the transcript: 1 of its edits "
                     "already recorded by an import of that transcript (the same session, file and text), not "
                     "recorded again"] * len(posts)


def test_a_hook_after_the_import_still_records_an_edit_the_transcript_does_not_hold(repo: Repo,
                                                                                    tmp_path: Path) -> None:
    """Only the same write is left out: another Edit of the same session and file, or the same Edit in another
    session, is recorded."""
    pre, post = [call for call in payloads(repo.root) if call["tool_name"] == "Edit"][:2]
    transcript = tmp_path / f"{SESSION_ID}.jsonl"
    transcript.write_text(session_transcript(repo.root, [(post["tool_input"], post["tool_response"])]),
                          encoding="utf-8")
    assert import_transcript(transcript, repo.root).returncode == 0
    apply(pre)
    other_session = {**post, "session_id": "0b5e1f8e-0000-4000-8000-000000000000"}
    changed = json.loads(json.dumps(post))
    changed["tool_input"]["new_string"] += "\n# pinned\n"
    changed["tool_response"]["structuredPatch"][0]["lines"].append("+# pinned")

    for call in (other_session, changed):
        done = hook(call, repo.root)
        assert done.returncode == 0 and "not recorded again" not in done.stderr

    recorded = SqliteLedger(repo.root / ".provguard" / "ledger.sqlite3").agent_edits()
    assert sorted((e.session_id, e.source.split(" ")[0] if e.source else None, e.lines) for e in recorded) == sorted([
        (SESSION_ID, "transcript", len(added_lines(post))),
        ("0b5e1f8e-0000-4000-8000-000000000000", "hook", len(added_lines(post))),
        (SESSION_ID, "hook", len(added_lines(post)) + 1)])


def test_a_hook_given_the_call_id_but_no_transcript_gets_the_model_when_the_transcript_is_imported(
        repo: Repo, tmp_path: Path) -> None:
    """A newer Claude Code sends tool_use_id: hook and import agree on the edit's id, and the import fills in the
    model the hook could not read."""
    pre, post = [call for call in payloads(repo.root) if call["tool_name"] == "Edit"][:2]
    apply(pre)
    post["tool_use_id"] = "toolu_01Real01"  # the id session_transcript gives the first call
    assert hook(post, repo.root).returncode == 0
    ledger = SqliteLedger(repo.root / ".provguard" / "ledger.sqlite3")
    [hooked] = ledger.agent_edits()
    transcript = tmp_path / f"{SESSION_ID}.jsonl"
    transcript.write_text(session_transcript(repo.root, [(post["tool_input"], post["tool_response"])]),
                          encoding="utf-8")

    done = import_transcript(transcript, repo.root)

    assert "0 new edits recorded (1 already known)" in done.stdout, done.stdout
    assert (hooked.model, hooked.tool_call_id) == (None, "toolu_01Real01")
    assert ledger.agent_edits() == [replace(hooked, model=MODEL)]
