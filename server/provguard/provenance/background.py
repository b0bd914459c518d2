"""K-grams too common in code at large to be evidence that a text was copied: imports, trivial getters,
`if __name__ == "__main__"`, loop headers.

The table is built by `tools/build_background.py` from code shipped on the machine that has nothing to do with
AI output (the Python standard library and a few annotated packages, the JavaScript of node's bundled npm, C
headers under /usr/include, a JDK's Java sources): the k-gram hashes that occur in at least the script's
MIN_FILES distinct files. Rebuild it whenever tokens.py or winnow.py change how hashes are made; otherwise no
hash would ever be found common.

It ships as `data/background.bin`: a bitmap of 2**24 bits, zlib-compressed, with the bit of each common hash's
low 24 bits set (one-hash Bloom filter). 2 MB in memory instead of ~9 MB for a set of Python ints, and loaded
by decompressing alone; with ~130,000 common hashes, under 1% of other k-grams are taken for common, which only
thins their fingerprints slightly.

A common k-gram is never chosen as a fingerprint, neither for a recorded edit nor for a scanned document,
so boilerplate cannot make a match, and recorded edits do not spend index space on it.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Iterable
from functools import cache
from importlib import resources

log = logging.getLogger(__name__)

DATA_FILE = "background.bin"
BITS = 24
_MASK = (1 << BITS) - 1


class Table:
    """Membership of 64-bit hashes in the background (false positives under 1%, no false negatives)."""

    __slots__ = ("_bits",)

    def __init__(self, bits: bytes) -> None:
        self._bits = bits

    def __contains__(self, h: int) -> bool:
        i = h & _MASK
        return bool(self._bits[i >> 3] >> (i & 7) & 1)

    @property
    def size(self) -> int:
        """Bits set."""
        return sum(bin(byte).count("1") for byte in self._bits)


@cache
def common() -> Table:
    """The shipped table; empty (with a warning in the log) when the file is missing or damaged."""
    try:
        bits = zlib.decompress(resources.files("provguard.provenance").joinpath("data", DATA_FILE).read_bytes())
    except (OSError, zlib.error) as exc:
        log.warning("background frequency table unreadable (%s): boilerplate is not filtered", exc)
        return Table(bytes(1 << (BITS - 3)))
    if len(bits) != 1 << (BITS - 3):
        log.warning("background frequency table has %d bytes, not %d: boilerplate is not filtered", len(bits),
                    1 << (BITS - 3))
        return Table(bytes(1 << (BITS - 3)))
    return Table(bits)


def encode(hashes: Iterable[int]) -> bytes:
    """The data file's bytes for a set of hashes (used by the build script)."""
    bits = bytearray(1 << (BITS - 3))
    for h in hashes:
        i = h & _MASK
        bits[i >> 3] |= 1 << (i & 7)
    return zlib.compress(bytes(bits), 9)
