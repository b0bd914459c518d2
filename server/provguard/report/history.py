"""`provguard report --since DATE`: the figures week by week from git history, so a reader sees when AI output,
and a rival vendor's in particular, entered a training-data or test-task path.

Each week is the tree as of its last commit (a private `git clone --shared` of the repository, checked out commit
by commit in a temporary folder: the user's repository, index and work tree are never touched), judged as today's
tree is, so a change in the figures is a change in the code, not in the rules: each project by the packs it
has today (a project that no longer exists, by the first project's), with today's excludes (its configuration's
and the command line's), and its own ledger of today (or --ledger; a project gone since has none).

The weeks share each project's check cache (the clone's `.provguard/cache`, which checkouts leave alone), so a file
that did not change from one week to the next is not judged again, and each of today's projects keeps its entries
past the clone (report/history_cache.py), so the next report does not judge it again either. The key is what the
verdict depends on: the file's bytes and path, the packs, the ledger's generation (all as for `check`), and, for the
lines git history marks as AI-written, the commit that last changed the file on the first-parent line of the week's
commit, instead of the HEAD `check` uses. That is enough: `git blame` from a commit whose first parent holds the
same blob passes every line to that parent unchanged, so blame from the week's commit equals blame from the last
commit that changed the file, whatever else happened in the repository in between (a commit elsewhere, a merge that
left the file as its first parent had it). A file changed and changed back gets a new key, as its blame may differ.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from provguard.ignores import Patterns, ProjectExcludes, Selection
from provguard.provenance.git.commands import GitFailure, run_git
from provguard.report.summary import Entered, Summary, Week

MAX_WEEKS = 520
"""Ten years: a longer history is a mistyped date more likely than a wish."""
CLONE_TIMEOUT = 600.0

@dataclass(frozen=True)
class PastTree:
    """One week's tree, checked out in the scratch clone, and how it maps onto today's work tree."""

    tree: Path
    """The scratch clone's work tree, at `commit`."""
    toplevel: Path
    """Today's work tree (the user's repository)."""
    commit: str
    changes: Mapping[str, str]
    """The commit that last changed each path (`last_changes`)."""

    def today(self, path: Path) -> Path:
        """Where `path` (in the past tree) is in today's work tree: its project root's, say."""
        return self.toplevel / Path(os.path.realpath(path)).relative_to(os.path.realpath(self.tree))

    def last_change(self, path: Path) -> str:
        """The commit that last changed the file at `path` (in the past tree), as `last_changes` found it: its
        cache key's in place of HEAD (see the module's docstring for why that is enough; history_cache.py)."""
        name = os.path.relpath(os.path.realpath(path), os.path.realpath(self.tree)).replace(os.sep, "/")
        return self.changes.get(name, f"{self.commit} (not committed)")


class TodaysExcludes(ProjectExcludes):
    """Each past project's excludes as its configuration says them today (and the command line's), anchored in
    the past tree: a folder excluded now is left out of every week, as a figure of today's scope."""

    def __init__(self, past: PastTree, selection: Selection) -> None:
        assert selection.projects is not None
        given = selection.projects
        super().__init__(given.root_of, given.exclude, given.extend_exclude)
        self.past = past

    def _combined(self, root: Path) -> tuple[Patterns, ...]:
        today = self.past.today(root)
        return tuple(Patterns(p.lines, None if p.base is None else
                              Path(os.path.normpath(Path(os.path.realpath(root)) / os.path.relpath(p.base, today))))
                     for p in super()._combined(today))


def todays_selection(past: PastTree, selection: Selection) -> Selection:
    """`check_selection`'s selection with each project's excludes as today's (TodaysExcludes)."""
    if selection.projects is None:
        return selection
    return replace(selection, projects=TodaysExcludes(past, selection))


Measure = Callable[[Sequence[Path], Path | None, PastTree], Summary | str]
"""The summary of the given paths of a past tree (with the given --root), or why there is none."""


def parse_since(value: str, today: date | None = None) -> date | str:
    """A date as YYYY-MM-DD, or what is wrong with it."""
    try:
        since = date.fromisoformat(value)
    except ValueError:
        return f"--since expects a date as YYYY-MM-DD, got {value!r}"
    today = today or datetime.now(UTC).date()
    if since > today:
        return f"--since {value} is in the future"
    if (today - since).days > 7 * MAX_WEEKS:
        return f"--since {value} is more than {MAX_WEEKS} weeks ago"
    return since


