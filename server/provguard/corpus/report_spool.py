"""The Ray driver's side-report lines, spooled to disk as files finish (`filter --engine ray`)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from typing import IO


class ReportSpool:
    """Side-report lines as files finish, in a temporary file on the driver's disk: the driver keeps an offset
    per file, not the lines, so its memory stays flat however many records a corpus has flagged, and the report
    is still written in input order. The file is opened by the first line added: a spool that never gets one (a
    run that failed before any file finished, a RayRun built elsewhere) holds no file."""

    CHUNK = 1 << 20

    def __init__(self) -> None:
        self._file: IO[bytes] | None = None
        self._at: dict[str, tuple[int, int]] = {}

    def add(self, name: str, text: str) -> None:
        data = text.encode("utf-8")
        if not data:
            self._at.pop(name, None)  # a file with nothing to report: no offset, no file opened for it
            return
        if self._file is None:
            self._file = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the run; gone when closed or the driver dies
        start = self._file.seek(0, os.SEEK_END)
        self._file.write(data)
        self._at[name] = (start, len(data))

    def lines(self, name: str) -> Iterator[str]:
        """The file's report lines, read back a chunk at a time."""
        start, length = self._at.get(name, (0, 0))
        rest, pending = length, b""
        while rest > 0 and self._file is not None:
            self._file.seek(start + length - rest)
            chunk = self._file.read(min(self.CHUNK, rest))
            if not chunk:
                break
            rest -= len(chunk)
            *whole, pending = (pending + chunk).split(b"\n")
            yield from (line.decode("utf-8") for line in whole if line)
        if pending:
            yield pending.decode("utf-8")

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
