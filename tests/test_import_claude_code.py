"""`provguard import claude-code`: agent edits from Claude Code session transcripts."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from provguard.cli import main
from provguard.ledger.sqlite import SqliteLedger
from provguard.provenance.fingerprints import insertion_prints
from provguard.provenance.origin import Evidence, Kind
from provguard.provenance.transcripts.importer import import_agent
from transcript_support import (
    CLAUDE_FIXTURE,
    CLAUDE_SESSION,
    NOTEBOOK_FIXTURE,
    NOTEBOOK_SESSION,
    SAMPLE_ROOT,
    SUBAGENT_FIXTURE,
    SUBAGENT_SESSION,
    TRANSCRIPTS,
    WINDOWS_FIXTURE,
    fresh,
    fresh_session,
    moved,
)

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


def test_malformed_lines_are_reported_with_file_and_line_unknown_types_once_and_the_rest_is_imported(
        ledger: SqliteLedger, session: Path) -> None:
    report = import_agent(ledger, "claude-code", ROOT, [session])

    assert [(p.file, p.line) for p in report.problems] == [(str(session), 15), (str(session), 0)]
    assert report.problems[0].reason.startswith("not JSON")
    assert report.problems[1].reason == "1 line of types this version does not read: 'telemetry-beacon' (1)"
    assert len(ledger.agent_edits()) == 4


def test_line_types_newer_than_the_importer_are_one_line_per_file_naming_each_type_and_its_count(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    transcript = fresh(CLAUDE_FIXTURE, tmp_path / "projects")  # it holds one telemetry-beacon line already
    newer = [b'{"type":"telemetry-beacon","sessionId":"%s"}' % CLAUDE_SESSION.encode(),
             b'{"type":"plan-snapshot","sessionId":"%s","plan":[]}' % CLAUDE_SESSION.encode(),
             b'{"type":"telemetry-beacon","sessionId":"%s"}' % CLAUDE_SESSION.encode(),
             b'{"type":"agent-name","name":"helper"}']  # known to hold no edit: not a word
    lines, _, cut = transcript.read_bytes().rpartition(b"\n")  # before the last line Claude Code is still writing
    transcript.write_bytes(lines + b"\n" + b"".join(line + b"\n" for line in newer) + cut)

    assert main(["import", "claude-code", str(transcript), "--root", str(tmp_path),
                 "--ledger", str(tmp_path / "ledger.sqlite3")]) == 0

    out = capsys.readouterr().out.splitlines()
    assert [line for line in out[1:] if "not JSON" not in line] == [
        f"  skipped {transcript}: 4 lines of types this version does not read: 'telemetry-beacon' (3), "
        "'plan-snapshot' (1)"]
    assert len(SqliteLedger(tmp_path / "ledger.sqlite3").agent_edits()) == 4


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

    assert [(p.line, p.reason.split(":")[0]) for p in first.problems if p.line][-1] == (21, "not JSON")
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
    assert [p.line for p in report.problems] == [15, 0]  # CRLF line ends count as one break; 0: the file's note


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


def _records(ledger: SqliteLedger) -> set[tuple[str | None, str, str | None, str | None, int, str, str | None]]:
    return {(e.tool_call_id, e.path, e.session_id, e.model, e.lines, e.time, e.source) for e in ledger.agent_edits()}


def test_a_subagents_edits_name_it_keep_the_session_and_its_prompt_abandons_none_of_the_main_threads_calls(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    session = fresh_session(SUBAGENT_FIXTURE, tmp_path / "projects")
    subagent = session.with_suffix("") / "subagents" / "agent-a3f9c21.jsonl"

    assert main(["import", "claude-code", str(session), "--root", str(tmp_path),
                 "--ledger", str(tmp_path / "ledger.sqlite3")]) == 0

    assert "2 of 2 transcript files read" in capsys.readouterr().out  # the session's subagents come with it
    haiku, sonnet = "claude-haiku-4-5-20251001", "claude-sonnet-4-5-20250929"
    assert _records(SqliteLedger(tmp_path / "ledger.sqlite3")) == {
        # answered after the inline subagent's prompt (line 4), which abandons nothing of the main thread
        ("toolu_01EditCartTax1Ab", f"{SAMPLE_ROOT}/src/cart.py", SUBAGENT_SESSION, sonnet, 1,
         "2026-11-21T10:00:07+00:00", f"transcript {session}:7"),
        # an older version's subagent, inline in the session's file: no name to give
        ("toolu_01WriteTaxTable5Gh", f"{SAMPLE_ROOT}/src/tax_table.py", SUBAGENT_SESSION, haiku, 5,
         "2026-11-21T10:00:06+00:00", f"transcript {session}:6 (subagent)"),
        # a newer version's subagent, in its own file; its failed Edit records nothing
        ("toolu_01WriteTaxModule8Lm", f"{SAMPLE_ROOT}/src/tax.py", SUBAGENT_SESSION, haiku, 6,
         "2026-11-21T10:00:14+00:00", f"transcript {subagent}:3 (subagent a3f9c21)"),
    }


def test_the_command_reads_the_subagents_of_the_projects_sessions_in_the_claude_config_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = tmp_path / "work" / "shop"
    project.mkdir(parents=True)
    config = tmp_path / "claude-config"
    folder = config / "projects" / str(project).replace("/", "-").replace("_", "-")
    session = moved(SUBAGENT_FIXTURE, folder / SUBAGENT_FIXTURE.name, project)
    sub = SUBAGENT_FIXTURE.with_suffix("") / "subagents" / "agent-a3f9c21.jsonl"
    moved(sub, session.with_suffix("") / "subagents" / sub.name, project)
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(config))

    assert main(["import", "claude-code", "--root", str(project)]) == 0

    ledger = SqliteLedger(project / ".provguard" / "ledger.sqlite3")
    assert sorted((e.path, e.source.rsplit(" ", 1)[-1] if e.source else None) for e in ledger.agent_edits()) == [
        ("src/cart.py", f"{session}:7"), ("src/tax.py", "a3f9c21)"), ("src/tax_table.py", "(subagent)")]


def test_notebook_cells_take_their_type_and_language_from_the_result_and_only_code_is_recorded(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    session = fresh(NOTEBOOK_FIXTURE, tmp_path / "projects")
    ledger_file = tmp_path / "ledger.sqlite3"

    assert main(["import", "claude-code", str(session), "--root", str(tmp_path), "--ledger", str(ledger_file),
                 "--store-text"]) == 0
    assert "0 lines skipped" in capsys.readouterr().out

    ledger = SqliteLedger(ledger_file, store_text=True)
    sonnet = "claude-sonnet-4-5-20250929"
    assert _records(ledger) == {
        ("toolu_01NbPythonCell1Qr", f"{SAMPLE_ROOT}/analysis/orders.ipynb", NOTEBOOK_SESSION, sonnet, 2,
         "2026-11-21T11:00:04+00:00", f"transcript {session}:3"),
        # toolu_01NbMarkdownCell2St: the call does not say, the result says markdown: prose, not recorded
        ("toolu_01NbRCell3Uv", f"{SAMPLE_ROOT}/analysis/orders-r.ipynb", NOTEBOOK_SESSION, sonnet, 2,
         "2026-11-21T11:00:08+00:00", f"transcript {session}:7"),
        ("toolu_01NbJuliaCell4Wx", f"{SAMPLE_ROOT}/analysis/orders-jl.ipynb", NOTEBOOK_SESSION, sonnet, 3,
         "2026-11-21T11:00:10+00:00", f"transcript {session}:9"),
    }
    cells = {e.tool_call_id: e for e in ledger.agent_edits()}
    # each cell is fingerprinted as a file in its notebook's language would be, so copies into one are found:
    # Python with its grammar, R and Julia (no grammar) with the generic reader, never as Python
    for call, copy in (("toolu_01NbPythonCell1Qr", "monthly.py"), ("toolu_01NbRCell3Uv", "monthly.R"),
                       ("toolu_01NbJuliaCell4Wx", "monthly.jl")):
        text = cells[call].text
        assert text is not None
        assert set(cells[call].fingerprints) == set(insertion_prints(text, f"analysis/{copy}").fingerprints)
    for call in ("toolu_01NbRCell3Uv", "toolu_01NbJuliaCell4Wx"):
        text = cells[call].text
        assert text is not None and set(cells[call].fingerprints) != set(insertion_prints(text, "cell.py").fingerprints)


def test_published_samples_a_subagent_file_and_a_notebook_result_read_as_their_authors_describe(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    samples = TRANSCRIPTS / "samples" / "claude-code" / "-work-project"  # see fixtures/transcripts/SOURCES.md
    ledger_file = tmp_path / "ledger.sqlite3"

    assert main(["import", "claude-code", str(samples / "sess-main-1.jsonl"), str(samples / "s.jsonl"),
                 "--root", str(tmp_path), "--ledger", str(ledger_file)]) == 0

    # the session's subagent file comes with it; its lines (a Glob) hold no edit and no problem
    assert "3 of 3 transcript files read (10 lines); 1 new edits recorded (0 already known); 0 lines skipped" \
        in capsys.readouterr().out
    (cell,) = SqliteLedger(ledger_file).agent_edits()
    assert (cell.tool_call_id, cell.path, cell.session_id, cell.model, cell.lines, cell.time, cell.source) == (
        "toolu_n", "/work/project/nb.ipynb", "s", "claude-opus-4-5-20251101", 1, "2026-09-08T10:00:01+00:00",
        f"transcript {samples / 's.jsonl'}:2")
    assert set(cell.fingerprints) == set(insertion_prints("print(2)", "nb.py").fingerprints)
