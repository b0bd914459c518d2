"""Starting a daemon for the next call, after this one was judged in-process: detached from the agent (its own
session, standard streams on /dev/null and the log file), so the agent neither waits for it nor keeps it.

At most one attempt per START_BACKOFF seconds (the place's stamp file): a daemon that cannot start must not
be started again by every call. The daemon removes the stamp once it serves, so a daemon that left when idle
is replaced at once. Two calls racing past the stamp start two daemons, and the second one leaves at once: it
cannot take the lock.

Client path: `os`, `sys`, `time` only.
"""

from __future__ import annotations

import os
import sys
import time

from provguard.daemon.place import Place, prepare

START_BACKOFF = 60.0


def claim_attempt(place: Place, now: float | None = None) -> bool:
    """True when no attempt was made in the last START_BACKOFF seconds; stamps this one."""
    now = time.time() if now is None else now
    try:
        if now - os.stat(place.stamp).st_mtime < START_BACKOFF:
            return False
    except FileNotFoundError:
        pass
    except OSError:
        return False
    try:
        os.close(os.open(place.stamp, os.O_WRONLY | os.O_CREAT, 0o600))
        os.utime(place.stamp, (now, now))
    except OSError:
        return False
    return True


def start(place: Place, preload: bool = False) -> bool:
    """Starts `provguard daemon` detached, unless an attempt was made lately; True when one was started.
    `preload`: it loads the language server when first idle (started by `provguard serve`, for the next one)."""
    if prepare(place) is not None or not claim_attempt(place):
        return False
    _flush()  # what the agent reads is out before the fork, and never written twice
    try:
        child = os.fork()
    except OSError:
        return False
    if child == 0:  # pragma: no cover - runs in the forked child, which never returns here
        _detached_exec(place, ["--preload"] if preload else [])
    return _reaped(child)


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            continue


def _reaped(child: int) -> bool:
    """Waits for the first child, which leaves as soon as it has forked the daemon."""
    try:
        os.waitpid(child, 0)
    except ChildProcessError:
        return True
    return True


def _detached_exec(place: Place, options: list[str]) -> None:  # pragma: no cover - the child side of start()
    """In the first child: a new session, a second fork so the daemon is no child of the agent's process, then
    the daemon with stdin on /dev/null and stdout, stderr in the log file."""
    try:
        os.setsid()
        if os.fork() != 0:
            os._exit(0)
        null = os.open(os.devnull, os.O_RDWR)
        log = os.open(place.log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.dup2(null, 0)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.chdir("/")
        os.execv(sys.executable, [sys.executable, "-m", "provguard", "daemon", *options])
    finally:
        os._exit(127)
