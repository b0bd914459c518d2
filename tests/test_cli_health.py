"""`provguard health`: what an editor plugin's health check reports, as JSON and as text."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
LANGUAGES = ["python", "javascript", "typescript", "tsx", "go", "rust", "java", "c", "cpp", "ruby", "lua", "yaml"]


def health(root: Path, *args: str) -> tuple[int, dict[str, Any]]:
    env = dict(os.environ, PYTHONPATH=str(REPO / "server"))
    done = subprocess.run([sys.executable, "-m", "provguard", "health", "--json", "--root", str(root), *args],
                          cwd=root, env=env, capture_output=True, text=True, timeout=120, check=False)
    report: dict[str, Any] = json.loads(done.stdout)
    return done.returncode, report


def test_a_fresh_project_is_healthy_and_checking_creates_no_ledger(tmp_path: Path) -> None:
    code, report = health(tmp_path)
    assert code == 0 and report["ok"] is True
    assert report["version"] and report["root"] == str(tmp_path)
    assert [(g["language"], g["loaded"]) for g in report["grammars"]] == [(lang, True) for lang in LANGUAGES]
    assert report["ledger"] == {"path": str(tmp_path / ".provguard" / "ledger.sqlite3"), "exists": False,
                                "writable": True, "problem": None, "stale_edits": 0}
    assert [p["id"] for p in report["packs"]] == ["default"] and report["pack_errors"] == []
    assert not (tmp_path / ".provguard").exists()


def test_a_missing_project_pack_is_reported_where_it_is_named(tmp_path: Path) -> None:
    (tmp_path / "provguard.toml").write_text('packs = ["default", "rules/team.yaml"]\n')
    code, report = health(tmp_path)
    assert code == 1 and report["ok"] is False
    [error] = report["pack_errors"]
    assert (error["file"], error["line"], error["column"]) == (str(tmp_path / "provguard.toml"), 1, 21)
    assert "rules/team.yaml" in error["message"]


def test_an_invalid_pack_given_like_the_editor_setting_is_reported_with_its_position(tmp_path: Path) -> None:
    (tmp_path / "team.yaml").write_text("pack: team\nversion: 1.0.0\nrules:\n  - id: x\n    severity: loud\n")
    code, report = health(tmp_path, "--pack", "team.yaml")
    assert code == 1
    assert any(e["file"].endswith("team.yaml") and e["line"] == 5 for e in report["pack_errors"]), report


def test_a_ledger_that_is_not_a_database_is_a_problem(tmp_path: Path) -> None:
    (tmp_path / ".provguard").mkdir()
    (tmp_path / ".provguard" / "ledger.sqlite3").write_bytes(b"not sqlite at all, just text\n" * 100)
    code, report = health(tmp_path)
    assert code == 1
    assert report["ledger"]["exists"] is True and report["ledger"]["writable"] is False
    assert "not a valid SQLite database" in report["ledger"]["problem"]


def test_a_ledger_setting_under_a_file_cannot_be_created(tmp_path: Path) -> None:
    (tmp_path / "notes").write_text("a file where the ledger setting expects a folder\n")
    code, report = health(tmp_path, "--ledger", "notes/ledger.sqlite3")
    assert code == 1 and report["ledger"]["path"] == str(tmp_path / "notes" / "ledger.sqlite3")
    assert report["ledger"]["problem"] == f"{tmp_path / 'notes'} is not a writable folder"


def test_a_memory_ledger_setting_says_provenance_is_not_kept(tmp_path: Path) -> None:
    code, report = health(tmp_path, "--ledger", ":memory:")
    assert code == 1 and "in memory only" in report["ledger"]["problem"]


def test_text_output_names_each_part(tmp_path: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(REPO / "server"))
    done = subprocess.run([sys.executable, "-m", "provguard", "health", "--root", str(tmp_path)], env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0
    lines = done.stdout.splitlines()
    assert lines[0].startswith("provguard ") and "grammars: 12 of 12 loaded" in lines[1]
    assert "will be created on first use" in lines[2] and lines[3].startswith("pack: default ")
    assert lines[-1] == "ok"


def test_an_unreachable_team_ledger_is_a_problem_named_without_its_password(tmp_path: Path) -> None:
    code, report = health(tmp_path, "--ledger", "postgresql://dana:s3cret@127.0.0.1:1/provguard")
    assert code == 1 and report["ok"] is False
    ledger = report["ledger"]
    assert (ledger["exists"], ledger["writable"]) == (False, False) and ledger["problem"]
    assert "127.0.0.1" in ledger["path"] and "s3cret" not in json.dumps(report)


def test_a_pack_name_found_nowhere_is_reported_without_a_made_up_place(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "provguard", "health", "--root", str(tmp_path), "--pack", "nosuch"],
                          capture_output=True, text=True, check=False, cwd=tmp_path)
    errors = [line for line in done.stdout.splitlines() + done.stderr.splitlines() if "pack error" in line]
    assert errors and all(":0:0:" not in line for line in errors), done.stdout + done.stderr
    assert any("nosuch" in line for line in errors)
