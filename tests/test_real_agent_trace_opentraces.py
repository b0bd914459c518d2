"""`provguard import agent-trace` on the flat lines opentraces' Claude Code hook really appended to a project's
`.agent-trace/traces.jsonl` (tests/fixtures/agent-trace/opentraces/SOURCE.md): each is the AI range it names,
found in the working tree by its `murmur3:` hash, and a line about a file outside the repository is skipped."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from git_support import Repo
from provguard.ledger.sqlite import SqliteLedger
from provguard.provenance.origin import Evidence

REAL = Path(__file__).parent / "fixtures" / "agent-trace" / "opentraces"
SESSION = "1cef1b2f-5b04-4f15-8ddc-0b99eccd21c7"


def project(root: Path) -> Repo:
    """The project as committed right after the session's edits, and the trace file naming it by its path."""
    shutil.copytree(REAL / "project", root)
    repo = Repo(root)
    repo.git("add", ".")
    repo.git("commit", "-q", "-m", "build script")
    traces = root / ".agent-trace" / "traces.jsonl"
    traces.parent.mkdir()
    traces.write_text((REAL / "traces.jsonl").read_text(encoding="utf-8").replace("@ROOT@", str(root)),
                      encoding="utf-8")
    return repo


def import_agent_trace(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "provguard", "import", "agent-trace", "--store-text", "--root",
                           "."], capture_output=True, text=True, timeout=120, check=False, cwd=root)


def lines_of(path: Path, first: int, last: int) -> str:
    return "".join(path.read_text(encoding="utf-8").splitlines(keepends=True)[first - 1:last])


def test_opentraces_lines_are_recorded_as_claude_code_edits_of_the_lines_their_hash_names(tmp_path: Path) -> None:
    root = tmp_path / "lazyusage"
    project(root)

    done = import_agent_trace(root)

    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "agent-trace: 1 of 1 trace file read (4 lines, 4 records); 2 AI ranges: 2 new edits recorded (0 already "
        "known); 0 ranges not AI; 2 ranges read from the working tree (no git revision in the record); 2 entries "
        "outside the repository skipped; 0 problems"]
    ledger = SqliteLedger(root / ".provguard" / "ledger.sqlite3")
    found = sorted((e.path, e.tool, e.session_id, e.evidence, e.lines, e.text) for e in ledger.agent_edits())
    ledger.close()
    build = root / "scripts" / "build.ts"
    assert found == sorted([
        ("scripts/build.ts", "claude-code", SESSION, Evidence.AGENT_TRACE, 1, lines_of(build, 2, 2)),
        ("scripts/build.ts", "claude-code", SESSION, Evidence.AGENT_TRACE, 7, lines_of(build, 70, 76)),
    ])


def test_a_file_changed_since_the_hook_ran_is_not_read_at_the_old_line_numbers(tmp_path: Path) -> None:
    root = tmp_path / "lazyusage"
    project(root)
    build = root / "scripts" / "build.ts"
    build.write_text("// a line a person added at the top\n" + build.read_text(encoding="utf-8"), encoding="utf-8")

    done = import_agent_trace(root)

    assert done.returncode == 0, done.stderr
    assert "0 new edits recorded" in done.stdout and "2 problems" in done.stdout
    assert done.stdout.splitlines()[1:] == [
        "  skipped .agent-trace/traces.jsonl:2: files[0].conversations[0].ranges[0]: content_hash does not match "
        "lines 2-2 of scripts/build.ts",
        "  skipped .agent-trace/traces.jsonl:3: files[0].conversations[0].ranges[0]: content_hash does not match "
        "lines 70-76 of scripts/build.ts",
    ]


def test_a_line_opentraces_could_not_place_is_said_and_not_recorded(tmp_path: Path) -> None:
    root = tmp_path / "lazyusage"
    project(root)
    traces = root / ".agent-trace" / "traces.jsonl"
    traces.write_text(traces.read_text(encoding="utf-8").replace('"confidence": "high", "tool": "Edit", '
                                                                 '"tool_use_id": "toolu_01L5',
                                                                 '"confidence": "low", "tool": "Edit", '
                                                                 '"tool_use_id": "toolu_01L5'), encoding="utf-8")

    done = import_agent_trace(root)

    assert "1 new edits recorded" in done.stdout
    assert f"skipped .agent-trace/traces.jsonl:2: opentraces line: {root}/scripts/build.ts was written but " \
        "opentraces did not find where (confidence low): skipped" in done.stdout
