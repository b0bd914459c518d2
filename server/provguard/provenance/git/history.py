"""Spans from git history: which lines of a text come from commits that name an AI tool.

`git blame --porcelain --contents -` is given the text itself (an editor's unsaved buffer, or the file as
the CLI read it), so its line numbers are the text's; lines changed since the last commit are "not
committed yet" and get nothing. Each commit is read once (see commits.py). Consecutive lines of one AI
commit become one span whose origin says the evidence is the whole commit's.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

from provguard.positions import trimmed
from provguard.provenance.git.blame import UNCOMMITTED, parse_porcelain
from provguard.provenance.git.commands import DEFAULT_TIMEOUT, GitFailure, run_git
from provguard.provenance.git.commits import Commit, CommitCache
from provguard.provenance.origin import Evidence, Origin, Span

MAX_BLAME_BYTES = 8 << 20
"""Larger texts are not blamed (the CLI does not read them either)."""

_NOTHING_TO_SAY = ("not a git repository", "no such path", "no such ref", "bad revision", "does not have any commits")
"""git's messages (in the C locale) for a folder outside a repository, an untracked file and a repository
without commits: no history, which is not a problem."""


@dataclass(frozen=True)
class GitProblem:
    """Git history could not be read for a file: where and why (a note, never a finding)."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: git history not used: {self.reason}"


@dataclass(frozen=True)
class History:
    spans: tuple[Span, ...] = ()
    problem: GitProblem | None = None


class GitHistory:
    """Reads spans from git for many files; keeps commits and repository roots between calls."""

    def __init__(self, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.timeout = timeout
        self.commits = CommitCache()
        self._roots: dict[Path, Path | None] = {}
        self._lock = threading.Lock()
        self._git_missing = False

    def spans(self, path: Path, source: bytes, shown_as: str | None = None) -> History:
        """Spans of `source`, the text of `path` (saved or not); `shown_as` names the file in problems."""
        name = shown_as or str(path)
        if self._git_missing:
            return History()
        if len(source) > MAX_BLAME_BYTES:
            return History((), GitProblem(name, f"larger than {MAX_BLAME_BYTES >> 20} MiB"))
        root = self._root(path.parent)
        if isinstance(root, GitFailure):
            return self._failed(name, root)
        if root is None:
            return History()
        out = run_git(path.parent, ["blame", "--porcelain", "--contents", "-", "--", path.name], source,
                      self.timeout)
        if isinstance(out, GitFailure):
            return self._failed(name, out)
        lines, boundary = parse_blame(out)
        shas = {sha for sha in lines if sha not in UNCOMMITTED}
        commits = self.commits.get(root, shas, self.timeout) if shas else {}
        if isinstance(commits, GitFailure):
            return self._failed(name, commits)
        return History(_spans(lines, boundary, commits, source))

    def _root(self, folder: Path) -> Path | GitFailure | None:
        """The work tree holding `folder`, None outside any; asked once per folder."""
        with self._lock:
            if folder in self._roots:
                return self._roots[folder]
        if not folder.is_dir():
            return None
        out = run_git(folder, ["rev-parse", "--show-toplevel"], timeout=self.timeout) if _may_be_in_work_tree(
            folder) else GitFailure("not a git repository")
        if isinstance(out, GitFailure):
            if out.not_found or not _nothing_to_say(out):
                return out
            root = None
        else:
            root = Path(out.decode("utf-8", "surrogateescape").strip())
        with self._lock:
            self._roots[folder] = root
        return root

    def _failed(self, name: str, failure: GitFailure) -> History:
        if failure.not_found:
            self._git_missing = True  # said once; later files quietly go without
        if _nothing_to_say(failure):
            return History()
        return History((), GitProblem(name, failure.reason))


def _may_be_in_work_tree(folder: Path) -> bool:
    """git finds a work tree by a `.git` at or above the folder, unless the environment names one (GIT_DIR,
    GIT_WORK_TREE): without either, asking it costs a process per folder for nothing (~1 s of CPU checking the
    standard library's 125 folders outside a repository)."""
    if "GIT_DIR" in os.environ or "GIT_WORK_TREE" in os.environ:
        return True
    return any(os.path.lexists(step / ".git") for step in (folder, *folder.parents))


def _nothing_to_say(failure: GitFailure) -> bool:
    reason = failure.reason.lower()
    return not failure.not_found and any(text in reason for text in _NOTHING_TO_SAY)


def parse_blame(out: bytes) -> tuple[list[str], set[str]]:
    """The commit of each final line (index 0 is line 1), and the boundary commits: root commits, and a
    shallow clone's oldest commits, to which blame also gives every line older than the clone."""
    blame = parse_porcelain(out)
    return [line.commit for line in blame.lines], set(blame.boundary)


def _spans(lines: list[str], boundary: set[str], commits: dict[str, Commit], source: bytes) -> tuple[Span, ...]:
    starts = line_starts(source)
    out: list[Span] = []
    origins: dict[str, Origin | None] = {}
    run_start = 0
    for index in range(len(lines) + 1):
        sha = lines[index] if index < len(lines) else None
        if index < len(lines) and index > run_start and sha == lines[run_start]:
            continue
        if run_start < index:
            first = lines[run_start]
            if first not in origins:
                commit = commits.get(first)
                shallow_edge = commit is not None and first in boundary and commit.parents > 0
                origins[first] = history_origin(commit) if commit is not None and not shallow_edge else None
            origin = origins[first]
            start, end = trimmed(source, starts[run_start], _line_end(source, starts, index - 1))
            if origin is not None and start < end:
                out.append(Span(start, end, origin))
        run_start = index
    return tuple(out)


def history_origin(commit: Commit) -> Origin | None:
    """The origin of the lines a commit added, when the commit names an AI tool."""
    found = commit.attribution
    if found is None:
        return None
    extra = (("scope", "whole-commit"), ("commit", commit.sha), ("subject", commit.subject), found.evidence)
    return Origin(found.kind, Evidence.GIT_TRAILER, found.tool, found.vendor, found.model,
                  confidence=_confidence(), date=commit.date, extra=extra)


def line_starts(source: bytes) -> list[int]:
    """Where each line starts, lines ending at `\\n` as git counts them."""
    starts = [0]
    at = source.find(b"\n")
    while at >= 0:
        starts.append(at + 1)
        at = source.find(b"\n", at + 1)
    return starts


def _line_end(source: bytes, starts: list[int], line: int) -> int:
    """End of a line's text, without its line break."""
    end = starts[line + 1] - 1 if line + 1 < len(starts) else len(source)
    if end > starts[line] and source[end - 1:end] == b"\r":
        end -= 1
    return end


def _confidence() -> float:
    """`attribution.HISTORY_CONFIDENCE`, imported once there is a commit to attribute: the attribution module compiles
    its patterns on import, which a check of files outside git history never needs."""
    from provguard.provenance.git.attribution import HISTORY_CONFIDENCE

    return HISTORY_CONFIDENCE
