"""`provguard import codex`: agent edits from Codex CLI rollouts."""

from __future__ import annotations

from pathlib import Path

import pytest

from provguard.cli import main
from provguard.ledger.sqlite import SqliteLedger
from provguard.provenance.origin import Evidence
from provguard.provenance.transcripts import reader
from provguard.provenance.transcripts.importer import import_agent
from transcript_support import (
    CODEX_FIXTURE,
    CODEX_NEWER_FIXTURE,
    CODEX_NEWER_SESSION,
    CODEX_SESSION,
    SAMPLE_ROOT,
    TRANSCRIPTS,
    fresh,
    moved,
)

ROOT = Path(SAMPLE_ROOT)


@pytest.fixture
def ledger(tmp_path: Path) -> SqliteLedger:
    return SqliteLedger(tmp_path / "ledger.sqlite3")


@pytest.fixture
def rollout(tmp_path: Path) -> Path:
    return fresh(CODEX_FIXTURE, tmp_path)


def test_applied_patches_become_one_edit_per_file_with_the_turns_model(ledger: SqliteLedger,
                                                                        rollout: Path) -> None:
    report = import_agent(ledger, "codex", ROOT, [rollout])

    assert {(e.tool_call_id, e.path, e.model, e.lines) for e in ledger.agent_edits()} == {
        # custom tool call; its patch_apply_end and its output both say it applied: one edit per file
        ("call_Q4mZr8xT2nVb6Lw1", "src/cart.py", "gpt-5-codex", 2),
        ("call_Q4mZr8xT2nVb6Lw1", "src/shipping.py", "gpt-5-codex", 6),
        # outside the project: the absolute path
        ("call_Ou8Ts3De5Fg7Hj2K", "/home/dana/.config/shop/shipping.toml", "gpt-5.1-codex-max", 2),
        # a shell call running apply_patch with the patch as its argument
        ("call_Sh9Ap2Ty6Ui4Op1L", "docs/SHIPPING.md", "gpt-5.1-codex-max", 3),
        # function call: the moved file is recorded where it ends up, the deleted one not at all
        ("call_Zt5Vb1Nc8Xm3Qa7E", "src/delivery.py", "gpt-5.1-codex-max", 1),
        ("call_Zt5Vb1Nc8Xm3Qa7E", "src/settings.py", "gpt-5.1-codex-max", 2),
    }
    edit = ledger.agent_edits(path="src/shipping.py")[0]
    assert (edit.tool, edit.vendor, edit.session_id, edit.evidence) == ("codex", "openai", CODEX_SESSION,
                                                                        Evidence.TRANSCRIPT)
    assert edit.time == "2026-11-20T09:14:12+00:00"
    assert report.edits_found == 6


def test_a_patch_that_failed_to_apply_records_nothing(ledger: SqliteLedger, rollout: Path) -> None:
    import_agent(ledger, "codex", ROOT, [rollout])

    assert "call_Fx7Lk2Pq9Wm4Zs0A" not in {e.tool_call_id for e in ledger.agent_edits()}


def test_malformed_lines_are_reported_with_file_and_line_and_unknown_types_once_with_their_count(
        ledger: SqliteLedger, rollout: Path) -> None:
    report = import_agent(ledger, "codex", ROOT, [rollout])

    assert [(p.file, p.line) for p in report.problems] == [(str(rollout), 16), (str(rollout), 0)]
    assert report.problems[1].reason == "1 line of types this version does not read: 'ghost_commit' (1)"


