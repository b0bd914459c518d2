"""Which gitignored files a shell call's snapshot compares: git is asked only for the folders the protected
globs can reach (pathspecs from the globs), never walks a large ignored tree a glob reaches only in part, and the
answer must be exactly what listing every ignored file and matching each against the globs gives, for every
shape a glob can take (short of the walk's bound, which a note reports)."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from provguard.policy.paths import ALL, NOTHING, SOME, git_pathspecs, glob_reach
from provguard.provenance import shell_ignored
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


@pytest.mark.parametrize(("glob", "folder", "reach"), [
    ("data/**", "data", ALL), ("data/", "data", ALL), ("data", "src/data", ALL), ("*.jsonl", "rows.jsonl", ALL),
    ("data/train/**", "data", SOME), ("**/*.jsonl", "node_modules/pkg", SOME), ("x/**/y", "x/a/b", SOME),
    ("data/**", "src", NOTHING), ("/out/", "src/out", NOTHING), ("data/train/**", "data/eval", NOTHING),
])
def test_what_a_glob_can_match_below_a_folder_decides_whether_it_is_walked(glob: str, folder: str,
                                                                          reach: int) -> None:
    """ALL: every path below (the glob matches the folder); SOME: a path below may match; NOTHING: none can."""
    assert glob_reach(glob, folder) == reach


def test_git_is_asked_only_for_the_folders_the_globs_reach(repo: Path, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    trace = tmp_path / "git.trace"
    monkeypatch.setenv("GIT_TRACE", str(trace))

    snapshot(repo, Protected(str(repo), ((("data/train/**",), ()),)))

    listing = [line for line in trace.read_text().splitlines() if "ls-files" in line and "--ignored" in line]
    assert listing and all("data/train/" in line and " . " not in line for line in listing), listing


TREE_FILES = 1200
"""Files in each large ignored tree: past what git's walk of them would be worth, within a test's time."""


@pytest.fixture(scope="module")
def big_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project with large ignored trees beside its ignored training data: build output (`build/`, holding a
    dataset file), node_modules and a virtual environment (each holding one too)."""
    root = tmp_path_factory.mktemp("big")
    git(root, "init", "-q")
    (root / ".gitignore").write_text("build/\nnode_modules/\nenv/\ndata/\n")
    for tree in ("build", "node_modules", "env"):
        for index in range(TREE_FILES):
            folder = root / tree / f"pkg{index // 40}" / "lib"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"m{index}.js").write_text("x")
        (root / tree / "pkg7" / "fixture.jsonl").write_text("{}")
    (root / "env" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (root / "data" / "train").mkdir(parents=True)
    for name in ("a.jsonl", "b.jsonl", "notes.txt"):
        (root / "data" / "train" / name).write_text(name)
    return root


PROTECTED_FILES = {"data/train/a.jsonl", "data/train/b.jsonl", "data/train/notes.txt", "build/pkg7/fixture.jsonl"}
"""What a snapshot of `big_repo` compares under `**/*.jsonl` and `data/**`: node_modules and the virtual
environment are left out as everywhere in provguard."""


def paths_git_visited(trace: Path) -> int:
    """The paths git's directory walks read, from its trace2 events (read_directory statistics)."""
    events = [json.loads(line) for line in trace.read_text().splitlines()]
    counts = [int(e["value"]) for e in events if e.get("category") == "read_directory" and e.get("key") ==
              "paths-visited"]
    assert counts, "git reported no directory walk"
    return sum(counts)


def counting_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every folder entry provguard's own walk reads, from now on."""
    read: list[str] = []
    scandir = os.scandir

    def counted(found: Iterator[os.DirEntry[str]]) -> Iterator[os.DirEntry[str]]:
        for entry in found:
            read.append(entry.path)
            yield entry

    @contextlib.contextmanager
    def counting(path: str) -> Iterator[Iterator[os.DirEntry[str]]]:
        with scandir(path) as found:
            yield counted(found)

    monkeypatch.setattr(shell_ignored.os, "scandir", counting)
    return read


def test_git_does_not_walk_a_large_ignored_tree_a_glob_reaches_only_in_part(
        big_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    trace = tmp_path / "trace2.json"
    monkeypatch.setenv("GIT_TRACE2_EVENT", str(trace))
    read = counting_reads(monkeypatch)
    protected = Protected(str(big_repo), ((("**/*.jsonl", "data/**"), ()),))

    taken = snapshot(big_repo, protected)
    visited = paths_git_visited(trace)
    monkeypatch.delenv("GIT_TRACE2_EVENT")

    assert visited < 100  # each ignored tree is named once, not listed file by file (the oracle's walk: 3,600+)
    assert taken.ignored == PROTECTED_FILES == {rel for rel in every_ignored(big_repo, protected)
                                                if not rel.startswith(("node_modules/", "env/"))}
    assert not any("/node_modules/" in path or "/env/" in path for path in read)  # never walked
    assert len(read) <= TREE_FILES + 100  # build/ and its folders, once
    assert not taken.notes


def test_a_walk_past_its_bound_stops_and_says_which_folders_were_left(
        big_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shell_ignored, "MAX_WALK", 100)
    read = counting_reads(monkeypatch)
    protected = Protected(str(big_repo), ((("**/*.jsonl", "data/**"), ()),))

    taken = snapshot(big_repo, protected)

    assert len(read) <= 101
    assert {"data/train/a.jsonl", "data/train/b.jsonl", "data/train/notes.txt"} <= taken.ignored  # listed by git
    assert taken.ignored <= PROTECTED_FILES
    assert any("over 100 entries" in note and "build/" in note for note in taken.notes), taken.notes


def test_a_left_out_tree_a_glob_covers_whole_is_still_compared(big_repo: Path) -> None:
    """node_modules is walked for no glob that reaches it only in part, but one naming it is the project's word."""
    protected = Protected(str(big_repo), ((("node_modules/pkg7/**",), ()),))

    assert snapshot(big_repo, protected).ignored == every_ignored(big_repo, protected) == {
        f"node_modules/pkg7/lib/m{index}.js" for index in range(280, 320)} | {"node_modules/pkg7/fixture.jsonl"}
