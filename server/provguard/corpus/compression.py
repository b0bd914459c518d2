"""Compressed corpus files, chosen by name: `.gz` (gzip) and `.zst` (Zstandard, as large code corpora ship).

One place for both engines (the local stream and Ray's files), so a suffix read by one is read by the other.
A damaged or truncated compressed file surfaces as `OSError` naming the file, like any other read failure.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO, cast

SUFFIXES = (".gz", ".zst")
GZIP_LEVEL = 6
ZSTD_LEVEL = 3
"""Zstandard's default: about gzip's ratio at several times its speed."""


def compressed(name: str) -> bool:
    return name.lower().endswith(SUFFIXES)


def bare(name: str) -> str:
    """`name` without its compression suffix: `train.jsonl.zst` is judged and typed as `train.jsonl`."""
    for suffix in SUFFIXES:
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name


@contextmanager
def reading(raw: BinaryIO, name: str) -> Iterator[BinaryIO]:
    """`raw`'s bytes, decompressed when `name` says so."""
    lower = name.lower()
    try:
        if lower.endswith(".gz"):
            with gzip.GzipFile(fileobj=raw, mode="rb") as unpacked:
                yield cast(BinaryIO, unpacked)
        elif lower.endswith(".zst"):
            yield cast(BinaryIO, io.BufferedReader(_ZstdFrames(raw), 1 << 20))
        else:
            yield raw
    except EOFError as exc:  # gzip's truncated stream
        raise OSError(f"truncated: {exc}") from exc


@contextmanager
def writing(raw: BinaryIO, name: str) -> Iterator[BinaryIO]:
    """A stream whose bytes reach `raw` compressed when `name` says so; finished when the block ends."""
    lower = name.lower()
    if lower.endswith(".gz"):
        # No name or time in the header: the same records give the same bytes, whatever the file system.
        with gzip.GzipFile(filename="", fileobj=raw, mode="wb", compresslevel=GZIP_LEVEL, mtime=0) as packed:
            yield cast(BinaryIO, packed)
    elif lower.endswith(".zst"):
        import zstandard

        with zstandard.ZstdCompressor(level=ZSTD_LEVEL).stream_writer(raw, closefd=False) as packed:
            yield cast(BinaryIO, packed)
    else:
        yield raw


class _ZstdFrames(io.RawIOBase):
    """Decompresses frame after frame (a `.zst` may hold several) and fails on a frame cut short: zstandard's
    own stream reader ends quietly there, which would drop the rest of a corpus without a word."""

    def __init__(self, raw: BinaryIO) -> None:
        import zstandard

        self._raw = raw
        self._new = zstandard.ZstdDecompressor().decompressobj
        self._error = zstandard.ZstdError
        self._frame = self._new()
        self._started = False
        """Bytes of the current frame were read: ending here would cut it short."""
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        while not self._pending:
            chunk = self._raw.read(1 << 16)
            if not chunk:
                if self._started:
                    raise OSError("truncated: the last Zstandard frame is cut short")
                return 0
            try:
                while chunk:
                    self._started = True
                    self._pending += self._frame.decompress(chunk)
                    chunk = b""
                    if self._frame.eof:  # a frame ended; what follows starts the next one
                        chunk = self._frame.unused_data
                        self._frame = self._new()
                        self._started = False
            except self._error as exc:
                raise OSError(f"not valid Zstandard data: {exc}") from exc
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size
