"""File names a cloned repository may hold: bytes that are not UTF-8, a line break, a leading `-`.

Python gives a name that is not UTF-8 as a str with lone surrogates; the ignore rules' matcher (pathspec on
RE2) takes UTF-8 only, so one such file anywhere in a tree ended `check` with a traceback. A name with a line
break must not become a line of its own in a report a CI log reads, where `::error ...` at the start of a line
is a GitHub Actions workflow command. A name starting with `-` is a file, never an option to git.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from git_support import Repo

AI_FILE = "# provguard: kind=ai-agent tool=claude-code vendor=anthropic\ndef generated():\n    return 1\n"
HANG = 60


def check(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "provguard", "check", *args, "."], cwd=root, capture_output=True,
                          text=True, errors="backslashreplace", timeout=HANG, check=False)


def project(root: Path) -> Path:
    (root / ".git").mkdir(parents=True)
    return root


@pytest.mark.skipif(sys.platform == "darwin", reason="APFS refuses names that are not UTF-8")
@pytest.mark.parametrize("ignores", [None, "*.log\n!keep.log\nbuild/\n"], ids=["default excludes", "a .gitignore"])
def test_a_file_name_that_is_not_utf8_is_checked_like_any_other(tmp_path: Path, ignores: str | None) -> None:
    root = project(tmp_path / "repo")
    if ignores is not None:
        (root / ".gitignore").write_text(ignores, encoding="utf-8")
    with open(os.path.join(os.fsencode(root), b"caf\xe9.py"), "w", encoding="utf-8") as file:
        file.write(AI_FILE)

    done = check(root)

    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 0, done.stderr
    assert "caf\\xe9.py:1:1: warning ai-output-unreviewed" in done.stdout, done.stdout  # the name's own bytes


def test_a_file_name_holding_a_line_break_stays_on_its_report_line(tmp_path: Path) -> None:
    root = project(tmp_path / "repo")
    (root / "a\n::error file=ci.yml,line=1::forged\nb.py").write_text(AI_FILE, encoding="utf-8")

    for report in ("text", "github", "gitlab", "json", "sarif"):
        done = check(root, "--format", report)

        assert "Traceback" not in done.stderr, done.stderr
        assert "ai-output-unreviewed" in done.stdout, report
        assert not [line for line in done.stdout.splitlines() if line.startswith("::error file=ci.yml")], report


def test_a_file_name_starting_with_a_dash_is_judged_with_its_history_never_taken_for_an_option(
        tmp_path: Path) -> None:
    repo = Repo(tmp_path / "repo")
    repo.commit({"--output=stolen.py": AI_FILE, "-rf.py": AI_FILE}, "Files whose names look like options")

    done = check(repo.root)

    assert "Traceback" not in done.stderr, done.stderr
    assert done.stdout.count("ai-output-unreviewed") == 2, done.stdout
    assert not (repo.root / "stolen.py").exists()
    assert "git" not in done.stderr, done.stderr
