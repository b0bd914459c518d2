"""Files and folders for one user alone (folders 0700, files 0600) whatever the umask: the ledger (paths,
session ids, line hashes), the guard's caches (they decide what an agent may write, and one is unpickled) and
the daemon's runtime folder. What exists already keeps the mode its owners chose, so a team that shares a ledger
through the file system opens it up once, on purpose; a cache file is only believed when it is the user's own
and nobody else may write it."""

from __future__ import annotations

import os
import stat
from pathlib import Path


def make_private_folder(folder: Path) -> None:
    """The folder and its missing parents; the ones created here are 0700 whatever the umask."""
    missing = [f for f in (folder, *folder.parents) if not os.path.lexists(f)]
    for created in reversed(missing):
        try:
            os.mkdir(created, 0o700)
        except FileExistsError:
            continue
        os.chmod(created, 0o700)


def no_link_on_the_way(root: Path, relative: Path) -> bool:
    """Each step from `root` down to the file `relative` is a real folder, and the file a regular one, where they
    exist (missing steps are made later): a link a repository commits (`.provguard` -> anywhere) must not send
    provguard's writes out of the project."""
    step = root
    for index, part in enumerate(relative.parts, 1):
        step = step / part
        try:
            mode = os.lstat(step).st_mode
        except FileNotFoundError:
            return True
        except OSError:
            return False
        last = index == len(relative.parts)
        if stat.S_ISLNK(mode) or not (stat.S_ISREG(mode) if last else stat.S_ISDIR(mode)):
            return False
    return True


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


def read_private(file: Path) -> bytes | None:
    """The file's bytes when it is a regular file of this user's that nobody else may write (the cache decides
    what an agent may do: a file planted by someone else is not believed); None otherwise."""
    try:
        fd = os.open(file, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        return None
    try:
        status = os.fstat(fd)
        if (not stat.S_ISREG(status.st_mode) or status.st_mode & 0o022
                or (hasattr(os, "geteuid") and status.st_uid != os.geteuid())):
            return None
        chunks: list[bytes] = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError:
        return None
    finally:
        os.close(fd)


def write_private(file: Path, data: bytes) -> None:
    """Writes the file whole (a reader never sees half of it), mode 0600 in a folder of mode 0700, whatever the
    umask; a cache that cannot be written only costs time."""
    try:
        make_private_folder(file.parent)
        temporary = file.with_name(f"{file.name}.{os.getpid()}.tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o600)
        try:
            os.fchmod(fd, 0o600)
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)
        os.replace(temporary, file)
    except OSError:
        pass
