"""Recorded agent edits found again in documents: in their own file by line, anywhere by fingerprint."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from provguard.documents import Document
from provguard.languages import detect
from provguard.ledger.sqlite import SqliteLedger
from provguard.provenance.fingerprints import document_prints
from provguard.provenance.matching import Region, find_regions, spans
from provguard.provenance.origin import Evidence, Kind
from snippet_support import DISGUISED, SNIPPET, UNRELATED, recorded
from test_cli import check, write


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[SqliteLedger]:
    store = SqliteLedger(tmp_path / "ledger.sqlite3")
    yield store
    store.close()


def regions(ledger: SqliteLedger, path: str, text: str) -> list[Region]:
    doc = Document.from_text(path, detect(path), text)
    return find_regions(ledger, path, doc, document_prints(doc))


def test_a_renamed_reindented_edited_copy_in_another_file_is_found_with_its_source(ledger: SqliteLedger) -> None:
    ledger.add_agent_edits([recorded(SNIPPET, "src/intervals.py")])
    [region] = regions(ledger, "app/calendar.py", DISGUISED)
    assert (region.first_line, region.last_line) == (8, 17), "from the sorted() line to the return"
    origin = region.origin
    assert (origin.kind, origin.evidence, origin.tool, origin.vendor, origin.model) == (
        Kind.AI_AGENT, Evidence.FINGERPRINT, "claude-code", "anthropic", "claude-sonnet-4-5")
    extra = dict(origin.extra)
    assert extra["source"] == "src/intervals.py"
    assert extra["session"] == "sess-42"
    assert origin.date == "2026-11-20T09:30:00+00:00"
    shared, total = map(int, extra["matched"].split("/"))
    assert float(extra["coverage"]) == pytest.approx(shared / total, abs=0.01)
    assert 0.5 < origin.confidence == pytest.approx(0.5 + 0.5 * shared / total, abs=0.01)


def test_the_span_runs_from_the_first_code_of_the_first_line_to_the_end_of_the_last(ledger: SqliteLedger) -> None:
    ledger.add_agent_edits([recorded(SNIPPET, "src/intervals.py")])
    doc = Document.from_text("app/calendar.py", detect("app/calendar.py"), DISGUISED)
    [span] = spans(doc, find_regions(ledger, "app/calendar.py", doc, document_prints(doc)))
    covered = doc.slice(span.start, span.end)
    assert covered.startswith("spans = sorted(") and covered.endswith("if iv[1] > iv[0]]")
    assert 'print("merging"' in covered, "an added line inside the copy stays covered"


def test_unrelated_code_and_a_different_snippet_are_not_matched(ledger: SqliteLedger) -> None:
    ledger.add_agent_edits([recorded(SNIPPET, "src/intervals.py")])
    assert regions(ledger, "tools/copy.py", UNRELATED) == []
    ledger.add_agent_edits([recorded(UNRELATED, "tools/copy.py", edit_id="edit-2")])
    assert regions(ledger, "app/calendar.py", DISGUISED)[0].edit_id == "edit-1"


def test_boilerplate_an_agent_wrote_is_not_flagged_elsewhere(ledger: SqliteLedger) -> None:
    boiler = ("# Copyright 2025 Example Corp. All rights reserved.\n# SPDX-License-Identifier: Apache-2.0\n"
              "import os\nimport sys\nimport json\nimport logging\nfrom pathlib import Path\n\n"
              "log = logging.getLogger(__name__)\n\n\nclass Config:\n"
              + "".join(f"    @property\n    def {n}(self):\n        return self._{n}\n\n" for n in
                        ("name", "path", "size", "mode", "owner")))
    ledger.add_agent_edits([recorded(boiler, "src/config.py")])
    other = boiler.replace("Config", "Settings").replace("name", "title").replace("2025", "2019")
    assert regions(ledger, "lib/settings.py", other) == []


def test_a_short_edit_is_found_in_its_own_file_by_its_lines(ledger: SqliteLedger) -> None:
    edit = "    retries = compute_backoff(attempt, base=0.5)\n    return None\n"
    ledger.add_agent_edits([recorded(edit, "src/net.py", evidence=Evidence.TRANSCRIPT)])
    text = "def fetch(attempt):\n    log(attempt)\n\n  retries = compute_backoff(attempt, base=0.5)\n\n" \
           "    return None\n"
    [region] = regions(ledger, "src/net.py", text)
    assert (region.first_line, region.last_line) == (3, 5), "blank lines inside the run do not break it"
    assert (region.origin.evidence, region.origin.tool) == (Evidence.TRANSCRIPT, "claude-code")
    assert regions(ledger, "src/other.py", text) == [], "line matches count only in the edit's own file"


def test_trivial_lines_alone_are_not_found_in_their_own_file(ledger: SqliteLedger) -> None:
    ledger.add_agent_edits([recorded("        return None\n    }\n", "src/net.py")])
    assert regions(ledger, "src/net.py", "def a():\n    return None\n\n\ndef b():\n    }\n") == []


def test_check_reports_a_copy_of_a_recorded_edit(tmp_path: Path) -> None:
    write(tmp_path, {"app/calendar.py": DISGUISED, "tools/copy.py": UNRELATED})
    (tmp_path / ".provguard").mkdir()
    store = SqliteLedger(tmp_path / ".provguard" / "ledger.sqlite3")
    store.add_agent_edits([recorded(SNIPPET, "src/intervals.py")])
    store.close()
    done = check(tmp_path, "app", "tools")
    assert done.returncode == 0, done.stderr
    found = [line for line in done.stdout.splitlines() if line.startswith("app/calendar.py:")]
    assert found == [
        "app/calendar.py:9:9: warning ai-output-unmarked ai-agent code from claude-code is not marked; "
        "add a provenance marker so every tool can see it",
        "app/calendar.py:9:9: warning ai-output-unreviewed ai-agent code from claude-code has not been reviewed "
        "by a person",
    ]
    assert "tools/copy.py" not in done.stdout
