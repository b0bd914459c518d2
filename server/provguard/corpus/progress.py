"""A progress line on stderr while a corpus is filtered: only on a terminal, so logs and pipes stay clean."""

from __future__ import annotations

from time import monotonic
from typing import TextIO

WIDTH = 30


class Progress:
    """`[#######.......]  42% 420.0/1000.0 MB 12.3 MB/s`; without a known total, bytes and rate only."""

    def __init__(self, out: TextIO, total: int | None, interval: float = 0.2) -> None:
        self._out = out
        self._total = total
        self._done = 0
        self._started = monotonic()
        self._shown = 0.0
        self._interval = interval

    def advance(self, size: int) -> None:
        self._done += size
        now = monotonic()
        if now - self._shown >= self._interval:
            self._shown = now
            self._draw(now)

    def close(self) -> None:
        self._draw(monotonic())
        self._out.write("\n")
        self._out.flush()

    def _draw(self, now: float) -> None:
        mb = self._done / 1e6
        rate = mb / max(now - self._started, 1e-9)
        if self._total:
            share = min(self._done / self._total, 1.0)
            bar = "#" * round(share * WIDTH)
            text = f"[{bar:.<{WIDTH}}] {share:4.0%} {mb:.1f}/{self._total / 1e6:.1f} MB {rate:.1f} MB/s"
        else:
            text = f"{mb:.1f} MB {rate:.1f} MB/s"
        self._out.write("\r" + text)
        self._out.flush()
