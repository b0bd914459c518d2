"""`provguard import codex`: agent edits from Codex CLI rollouts."""

from __future__ import annotations

from pathlib import Path

import pytest

from provguard.cli import main
from provguard.ledger.sqlite import SqliteLedger
from provguard.provenance.origin import Evidence
from provguard.provenance.transcripts import reader
from provguard.provenance.transcripts.importer import import_agent
from transcript_support import CODEX_FIXTURE, CODEX_SESSION, SAMPLE_ROOT, fresh, moved

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


def test_malformed_and_unknown_lines_are_reported_with_file_and_line(ledger: SqliteLedger,
                                                                     rollout: Path) -> None:
    report = import_agent(ledger, "codex", ROOT, [rollout])

    assert [(p.file, p.line) for p in report.problems] == [(str(rollout), 16), (str(rollout), 17)]
    assert report.problems[1].reason == "unknown line type 'ghost_commit'"


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
