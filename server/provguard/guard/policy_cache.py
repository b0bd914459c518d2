"""The policy of a project as last loaded, kept between guard calls: every call is a fresh process, and
reading the packs (YAML, tree-sitter scope queries for every language) is most of what a call costs.

A cached policy is used only while nothing it came from has changed: the packs' files (the packs they extend
and include too), and every place a project configuration could be found from the project root up to the
folder holding `.git` (a new `provguard.toml` counts). Files are compared by size and modification time.
Loads with errors are not kept, so their errors are reported on every call. The cache lives in the user's
own cache folder (`$XDG_CACHE_HOME/provguard/guard`, else `~/.cache/provguard/guard`), never in the project:
it is unpickled, so only the user may write it. `PROVGUARD_GUARD_CACHE=0` turns it off.

A process that judges many calls (the daemon, provguard.daemon) also keeps each policy in memory, under the
same file stamps: a changed pack is read again at the next call all the same.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
from pathlib import Path

from provguard import __version__
from provguard.policy.policy import Policy

FORMAT = 1
CONFIG_NAMES = ("provguard.toml", "pyproject.toml")
"""policy/project.py's configuration files, looked for in the same folders."""

Stamp = tuple[tuple[str, int, int], ...]

_memory: dict[Path, tuple[tuple[object, ...], Stamp, Policy]] = {}
"""Per cache file: the header, stamp and policy last read or written by this process."""


def cache_folder() -> Path | None:
    if os.environ.get("PROVGUARD_GUARD_CACHE") == "0":
        return None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "provguard" / "guard"


def load(root: Path) -> Policy | None:
    file = _file(root)
    if file is None:
        return None
    kept = _memory.get(file)
    if kept is not None and kept[0] == _header(root) and kept[1] == _stamp(root, _files(kept[1])):
        return kept[2]
    try:
        header, stamp, policy = pickle.loads(file.read_bytes())
    except Exception:  # missing, unreadable, written by another version: read the packs instead
        return None
    if header != _header(root) or stamp != _stamp(root, _files(stamp)) or not isinstance(policy, Policy):
        return None
    _memory[file] = (header, stamp, policy)
    return policy


def save(root: Path, policy: Policy) -> None:
    file = _file(root)
    if file is None:
        return
    files = (*policy.pack_files, *_config_candidates(root))
    header, stamp = _header(root), _stamp(root, files)
    _memory[file] = (header, stamp, policy)
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        temporary = file.with_name(f"{file.name}.{os.getpid()}.tmp")
        temporary.write_bytes(pickle.dumps((header, stamp, policy)))
        temporary.replace(file)
    except OSError:
        pass  # a cache that cannot be written only costs time


def _file(root: Path) -> Path | None:
    folder = cache_folder()
    if folder is None:
        return None
    return folder / f"{hashlib.sha256(str(root).encode()).hexdigest()[:32]}.pickle"


def _header(root: Path) -> tuple[object, ...]:
    return FORMAT, __version__, sys.version, str(root)


def _files(stamp: Stamp) -> tuple[str, ...]:
    return tuple(path for path, _, _ in stamp)


def _stamp(root: Path, files: tuple[str, ...]) -> Stamp:
    """Size and modification time of each file (-1, -1 for one that does not exist), and the configuration
    candidates as they are now, so that a configuration file appearing or going away changes the stamp."""
    out: dict[str, tuple[int, int]] = {}
    for path in (*files, *_config_candidates(root)):
        try:
            status = os.stat(path)
            out[path] = (status.st_size, status.st_mtime_ns)
        except OSError:
            out[path] = (-1, -1)
    return tuple((path, size, mtime) for path, (size, mtime) in out.items())


def _config_candidates(root: Path) -> tuple[str, ...]:
    found: list[str] = []
    for folder in (root, *root.parents):
        found += [str(folder / name) for name in CONFIG_NAMES]
        if (folder / ".git").exists():
            break
    return tuple(found)
