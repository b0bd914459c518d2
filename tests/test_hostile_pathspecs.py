"""A pack's globs reach git as pathspecs (a shell call's snapshot lists the gitignored files under the paths
agents may not write). RE2 matches any glob in linear time, but git's wildmatch backtracks on every star: a
glob with many of them, loaded without complaint, made git spend its whole timeout on a folder of long names,
so each shell call paid the timeout and the protected ignored files went uncompared. Pathspecs are widened to a
few stars instead; the files found must still be exactly those every ignored file matched against the globs
gives."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from provguard.policy.paths import git_pathspecs
from provguard.provenance.shell_writes import Protected, snapshot

LONG = "a" * 200
"""A name a backtracking matcher chews on for each star before it fails."""
HOSTILE = {
    "stars in one name": "*a*a*a*a*a*a*a*a*a*a*a*a*b",
    "stars across folders": "**/a*/**/a*/**/a*/**/a*/**/a*/**/a*/**/b",
    "anchored under a folder": "data/*a*a*a*a*a*a*a*a*a*a*b",
}


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Ignored files (folders are not, so git lists the files one by one): hundreds of long names, some deep
    in folders, and one name the globs match."""
    root = tmp_path_factory.mktemp("repo")
    git(root, "init", "-q")
    (root / ".gitignore").write_text("*\n!*/\n")
    deep = root / "data" / "/".join([LONG[:40]] * 12)
    deep.mkdir(parents=True)
    for folder in (root / "data", deep):
        for i in range(150):
            (folder / f"{LONG}{i}").write_text("row")
    (root / "data" / f"{LONG}b").write_text("the protected one")
    (deep / "b").write_text("the protected one")
    return root


def every_ignored(root: Path, protected: Protected) -> frozenset[str]:
    """The oracle: every ignored file, listed without pathspecs and matched one by one in RE2."""
    listed = git(root, "ls-files", "-z", "--full-name", "--others", "--ignored", "--exclude-standard", "--", ".")
    return frozenset(rel for rel in listed.split("\0") if rel and protected.matches(os.path.join(root, rel)))


@pytest.mark.parametrize("glob", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_glob_of_many_stars_still_finds_exactly_the_protected_ignored_files(repo: Path, glob: str) -> None:
    protected = Protected(str(repo), (((glob,), ()),))

    taken = snapshot(repo, protected)

    assert taken.ignored == every_ignored(repo, protected)
    assert taken.ignored, "the glob protects a file here: a listing that found nothing cannot pass"
    assert not [note for note in taken.notes if "not compared" in note], taken.notes


@pytest.mark.parametrize("glob", HOSTILE.values(), ids=HOSTILE.keys())
def test_the_pathspecs_given_to_git_hold_few_stars(glob: str) -> None:
    for spec in git_pathspecs(glob) or ():
        assert len(re.findall(r"\*+", spec.removeprefix(":(top,glob)").removesuffix("/**"))) <= 3, spec


def test_a_glob_of_few_stars_is_given_to_git_as_written() -> None:
    assert git_pathspecs("data/**/*.jsonl") == (":(top,glob)data/**/*.jsonl", ":(top,glob)data/**/*.jsonl/**")
