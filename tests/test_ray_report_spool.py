"""The Ray driver's side report: lines spooled to disk as files finish, read back per file in input order, so
the driver's memory does not grow with what a corpus has flagged (issue 21, item 7)."""

from __future__ import annotations

import json
import os
import tracemalloc
from collections.abc import Iterator

import pytest

from provguard.corpus.report_spool import ReportSpool


def report(name: str, count: int, pad: str = "") -> list[str]:
    return [json.dumps({"file": name, "line": i, "action": "drop", "why": pad}, ensure_ascii=False)
            for i in range(1, count + 1)]


@pytest.fixture
def spool() -> Iterator[ReportSpool]:
    opened = ReportSpool()
    yield opened
    opened.close()


def test_each_file_gets_back_its_own_lines_whatever_order_they_finished_in(spool: ReportSpool) -> None:
    reports = {"b.jsonl": report("b.jsonl", 3), "a.jsonl": report("a.jsonl", 5), "empty.jsonl": []}
    for name in ("b.jsonl", "empty.jsonl", "a.jsonl"):  # the order the actors finished in
        spool.add(name, "\n".join(reports[name]))

    assert [list(spool.lines(name)) for name in ("a.jsonl", "b.jsonl", "empty.jsonl")] == \
        [reports["a.jsonl"], reports["b.jsonl"], []]
    assert list(spool.lines("never-reported.jsonl")) == []


def test_lines_and_characters_split_across_read_chunks_come_back_whole(spool: ReportSpool,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ReportSpool, "CHUNK", 7)  # smaller than a line, and cutting through UTF-8 sequences
    lines = report("ünïcode/データ.jsonl", 40, pad="é€😀")
    spool.add("x", "\n".join(lines))
    spool.add("y", "\n".join(lines[:2]))

    assert list(spool.lines("x")) == lines
    assert list(spool.lines("y")) == lines[:2]


def test_the_driver_keeps_offsets_not_lines() -> None:
    """200 files with 100 KB of report each: 20 MB of lines pass through, a small fraction is ever held."""
    tracemalloc.start()
    try:
        spool = ReportSpool()
        text = "\n".join(report("f", 1_000, pad="x" * 60))
        assert len(text) > 100_000
        for i in range(200):
            spool.add(f"f{i}.jsonl", text)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * len(text)  # a file's text and its encoding at a time, not 200 of them
    assert sum(1 for _ in spool.lines("f199.jsonl")) == 1_000
    spool.close()


def open_files() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts this process's open files in /proc")
def test_a_run_opens_its_spool_file_only_when_a_file_has_report_lines() -> None:
    """A RayRun made and dropped (or a run whose files flagged nothing) holds no temporary file."""
    from provguard.corpus.ray_run import RayRun

    before = open_files()
    runs = [RayRun([]) for _ in range(50)]
    quiet = ReportSpool()
    quiet.add("clean.jsonl", "")  # a file that finished with nothing to report
    assert open_files() == before
    assert list(quiet.lines("clean.jsonl")) == []

    quiet.add("flagged.jsonl", "\n".join(report("flagged.jsonl", 2)))
    assert open_files() == before + 1
    assert list(quiet.lines("flagged.jsonl")) == report("flagged.jsonl", 2)
    quiet.close()
    for run in runs:
        run.spool.close()
    assert open_files() == before
