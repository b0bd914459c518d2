"""The files of a git revision, read from the object store: what an exported trace record describes.

A trace record's line numbers are positions at its revision (spec section 6.5), so export reads each file as
committed, never the working tree. Blobs come through `git cat-file --batch`, a bounded number of bytes per
run, so a large revision costs a few processes rather than one per file.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from provguard.files import MAX_FILE_BYTES
from provguard.provenance.git.commands import GitFailure, run_git

BATCH_BYTES = 32 << 20
"""Blob bytes asked of one `git cat-file --batch` run."""
BATCH_TIMEOUT = 120.0
BINARY_SNIFF = 8192


@dataclass(frozen=True)
class Revision:
    repository: Path
    """The work tree's top folder."""
    commit: str
    """Full commit id."""


@dataclass(frozen=True)
class Committed:
    """One file as committed: its bytes, or why it is not read."""

    path: str
    """Relative to the repository root, forward slashes."""
    data: bytes | None
    skipped: str | None = None


@dataclass(frozen=True)
class _Entry:
    path: str
    blob: str
    size: int


def resolve(root: Path, revision: str) -> Revision | str:
    """The repository holding `root` and the commit `revision` names, or why there is none."""
    top = run_git(root, ["rev-parse", "--show-toplevel"])
    if isinstance(top, GitFailure):
        return f"{root} is not in a git repository ({top.reason}); Agent Trace records describe a revision"
    repository = Path(top.decode("utf-8", "surrogateescape").strip())
    if not revision or revision.startswith("-"):
        return f"not a revision: {revision!r}"
    sha = run_git(repository, ["rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}"])
    if isinstance(sha, GitFailure) or not sha.strip():
        return f"no commit {revision!r} in {repository}"
    return Revision(repository, sha.decode().strip())


def committed_files(revision: Revision, paths: Sequence[str]) -> Iterator[Committed] | str:
    """Every regular file of the revision under `paths` (relative to the repository root; none: all), sorted
    by path. Symbolic links and submodules are not files; huge and binary files are skipped with the reason."""
    listing = run_git(revision.repository, ["ls-tree", "-r", "-z", "-l", "--full-tree", revision.commit, "--",
                                            *paths], timeout=BATCH_TIMEOUT)
    if isinstance(listing, GitFailure):
        return f"cannot list the files of {revision.commit}: {listing.reason}"
    return _read(revision, _entries(listing))


def _entries(listing: bytes) -> list[_Entry]:
    entries: list[_Entry] = []
    for item in listing.split(b"\0"):
        head, tab, name = item.partition(b"\t")
        fields = head.split()
        if not tab or len(fields) != 4 or fields[1] != b"blob" or fields[0] == b"120000":
            continue
        entries.append(_Entry(name.decode("utf-8", "surrogateescape"), fields[2].decode(), int(fields[3])))
    return sorted(entries, key=lambda e: e.path)


def _read(revision: Revision, entries: list[_Entry]) -> Iterator[Committed]:
    batch: list[_Entry] = []
    size = 0
    for entry in entries:
        if entry.size > MAX_FILE_BYTES:
            yield from _blobs(revision, batch)
            batch, size = [], 0
            yield Committed(entry.path, None, f"larger than {MAX_FILE_BYTES >> 20} MiB")
            continue
        if batch and size + entry.size > BATCH_BYTES:
            yield from _blobs(revision, batch)
            batch, size = [], 0
        batch.append(entry)
        size += entry.size
    yield from _blobs(revision, batch)


def _blobs(revision: Revision, batch: list[_Entry]) -> Iterator[Committed]:
    if not batch:
        return
    out = run_git(revision.repository, ["cat-file", "--batch"], "".join(f"{e.blob}\n" for e in batch).encode(),
                  timeout=BATCH_TIMEOUT)
    if isinstance(out, GitFailure):
        for entry in batch:
            yield Committed(entry.path, None, f"cannot read from git: {out.reason}")
        return
    at = 0
    for entry in batch:
        header_end = out.find(b"\n", at)
        fields = out[at:header_end].split() if header_end >= 0 else []
        if len(fields) != 3 or fields[1] != b"blob":
            yield Committed(entry.path, None, f"git did not return blob {entry.blob}")
            at = header_end + 1 if header_end >= 0 else len(out)
            continue
        length = int(fields[2])
        data = out[header_end + 1:header_end + 1 + length]
        at = header_end + 1 + length + 1
        if b"\0" in data[:BINARY_SNIFF]:
            yield Committed(entry.path, None, "binary file")
        else:
            yield Committed(entry.path, data)