def test_line_types_newer_than_the_importer_are_counted_once_and_both_apply_patch_call_forms_record_their_files(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rollout = fresh(CODEX_NEWER_FIXTURE, tmp_path / "sessions")

    assert main(["import", "codex", str(rollout), "--root", str(tmp_path),
                 "--ledger", str(tmp_path / "ledger.sqlite3")]) == 0

    out = capsys.readouterr().out.splitlines()
    # world_state, inter_agent_communication_metadata and token_usage_record are known to hold no edit: not a
    # word; the types nobody knows yet are one line for the file, never one problem per line
    assert out[1:] == [f"  skipped {rollout}: 3 lines of types this version does not read: "
                       "'function_result' (2), 'turn_summary_v2' (1)"]
    assert {(e.tool_call_id, e.path, e.session_id, e.model, e.lines, e.time, e.source)
            for e in SqliteLedger(tmp_path / "ledger.sqlite3").agent_edits()} == {
        # a custom tool call, its output in the newer "Exit code: 0 ... Output:" form
        ("call_Vt2Ax9Kc4Lm7Np1Q", f"{SAMPLE_ROOT}/src/tax.py", CODEX_NEWER_SESSION, "gpt-5.2-codex", 2,
         "2026-11-21T12:00:03+00:00", f"transcript {rollout}:7"),
        # a function call, recorded from patch_apply_end's changes (absolute paths) before its output arrives
        ("call_Rb6Dw3Ey8Fz0Gh5J", f"{SAMPLE_ROOT}/src/cart.py", CODEX_NEWER_SESSION, "gpt-5.2-codex", 1,
         "2026-11-21T12:00:05+00:00", f"transcript {rollout}:10"),
    }


@pytest.mark.parametrize("chunk", [7, 1 << 20])
def test_an_unfinished_call_is_read_again_with_its_session_and_model_once_its_output_is_complete(
        ledger: SqliteLedger, monkeypatch: pytest.MonkeyPatch, chunk: int, rollout: Path) -> None:
    monkeypatch.setattr(reader, "CHUNK_BYTES", chunk)  # lines cut by chunk boundaries everywhere
    assert import_agent(ledger, "codex", ROOT, [rollout]).edits_new == 6
    assert import_agent(ledger, "codex", ROOT, [rollout]).edits_new == 0

    with rollout.open("ab") as file:
        file.write(b'ated the following files:\\\\nM README.md\\\\n\\",\\"metadata\\":{\\"exit_code\\":0}}"}}\n')
    report = import_agent(ledger, "codex", ROOT, [rollout])

    assert (report.edits_new, report.problems) == (1, [])
    (readme,) = ledger.agent_edits(path="README.md")
    assert (readme.session_id, readme.model, readme.lines) == (CODEX_SESSION, "gpt-5.1-codex-max", 1)


def test_the_command_reads_codex_home_and_keeps_only_sessions_run_in_the_project(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    project = tmp_path / "shop"
    project.mkdir()
    home = tmp_path / "codex-home"
    moved(CODEX_FIXTURE, home / "sessions" / "2026" / "11" / "20" / CODEX_FIXTURE.name, project)
    moved(CODEX_FIXTURE, home / "sessions" / "2026" / "11" / "21" / "rollout-other.jsonl", tmp_path / "elsewhere")
    monkeypatch.setenv("CODEX_HOME", str(home))

    assert main(["import", "codex", "--root", str(project)]) == 0

    assert "codex: 2 of 2 transcript files read" in capsys.readouterr().out
    ledger = SqliteLedger(project / ".provguard" / "ledger.sqlite3")
    assert len(ledger.agent_edits()) == 6
    assert not [e for e in ledger.agent_edits() if "elsewhere" in e.path]


def test_a_published_sample_rollout_records_its_custom_tool_calls_files_from_patch_apply_end(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sample = TRANSCRIPTS / "samples" / "codex" / "chitragupt-apply_patch.jsonl"  # see fixtures/transcripts/SOURCES.md

    assert main(["import", "codex", str(sample), "--root", str(tmp_path),
                 "--ledger", str(tmp_path / "ledger.sqlite3")]) == 0

    assert capsys.readouterr().out.endswith("0 lines skipped\n")
    assert {(e.tool_call_id, e.path, e.session_id, e.model, e.lines, e.time, e.source)
            for e in SqliteLedger(tmp_path / "ledger.sqlite3").agent_edits()} == {
        ("call-patch", "/work/chitragupt/README.md", "codex-patch", None, 2, "2026-05-22T10:00:03+00:00",
         f"transcript {sample}:4"),
        ("call-patch", "/work/chitragupt/notes.md", "codex-patch", None, 2, "2026-05-22T10:00:03+00:00",
         f"transcript {sample}:4"),
    }


def test_codex_desktop_tool_names_with_a_host_prefix_are_read_as_the_plain_ones(ledger: SqliteLedger,
                                                                                 tmp_path: Path) -> None:
    """Codex Desktop names its tools `functions.apply_patch`: the same calls, the same edits."""
    plain = fresh(CODEX_FIXTURE, tmp_path / "plain")
    prefixed = tmp_path / "desktop" / plain.name
    prefixed.parent.mkdir(parents=True)
    text = plain.read_text()
    assert '"name":"apply_patch"' in text.replace(" ", "")
    prefixed.write_text(text.replace('"name":"apply_patch"', '"name":"functions.apply_patch"')
                        .replace('"name": "apply_patch"', '"name": "functions.apply_patch"'))
    desktop = SqliteLedger(tmp_path / "desktop.sqlite3")

    import_agent(ledger, "codex", ROOT, [plain])
    report = import_agent(desktop, "codex", ROOT, [prefixed])

    assert report.edits_found == 6
    assert ({(e.tool_call_id, e.path, e.lines) for e in desktop.agent_edits()}
            == {(e.tool_call_id, e.path, e.lines) for e in ledger.agent_edits()})
