"""`provguard report --since DATE`: the figures week by week from git history, so a reader sees when AI output,
and a rival vendor's in particular, entered a training-data or test-task path.

Each week is the tree as of its last commit (a private `git clone --shared` of the repository, checked out commit
by commit in a temporary folder: the user's repository, index and work tree are never touched), judged by
today's packs and ledger, so a change in the figures is a change in the code, not in the rules.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from provguard.provenance.git.commands import GitFailure, run_git
from provguard.report.summary import Entered, Summary, Week

MAX_WEEKS = 520
"""Ten years: a longer history is a mistyped date more likely than a wish."""
CLONE_TIMEOUT = 600.0

Measure = Callable[[Sequence[Path], Path | None], Summary | str]
"""The summary of the given paths (with the given --root), or why there is none."""


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
            summary = measure(here, tree / root_inside if root_inside is not None else None)
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
