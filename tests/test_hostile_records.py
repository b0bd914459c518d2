"""Hostile records from a cloned repository: Agent Trace lines and git-ai notes written to break the import.

Whatever a record says, the import reports the bad part at its place, keeps the sound parts, and finishes in
bounded time; no value from a record reaches the operating system in a form it rejects (a NUL byte in a path
given to git or to `open`).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from git_support import Repo
from provguard.exchange import agent_trace_budget
from provguard.exchange.agent_trace_import import import_traces
from provguard.exchange.git_ai_import import GitAiReport, import_git_ai
from provguard.ledger.sqlite import SqliteLedger
from provguard.provenance.transcripts.reader import last_line_with
from test_git_ai import CLAUDE, CURSOR, TRACE, add_note, note_text

NUMBERED = "".join(f"value_{n} = {n}\n" for n in range(1, 21))
"""Twenty lines, each saying its own number."""


def trace_record(path: str, first: int, last: int, revision: str | None = None) -> dict[str, Any]:
    record: dict[str, Any] = {
        "version": "0.1.0", "id": "550e8400-e29b-41d4-a716-446655440000", "timestamp": "2026-01-23T14:30:00Z",
        "tool": {"name": "cursor", "version": "2.4.0"},
        "files": [{"path": path, "conversations": [
            {"contributor": {"type": "ai", "model_id": "anthropic/claude-opus-4-5-20251101"},
             "ranges": [{"start_line": first, "end_line": last}]}]}]}
    if revision is not None:
        record["vcs"] = {"type": "git", "revision": revision}
    return record


def traced_repository(root: Path, *records: dict[str, Any]) -> tuple[Repo, Path]:
    repo = Repo(root)
    repo.commit({"src/values.py": NUMBERED}, "Values")
    traces = root / ".agent-trace" / "traces.jsonl"
    traces.parent.mkdir()
    traces.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return repo, traces


# -- Agent Trace --------------------------------------------------------------------------------------------


def test_an_agent_trace_path_with_a_nul_byte_is_a_problem_at_its_line_and_the_next_record_imports(
        tmp_path: Path) -> None:
    root = tmp_path / "shop"
    _, traces = traced_repository(root, trace_record("src/values.py\u0000.txt", 1, 2),
                                  trace_record(".hidden\u0000", 1, 2), trace_record("src/values.py", 3, 4))
    ledger = SqliteLedger(tmp_path / "ledger.sqlite3")

    report = import_traces(ledger, root, [traces])

    assert [(p.line, p.reason) for p in report.problems] == [
        (1, "files[0].path: contains a NUL character"), (2, "files[0].path: contains a NUL character")]
    assert [(e.path, e.lines) for e in ledger.agent_edits()] == [("src/values.py", 2)]


def test_an_agent_trace_revision_with_a_nul_byte_is_a_problem_and_never_given_to_git(tmp_path: Path) -> None:
    root = tmp_path / "shop"
    repo, traces = traced_repository(root, trace_record("src/values.py", 1, 2, "HEAD\u0000--output=x"))
    head = repo.git("rev-parse", "HEAD")
    with traces.open("a", encoding="utf-8") as file:
        file.write(json.dumps(trace_record("src/values.py", 5, 6, head)) + "\n")
    ledger = SqliteLedger(tmp_path / "ledger.sqlite3")

    report = import_traces(ledger, root, [traces])

    assert [(p.line, p.reason) for p in report.problems] == [(1, "vcs.revision: contains a NUL character")]
    assert [(e.path, e.lines) for e in ledger.agent_edits()] == [("src/values.py", 2)]
    assert not (root / "x").exists()


@pytest.mark.timeout(120)
def test_a_record_line_of_half_a_gigabyte_is_skipped_at_its_number_and_the_next_record_imports(
        tmp_path: Path) -> None:
    """A line of zeros a sparse file holds without using the disk, as a clone compresses it to nothing: read
    once and dropped, not gathered (and searched again) chunk by chunk."""
    root = tmp_path / "shop"
    _, traces = traced_repository(root, trace_record("src/values.py", 1, 2))
    with traces.open("r+b") as file:
        file.truncate(file.seek(0, 2) + (512 << 20))
    with traces.open("ab") as file:
        file.write(b"\n" + json.dumps(trace_record("src/values.py", 5, 6)).encode() + b"\n")
    ledger = SqliteLedger(tmp_path / "ledger.sqlite3")

    report = import_traces(ledger, root, [traces])

    assert [(p.line, p.reason) for p in report.problems] == [(2, "longer than 64 MiB: skipped unread")]
    assert sorted(e.lines for e in ledger.agent_edits()) == [2, 2]


@pytest.mark.timeout(120)
def test_resuming_a_transcript_finds_the_context_before_a_line_of_half_a_gigabyte_and_skips_that_line(
        tmp_path: Path) -> None:
    """A resumed Codex import looks back for the last turn_context: a huge line between is passed over in
    one backward read, not gathered and searched again chunk by chunk."""
    transcript = tmp_path / "rollout.jsonl"
    context = b'{"type":"turn_context","payload":{"cwd":"/work/shop","model":"gpt-5-codex"}}'
    transcript.write_bytes(b'{"type":"session_meta"}\n' + context + b"\n")
    with transcript.open("r+b") as file:
        file.truncate(file.seek(0, 2) + (512 << 20))  # zeros, and a "turn_context" inside would not count
    with transcript.open("ab") as file:
        file.write(b'"type":"turn_context"\n{"type":"event_msg"}\n')
        end = file.tell()

    with transcript.open("rb") as file:
        assert last_line_with(file, end, b'"type":"turn_context"') == context


@pytest.mark.timeout(120)
def test_ten_thousand_one_line_ranges_of_a_large_file_cost_their_lines_not_the_file_each(tmp_path: Path) -> None:
    """The file is split into lines once per import, not once per range (which, at 200,000 lines, is minutes)."""
    root = tmp_path / "shop"
    repo, traces = traced_repository(root)
    repo.commit({"src/table.py": "".join(f"value_{n} = {n} * 2 + 1\n" for n in range(200_000))}, "Table")
    record = trace_record("src/table.py", 1, 1)
    record["files"][0]["conversations"][0]["ranges"] = [{"start_line": n, "end_line": n} for n in range(1, 10_001)]
    traces.write_text(json.dumps(record) + "\n", encoding="utf-8")
    ledger = SqliteLedger(tmp_path / "ledger.sqlite3")

    report = import_traces(ledger, root, [traces])

    assert (report.edits_new, report.problems) == (10_000, [])


@pytest.mark.timeout(120)
def test_a_small_record_claiming_a_large_file_thousands_of_times_over_is_refused_before_any_line_is_read(
        tmp_path: Path) -> None:
    """2,000 overlapping ranges of a 1,000-line file: 2 million lines for a record of a few dozen KB."""
    root = tmp_path / "shop"
    repo, traces = traced_repository(root)
    repo.commit({"src/table.py": "".join(f"value_{n} = {n} * 2 + 1\n" for n in range(1_000))}, "Table")
    greedy = trace_record("src/table.py", 1, 1)
    greedy["files"][0]["conversations"][0]["ranges"] = [{"start_line": 1, "end_line": 1_000}] * 2_000
    traces.write_text(json.dumps(greedy) + "\n" + json.dumps(trace_record("src/values.py", 1, 2)) + "\n",
                      encoding="utf-8")

    report = import_traces(SqliteLedger(tmp_path / "ledger.sqlite3"), root, [traces])

    assert report.edits_new == 1
    assert [(p.line, p.reason) for p in report.problems] == [
        (1, "ranges claim 2,000,000 lines (overlaps counted), more than the 1,000,000 an import reads: the record "
            "is not imported")]


def test_an_import_past_its_budget_pauses_before_a_record_and_the_next_import_goes_on_from_there(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Many records each within the budget: one import reads up to it, stops before the record that would pass
    it, and keeps its place; nothing is lost or read twice."""
    monkeypatch.setattr(agent_trace_budget, "MAX_CLAIMED_LINES", 10)
    root = tmp_path / "shop"
    records = [dict(trace_record("src/values.py", first, first + 3), id=f"550e8400-e29b-41d4-a716-44665544000{n}")
               for n, first in enumerate((1, 5, 9, 13))]
    _, traces = traced_repository(root, *records)
    ledger = SqliteLedger(tmp_path / "ledger.sqlite3", store_text=True)  # the text tells which lines each edit holds

    first = import_traces(ledger, root, [traces])
    second = import_traces(ledger, root, [traces])
    third = import_traces(ledger, root, [traces])

    assert (first.edits_new, second.edits_new, third.edits_new) == (2, 2, 0)
    assert [(p.line, p.reason.split(":")[0]) for p in first.problems] == [(3, "import paused before this record")]
    assert second.problems == third.problems == []
    assert sorted(edit.text or "" for edit in ledger.agent_edits()) == sorted(
        "".join(NUMBERED.splitlines(keepends=True)[first - 1:first + 3]) for first in (1, 5, 9, 13))


