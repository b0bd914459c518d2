"""Reading commits: many at once with `git cat-file --batch`, each parsed and attributed once.

A commit never changes, so what it says is cached by its id for the life of the process (bounded).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from provguard.provenance.git.commands import DEFAULT_TIMEOUT, GitFailure, run_git

if TYPE_CHECKING:  # imported when a commit is read: its patterns are compiled on import
    from provguard.provenance.git.attribution import Attribution

MAX_CACHED_COMMITS = 1 << 16


@dataclass(frozen=True)
class Commit:
    sha: str
    author: str
    """`Name <email>` exactly as recorded (no .mailmap: the tool's own name is what counts)."""
    date: str | None
    """The author date, ISO 8601 in UTC."""
    subject: str
    attribution: Attribution | None
    parents: int
    """0 for a root commit; a shallow clone's oldest commits name parents the clone does not have."""


def parse_commit(sha: str, raw: bytes) -> Commit:
    """A raw commit object: header lines (continuations start with a space), a blank line, the message."""
    head, _, body = raw.partition(b"\n\n")
    author, date, parents = "", None, 0
    for line in head.split(b"\n"):
        if line.startswith(b"author "):
            author, date = _person(line[len(b"author "):].decode("utf-8", "replace"))
        elif line.startswith(b"parent "):
            parents += 1
    message = body.decode("utf-8", "replace")
    subject = message.split("\n", 1)[0].strip()
    from provguard.provenance.git.attribution import attribute

    return Commit(sha, author, date, subject, attribute(author, message), parents)


def _person(value: str) -> tuple[str, str | None]:
    """`Name <email> 1700000000 +0100` -> (`Name <email>`, ISO date)."""
    who, close, when = value.rpartition(">")
    if not close:
        return value.strip(), None
    try:
        stamp = datetime.fromtimestamp(int(when.split()[0]), UTC).isoformat(timespec="seconds")
    except (ValueError, IndexError, OverflowError, OSError):
        stamp = None
    return who.strip() + ">", stamp


class CommitCache:
    """Commits by id, read from git only the first time; safe to share between threads."""

    def __init__(self, capacity: int = MAX_CACHED_COMMITS) -> None:
        self._commits: OrderedDict[str, Commit] = OrderedDict()
        self._capacity = capacity
        self._lock = threading.Lock()
        self.reads = 0
        """Commits read from git so far (the rest came from the cache)."""

    def get(self, repo: Path, shas: Iterable[str], timeout: float = DEFAULT_TIMEOUT) -> dict[str, Commit] | GitFailure:
        wanted = list(dict.fromkeys(shas))
        with self._lock:
            found = {sha: self._commits[sha] for sha in wanted if sha in self._commits}
            for sha in found:
                self._commits.move_to_end(sha)
        missing = [sha for sha in wanted if sha not in found]
        if not missing:
            return found
        objects = read_objects(repo, missing, timeout)
        if isinstance(objects, GitFailure):
            return objects
        read = [parse_commit(sha, data) for sha, (kind, data) in objects.items() if kind == "commit"]
        with self._lock:
            self.reads += len(read)
            for commit in read:
                self._commits[commit.sha] = commit
            while len(self._commits) > self._capacity:
                self._commits.popitem(last=False)
        found.update((c.sha, c) for c in read)
        return found


def read_objects(repo: Path, ids: Iterable[str],
                 timeout: float = DEFAULT_TIMEOUT) -> dict[str, tuple[str, bytes]] | GitFailure:
    """Objects by id as (type, content), all in one `git cat-file --batch`; ids git does not have are left out."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return {}
    out = run_git(repo, ["cat-file", "--batch"], ("\n".join(wanted) + "\n").encode(), timeout)
    return out if isinstance(out, GitFailure) else parse_objects(out)


def parse_objects(out: bytes) -> dict[str, tuple[str, bytes]]:
    """`<id> <type> <size>\\n<content>\\n` per object; `<id> missing` for unknown ids (a shallow or broken
    clone's commit, a note whose blob is gone): those say nothing."""
    objects: dict[str, tuple[str, bytes]] = {}
    at = 0
    while at < len(out):
        eol = out.find(b"\n", at)
        if eol < 0:
            break
        header = out[at:eol].split()
        at = eol + 1
        if len(header) != 3:
            continue
        size = int(header[2])
        objects[header[0].decode()] = (header[1].decode(), out[at:at + size])
        at += size + 1
    return objects