def weeks(since: date, today: date) -> list[tuple[date, date]]:
    """[start, end) of each week from `since`, the last one ending after today."""
    out: list[tuple[date, date]] = []
    start = since
    while start <= today:
        out.append((start, start + timedelta(days=7)))
        start += timedelta(days=7)
    return out


def history(paths: Sequence[Path], root: Path | None, since: date, measure: Measure,
            today: date | None = None) -> list[Week] | str:
    """Each week's figures, oldest first, or why there are none (no git work tree, git failed)."""
    today = today or datetime.now(UTC).date()
    first = paths[0].resolve()
    top = run_git(first if first.is_dir() else first.parent, ["rev-parse", "--show-toplevel"])
    if isinstance(top, GitFailure):
        return f"--since reads git history, and {paths[0]} is not in a git work tree ({top.reason})"
    toplevel = Path(top.decode("utf-8", "surrogateescape").strip()).resolve()
    try:
        inside = [p.resolve().relative_to(toplevel) for p in paths]
        root_inside = root.resolve().relative_to(toplevel) if root is not None else None
    except ValueError:
        return f"--since: every path must be inside the git work tree {toplevel}"
    spans = weeks(since, today)
    commits: list[str] = []
    for _, end in [(since, since), *spans]:  # the first: the tree before the first week, to compare it with
        found = run_git(toplevel, ["rev-list", "-1", f"--before={end.isoformat()}T00:00:00Z", "HEAD", "--"])
        if isinstance(found, GitFailure):
            return f"cannot read git history: {found.reason}"
        commits.append(found.decode().strip())
    measured: dict[str, Summary] = {}
    with tempfile.TemporaryDirectory(prefix="provguard-history-") as scratch:
        tree = Path(scratch) / "tree"
        cloned = run_git(toplevel, ["clone", "-q", "--shared", "--no-checkout", str(toplevel), str(tree)],
                         timeout=CLONE_TIMEOUT)
        if isinstance(cloned, GitFailure):
            return f"cannot copy the repository to read its history: {cloned.reason}"
        for commit in dict.fromkeys(c for c in commits if c):
            done = run_git(tree, ["checkout", "-q", "--force", "--detach", commit], timeout=CLONE_TIMEOUT)
            if isinstance(done, GitFailure):
                return f"cannot check out {commit[:12]}: {done.reason}"
            here = [tree / p for p in inside]
            if not all(p.exists() for p in here):
                continue  # the paths did not exist yet: nothing to count
            changes = last_changes(tree, commit)
            if isinstance(changes, str):
                return changes
            summary = measure(here, tree / root_inside if root_inside is not None else None,
                              PastTree(tree, toplevel, commit, changes))
            if isinstance(summary, str):
                return f"{commit[:12]}: {summary}"
            measured[commit] = summary
    before = measured.get(commits[0])
    out: list[Week] = []
    for (start, end), commit in zip(spans, commits[1:], strict=True):
        current = measured.get(commit)
        out.append(_week(start, end, commit, current, before))
        before = current
    return out


def last_changes(tree: Path, commit: str) -> dict[str, str] | str:
    """For each path (relative to the repository's top) the newest commit on `commit`'s first-parent line that
    changed it against its first parent, or why git could not say. One walk of the history per week."""
    out = run_git(tree, ["log", "--first-parent", "--format=%x01%H", "--name-only", "-z", commit],
                  timeout=CLONE_TIMEOUT)
    if isinstance(out, GitFailure):
        return f"cannot read the history of {commit[:12]}: {out.reason}"
    found: dict[str, str] = {}
    for record in out.split(b"\x01")[1:]:
        sha, _, names = record.partition(b"\0")
        for name in names.lstrip(b"\n").split(b"\0"):
            if name:
                found.setdefault(name.decode("utf-8", "surrogateescape"), sha.decode())
    return found


def _week(start: date, end: date, commit: str, summary: Summary | None, before: Summary | None) -> Week:
    week = Week(start.isoformat(), end.isoformat(), commit)
    if summary is None:
        return week
    week.lines, week.ai_lines = summary.lines.total, summary.lines.ai
    week.ai_percent = 100.0 * week.ai_lines / week.lines if week.lines else 0.0
    week.findings = summary.findings
    week.by_severity = {s: n for s, n in summary.by_severity.items() if n}
    week.protected_ai_lines = sum({p.path: p.ai_lines for p in summary.protected}.values())
    had = {(p.path, p.category) for p in before.protected if p.ai_lines} if before is not None else set()
    week.entered = [Entered(p.path, p.category, p.by_vendor) for p in summary.protected
                    if p.ai_lines and (p.path, p.category) not in had]
    return week
