"""JSON nested deeper than any parser's stack, in every untrusted line provguard reads, through the real commands.

Python's json raises RecursionError (not a ValueError) on a line of 100,000 `[`; each surface must skip that
line, say where it was, and go on with the rest: transcripts, Agent Trace records, git-ai notes, a hook's
stdin and corpus lines.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from corpus_support import jsonl, provguard
from git_support import Repo
from transcript_support import CLAUDE_FIXTURE, CODEX_FIXTURE, SAMPLE_ROOT, moved

DEEP = {"arrays": b"[" * 100_000, "objects": b'{"a":' * 100_000}
"""Unclosed, as an attacker need not close them: the parser's stack gives out first either way."""
CLOSED = b"[" * 100_000 + b"]" * 100_000
TOO_DEEP = "nested deeper than 256 levels"
AGENT_TRACE = Path(__file__).parent / "fixtures" / "agent-trace"
AI_SAMPLE = "# provguard: kind=ai-agent tool=claude-code\ndef generated():\n    return 1\n"


def with_lines_after_the_first(path: Path, *lines: bytes) -> None:
    first, rest = path.read_bytes().split(b"\n", 1)
    path.write_bytes(first + b"\n" + b"".join(line + b"\n" for line in lines) + rest)


def new_edits(stdout: bytes) -> int:
    found = re.search(r"(\d+) new edits recorded", stdout.decode())
    assert found is not None, stdout.decode()
    return int(found.group(1))


@pytest.mark.parametrize("agent", ["claude-code", "codex"])
@pytest.mark.parametrize("deep", list(DEEP.values()), ids=list(DEEP))
def test_a_transcript_line_nested_too_deeply_is_skipped_with_its_number_and_the_rest_imported(
        tmp_path: Path, agent: str, deep: bytes) -> None:
    fixture = CLAUDE_FIXTURE if agent == "claude-code" else CODEX_FIXTURE
    clean = moved(fixture, tmp_path / "clean" / fixture.name, Path(SAMPLE_ROOT))
    hostile = moved(fixture, tmp_path / "hostile" / fixture.name, Path(SAMPLE_ROOT))
    with_lines_after_the_first(hostile, deep, CLOSED)

    expected = provguard(tmp_path, "import", agent, str(clean), "--ledger", str(tmp_path / "clean.sqlite3"))
    done = provguard(tmp_path, "import", agent, str(hostile), "--ledger", str(tmp_path / "hostile.sqlite3"))

    assert done.returncode == 0, done.stderr.decode()
    assert new_edits(done.stdout) == new_edits(expected.stdout) > 0
    printed = done.stdout.decode().splitlines()
    assert f"  skipped {hostile}:2: not JSON: {TOO_DEEP}" in printed
    assert f"  skipped {hostile}:3: not JSON: {TOO_DEEP}" in printed  # well formed, yet as deep


@pytest.mark.parametrize("deep", list(DEEP.values()), ids=list(DEEP))
def test_an_agent_trace_line_nested_too_deeply_is_skipped_and_the_other_records_imported(
        tmp_path: Path, deep: bytes) -> None:
    root = tmp_path / "shop"
    shutil.copytree(AGENT_TRACE / "shop", root)
    repo = Repo(root)
    repo.git("add", ".")
    repo.git("commit", "-q", "-m", "shop")
    records = (AGENT_TRACE / "traces.jsonl").read_bytes().replace(b"@REVISION@", repo.git("rev-parse", "HEAD").encode())
    clean, hostile = tmp_path / "clean.jsonl", tmp_path / "hostile.jsonl"
    clean.write_bytes(records)
    hostile.write_bytes(records)
    with_lines_after_the_first(hostile, deep)

    expected = provguard(root, "import", "agent-trace", str(clean), "--ledger", str(tmp_path / "clean.sqlite3"))
    done = provguard(root, "import", "agent-trace", str(hostile), "--ledger", str(tmp_path / "hostile.sqlite3"))

    assert done.returncode == 0, done.stderr.decode()
    assert new_edits(done.stdout) == new_edits(expected.stdout) > 0
    assert f"  skipped {hostile}:2: not JSON: {TOO_DEEP}" in done.stdout.decode().splitlines()


@pytest.mark.parametrize("deep", list(DEEP.values()), ids=list(DEEP))
def test_a_git_ai_note_whose_metadata_nests_too_deeply_is_a_problem_and_the_other_notes_import(
        tmp_path: Path, deep: bytes) -> None:
    repo = Repo(tmp_path / "shop")
    session = "s_4be1c07d9a3f52"
    metadata = ('{"schema_version": "authorship/3.0.0", "base_commit_sha": "%s", "prompts": {}, "sessions": {"'
                + session + '": {"agent_id": {"tool": "claude", "id": "c1", "model": "m"}}}}')
    for name, body in (("hostile", deep.decode()), ("good", None)):
        commit = repo.commit({f"src/{name}.py": AI_SAMPLE}, name)
        note = tmp_path / f"{name}.note"
        note.write_text(f"src/{name}.py\n  {session}::t_0c7e2a91b4d6f3 1-3\n---\n"
                        + (body if body is not None else metadata % commit), encoding="utf-8")
        repo.git("notes", "--ref=ai", "add", "-F", str(note), commit)

    done = provguard(repo.root, "import", "git-ai")

    assert done.returncode == 0, done.stderr.decode()
    assert new_edits(done.stdout) == 1
    assert "1 problems" in done.stdout.decode() and f"metadata is not JSON: {TOO_DEEP}" in done.stdout.decode()


@pytest.mark.parametrize("deep", [*DEEP.values(), CLOSED], ids=[*DEEP, "closed"])
def test_a_hook_payload_nested_too_deeply_is_reported_and_never_blocks_the_agent(tmp_path: Path, deep: bytes) -> None:
    done = subprocess.run([sys.executable, "-m", "provguard", "hook", "claude-code", "--root", str(tmp_path)],
                          input=deep, capture_output=True, timeout=60, check=False)

    assert (done.returncode, done.stdout) == (0, b"")
    assert done.stderr.decode().startswith("provguard hook: the hook input is not JSON (")
    assert TOO_DEEP in done.stderr.decode() and "Traceback" not in done.stderr.decode()


@pytest.mark.parametrize("deep", list(DEEP.values()), ids=list(DEEP))
def test_a_corpus_line_nested_too_deeply_is_dropped_even_where_bad_lines_pass_and_the_samples_around_it_are_judged(
        tmp_path: Path, deep: bytes) -> None:
    (tmp_path / "train.jsonl").write_bytes(jsonl({"content": AI_SAMPLE}) + deep + b"\n"
                                           + jsonl({"content": "def mine():\n    return 2\n"}))

    done = provguard(tmp_path, "filter", "train.jsonl", "out.jsonl", "--workers", "1")

    assert done.returncode == 0, done.stderr.decode()
    # a sample hidden in a line too deep to look at must not ride through as a "bad line" (the default passes those)
    assert (tmp_path / "out.jsonl").read_bytes() == jsonl({"content": "def mine():\n    return 2\n"})
    assert f"provguard: train.jsonl:2: {TOO_DEEP}; never passed through" in done.stderr.decode()
    assert "3 lines: 1 kept, 1 dropped" in done.stderr.decode()
