"""The files an Agent Trace record names, as bytes: at a git revision or in the working tree, each read once.

An import may name thousands of ranges of one file at one revision, so each file is read (and split into lines)
once per import; sizes are asked before blobs (a repository may commit gigabytes that compress to nothing), a
working-tree path that links out of the repository is not read, and binary files are refused.
"""

from __future__ import annotations

import os
import posixpath
from pathlib import Path, PurePosixPath

from provguard.files import MAX_FILE_BYTES, read_limited
from provguard.provenance.git.commands import GitFailure, run_git

BINARY_SNIFF = 8192


class RepositoryTexts:
    """The files a record names, as bytes: at a git revision, or in the working tree; each read once."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        top = run_git(self.root, ["rev-parse", "--show-toplevel"]) if self.root.is_dir() else GitFailure("")
        self.repository = self.root if isinstance(top, GitFailure) else Path(top.decode("utf-8", "surrogateescape")
                                                                                 .strip())
        self.git = not isinstance(top, GitFailure)
        self._cache: dict[tuple[str | None, str], bytes | str] = {}
        self._later: dict[tuple[str, str], tuple[str, ...]] = {}
        self._known: dict[str, bool] = {}
        self._split: dict[tuple[str | None, str], list[bytes] | str] = {}

    def later_commits(self, traced: str, revision: str) -> tuple[str, ...]:
        """The commits after `revision` on the way to HEAD that change the file, oldest first: where the lines a
        record describes land when its revision is the commit before the edit. Empty without git or when git
        does not know the revision."""
        clean = posixpath.normpath(traced.replace("\\", "/"))
        key = (revision, clean)
        if key not in self._later:
            found: tuple[str, ...] = ()
            if self.git and revision.strip() and not revision.startswith("-"):
                out = run_git(self.repository, ["rev-list", "--topo-order", "--reverse", f"{revision}..HEAD",
                                                "--", f":(literal){clean}"])
                if not isinstance(out, GitFailure):
                    found = tuple(out.decode("ascii", "replace").split())
            self._later[key] = found
        return self._later[key]

    def is_pseudo_file(self, traced: str) -> bool:
        """A path some tools trace that is no file: dot-named (Cursor's `.shell-history`), not in the working
        tree, and in no commit of the repository."""
        clean = posixpath.normpath(traced.replace("\\", "/"))
        if not PurePosixPath(clean).name.startswith(".") or clean in (".", ".."):
            return False
        if clean not in self._known:
            known = os.path.lexists(self.repository / clean)
            if not known and self.git:
                out = run_git(self.repository, ["rev-list", "-1", "--all", "--", f":(literal){clean}"])
                known = isinstance(out, GitFailure) or bool(out.strip())  # git failing proves nothing
            self._known[clean] = known
        return not self._known[clean]

    def ledger_path(self, traced: str) -> str | None:
        """Where the ledger keeps a file a record names (relative to the repository root): relative to the
        project root when inside it, else absolute; None for a path that is not relative or leaves the
        repository."""
        if traced.startswith(("/", "\\")) or (len(traced) > 1 and traced[1] == ":"):
            return None
        clean = posixpath.normpath(traced.replace("\\", "/"))
        if clean == ".." or clean.startswith("../") or clean == ".":
            return None
        absolute = self.repository / PurePosixPath(clean)
        try:
            return absolute.relative_to(self.root).as_posix()
        except ValueError:
            return absolute.as_posix()

    def lines(self, traced: str, revision: str | None) -> list[bytes] | str:
        """The file's lines (as `read`), split once: a record may name thousands of ranges of one large file."""
        key = (revision, posixpath.normpath(traced.replace("\\", "/")))
        if key not in self._split:
            data = self.read(traced, revision)
            self._split[key] = data if isinstance(data, str) else _lines(data)
        return self._split[key]

    def read(self, traced: str, revision: str | None) -> bytes | str:
        """The file's bytes, or why they cannot be had."""
        clean = posixpath.normpath(traced.replace("\\", "/"))
        key = (revision, clean)
        if key not in self._cache:
            self._cache[key] = self._read(clean, revision)
        return self._cache[key]

    def _read(self, path: str, revision: str | None) -> bytes | str:
        too_large = f"{path} is larger than {MAX_FILE_BYTES >> 20} MiB"
        if revision is not None:
            if not self.git:
                return f"no git repository at {self.root} to read revision {revision}"
            if revision.startswith("-") or not revision.strip():
                return f"not a revision: {revision!r}"
            # The size first: a repository may commit gigabytes that compress to nothing, and git would pour
            # them all into this process.
            size = run_git(self.repository, ["cat-file", "-s", f"{revision}:{path}"])
            if isinstance(size, GitFailure):
                return f"cannot read {path} at {revision}: {size.reason}"
            if not size.strip().isdigit():
                return f"cannot read {path} at {revision}: git gave no size"
            if int(size) > MAX_FILE_BYTES:
                return too_large
            out = run_git(self.repository, ["cat-file", "blob", f"{revision}:{path}"])
            if isinstance(out, GitFailure):
                return f"cannot read {path} at {revision}: {out.reason}"
            data = out
        else:
            file = self.repository / path
            landing, repository = Path(os.path.realpath(file)), Path(os.path.realpath(self.repository))
            if landing != repository and repository not in landing.parents:
                return f"{path} is a link out of the repository (to {landing}): not read"
            read = read_limited(file)
            if isinstance(read, str):
                return too_large if read.startswith("larger than") else f"cannot read {path} in the working tree: " \
                    f"{read.removeprefix('cannot read: ')}"
            data = read
        if len(data) > MAX_FILE_BYTES:
            return too_large
        if b"\0" in data[:BINARY_SNIFF]:
            return f"{path} is a binary file"
        return data


def _lines(data: bytes) -> list[bytes]:
    """Lines as git counts them (ending at `\\n`), each with its break."""
    lines = data.split(b"\n")
    out = [line + b"\n" for line in lines[:-1]]
    if lines[-1]:
        out.append(lines[-1])
    return out
