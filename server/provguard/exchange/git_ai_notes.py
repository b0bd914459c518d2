"""Reading git-ai's notes for a range of commits, and where their files are now: a fixed number of git
processes whatever the number of commits (rev-list, notes list, one `cat-file --batch` for every note, one
`diff-tree --stdin` for every renaming since).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from provguard.exchange.git_ai import NoteProblem, ParsedNote, parse_note
from provguard.provenance.git.commands import GitFailure, run_git
from provguard.provenance.git.commits import read_objects

NOTES_REF = "refs/notes/ai"
TIMEOUT = 120.0
"""Seconds one git command of an import may take: a whole history's list of commits or a long file's blame
is slow on a big repository, and an import is a batch job."""


@dataclass(frozen=True)
class Failure:
    """Why nothing could be imported, in one sentence."""

    reason: str


@dataclass(frozen=True)
class Notes:
    top: Path
    """The repository's work tree."""
    head: str
    commits: int
    """Commits in the range."""
    notes: dict[str, ParsedNote]
    """Commit -> its note, for the commits in the range that have one, oldest first."""


def read_notes(root: Path, revisions: str | None, timeout: float = TIMEOUT) -> Notes | Failure | None:
    """The notes on the commits of `revisions` (`A..B`, or one commit; default: every commit reachable from
    HEAD) in the repository holding `root`; None when the repository has no git-ai notes at all."""
    top = run_git(root, ["rev-parse", "--show-toplevel"], timeout=timeout)
    if isinstance(top, GitFailure):
        return Failure(top.reason if top.not_found else f"{root} is not in a git repository ({top.reason})")
    repo = Path(top.decode("utf-8", "surrogateescape").strip())
    head = run_git(repo, ["rev-parse", "--verify", "-q", "HEAD^{commit}"], timeout=timeout)
    if isinstance(head, GitFailure):
        return Failure(f"the repository {repo} has no commits yet")
    if isinstance(run_git(repo, ["rev-parse", "--verify", "-q", NOTES_REF], timeout=timeout), GitFailure):
        return None
    commits = _commits(repo, revisions, timeout)
    if isinstance(commits, Failure):
        return commits
    listed = run_git(repo, ["notes", f"--ref={NOTES_REF}", "list"], timeout=timeout)
    if isinstance(listed, GitFailure):
        return Failure(f"cannot list {NOTES_REF}: {listed.reason}")
    blobs: dict[str, str] = {}
    for line in listed.decode("ascii", "replace").splitlines():
        blob, _, commit = line.partition(" ")
        if commit in commits:
            blobs[commit] = blob
    objects = read_objects(repo, blobs.values(), timeout)
    if isinstance(objects, GitFailure):
        return Failure(f"cannot read {NOTES_REF}: {objects.reason}")
    notes = {commit: parse_note(commit, objects[blobs[commit]][1]) if blobs[commit] in objects else
             ParsedNote(None, (NoteProblem(commit, 0, f"the note's blob {blobs[commit]} is missing"),))
             for commit in reversed(commits) if commit in blobs}
    return Notes(repo, head.decode().strip(), len(commits), notes)


def _commits(repo: Path, revisions: str | None, timeout: float) -> list[str] | Failure:
    """The range's commits, newest first."""
    if revisions is not None and (not revisions.strip() or revisions.startswith("-")):
        return Failure(f"not a commit or range: {revisions!r}")
    walk = [] if revisions is None or ".." in revisions else ["--no-walk"]
    out = run_git(repo, ["rev-list", *walk, "--end-of-options", revisions or "HEAD"], timeout=timeout)
    if isinstance(out, GitFailure):
        return Failure(f"not a commit or range: {revisions!r} ({out.reason})")
    return out.decode("ascii", "replace").split()


def renames(repo: Path, head: str, commits: list[str], timeout: float = TIMEOUT) -> dict[str, dict[str, str]] | Failure:
    """Commit -> {path then: path at HEAD} for the files renamed between each commit and HEAD, by git's rename
    detection over the two trees (`diff-tree -M`, at least half the file unchanged).

    One `diff-tree --stdin` answers for every commit: each input line `HEAD COMMIT` reads as HEAD with COMMIT
    as its parent, and `--always` prints the header for every line, so the answers come back in order.
    """
    if not commits:
        return {}
    stdin = "".join(f"{head} {commit}\n" for commit in commits).encode()
    out = run_git(repo, ["diff-tree", "--stdin", "--always", "-r", "-M", "--name-status", "--diff-filter=R", "-z"],
                  stdin, timeout)
    if isinstance(out, GitFailure):
        return Failure(f"cannot follow renames: {out.reason}")
    found: dict[str, dict[str, str]] = {commit: {} for commit in commits}
    fields = out.split(b"\0")
    index, at = -1, 0
    while at < len(fields):
        field = fields[at]
        if field == head.encode():  # the header of the next input line
            index += 1
            at += 1
        elif field.startswith(b"R") and at + 2 < len(fields) and 0 <= index < len(commits):
            old, new = (f.decode("utf-8", "surrogateescape") for f in fields[at + 1:at + 3])
            found[commits[index]][old] = new
            at += 3
        else:
            at += 1
    return found


def head_paths(repo: Path, head: str, timeout: float = TIMEOUT) -> set[str] | Failure:
    """Every file path at HEAD: a noted path still there needs no rename detection (blame follows it)."""
    out = run_git(repo, ["ls-tree", "-r", "-z", "--name-only", "--full-tree", head], timeout=timeout)
    if isinstance(out, GitFailure):
        return Failure(f"cannot list the files at HEAD: {out.reason}")
    return {name.decode("utf-8", "surrogateescape") for name in out.split(b"\0") if name}
