"""The policy of a project as last loaded, kept between guard calls: every call is a fresh process, and
reading the packs (YAML, tree-sitter scope queries for every language) is most of what a call costs.

A cached policy is used only while nothing it came from has changed: the packs' files (the packs they extend
and include too), and every place a project configuration could be found from the project root up to the
folder holding `.git` (a new `provguard.toml` counts). Files are compared by size and modification time.
Loads with errors are not kept, so their errors are reported on every call. The cache lives in the user's
own cache folder (`$XDG_CACHE_HOME/provguard/guard`, else `~/.cache/provguard/guard`), never in the project:
it is unpickled, so only the user may write it: the folder is made 0700 and the files 0600 whatever the umask,
and a file that is not the user's own, or that others may write, is not read. `PROVGUARD_GUARD_CACHE=0` turns
it off. Each project's `agent-write-on-error` choice is kept beside it (project.py).

A process that judges many calls (the daemon, provguard.daemon) also keeps each policy in memory, under the
same file stamps: a changed pack is read again at the next call all the same.
"""

from __future__ import annotations

import pickle
from pathlib import Path

from provguard.daemon.place import identity
from provguard.guard.project import Stamp, cache_file, config_candidates, stamp
from provguard.policy.policy import Policy
from provguard.private_files import read_private, write_private

FORMAT = 1

_memory: dict[Path, tuple[tuple[object, ...], Stamp, Policy]] = {}
"""Per cache file: the header, stamp and policy last read or written by this process."""


def load(root: Path) -> Policy | None:
    file = _file(root)
    if file is None:
        return None
    kept = _memory.get(file)
    if kept is not None and kept[0] == _header(root) and kept[1] == stamp(root, _files(kept[1])):
        return kept[2]
    data = read_private(file)
    if data is None:
        return None
    try:
        header, kept_stamp, policy = pickle.loads(data)
    except Exception:  # written by another version, or cut short: read the packs instead
        return None
    if header != _header(root) or kept_stamp != stamp(root, _files(kept_stamp)) or not isinstance(policy, Policy):
        return None
    _memory[file] = (header, kept_stamp, policy)
    return policy


def save(root: Path, policy: Policy) -> None:
    file = _file(root)
    if file is None:
        return
    files = (*policy.pack_files, *config_candidates(root))
    header, now = _header(root), stamp(root, files)
    _memory[file] = (header, now, policy)
    write_private(file, pickle.dumps((header, now, policy)))


def _file(root: Path) -> Path | None:
    return cache_file(root, ".pickle")


def _header(root: Path) -> tuple[object, ...]:
    """What must match besides the files' stamps: the installation itself (its folder, interpreter and version,
    as the daemon's identity), for two checkouts of one version ship different packs and code."""
    return FORMAT, identity(), str(root)


def _files(kept: Stamp) -> tuple[str, ...]:
    return tuple(path for path, _, _ in kept)