@pytest.mark.timeout(240)
def test_a_record_naming_a_committed_file_of_a_quarter_gigabyte_is_refused_by_its_size_without_reading_it(
        tmp_path: Path) -> None:
    """Zeros compress to nothing in a clone; read whole, they would take the importer's memory. The import runs
    with its address space capped below the file's size (twice over, as reading a process's output copies)."""
    root = tmp_path / "shop"
    repo, traces = traced_repository(root)
    blob = subprocess.run(f"head -c {256 << 20} /dev/zero | git hash-object -w --stdin", shell=True, cwd=root,
                          capture_output=True, text=True, check=True).stdout.strip()
    repo.git("update-index", "--add", "--cacheinfo", f"100644,{blob},src/zeros.py")
    repo.git("commit", "-q", "-m", "Zeros")
    traces.write_text(json.dumps(trace_record("src/zeros.py", 1, 1, repo.git("rev-parse", "HEAD"))) + "\n" +
                      json.dumps(trace_record("src/values.py", 1, 2, "HEAD")) + "\n", encoding="utf-8")
    script = (f"import json, resource; resource.setrlimit(resource.RLIMIT_AS, ({384 << 20}, {384 << 20}))\n"
              "from pathlib import Path\n"
              "from provguard.exchange.agent_trace_import import import_traces\n"
              "from provguard.ledger.sqlite import SqliteLedger\n"
              f"report = import_traces(SqliteLedger({str(tmp_path / 'ledger.sqlite3')!r}), Path({str(root)!r}), "
              f"[Path({str(traces)!r})])\n"
              "print(json.dumps([[p.line, p.reason] for p in report.problems]), report.edits_new)\n")

    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False)

    assert done.returncode == 0, done.stderr
    assert done.stdout == json.dumps([[1, "files[0].conversations[0].ranges[0]: src/zeros.py is larger than 8 MiB"]]) \
        + " 1\n"


