"""K-grams too common in code at large to be evidence that a text was copied: imports, trivial getters,
`if __name__ == "__main__"`, loop headers.

The table is built by `tools/build_background.py` from code shipped on the machine that has nothing to do with
AI output (the Python standard library and a few annotated packages, the JavaScript of node's bundled npm, C
headers under /usr/include, a JDK's Java sources) and shipped as `data/background.bin`: the sorted k-gram
hashes (signed 64-bit little-endian, zlib-compressed) that occur in at least `tools/build_background.py`'s
MIN_FILES distinct files. Rebuild it whenever tokens.py or winnow.py change how hashes are made; otherwise no
hash would ever be found common.

A common k-gram is never chosen as a fingerprint, neither for a recorded edit nor for a scanned document,
so boilerplate cannot make a match, and recorded edits do not spend index space on it.
"""

from __future__ import annotations

import logging
import sys
import zlib
from array import array
from functools import cache
from importlib import resources

log = logging.getLogger(__name__)

DATA_FILE = "background.bin"


@cache
def common_hashes() -> frozenset[int]:
    """The shipped table; empty (with a warning in the log) when the file is missing or damaged."""
    try:
        blob = resources.files("provguard.provenance").joinpath("data", DATA_FILE).read_bytes()
        values = array("q")
        values.frombytes(zlib.decompress(blob))
    except (OSError, zlib.error, ValueError) as exc:
        log.warning("background frequency table unreadable (%s): boilerplate is not filtered", exc)
        return frozenset()
    if sys.byteorder != "little":
        values.byteswap()
    return frozenset(values)


def encode(hashes: set[int]) -> bytes:
    """The data file's bytes for a set of hashes (used by the build script)."""
    values = array("q", sorted(hashes))
    if sys.byteorder != "little":
        values.byteswap()
    return zlib.compress(values.tobytes(), 9)
