"""Where a shell call's snapshot waits between its pre and post hooks: one private file per call under
`.provguard/shell/`, and the lock that overlapping calls take turns on (shell_hook.py says how they share changes).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from provguard.private_files import make_private_folder, read_private, write_private
from provguard.provenance.shell_writes import (
    FOLDER,
    FORMAT,
    LOCK_SECONDS,
    MAX_TEXT_BYTES,
    STALE_SECONDS,
    Entry,
    Owner,
    Protected,
    ShellWrite,
    Snapshot,
)


def snapshot_file(root: Path, key: str) -> Path:
    name = hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
    return root.joinpath(".provguard", *FOLDER, f"{name}.json")


def save(root: Path, key: str, taken: Snapshot) -> None:
    _save_file(snapshot_file(root, key), taken)


def _save_file(file: Path, taken: Snapshot) -> None:
    protected = ({"root": taken.protected.root, "globs": [list(map(list, g)) for g in taken.protected.globs]}
                 if taken.protected is not None else None)
    record = {"format": FORMAT, "top": taken.top, "taken_ns": taken.taken_ns, "complete": taken.complete,
              "files": {rel: [e.size, e.mtime_ns, e.digest, e.text, e.inode] for rel, e in taken.files.items()},
              "protected": protected, "ignored": sorted(taken.ignored), "ignored_complete": taken.ignored_complete,
              "owner": None if taken.owner is None else vars(taken.owner),
              "handed": [[w.path, w.before, w.after, list(w.inserted), w.note] for w in taken.handed]}
    write_private(file, json.dumps(record).encode("ascii"))


def load(root: Path, key: str) -> Snapshot | None:
    """The call's snapshot (None: none was taken, or it is not the user's own file)."""
    return _load_file(snapshot_file(root, key))


def _load_file(file: Path) -> Snapshot | None:
    data = read_private(file)
    if data is None:
        return None
    try:
        record: dict[str, Any] = json.loads(data)
        if record["format"] != FORMAT:
            return None
        files = {str(rel): Entry(int(size), int(mtime), digest, text, int(inode))
                 for rel, (size, mtime, digest, text, inode) in record["files"].items()}
        kept = record["protected"]
        protected = (Protected(str(kept["root"]), tuple((tuple(map(str, include)), tuple(map(str, exclude)))
                                                        for include, exclude in kept["globs"]))
                     if kept is not None else None)
        owner = Owner(**record["owner"]) if record["owner"] is not None else None
        handed = [ShellWrite(str(path), before, str(after), tuple(map(str, parts)), note)
                  for path, before, after, parts, note in record["handed"]]
        return Snapshot(str(record["top"]), int(record["taken_ns"]), files, bool(record["complete"]), protected,
                        frozenset(map(str, record["ignored"])), bool(record["ignored_complete"]), owner, handed)
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def others(root: Path, key: str, now: float | None = None) -> list[tuple[Path, Snapshot]]:
    """The snapshots of the other shell calls still running (taken, no post hook yet, not stale)."""
    own = snapshot_file(root, key)
    limit = ((time.time() if now is None else now) - STALE_SECONDS) * 1e9
    found: list[tuple[Path, Snapshot]] = []
    try:
        with os.scandir(own.parent) as listing:
            names = sorted(item.name for item in listing if item.name.endswith(".json") and item.name != own.name)
    except OSError:
        return []
    for name in names:
        taken = _load_file(own.parent / name)
        if taken is not None and taken.taken_ns >= limit:
            found.append((own.parent / name, taken))
    return found


def advance(file: Path, taken: Snapshot, writes: list[ShellWrite], handed: tuple[ShellWrite, ...] = ()) -> None:
    """Another call's snapshot, told that these changes are recorded (its post hook must not record them again:
    they are its starting point now), and given the ones recorded as its own (`handed`, for its report)."""
    for write in writes:
        if write.entry is not None:
            text = write.entry.text if len(write.after) <= MAX_TEXT_BYTES else None
            taken.files[write.rel] = replace(write.entry, text=text)
    taken.handed.extend(handed)
    _save_file(file, taken)


@contextlib.contextmanager
def locked(root: Path) -> Iterator[bool]:
    """Holds the project's shell-hook lock (False: not had within LOCK_SECONDS, or no locks here; go on)."""
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks; calls are rarely run at once there
        yield False
        return
    folder = root.joinpath(".provguard", *FOLDER)
    try:
        make_private_folder(folder)
        fd = os.open(folder / ".lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    except OSError:
        yield False
        return
    try:
        deadline = time.monotonic() + LOCK_SECONDS
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                held = True
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    held = False
                    break
                time.sleep(0.005)  # another hook's git calls: waited for, not synchronised by time
            except OSError:
                held = False
                break
        yield held
    finally:
        os.close(fd)  # releases the lock


def discard(root: Path, key: str) -> None:
    with contextlib.suppress(OSError):
        snapshot_file(root, key).unlink()


def prune(root: Path, now: float | None = None) -> None:
    """Removes snapshots older than a day (their post hook never came)."""
    folder = root.joinpath(".provguard", *FOLDER)
    limit = (time.time() if now is None else now) - STALE_SECONDS
    try:
        with os.scandir(folder) as found:
            for item in found:
                if item.name.endswith(".json") and item.stat(follow_symlinks=False).st_mtime < limit:
                    os.unlink(item.path)
    except OSError:
        pass
