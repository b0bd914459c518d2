"""`provguard import claude-code`: agent edits from Claude Code session transcripts."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from provguard.cli import main
from provguard.ledger.sqlite import SqliteLedger
from provguard.provenance.origin import Evidence, Kind
from provguard.provenance.transcripts.importer import import_agent
from transcript_support import CLAUDE_FIXTURE, CLAUDE_SESSION, SAMPLE_ROOT, WINDOWS_FIXTURE, fresh, moved

ROOT = Path(SAMPLE_ROOT)


@pytest.fixture
def ledger(tmp_path: Path) -> SqliteLedger:
    return SqliteLedger(tmp_path / "ledger.sqlite3")


@pytest.fixture
def session(tmp_path: Path) -> Path:
    return fresh(CLAUDE_FIXTURE, tmp_path)


@pytest.fixture
def windows_session(tmp_path: Path) -> Path:
    return fresh(WINDOWS_FIXTURE, tmp_path)


def test_successful_write_edit_and_multiedit_calls_become_edits_with_model_session_and_project_paths(
        ledger: SqliteLedger, session: Path) -> None:
    report = import_agent(ledger, "claude-code", ROOT, [session])

    edits = {e.tool_call_id: e for e in ledger.agent_edits()}
    assert {call: (e.path, e.model) for call, e in edits.items()} == {
        "toolu_01WriteDiscount7Qk": ("src/discount.py", "claude-sonnet-4-5-20250929"),
        "toolu_01EditCartTotal2Hm": ("src/cart.py", "claude-sonnet-4-5-20250929"),
        "toolu_01MultiEditTests9Zp": ("tests/test_cart.py", "claude-sonnet-4-5-20250929"),
        # outside the project: kept, with its absolute path
        "toolu_01WriteSettings5Tt": ("/home/dana/.config/shop/settings.toml", "claude-opus-4-1-20250805"),
    }
    write = edits["toolu_01WriteDiscount7Qk"]
    assert (write.tool, write.vendor, write.session_id, write.evidence) == (
        "claude-code", "anthropic", CLAUDE_SESSION, Evidence.TRANSCRIPT)
    assert write.time == "2026-11-20T09:00:05+00:00"  # when the result line says the file was written
    assert write.lines == 5 and write.text is None  # text only with the opt-in
    assert write.source == f"transcript {session}:4"
    assert write.origin().kind is Kind.AI_AGENT
    assert edits["toolu_01EditCartTotal2Hm"].lines == 2  # the patch's added lines, not the whole file
    assert (report.files, report.edits_found, report.edits_new) == (1, 4, 4)


def test_failed_calls_and_tools_that_are_not_file_writes_record_nothing(ledger: SqliteLedger, session: Path) -> None:
    import_agent(ledger, "claude-code", ROOT, [session])

    calls = {e.tool_call_id for e in ledger.agent_edits()}
    assert "toolu_01EditMissing3Vb" not in calls  # its result is an error
    assert "toolu_01BashPytest4Lr" not in calls
    assert "toolu_01NotebookTouch8Pe" not in calls  # a markdown cell: prose, no code


def test_malformed_and_unknown_lines_are_reported_with_file_and_line_and_the_rest_is_imported(
        ledger: SqliteLedger, session: Path) -> None:
    report = import_agent(ledger, "claude-code", ROOT, [session])

    assert [(p.file, p.line) for p in report.problems] == [(str(session), 15), (str(session), 16)]
    assert report.problems[0].reason.startswith("not JSON")
    assert report.problems[1].reason == "unknown line type 'telemetry-beacon'"
    assert len(ledger.agent_edits()) == 4


def test_a_second_import_adds_nothing_and_a_truncated_last_line_is_read_once_it_is_complete(
        tmp_path: Path, ledger: SqliteLedger) -> None:
    transcript = moved(CLAUDE_FIXTURE, tmp_path / "session.jsonl", ROOT)
    first = import_agent(ledger, "claude-code", ROOT, [transcript])
    again = import_agent(ledger, "claude-code", ROOT, [transcript])
    assert (first.edits_new, again.edits_new, again.problems) == (4, 0, [])

    with transcript.open("ab") as file:  # Claude Code finishes writing the rename's result line
        file.write(b' src/cart.py has been updated."}]},"timestamp":"2026-11-20T09:01:05.500Z",'
                   b'"toolUseResult":{"filePath":"' + SAMPLE_ROOT.encode() + b'/src/cart.py","structuredPatch":'
                   b'[{"oldStart":4,"oldLines":1,"newStart":4,"newLines":1,'
                   b'"lines":["-def total(items, percent=0):","+def cart_total(items, percent=0):"]}]}}\n')
    finished = import_agent(ledger, "claude-code", ROOT, [transcript])

    assert finished.edits_new == 1 and finished.problems == []
    (rename,) = [e for e in ledger.agent_edits() if e.tool_call_id == "toolu_01EditRename6Yc"]
    assert (rename.path, rename.lines, rename.source) == ("src/cart.py", 1, f"transcript {transcript}:21")


def test_a_transcript_untouched_for_an_hour_is_finished_its_cut_line_reported_and_never_read_again(
        tmp_path: Path, ledger: SqliteLedger) -> None:
    transcript = moved(CLAUDE_FIXTURE, tmp_path / "session.jsonl", ROOT)
    os.utime(transcript, (time.time() - 7200, time.time() - 7200))  # the session ended two hours ago

    first = import_agent(ledger, "claude-code", ROOT, [transcript])
    again = import_agent(ledger, "claude-code", ROOT, [transcript])

    assert [(p.line, p.reason.split(":")[0]) for p in first.problems][-1] == (21, "not JSON")
    assert (first.edits_new, again.lines, again.problems) == (4, 0, [])  # the unanswered rename was abandoned


def test_a_replaced_transcript_is_read_again_from_its_start(tmp_path: Path, ledger: SqliteLedger) -> None:
    transcript = moved(CLAUDE_FIXTURE, tmp_path / "session.jsonl", ROOT)
    import_agent(ledger, "claude-code", ROOT, [transcript])
    lines = transcript.read_bytes().split(b"\n")
    transcript.write_bytes(b"\n".join([b'{"type":"summary","summary":"Compacted","leafUuid":"x"}', *lines[1:]]))

    report = import_agent(ledger, "claude-code", ROOT, [transcript])

    assert report.lines == 20 and report.edits_new == 0  # every line read again; the edits were known


def test_a_transcript_from_windows_keeps_drive_paths_with_forward_slashes(ledger: SqliteLedger,
                                                                          windows_session: Path) -> None:
    report = import_agent(ledger, "claude-code", ROOT, [windows_session])

    assert sorted(e.path for e in ledger.agent_edits()) == [
        "C:/Users/dana/.config/shop/settings.toml",
        "C:/Users/dana/work/shop/src/cart.py",
        "C:/Users/dana/work/shop/src/discount.py",
        "C:/Users/dana/work/shop/tests/test_cart.py",
    ]
    assert [p.line for p in report.problems] == [15, 16]  # CRLF line ends count as one break


def test_text_is_stored_only_when_asked(ledger: SqliteLedger, tmp_path: Path, session: Path) -> None:
    opted_in = SqliteLedger(tmp_path / "opted-in.sqlite3", store_text=True)
    import_agent(opted_in, "claude-code", ROOT, [session])
    import_agent(ledger, "claude-code", ROOT, [session])

    edits = {e.tool_call_id: e for e in opted_in.agent_edits()}
    assert edits["toolu_01EditCartTotal2Hm"].text == (
        "    subtotal = sum(item.price for item in items)\n    return apply_discount(subtotal, percent)\n")
    assert edits["toolu_01WriteSettings5Tt"].text == "[discount]\ndefault_percent = 5\n"
    assert {e.text for e in ledger.agent_edits()} == {None}  # the default keeps fingerprints only


def test_lines_that_are_not_utf8_or_not_objects_are_problems_not_failures(tmp_path: Path,
                                                                            ledger: SqliteLedger) -> None:
    transcript = tmp_path / "odd.jsonl"
    transcript.write_bytes(b'{"type":"user","message":{"content":"caf\xe9"}}\n[1, 2]\n\n\x00\x01binary\n')

    report = import_agent(ledger, "claude-code", ROOT, [transcript])

    assert [(p.line, p.reason.split(" (")[0].split(":")[0]) for p in report.problems] == [
        (1, "not valid UTF-8"), (2, "a JSON list, not an object"), (4, "not JSON")]


def test_the_command_finds_the_projects_sessions_in_the_claude_config_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    project = tmp_path / "work" / "shop"
    project.mkdir(parents=True)
    config = tmp_path / "claude-config"
    folder = config / "projects" / str(project).replace("/", "-").replace("_", "-")
    moved(CLAUDE_FIXTURE, folder / f"{CLAUDE_SESSION}.jsonl", project)
    other = tmp_path / "work" / "shop-old"  # a neighbour whose folder name starts the same
    moved(CLAUDE_FIXTURE, config / "projects" / (folder.name + "-old") / "other.jsonl", other)
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(config))

    assert main(["import", "claude-code", "--root", str(project)]) == 0

    out = capsys.readouterr().out
    assert "4 new edits recorded" in out and f"{folder / CLAUDE_SESSION}.jsonl:15: not JSON" in out
    ledger = SqliteLedger(project / ".provguard" / "ledger.sqlite3")
    assert sorted(e.path for e in ledger.agent_edits() if not e.path.startswith("/")) == [
        "src/cart.py", "src/discount.py", "tests/test_cart.py"]
    assert {e.session_id for e in ledger.agent_edits()} == {CLAUDE_SESSION}  # shop-old's lines were filtered


def test_the_command_rejects_a_missing_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import", "codex", str(tmp_path / "nowhere"), "--root", str(tmp_path)]) == 2
    assert "no such file or folder" in capsys.readouterr().err
