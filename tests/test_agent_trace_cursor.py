"""Agent Trace records as Cursor writes them: `vcs.revision` is the commit before the edit, `content_hash` is
`sha256:` and 16 hex digits, and shell commands are traced under a `.shell-history` pseudo-file. Run through
`provguard import agent-trace` as a user runs it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from git_support import Repo
from provguard.ledger.sqlite import SqliteLedger
from provguard.provenance.fingerprints import insertion_prints
from provguard.provenance.origin import Evidence

CURSOR = Path(__file__).parent / "fixtures" / "agent-trace" / "cursor"
TRANSCRIPT = ("file:///home/dana/.cursor/projects/home-dana-shop/agent-transcripts/3b1f6c2e-5d4a-4e8b-9c7f-"
              "1a2b3c4d5e6f/3b1f6c2e-5d4a-4e8b-9c7f-1a2b3c4d5e6f.jsonl")
EDITED = (CURSOR / "after" / "src" / "pricing.py").read_text(encoding="utf-8")
EDITED_LINES = "".join(EDITED.splitlines(keepends=True)[5:9])  # what the agent wrote: lines 6-9 after the edit


def cursor_project(root: Path) -> tuple[Repo, str]:
    """The project committed before the agent's edit, the edit in the working tree, and Cursor's records
    naming the commit before it."""
    shutil.copytree(CURSOR / "before", root)
    repo = Repo(root)
    repo.git("add", ".")
    repo.git("commit", "-q", "-m", "before")
    before = repo.git("rev-parse", "HEAD")
    shutil.copytree(CURSOR / "after", root, dirs_exist_ok=True)
    traces = root / ".agent-trace" / "traces.jsonl"
    traces.parent.mkdir()
    traces.write_text((CURSOR / "traces.jsonl").read_text(encoding="utf-8").replace("@BEFORE@", before),
                      encoding="utf-8")
    return repo, before


def import_agent_trace(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "provguard", "import", "agent-trace", "--root", str(root)],
                          capture_output=True, text=True, timeout=120, check=False)


def edits(root: Path) -> list[tuple[object, ...]]:
    return [(e.tool, e.path, e.lines, e.line_hashes, e.vendor, e.model, e.session_id, e.evidence, e.confidence)
            for e in SqliteLedger(root / ".provguard" / "ledger.sqlite3").agent_edits()]


def expected_edit(text: str) -> tuple[object, ...]:
    prints = insertion_prints(text, "src/pricing.py")
    return ("cursor", "src/pricing.py", 4, prints.line_hashes, "anthropic", "claude-sonnet-4-5", TRANSCRIPT,
            Evidence.AGENT_TRACE, 0.9)


def test_lines_not_committed_yet_are_found_in_the_working_tree_never_at_the_older_revision(tmp_path: Path) -> None:
    root = tmp_path / "shop"
    _, before = cursor_project(root)

    done = import_agent_trace(root)

    assert (done.returncode, done.stderr) == (0, "")
    traces = root / ".agent-trace" / "traces.jsonl"
    assert done.stdout.splitlines() == [
        "agent-trace: 1 of 1 trace file read (3 lines, 3 records); 1 AI range: 1 new edits recorded (0 already "
        "known); 0 ranges not AI; 1 range found after the record's revision (at a later commit or in the working "
        "tree); 1 pseudo-file entry skipped (.shell-history); 1 problem",
        f"  skipped {traces}:3: files[0].conversations[0].ranges[0]: content_hash does not match lines 1-3 of "
        f"src\\pricing.py at {before} or in the working tree: its text is not found"]
    assert edits(root) == [expected_edit(EDITED_LINES)]


def test_lines_committed_later_are_read_at_the_first_commit_where_they_match(tmp_path: Path) -> None:
    root = tmp_path / "shop"
    repo, _ = cursor_project(root)
    repo.git("commit", "-q", "-am", "the agent's edit")
    moved_on = "import math\n\n" + EDITED  # since then, lines 6-9 of the working tree are other lines
    repo.commit({"src/pricing.py": moved_on}, "imports")
    (root / "src" / "pricing.py").write_text(moved_on.replace("sum(items)", "math.fsum(items)"), encoding="utf-8")

    done = import_agent_trace(root)

    assert done.returncode == 0
    assert "; 1 range found after the record's revision" in done.stdout
    assert edits(root) == [expected_edit(EDITED_LINES)]


def test_a_record_whose_lines_are_nowhere_is_reported_once_and_recorded_nowhere(tmp_path: Path) -> None:
    root = tmp_path / "shop"
    repo, before = cursor_project(root)
    later = repo.commit({"src/pricing.py": EDITED.replace("discount", "rebate")}, "renamed")

    done = import_agent_trace(root)

    problems = [line for line in done.stdout.splitlines() if line.startswith("  skipped")]
    assert problems == [
        f"  skipped {root / '.agent-trace' / 'traces.jsonl'}:{n}: files[0].conversations[0].ranges[0]: content_hash "
        f"does not match lines {lines} of src\\pricing.py at {before}, at the later commit changing it, or in the "
        f"working tree: its text is not found" for n, lines in ((1, "6-9"), (3, "1-3"))]
    assert later not in done.stdout  # lines are not read, nor named, at a commit where they do not match
    assert edits(root) == []


def test_a_dot_named_file_that_is_in_the_repository_is_no_pseudo_file(tmp_path: Path) -> None:
    root = tmp_path / "shop"
    repo, before = cursor_project(root)
    repo.commit({".shell-history": "python -m pytest -q\n"}, "a real file of that name")

    done = import_agent_trace(root)

    assert "pseudo-file" not in done.stdout
    assert f"  skipped {root / '.agent-trace' / 'traces.jsonl'}:2: files[0].conversations[0].ranges[0]: cannot read " \
        f".shell-history at {before}: " in done.stdout  # a file's range without a hash is read at its revision only
