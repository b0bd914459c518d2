"""An agent's hook payload read from stdin, bounded in size and in time.

`sys.stdin.buffer.read()` gathers whatever the other end sends until it closes: a payload that never ends
(`cat /dev/zero |`, a runaway tool) grows the process without bound, and since the read loops in C while data
keeps coming, not even a SIGALRM set for the guard's `--timeout` interrupts it (Python runs signal handlers
only when a system call is interrupted or control returns to the interpreter). Reading here goes a chunk at a
time with `os.read`, so a handler runs between chunks, and stops one byte past the limit or at the deadline.
Imports: only what the interpreter loaded at start-up (`select` only when there is a deadline), as in
daemon/client.py, which reads the payload before anything else: so no dataclass (`dataclasses` costs ~5 ms).
"""

from __future__ import annotations

import os
import time

MAX_PAYLOAD_BYTES = 64 << 20
"""The largest payload read, as for a record or transcript line: an agent's payload holds a file's new text
(at most 8 MiB is judged) and perhaps its old text and a tool's output beside it."""
PAYLOAD_WAIT = 5.0
"""Seconds a hook's payload may take to arrive and end (the guard's default `--timeout`): an agent that leaves
stdin open and sends nothing, or stops halfway, would otherwise hold `provguard hook` until it kills it."""
_CHUNK = 1 << 16


class Payload:
    """`data`: what was read, all of stdin when `ended` (it reached its end within the limit and the time
    given), else its start; `too_large`: more than `limit` bytes came, and the rest is left unread."""

    __slots__ = ("data", "ended", "limit", "too_large")

    def __init__(self, data: bytes, ended: bool, too_large: bool = False, limit: int = MAX_PAYLOAD_BYTES) -> None:
        self.data, self.ended, self.too_large, self.limit = data, ended, too_large, limit

    def problem(self) -> str | None:
        """Why the payload cannot be used, for the note on stderr; None when it was read whole."""
        if self.too_large:
            return f"the payload is larger than {self.limit / (1 << 20):g} MiB: not read"
        if not self.ended:
            return "the payload did not end in time: not read"
        return None


def read_payload(fd: int = 0, seconds: float | None = None, limit: int = MAX_PAYLOAD_BYTES,
                 head: bytes = b"") -> Payload:
    """stdin (`fd`) after `head` to its end, unless more than `limit` bytes come or `seconds` pass first (None:
    no deadline, the limit alone bounds the read)."""
    deadline = None if seconds is None else time.monotonic() + seconds
    if deadline is not None:
        import select  # an extension module of a few hundred microseconds, only when there is a deadline
    chunks, size = [head], len(head)
    while size <= limit:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                return Payload(b"".join(chunks), ended=False)
        chunk = os.read(fd, min(_CHUNK, limit + 1 - size))
        if not chunk:
            return Payload(b"".join(chunks), ended=True)
        chunks.append(chunk)
        size += len(chunk)
    return Payload(b"".join(chunks)[: limit + 1], ended=False, too_large=True, limit=limit)
