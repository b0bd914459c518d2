"""Where this user's daemon lives: a private runtime folder and, in it, files named for the exact provguard
that made them, so that two versions (or two installations) never talk to each other.

The folder is `$PROVGUARD_RUNTIME_DIR`, else `$XDG_RUNTIME_DIR/provguard`, else `$TMPDIR/provguard-<uid>`
(`/tmp` when TMPDIR is unset). It must be a real folder owned by this user and closed to everyone else
(mode 0700): the socket accepts payloads whose answers an agent obeys, so anyone who could replace it could
answer for provguard. A folder failing that check is not used, and the calls are judged in-process.

Client path: imports nothing beyond what the interpreter loaded at start-up (and zlib, a built-in).
"""

from __future__ import annotations

import os
import stat
import sys
import zlib

import provguard

RUNTIME_ENV = "PROVGUARD_RUNTIME_DIR"
SWITCH_ENV = "PROVGUARD_DAEMON"
"""`PROVGUARD_DAEMON=0`: never ask a daemon, never start one."""


class Place:
    """The daemon's files for this user and this provguard. A plain class: `dataclasses` costs the client
    5 ms of imports."""

    __slots__ = ("folder", "stem")

    def __init__(self, folder: str, stem: str) -> None:
        self.folder = folder
        self.stem = stem

    @property
    def socket(self) -> str:
        return os.path.join(self.folder, f"{self.stem}.sock")

    @property
    def lock(self) -> str:
        """Held (flock) by the running daemon for its whole life; holds its pid."""
        return os.path.join(self.folder, f"{self.stem}.lock")

    @property
    def log(self) -> str:
        """Standard output and error of a daemon the client started."""
        return os.path.join(self.folder, f"{self.stem}.log")

    @property
    def stamp(self) -> str:
        """The last attempt to start a daemon, so that a daemon that cannot start is not started on every call."""
        return os.path.join(self.folder, f"{self.stem}.start")


def enabled(environ: os._Environ[str] | dict[str, str] = os.environ) -> bool:
    return environ.get(SWITCH_ENV, "").strip() != "0"


def identity() -> str:
    """The version, and a checksum of the installation (package folder, interpreter, Python version): a
    daemon answers only calls from the very same provguard."""
    where = f"{os.path.dirname(os.path.abspath(provguard.__file__))}\0{sys.executable}\0{sys.version}"
    return f"{provguard.__version__}-{zlib.crc32(where.encode('utf-8', 'surrogateescape')):08x}"


def folder_path(environ: os._Environ[str] | dict[str, str] = os.environ) -> str:
    explicit = environ.get(RUNTIME_ENV)
    if explicit:
        return os.path.abspath(explicit)
    runtime = environ.get("XDG_RUNTIME_DIR")
    if runtime and os.path.isabs(runtime):
        return os.path.join(runtime, "provguard")
    return os.path.join(environ.get("TMPDIR") or "/tmp", f"provguard-{os.geteuid()}")


def locate(environ: os._Environ[str] | dict[str, str] = os.environ) -> Place:
    return Place(folder_path(environ), f"provguard-{identity()}")


def unsafe(folder: str) -> str | None:
    """Why `folder` must not hold the socket (None when it may): not a folder, not this user's, or open to
    others. Symbolic links are not followed."""
    try:
        status = os.lstat(folder)
    except OSError as exc:
        return f"{folder}: {exc.strerror}"
    if not stat.S_ISDIR(status.st_mode):
        return f"{folder} is not a folder"
    if status.st_uid != os.geteuid():
        return f"{folder} belongs to user {status.st_uid}, not to this user ({os.geteuid()})"
    if status.st_mode & 0o077:
        return f"{folder} is open to other users (mode {stat.S_IMODE(status.st_mode):04o}; 0700 is required)"
    return None


def prepare(place: Place) -> str | None:
    """Creates the folder (0700 whatever the umask) when it is missing; returns why it cannot be used, or None.
    The files in it are created 0600."""
    from pathlib import Path

    from provguard.private_files import make_private_folder

    try:
        make_private_folder(Path(place.folder))
    except OSError as exc:
        return f"cannot create {place.folder}: {exc.strerror}"
    return unsafe(place.folder)
