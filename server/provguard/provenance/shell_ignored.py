"""The gitignored files a shell call's snapshot compares: those under the paths the project's packs refuse to
agents (Protected), found without walking every ignored folder.

A glob such as `**/*.jsonl` can match anywhere, so its pathspec alone would make git list every file of every
ignored tree (node_modules, a virtual environment: 100k files, past git's timeout). git is therefore asked with
`--directory`, which names a wholly ignored folder (`node_modules/`) without descending into it. Each such folder
is then judged by what the globs can reach below it (paths.glob_reach): none, and it is skipped; every file (a
glob matches the folder itself, as `data/**` does `data/`), and git lists it whole in a second call, as before;
some (`**/*.jsonl` in `build/`), and it is walked here, folders no glob reaches pruned, at most `MAX_WALK`
entries in all (a note names the folders left unwalked). A folder provguard reads nowhere unless told
(`node_modules`, caches: ignores.DEFAULT_EXCLUDES) or a virtual environment is not walked for such a glob, as
`export` and `check` leave them out: a glob covering it whole still has git list it. The files found are matched
against the globs by the caller (Protected.matches): the listing may hold more, never less, than the walk reached.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from provguard.ignores import DEFAULT_EXCLUDES, VENV_MARKER
from provguard.policy.paths import ALL, NOTHING

if TYPE_CHECKING:
    from provguard.policy.paths import GlobSet

MAX_WALK = 20_000
"""Entries read in ignored folders that globs reach only in part (`**/*.jsonl` in `build/`): a hang guard."""
SHOWN = 3

Git = Callable[..., bytes]
"""shell_writes._git: runs git in a folder with the arguments, returns its output (raises NoGit)."""

_COMMON = ("ls-files", "-z", "--full-name", "--others", "--ignored", "--exclude-standard")
_ANCHOR = ":(top,literal).provguard"
"""A pathspec at git's top: with it the pathspecs share no folder prefix, which `--directory` needs (git 2.39
fails with 'directory entry not superset of prefix' when an ignored folder is shorter than that prefix). Its
files are provguard's own, excluded by the caller's `:(exclude)` and never matched by a glob under a project."""


@dataclass(frozen=True)
class Protected:
    """The paths the project's packs refuse to agents (each rule's include and exclude globs, relative to the
    project root `root`): ignored files there are snapshotted too."""

    root: str
    globs: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]

    @cached_property
    def _sets(self) -> tuple[GlobSet, ...]:
        from provguard.policy.paths import GlobSet

        return tuple(GlobSet(include, exclude) for include, exclude in self.globs)

    def pathspecs(self, top: str) -> tuple[str, ...] | None:
        """git pathspecs reaching at least every protected path (relative to git's `top`), so listing ignored
        files walks only where they can be; None when some rule protects everything or a glob cannot be said."""
        from provguard.policy.paths import git_pathspecs

        base = os.path.relpath(self.root, top)
        if base == ".." or base.startswith(".." + os.sep):
            return None
        specs: list[str] = []
        for include, _exclude in self.globs:  # excludes only narrow: the listing is filtered by matches() after
            if not include:
                return None
            for glob in include:
                found = git_pathspecs(glob, "" if base == "." else base.replace(os.sep, "/"))
                if found is None:
                    return None
                specs += found
        return tuple(dict.fromkeys(specs))

    def reach(self, folder: str) -> int:
        """paths.NOTHING, SOME or ALL: which files below the absolute `folder` the globs can match."""
        from provguard.policy.paths import ALL, NOTHING, SOME, glob_reach

        relative = os.path.relpath(folder, self.root)
        if relative == ".." or relative.startswith(".." + os.sep):
            inside = os.path.relpath(self.root, folder)
            return NOTHING if inside == ".." or inside.startswith(".." + os.sep) else SOME
        relative = "" if relative == "." else relative.replace(os.sep, "/")
        found = NOTHING
        for include, _exclude in self.globs:  # excludes only narrow: the files are filtered by matches() after
            for reach in ((ALL,) if not include else (glob_reach(glob, relative) for glob in include)):
                found = max(found, reach)
                if found == ALL:
                    return ALL
        return found

    def matches(self, path: str) -> bool:
        relative = os.path.relpath(path, self.root)
        if relative.startswith(".." + os.sep) or relative == "..":
            return False
        return self.matches_relative(relative)

    def matches_relative(self, relative: str) -> bool:
        """`matches` for a path already relative to the root (thousands of listed files: no relpath each)."""
        return any(globs.matches(relative) for globs in self._sets)

    def below_top(self, top: str) -> str | None:
        """The root relative to git's top folder (`/`-separated, "" at the top); None when not below it."""
        base = os.path.relpath(self.root, top)
        if base == ".." or base.startswith(".." + os.sep):
            return None
        return "" if base == "." else base.replace(os.sep, "/")


def listing(root: Path, top: str, protected: Protected, git: Git) -> tuple[list[str], list[str]]:
    """The ignored files below `root` that the globs may match (relative to `top`, unsorted), and notes."""
    specs = protected.pathspecs(top) or (".",)
    exclude = ":(exclude).provguard"
    named = [os.fsdecode(item) for item in git(root, *_COMMON, "--directory", "--", *specs, _ANCHOR, exclude)
             .split(b"\0") if item]
    files = [rel for rel in named if not rel.endswith("/")]
    whole: list[str] = []
    partly: deque[str] = deque()
    for rel in named:
        if rel.endswith("/"):
            _sort(protected, top, rel.rstrip("/"), whole, partly)
    notes = _walk(protected, top, partly, whole, files)
    if whole:
        listed = git(root, *_COMMON, "--", *(f":(top,literal){folder}/" for folder in whole), exclude)
        files += (os.fsdecode(item) for item in listed.split(b"\0") if item)
    return files, notes


def _sort(protected: Protected, top: str, folder: str, whole: list[str], partly: deque[str]) -> None:
    reach = protected.reach(os.path.join(top, folder))
    if reach == ALL:
        whole.append(folder)
    elif reach != NOTHING and not _left_out(protected, top, folder):
        partly.append(folder)


def _left_out(protected: Protected, top: str, folder: str) -> bool:
    """A folder provguard reads nowhere unless told (ignores.DEFAULT_EXCLUDES: node_modules, caches) or a virtual
    environment (a folder holding pyvenv.cfg), which the globs reach as they reach any folder there (`**/*.jsonl`;
    not one naming it, `node_modules/pkg/**`): not walked."""
    if not (os.path.basename(folder) in DEFAULT_EXCLUDES or os.path.isfile(os.path.join(top, folder, VENV_MARKER))):
        return False
    return protected.reach(os.path.join(top, os.path.dirname(folder), _ANY_NAME)) != NOTHING


_ANY_NAME = "\0"
"""A folder name no literal glob segment matches: what the globs reach under it they reach under any folder."""


def _walk(protected: Protected, top: str, partly: deque[str], whole: list[str], files: list[str]) -> list[str]:
    """Walks the folders the globs reach in part, breadth first, adding their files to `files` and the folders
    found wholly protected to `whole`; stops after MAX_WALK entries, with a note naming what was left."""
    budget = MAX_WALK
    while partly:
        folder = partly.popleft()
        try:
            with os.scandir(os.path.join(top, folder)) as found:
                for entry in found:
                    budget -= 1
                    if budget < 0:
                        partly.appendleft(folder)
                        return [_left(partly)]
                    rel = f"{folder}/{entry.name}"
                    if entry.is_dir(follow_symlinks=False):
                        _sort(protected, top, rel, whole, partly)
                    else:
                        files.append(rel)
        except OSError:
            continue
    return []


def _left(partly: deque[str]) -> str:
    left = sorted(partly)
    named = ", ".join(f"{rel}/" for rel in left[:SHOWN]) + (f" and {len(left) - SHOWN} more" if len(left) > SHOWN
                                                             else "")
    return (f"gitignored folders the paths agents may not write can reach hold over {MAX_WALK} entries: files in "
            f"{named} are not compared")
