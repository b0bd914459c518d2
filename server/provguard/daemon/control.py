"""Asking this user's daemon how it is (`provguard daemon --status`, `provguard doctor`) or to leave."""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass

from provguard.daemon import peer, wire
from provguard.daemon.client import receive
from provguard.daemon.place import Place, identity

TIMEOUT = 2.0


@dataclass(frozen=True)
class Status:
    pid: int
    served: int
    """Guard and hook calls answered, and `provguard serve` sessions forked, since it started."""
    started: float
    idle_timeout: float
    socket: str


def ask(place: Place, word: str) -> list[bytes] | str:
    """The fields of the daemon's `ok` reply to `word`, or why there is none."""
    deadline = time.monotonic() + TIMEOUT
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(TIMEOUT)
            sock.connect(place.socket)
            refused = peer.refusal(peer.peer_uid(sock))
            if refused is not None:
                return refused
            sock.sendall(wire.encode(word, identity(), []))
            sock.shutdown(socket.SHUT_WR)
            answer, their_identity, fields = wire.decode(receive(sock, deadline))
    except (FileNotFoundError, ConnectionRefusedError):
        return "not running"
    except (OSError, wire.WireError) as exc:
        return f"not answering ({exc})"
    if their_identity != identity():
        return f"a daemon of another provguard answered ({their_identity})"
    if answer != "ok":
        return f"refused: {wire.untext(fields[0]) if fields else answer}"
    return fields


def status(place: Place) -> Status | str:
    fields = ask(place, "status")
    if isinstance(fields, str):
        return fields
    try:
        pid, served, started, idle, path = fields
        return Status(int(pid), int(served), float(started), float(idle), os.fsdecode(path))
    except ValueError:
        return "not answering (a garbled status)"


def stop(place: Place, wait: float = 10.0) -> str | None:
    """Asks the daemon to leave and waits until its socket is gone; returns what went wrong, if anything."""
    fields = ask(place, "stop")
    if isinstance(fields, str):
        return fields
    deadline = time.monotonic() + wait
    while os.path.lexists(place.socket):
        if time.monotonic() > deadline:
            return f"asked to stop, but {place.socket} is still there after {wait:g} s"
        time.sleep(0.02)
    return None
