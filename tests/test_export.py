"""`provguard export` over a tree, run as the real command: one JSON record per flagged span, the list of
flagged files, a summary line, the same bytes on every run."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from corpus_support import provguard
from provguard.ledger.anchor import fingerprint
from provguard.ledger.model import StoredSpan
from provguard.ledger.sqlite import SqliteLedger
from provguard.positions import LineIndex
from provguard.provenance.origin import Evidence, Kind, Origin

TRAINING = """\
\"\"\"Tokenizer helpers.\"\"\"

# provguard: begin kind=ai-chat-paste tool=chatgpt vendor=openai
def normalize(text):
    return " ".join(text.split())
# provguard: end
"""
TEST_FILE = """\
# provguard: file kind=ai-agent tool=house-bot vendor=acme
def test_one():
    assert 1
"""
APP = """\
# provguard: kind=ai-agent tool=house-bot vendor=acme
def helper():
    return 1
"""
HUMAN = "def plain():\n    return 0\n"


def make_tree(root: Path) -> None:
    files = {"data/train/tok.py": TRAINING, "tests/test_one.py": TEST_FILE, "src/app.py": APP,
             "src/plain.py": HUMAN}
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    (root / "src/blob.bin").write_bytes(b"\0\1\2provguard:")


def digest(text: str, start: int, end: int) -> str:
    return hashlib.sha256(text.encode()[start:end]).hexdigest()


def test_export_writes_flagged_spans_and_files_deterministically(tmp_path: Path) -> None:
    make_tree(tmp_path)
    done = provguard(tmp_path, "export", "--paths", "flagged.txt")
    assert done.returncode == 0, done.stderr.decode()
    records = [json.loads(line) for line in done.stdout.splitlines()]
    begin = TRAINING.index("# provguard: begin")
    end = TRAINING.index("# provguard: end") + len("# provguard: end")
    assert records == [
        {"path": "data/train/tok.py", "lines": [3, 6], "bytes": [begin, end],
         "rules": ["rival-ai-output-in-training-data"], "severity": "error", "sha256": digest(TRAINING, begin, end),
         "origin": {"kind": "ai-chat-paste", "evidence": "marker", "tool": "chatgpt", "vendor": "openai",
                    "confidence": 1.0}},
        {"path": "tests/test_one.py", "lines": [1, 3], "bytes": [0, len(TEST_FILE)],
         "rules": ["ai-output-in-test-task-file"], "severity": "error", "sha256": digest(TEST_FILE, 0, len(TEST_FILE)),
         "origin": {"kind": "ai-agent", "evidence": "marker", "tool": "house-bot", "vendor": "acme",
                    "confidence": 1.0}},
    ]
    assert (tmp_path / "flagged.txt").read_text() == "data/train/tok.py\ntests/test_one.py\n"
    stderr = done.stderr.decode()
    assert "provguard: skipped 1 file: 1 binary (--verbose lists it)" in stderr  # a count, as check says
    assert "src/blob.bin" not in stderr
    assert "provguard export: 4 files judged: 2 flagged spans in 2 files, 1 skipped" in stderr
    listed = provguard(tmp_path, "export", "--verbose", "--jsonl", os.devnull).stderr.decode()
    assert "provguard: skipped src/blob.bin: binary file\n" in listed

    again = provguard(tmp_path, "export", "--jsonl", "spans.jsonl")
    assert again.returncode == 0 and again.stdout == b""
    assert (tmp_path / "spans.jsonl").read_bytes() == done.stdout


def test_lower_threshold_and_one_folder(tmp_path: Path) -> None:
    make_tree(tmp_path)
    done = provguard(tmp_path, "export", "src", "--min-severity", "warning")
    assert done.returncode == 0, done.stderr.decode()
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(r["path"], r["lines"], r["rules"], r["severity"]) for r in records] == [
        ("src/app.py", [1, 3], ["ai-output-unreviewed"], "warning")]


def test_spans_recorded_in_the_ledger_are_exported(tmp_path: Path) -> None:
    make_tree(tmp_path)
    source = HUMAN.encode()
    (tmp_path / ".provguard").mkdir()
    ledger = SqliteLedger(tmp_path / ".provguard" / "ledger.sqlite3")
    origin = Origin(Kind.AI_COMPLETION, Evidence.CLIENT_HINT, tool="copilot", vendor="github")
    ledger.save_spans("src/plain.py", [StoredSpan("s1", "src/plain.py", origin, len(source), ((0, len(source)),),
                                                  "2026-11-25T00:00:00Z",
                                                  fingerprint(source, 0, len(source), LineIndex(source)))])
    ledger.close()
    done = provguard(tmp_path, "export", "src", "--severity", "ai-output-unmarked=error")
    assert done.returncode == 0, done.stderr.decode()
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(r["path"], r["bytes"], r["rules"], r["origin"]["evidence"]) for r in records] == [
        ("src/plain.py", [0, len(source)], ["ai-output-unmarked"], "client-hint")]


def test_a_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    done = provguard(tmp_path, "export", "nowhere")
    assert done.returncode == 2 and b"no such file or folder: nowhere" in done.stderr


@pytest.mark.parametrize("command", [["check", "src"], ["export", "src"],
                                     ["filter", "in.jsonl", "out.jsonl"]])
def test_a_misspelt_rule_in_severity_is_refused_by_every_command(tmp_path: Path, command: list[str]) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "in.jsonl").write_text("", encoding="utf-8")
    done = provguard(tmp_path, *command, "--severity", "ai-output-unmarkd=off")
    assert done.returncode == 2
    assert ("--severity names unknown rule 'ai-output-unmarkd'; did you mean 'ai-output-unmarked'?"
            in done.stderr.decode())
    assert not (tmp_path / "out.jsonl").exists()
