"""`provguard check --fix / --unsafe-fixes / --diff`: fixes written to the checked files, as ruff does it."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from git_support import CLAUDE_FOOTER, Repo
from provguard.fix_apply import write_fixed
from test_cli import REPO, write
from test_hooks import hook
from transcript_support import payload

INCOMPLETE = "# provguard: kind=ai-agent tool=claude-code\ndef f():\n    return 1\n"
"""A marker without its vendor (safe fix: complete it) on unreviewed code (unsafe fix: mark it reviewed)."""
UNUSED = "# provguard: allow[ai-output-unreviewed] reason: vendored\nx = 1\n"
"""A suppression that suppresses nothing (safe fix: remove it)."""


def provguard(cwd: Path, *args: str, reviewer: str | None = "rita@example.com",
              git: bool = False) -> subprocess.CompletedProcess[str]:
    """The CLI as a person runs it, with no git user configured (and without git history unless asked)."""
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CEILING_DIRECTORIES":
           str(cwd.parent), "PYTHONIOENCODING": "utf-8",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO / "server"), os.environ.get("PYTHONPATH")]))}
    flags = ["--reviewer", reviewer] if reviewer else []
    flags += [] if git else ["--no-git"]
    return subprocess.run([sys.executable, "-m", "provguard", "check", *flags, *args], cwd=cwd, env=env,
                          capture_output=True, text=True, encoding="utf-8", timeout=120, check=False)


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file but provguard's own (its cache)."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".provguard" not in p.parts}


def project(root: Path, files: dict[str, str | bytes]) -> None:
    """A project (its root marked by a provguard.toml) with these files."""
    write(root, {"provguard.toml": "", **files})


def test_fix_applies_the_safe_fixes_reports_what_remains_and_a_second_run_changes_nothing(tmp_path: Path) -> None:
    project(tmp_path, {"src/a.py": INCOMPLETE + "\n\n" + UNUSED,
                     "src/b.py": "y = 2  # provguard: allow[ai-output-unreviewed] reason: vendored\n"})

    done = provguard(tmp_path, "--fix", "--format", "json", "src")

    assert (tmp_path / "src/a.py").read_text() == (
        "# provguard: kind=ai-agent tool=claude-code vendor=anthropic\ndef f():\n    return 1\n\n\nx = 1\n")
    assert (tmp_path / "src/b.py").read_text() == "y = 2\n"
    remaining = [(f["path"], f["rule"]) for f in json.loads(done.stdout)["findings"]]
    assert remaining == [("src/a.py", "ai-output-unreviewed")]
    assert "Fixed 3 findings (1 remain; 1 more with --unsafe-fixes)" in done.stderr
    assert done.returncode == 0  # only a warning remains
    before = snapshot(tmp_path)
    again = provguard(tmp_path, "--fix", "src")
    assert snapshot(tmp_path) == before
    assert "Fixed 0 findings (1 remain" in again.stderr


def test_unsafe_fixes_are_applied_only_with_unsafe_fixes(tmp_path: Path) -> None:
    stripped = "x = 1\n# provguard: begin kind=ai-agent tool=codex vendor=openai\ny = 2\n# provguard: end\nz = 3\n"
    project(tmp_path, {"src/a.py": INCOMPLETE, "data/train/t.py": stripped})

    safe = provguard(tmp_path, "--fix", ".")

    assert (tmp_path / "data/train/t.py").read_text() == stripped
    assert (tmp_path / "src/a.py").read_text().splitlines()[0].endswith("vendor=anthropic")
    assert safe.returncode == 1 and "rival-ai-output-in-training-data" in safe.stdout
    unsafe = provguard(tmp_path, "--fix", "--unsafe-fixes", ".")
    assert (tmp_path / "data/train/t.py").read_text() == "x = 1\nz = 3\n"
    assert (tmp_path / "src/a.py").read_text().splitlines()[0] == (
        "# provguard: kind=ai-agent tool=claude-code vendor=anthropic reviewed-by=rita@example.com")
    assert unsafe.returncode == 0 and "(0 remain)" in unsafe.stderr


def test_without_a_reviewer_unsafe_fixes_neither_invent_one_nor_fall_back_to_removing_the_code(
        tmp_path: Path) -> None:
    project(tmp_path, {"src/a.py": INCOMPLETE.replace("claude-code", "claude-code vendor=anthropic")})
    before = snapshot(tmp_path)

    done = provguard(tmp_path, "--fix", "--unsafe-fixes", "src", reviewer=None)

    assert snapshot(tmp_path) == before  # mark-reviewed needs a name; strip, its rule's second fix, is not taken
    assert "no reviewer known" in done.stderr and "(1 remain)" in done.stderr


def test_diff_prints_what_fix_would_change_and_writes_nothing(tmp_path: Path) -> None:
    project(tmp_path, {"src/a.py": INCOMPLETE, "src/clean.py": "z = 3\n"})
    before = snapshot(tmp_path)

    done = provguard(tmp_path, "--diff", "src")

    assert snapshot(tmp_path) == before
    assert done.stdout == ("--- src/a.py\n+++ src/a.py\n@@ -1,3 +1,3 @@\n"
                           "-# provguard: kind=ai-agent tool=claude-code\n"
                           "+# provguard: kind=ai-agent tool=claude-code vendor=anthropic\n"
                           " def f():\n     return 1\n")
    assert done.returncode == 1 and "Would fix 1 finding" in done.stderr
    provguard(tmp_path, "--fix", "src")
    nothing = provguard(tmp_path, "--diff", "src")
    assert (nothing.returncode, nothing.stdout) == (0, "")


def test_overlapping_fixes_in_one_file_are_all_applied_over_passes(tmp_path: Path) -> None:
    # complete-marker and mark-reviewed insert at the same place; a suppression names two unused rules
    project(tmp_path, {"src/a.py": INCOMPLETE + "\n\n# provguard: allow[ai-output-unreviewed, ai-output-unmarked] "
                                              "reason: old\nx = 1\n"})

    preview = provguard(tmp_path, "--diff", "--unsafe-fixes", "src")
    assert "Would fix 2 findings (2 more overlap them: --fix applies those in a further pass)" in preview.stderr

    done = provguard(tmp_path, "--fix", "--unsafe-fixes", "src")

    assert (tmp_path / "src/a.py").read_text() == (
        "# provguard: kind=ai-agent tool=claude-code vendor=anthropic reviewed-by=rita@example.com\n"
        "def f():\n    return 1\n\n\nx = 1\n")
    assert done.returncode == 0 and "(0 remain)" in done.stderr
    before = snapshot(tmp_path)
    provguard(tmp_path, "--fix", "--unsafe-fixes", "src")
    assert snapshot(tmp_path) == before


def test_crlf_and_any_bytes_outside_the_edits_are_kept_byte_for_byte(tmp_path: Path) -> None:
    head = "# café ☕ naïve\r\n".encode()
    marker = b"# provguard: kind=ai-agent tool=claude-code"
    rest = "\r\ndef f():\r\n    return 'Ω😀'  # latin-1: \\xe9\r\n".encode().replace(b"\\xe9", b"\xe9")
    suppression = b"\r\n\r\n# provguard: allow[ai-output-unreviewed] reason: \xc3\xa9t\xc3\xa9\r\nx = '\xc3\xa9'\r\n"
    original = head + marker + rest + suppression
    project(tmp_path, {"src/a.py": original})

    provguard(tmp_path, "--fix", "src")

    expected = head + marker + b" vendor=anthropic" + rest + b"\r\n\r\nx = '\xc3\xa9'\r\n"
    assert (tmp_path / "src/a.py").read_bytes() == expected


def test_a_read_only_file_is_reported_and_left_alone(tmp_path: Path) -> None:
    project(tmp_path, {"src/locked.py": INCOMPLETE, "src/open.py": INCOMPLETE})
    locked = tmp_path / "src/locked.py"
    locked.chmod(0o444)

    done = provguard(tmp_path, "--fix", "src")

    assert locked.read_text() == INCOMPLETE and stat.S_IMODE(locked.stat().st_mode) == 0o444
    assert "src/locked.py: not fixed: the file is read-only" in done.stderr
    assert "vendor=anthropic" in (tmp_path / "src/open.py").read_text()
    assert done.returncode == 0 and "Traceback" not in done.stderr
    assert sorted(p.name for p in (tmp_path / "src").iterdir()) == ["locked.py", "open.py"]  # no temporary left


def test_a_fixed_file_keeps_its_mode_and_a_link_stays_a_link_to_the_file_it_names(tmp_path: Path) -> None:
    project(tmp_path, {"lib/real.py": INCOMPLETE})
    real = tmp_path / "lib/real.py"
    real.chmod(0o640)
    (tmp_path / "src").mkdir()
    (tmp_path / "src/link.py").symlink_to("../lib/real.py")

    provguard(tmp_path, "--fix", "src/link.py")

    assert (tmp_path / "src/link.py").is_symlink() and "vendor=anthropic" in real.read_text()
    assert stat.S_IMODE(real.stat().st_mode) == 0o640


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a file to someone else")
def test_a_file_fixed_by_root_stays_its_owners(tmp_path: Path) -> None:
    project(tmp_path, {"src/a.py": INCOMPLETE})
    os.chown(tmp_path / "src/a.py", 4321, 4321)

    provguard(tmp_path, "--fix", "src")

    fixed = (tmp_path / "src/a.py").stat()
    assert "vendor=anthropic" in (tmp_path / "src/a.py").read_text() and (fixed.st_uid, fixed.st_gid) == (4321, 4321)


def test_a_file_changed_since_it_was_checked_is_not_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "a.py"
    path.write_bytes(b"x = 2\n")  # what a person saved after the check read b"x = 1\n"

    problem = write_fixed(path, b"x = 1\n", b"x = 1  # fixed\n")

    assert problem is not None and "changed on disk since it was checked" in problem
    assert path.read_bytes() == b"x = 2\n" and [p.name for p in tmp_path.iterdir()] == ["a.py"]


def test_json_output_says_how_each_fix_may_be_applied(tmp_path: Path) -> None:
    project(tmp_path, {"src/a.py": INCOMPLETE + "\n\n" + UNUSED})

    done = provguard(tmp_path, "--format", "json", "src")

    fixes = {(f["rule"], fix["kind"], fix["applicability"], fix["safe"])
             for f in json.loads(done.stdout)["findings"] for fix in f["fixes"]}
    assert fixes == {("marker-incomplete", "complete-marker", "safe", True),
                     ("suppression-unused", "remove-suppression", "safe", True),
                     ("ai-output-unreviewed", "mark-reviewed", "unsafe", False),
                     ("ai-output-unreviewed", "strip", "unsafe", False),
                     ("ai-output-unreviewed", "suppress", "display-only", False)}


def test_unsafe_fixes_alone_is_a_usage_error(tmp_path: Path) -> None:
    project(tmp_path, {"src/a.py": INCOMPLETE})

    done = provguard(tmp_path, "--unsafe-fixes", "src")

    assert done.returncode == 2 and "--unsafe-fixes goes with --fix or --diff" in done.stderr


def test_code_an_agent_hook_recorded_is_marked_once(tmp_path: Path) -> None:
    project = tmp_path / "shop"
    (project / ".git").mkdir(parents=True)
    data = payload("cursor-after-tab-file-edit.json", project)
    completion = json.loads(data)["edits"][0]["new_string"]
    assert hook("cursor", data).returncode == 0
    write(project, {"src/coupon.py": f"def coupon(code):\n{completion}    return normalised\n"})

    done = provguard(project, "--fix", "src")

    text = (project / "src/coupon.py").read_text()
    assert text.count("provguard: begin kind=ai-completion tool=cursor-tab") == 1, (text, done.stderr)
    before = snapshot(project / "src")
    provguard(project, "--fix", "src")
    assert snapshot(project / "src") == before


def test_marking_code_from_a_commit_that_names_an_ai_tool_is_unsafe_a_guess_stated_as_fact(tmp_path: Path) -> None:
    repo = Repo(tmp_path / "repo")
    repo.commit({"data/train/prep.py": "def prep(rows):\n    return rows\n"}, f"Add prep\n\n{CLAUDE_FOOTER}")
    before = snapshot(repo.root)

    safe = provguard(repo.root, "--fix", "data", git=True)

    assert snapshot(repo.root) == before and "rival-ai-commit-in-training-data" in safe.stdout
    unsafe = provguard(repo.root, "--fix", "--unsafe-fixes", "data", git=True)
    marked = (repo.root / "data/train/prep.py").read_text()
    assert marked.startswith("# provguard: begin kind=ai-agent tool=claude-code") and "return rows" in marked
    # now marked, it is AI output in training data: reported for a person to see, not removed in the same run
    assert "rival-ai-output-in-training-data" in unsafe.stdout


@pytest.mark.parametrize("flag", ["--fix", "--diff"])
def test_fix_and_diff_on_a_clean_tree_change_nothing(tmp_path: Path, flag: str) -> None:
    project(tmp_path, {"src/a.py": "x = 1\n"})

    done = provguard(tmp_path, flag, "src")

    assert done.returncode == 0 and (tmp_path / "src/a.py").read_text() == "x = 1\n"
