"""A one-line progress display for `provguard check` on a terminal: files done of files found, at most ten
updates a second, wiped when the run ends so the report starts on a clean line. Never on a pipe or in CI logs."""

from __future__ import annotations

import os
import sys
import time
from typing import TextIO


class Progress:
    INTERVAL = 0.1

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self._shown = 0.0
        self._drawn = False

    @classmethod
    def on_terminal(cls, enabled: bool = True, stream: TextIO | None = None) -> Progress | None:
        """A display on `stream` (stderr) when it is a terminal and progress is wanted; else None."""
        out = stream or sys.stderr
        if not enabled or os.environ.get("CI") or not out.isatty():
            return None
        return cls(out)

    def update(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self._shown < self.INTERVAL:
            return
        self._shown = now
        self.stream.write(f"\rprovguard: checked {done}/{total} files ({100 * done // max(total, 1)}%)\x1b[K")
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        if self._drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