# -- git-ai notes -------------------------------------------------------------------------------------------


def test_a_git_ai_note_path_with_a_nul_byte_is_a_problem_at_its_line_and_the_other_files_import(
        tmp_path: Path) -> None:
    repo = Repo(tmp_path / "shop")
    commit = repo.commit({"src/values.py": NUMBERED}, "Values")
    add_note(repo, commit, note_text(commit, {"src/values\u0000.py": [(CLAUDE + TRACE, "1-3")],
                                              "src/values.py": [(CLAUDE + TRACE, "4-6")]}))
    ledger = SqliteLedger(tmp_path / "ledger.sqlite3")

    report = import_git_ai(ledger, repo.root)

    assert isinstance(report, GitAiReport)
    assert [(p.line, p.reason) for p in report.problems] == [(1, "the file path contains a NUL character")]
    assert [(e.path, e.lines) for e in ledger.agent_edits()] == [("src/values.py", 3)]


@pytest.mark.timeout(120)
def test_a_git_ai_note_of_many_interleaved_overlapping_ranges_imports_in_bounded_time_first_claim_winning(
        tmp_path: Path) -> None:
    """One session claims every odd line up to 120,000, a second the whole span after it: each piece the first
    left costs the cutting of every piece before it, unless the cutting is done in one sweep."""
    repo = Repo(tmp_path / "shop")
    commit = repo.commit({"src/values.py": NUMBERED}, "Values")
    odd = ",".join(str(n) for n in range(1, 120_000, 2))
    add_note(repo, commit, note_text(commit, {"src/values.py": [(CLAUDE + TRACE, odd),
                                                                (CURSOR + TRACE, "1-120000")]}))

    ledger = SqliteLedger(tmp_path / "ledger.sqlite3", store_text=True)

    report = import_git_ai(ledger, repo.root)

    assert isinstance(report, GitAiReport) and report.problems == []
    texts = {edit.tool: edit.text for edit in ledger.agent_edits()}
    lines = NUMBERED.splitlines(keepends=True)
    assert texts == {"claude-code": "".join(lines[0::2]), "cursor": "".join(lines[1::2])}
