"""Which gitignored files a shell call's snapshot compares: git is asked only for the folders the protected
globs can reach (pathspecs from the globs), and the answer must be exactly what listing every ignored file and
matching each against the globs gives, for every shape a glob can take."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from provguard.policy.paths import git_pathspecs
from provguard.provenance.shell_writes import Protected, snapshot

FILES = (
    "data/train/a.jsonl", "data/train/deep/b.jsonl", "data/eval/c.txt", "data", "src/data/d.py",
    "build/out.jsonl", "build/x/data/e.bin", "notes.jsonl", "sub/notes.jsonl", "sub/data/f.csv",
    "odd [1]/data/g.jsonl", "odd [1]/h.jsonl", "star*dir/i.jsonl", "q/j.jsonl1", "k.JSONL", "datax/l.txt",
)
IGNORED = "data/\n*.jsonl\nbuild/\nsub/\nodd*/\nstar*/\nq/\n*.JSONL\ndatax/\n"


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("repo")
    git(root, "init", "-q")
    (root / ".gitignore").write_text(IGNORED)
    for rel in FILES:
        path = root / rel
        if rel == "data":
            continue  # a folder of that name exists; the name also stands for a file elsewhere
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(rel)
    (root / "src" / "data").mkdir(exist_ok=True)
    return root


def every_ignored(root: Path, protected: Protected) -> frozenset[str]:
    """The oracle: every ignored file git knows below `root`, matched one by one."""
    top = git(root, "rev-parse", "--show-toplevel").strip()
    below = os.path.relpath(root, top)
    listed = git(root, "ls-files", "-z", "--full-name", "--others", "--ignored", "--exclude-standard", "--", ".")
    return frozenset(rel for rel in listed.split("\0") if rel and (below == "." or rel.startswith(below + "/"))
                     and protected.matches(os.path.join(top, rel)))


@pytest.mark.parametrize("include", [
    ("data/**",), ("/data/train/",), ("./data/train/**",), ("data",), ("data/",), ("*.jsonl",), ("**/*.jsonl",),
    ("data/**/b.jsonl",), ("[!x]*/notes.jsonl",), ("q/j.jsonl?",), ("*.[jJ][sS][oO][nN][lL]",), ("odd ?1?/**",),
    ("odd [[]1]/**",),
    ("star*dir/*",), ("*.csv", "train/**"), ("**",), ("**/deep/**",),
])
def test_the_ignored_files_found_are_those_every_file_matched_against_the_globs_gives(
        repo: Path, include: tuple[str, ...]) -> None:
    protected = Protected(str(repo), ((include, ()),))

    found = snapshot(repo, protected).ignored

    assert found == every_ignored(repo, protected)
    assert found  # each shape protects some ignored file here: a pathspec that finds nothing cannot pass


def test_excludes_and_a_project_below_the_top_folder_are_honoured(repo: Path) -> None:
    project = repo / "odd [1]"
    protected = Protected(str(project), ((("**/*.jsonl",), ("h.jsonl",)),))

    found = snapshot(project, protected).ignored

    assert found == every_ignored(project, protected) == {"odd [1]/data/g.jsonl"}


def test_a_rule_protecting_everything_or_a_glob_git_reads_otherwise_lists_every_ignored_file(repo: Path) -> None:
    assert Protected(str(repo), (((), ()),)).pathspecs(str(repo)) is None
    assert git_pathspecs("data\\[1\\]") is None
    protected = Protected(str(repo), ((("build/**",), ()), ((), ("*.bin",))))
    assert snapshot(repo, protected).ignored == every_ignored(repo, protected)


def test_pathspecs_are_anchored_at_the_project_root_with_its_name_taken_literally() -> None:
    assert git_pathspecs("data/train/**", "odd [1]") == (":(top,glob)odd \\[1]/data/train/**",
                                                         ":(top,glob)odd \\[1]/data/train/**/**")
    assert git_pathspecs("*.jsonl") == (":(top,glob)**/*.jsonl", ":(top,glob)**/*.jsonl/**")
    assert git_pathspecs("/out/") == (":(top,glob)out/**",)


def test_git_is_asked_only_for_the_folders_the_globs_reach(repo: Path, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    trace = tmp_path / "git.trace"
    monkeypatch.setenv("GIT_TRACE", str(trace))

    snapshot(repo, Protected(str(repo), ((("data/train/**",), ()),)))

    listing = [line for line in trace.read_text().splitlines() if "ls-files" in line and "--ignored" in line]
    assert listing and all(":(top,glob)data/train/**" in line and " . " not in line for line in listing), listing
