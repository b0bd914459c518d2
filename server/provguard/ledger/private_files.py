"""The ledger's folder and file are made for their user alone (0700 / 0600) whatever the umask: they hold
paths, session ids and line hashes. What exists already keeps the mode its owners chose, so a team that shares
a ledger through the file system opens it up once, on purpose."""

from __future__ import annotations

import os
from pathlib import Path


def make_private_folder(folder: Path) -> None:
    """`folder` (and missing parents, as usual), the folder itself 0700 when made here."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    try:
        folder.mkdir(mode=0o700)
    except FileExistsError:
        return
    os.chmod(folder, 0o700)  # mkdir's mode is cut by the umask


def create_private(path: str) -> None:
    """A new file at `path`, mode 0600 (SQLite would make it 0644 under a usual umask, and gives its -wal, -shm
    and -journal files the database file's mode, so they follow). Does nothing when the file exists or cannot
    be made: SQLite then opens it or says why."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600)
    except OSError:
        return
    try:
        os.fchmod(fd, 0o600)
    finally:
        os.close(fd)
