"""Who is at the other end of a daemon connection. The socket is an injection point (its answers decide what
an agent may write), so both ends check that the other runs as the same user: the kernel's SO_PEERCRED on
Linux. Elsewhere the runtime folder's 0700 mode is the only guard.

Client path: `_socket` only.
"""

from __future__ import annotations

import _socket
import os
import sys

CREDENTIALS_SIZE = 12
"""struct ucred: pid, uid, gid, three C ints."""


def peer_uid(sock: _socket.socket) -> int | None:
    """The uid of the process at the other end, or None where the platform cannot say."""
    option = getattr(_socket, "SO_PEERCRED", None)
    if option is None:
        return None
    credentials = sock.getsockopt(_socket.SOL_SOCKET, option, CREDENTIALS_SIZE)
    return uid_of(credentials)


def uid_of(credentials: bytes) -> int:
    return int.from_bytes(credentials[4:8], sys.byteorder)


def refusal(uid: int | None, own: int | None = None) -> str | None:
    """Why a peer running as `uid` must not be served or believed (None when it is this user)."""
    own = os.geteuid() if own is None else own
    if uid is None or uid == own:
        return None
    return f"the peer runs as user {uid}, not as this user ({own})"
