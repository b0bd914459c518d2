"""LSP frames (`Content-Length: N` headers, a blank line, N bytes of JSON) read from a byte stream within limits.

pygls's own reader trusts the header: a length of 10^15 ends the process with MemoryError, a header line
without an end is read whole into memory, and one bad frame leaves the stream out of step. Here a frame whose
header is unusable (a length over MAX_FRAME_BYTES, negative or not a number, no length at all, a line that is
not a header) is refused: nothing is read into memory for it, a line goes to the log, and reading resumes at
the next `Content-Length` header in the stream. That skips the refused frame's body whatever its real length,
because a JSON body cannot contain a raw line break inside a string, so `Content-Length:` followed by a number
and a line break never occurs inside one.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import BinaryIO

log = logging.getLogger(__name__)

MAX_FRAME_BYTES = 64 * 1024 * 1024
"""The largest message body accepted (64 MiB): well above any source file a person edits, which the client
sends whole on open, and small enough to hold in memory."""
MAX_HEADER_LINE = 8192
"""Bytes of one header line; a longer line is not a header."""
MAX_HEADER_LINES = 32
"""Header lines of one frame (LSP defines two: Content-Length and Content-Type)."""

_LENGTH_NAME = re.compile(rb"content-length[ \t]*:", re.IGNORECASE)
_TOKEN = re.compile(rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
"""A header name (RFC 9110's token)."""
_DIGITS = re.compile(rb"[0-9]{1,20}")
_KEEP = len(b"Content-Length:") - 1
"""Bytes of one chunk kept while scanning, so a header split across two chunks is still found."""


@dataclass(frozen=True)
class Refusal:
    """Why a frame was not read."""

    reason: str


class FrameReader:
    """Reads frame bodies from a blocking binary stream (stdin), one at a time."""

    def __init__(self, stream: BinaryIO, limit: int = MAX_FRAME_BYTES) -> None:
        self._stream = stream
        self._limit = limit
        self._scanning = False
        self._tail = b""
        """The end of an unfinished line already returned, searched again with what follows it."""
        self.refused = 0
        """Frames refused so far (for the log and for tests)."""

    def next_frame(self) -> bytes | None:
        """The next frame's body, or None when the stream has ended."""
        while True:
            header = self._header()
            if header is None:
                return None
            if isinstance(header, Refusal):
                self.refused += 1
                log.warning("LSP frame refused: %s; skipping to the next Content-Length header", header.reason)
                self._scanning = True
                continue
            body = self._stream.read(header)
            if len(body) < header:
                log.warning("input ended inside a frame (%d of %d bytes); stopping", len(body), header)
                return None
            return body

    def _header(self) -> int | Refusal | None:
        """The body length announced by the next header block, a refusal, or None at the end of the input."""
        length: bytes | None = None
        lines = 0
        while True:
            line = self._next_header_line()
            if line is None:
                if lines:
                    log.warning("input ended inside a frame's header; stopping")
                return None
            if line in (b"\r\n", b"\n"):
                if not lines:
                    continue  # a stray blank line between frames
                break
            lines += 1
            if not line.endswith(b"\n"):
                return Refusal(f"a header line longer than {MAX_HEADER_LINE} bytes")
            if lines > MAX_HEADER_LINES:
                return Refusal(f"more than {MAX_HEADER_LINES} header lines")
            name, colon, value = line.partition(b":")
            if not colon or _TOKEN.fullmatch(name) is None:
                return Refusal(f"not a header line: {_shown(line)}")
            if name.strip().lower() == b"content-length":
                length = value.strip()
        if length is None:
            return Refusal("no Content-Length header")
        if _DIGITS.fullmatch(length) is None:
            return Refusal(f"Content-Length {_shown(length)} is not a non-negative integer")
        size = int(length)
        if size > self._limit:
            return Refusal(f"Content-Length {size} is over the limit of {self._limit} bytes")
        return size

    def _next_header_line(self) -> bytes | None:
        """One line of at most MAX_HEADER_LINE bytes, starting at a Content-Length header if the line has one
        (bytes glued before it, such as the tail of a body shorter than announced, are skipped); while scanning
        after a refused frame, the first such line, wherever in the stream it begins."""
        kept, self._tail = self._tail, b""
        while True:
            chunk = self._stream.readline(MAX_HEADER_LINE)
            if not chunk:
                return None
            line = kept + chunk
            found = _LENGTH_NAME.search(line)
            if found is not None:
                if found.start() > len(kept):
                    log.warning("skipped %s before a Content-Length header", _shown(line[len(kept):found.start()]))
                self._scanning = False
                line = line[found.start():]
                if not line.endswith(b"\n"):  # the chunk ended inside the header line: finish it
                    line += self._stream.readline(MAX_HEADER_LINE)
                return line
            kept = b"" if line.endswith(b"\n") else line[-_KEEP:]
            if not self._scanning:
                self._tail = kept
                return chunk


def _shown(raw: bytes) -> str:
    """A bit of a bad header for the log, never the whole of it."""
    text = raw[:60].decode("utf-8", "backslashreplace").strip()
    return repr(text + ("..." if len(raw) > 60 else ""))


async def serve(reader: FrameReader, handle: Callable[[bytes], None], executor: Executor,
                stop: threading.Event) -> None:
    """Hands each frame body to `handle` until the input ends; reading blocks in `executor`, not the loop."""
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        body = await loop.run_in_executor(executor, reader.next_frame)
        if body is None:
            log.info("the client closed the input; stopping")
            return
        handle(body)
