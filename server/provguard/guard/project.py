"""A write's project, and what its packs chose for a call the guard cannot judge (`agent-write-on-error`).

Fail-closed must hold for every failure, a timeout included, so the choice has to be known before anything can
go wrong: before the payload is read (an agent may never close stdin) and before the time bound can fire. Loading
the packs takes a good part of that bound, so each project's choice is remembered between calls, next to the
guard's policy cache (policy_cache.py), under the same file stamps: a small JSON file read with a few `stat`s,
before the clock starts. A stale one (a pack changed since) stands in until the packs are loaded again.

Kept free of the judging imports: the guard reads this first, whatever happens next.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from provguard import __version__
from provguard.private_files import read_private, write_private
from provguard.project_markers import nearest_project

CONFIG_NAMES = ("provguard.toml", "pyproject.toml")
"""policy/project.py's configuration files, looked for in the same folders."""
FORMAT = 1

Stamp = tuple[tuple[str, int, int], ...]


@dataclass(frozen=True)
class Choice:
    fails_closed: bool
    """A pack in force says `agent-write-on-error: deny`."""
    fresh: bool
    """Nothing it came from has changed since (else it is the last choice known, until the packs are read)."""


class BadPath(ValueError):
    """A path no file can have here (a NUL byte, characters the file system cannot encode): the call cannot
    be judged."""


def landing(path: str, cwd: str | None) -> str:
    """Where a write to `path`, as the agent named it (relative to its working folder), lands: absolute, every
    symbolic link resolved (those above a file not created yet too), `..` taken after the link before it, as
    the system does when the file is opened."""
    base = cwd if cwd and os.path.isabs(cwd) and possible(cwd) else os.getcwd()
    joined = os.path.join(base, path)
    if not path or not possible(joined):
        raise BadPath(f"{path!r} is not a path a file can have")
    return os.path.realpath(joined)


def possible(path: str) -> bool:
    """Whether a file can have this path here (no NUL byte, nothing the file system cannot encode)."""
    try:
        return "\0" not in path and bool(os.fsencode(path))
    except ValueError:
        return False


def project_root(path: str) -> Path:
    """The nearest folder above where the file lands holding a ledger, a repository or a provguard.toml: rule
    paths are relative to it. A file in no project is judged relative to its own folder."""
    folder = Path(os.path.realpath(path)).parent
    return nearest_project(folder) or folder


def cache_folder() -> Path | None:
    """`$XDG_CACHE_HOME/provguard/guard`, else `~/.cache/provguard/guard`; None when `PROVGUARD_GUARD_CACHE=0`."""
    if os.environ.get("PROVGUARD_GUARD_CACHE") == "0":
        return None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "provguard" / "guard"


def cache_file(root: Path, suffix: str) -> Path | None:
    folder = cache_folder()
    if folder is None:
        return None
    return folder / f"{hashlib.sha256(str(root).encode('utf-8', 'surrogateescape')).hexdigest()[:32]}{suffix}"


def config_candidates(root: Path) -> tuple[str, ...]:
    found: list[str] = []
    for folder in (root, *root.parents):
        found += [str(folder / name) for name in CONFIG_NAMES]
        if os.path.exists(folder / ".git"):
            break
    return tuple(found)


def stamp(root: Path, files: tuple[str, ...]) -> Stamp:
    """Size and modification time of each file (-1, -1 for one that does not exist), and the configuration
    candidates as they are now, so that a configuration file appearing or going away changes the stamp."""
    out: dict[str, tuple[int, int]] = {}
    for path in (*files, *config_candidates(root)):
        try:
            status = os.stat(path)
            out[path] = (status.st_size, status.st_mtime_ns)
        except OSError:
            out[path] = (-1, -1)
    return tuple((path, size, mtime) for path, (size, mtime) in out.items())


def known(root: Path) -> Choice | None:
    """The project's choice as last remembered (None: never, or the cache is off or not the user's own)."""
    file = cache_file(root, ".choice")
    data = read_private(file) if file is not None else None
    if data is None:
        return None
    try:
        record = json.loads(data)
        if record["header"] != _header(root) or not isinstance(record["fails_closed"], bool):
            return None
        kept: Stamp = tuple((str(p), int(s), int(m)) for p, s, m in record["stamp"])
    except (ValueError, KeyError, TypeError):
        return None
    return Choice(record["fails_closed"], kept == stamp(root, tuple(p for p, _, _ in kept)))


def remember(root: Path, fails_closed: bool, pack_files: tuple[str, ...]) -> None:
    """Keeps the choice of a project whose packs all loaded, unless the same is kept already."""
    previous = known(root)
    if previous is not None and previous.fresh and previous.fails_closed == fails_closed:
        return
    file = cache_file(root, ".choice")
    if file is not None:
        record = {"header": _header(root), "fails_closed": fails_closed, "stamp": stamp(root, pack_files)}
        write_private(file, json.dumps(record).encode("utf-8", "surrogateescape"))


def _header(root: Path) -> list[object]:
    return [FORMAT, __version__, sys.version, str(root)]
