"""K-grams and names too common in code at large to be evidence that a text was copied: imports, trivial getters,
`if __name__ == "__main__"`, Go's Len/Less/Swap, Rust's `impl fmt::Display`, constructors that store their
arguments; names such as `self`, `err`, `value`.

The table is built by `tools/build_background.py` from the "background" split of `bench/code_corpus.py`: real
code of every grammar language (Python, JavaScript, TypeScript, Go, Rust, Java, C, C++, Ruby, Lua; about 5.8
million lines) fetched at pinned versions from Debian, npm and PyPI, none of it in the bodies the accuracy bench
tunes or reports on. Each language is counted on its own: a k-gram hash (structural or lexical) is common when
1 in 250 of that language's files hold it, and at least 5; a name when 1 in 50 do; the table is their union.
A team with other languages, or its own libraries' idioms, adds "background" packages to that module and runs
the script again. Rebuild whenever tokens.py or winnow.py change how hashes are made; otherwise no hash would
ever be found common. A new table changes which k-grams are fingerprints, so it goes with a new
`fingerprint_index.PRINT_SCHEME`.

It ships as `data/background.bin`: a bitmap of 2**24 bits, zlib-compressed, with the bit of each common hash's
low 24 bits set (one-hash Bloom filter). 2 MB in memory instead of ~10 MB for a set of Python ints, and loaded
by decompressing alone; with ~197,000 keys (194,000 k-grams, 3,000 names) 1.2% of the bits are set, so 1.2% of
other k-grams are taken for common, which only thins their fingerprints slightly.

A common k-gram is never chosen as a fingerprint, neither for a recorded edit nor for a scanned document,
so boilerplate cannot make a match, and recorded edits do not spend index space on it.

**Common lines** ship apart, as `data/lines.bin` (a bitmap of 2**LINE_BITS bits, built by the same script from the
same corpus and the same rate): lines that many unrelated files hold word for word (`if err != nil {`,
`case reflect.Bool:`, `return None`). They change no fingerprint; `copy_score` does not count them as lines a
copy kept (`CopyScore.verbatim`), since code of the same idiom holds them without being copied.
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
LINES_FILE = "lines.bin"
LINE_BITS = 20
"""About 12,000 common lines in 2**20 bits: 1.2% of other lines are taken for common."""


class Table:
    """Membership of 64-bit hashes in the background (false positives under 1%, no false negatives)."""

    __slots__ = ("_bits",)

    def __init__(self, bits: bytes) -> None:
        self._bits = bits

    def __contains__(self, h: int) -> bool:
        i = h & _MASK
        return bool(self._bits[i >> 3] >> (i & 7) & 1)

    def has_name(self, name: int) -> bool:
        """Whether a name (`tokens.name_value`, flags ignored) is common in code at large: `self`, `value`, `err`,
        `path`. Such names confirm no copy, and a lexical fingerprint needs a name that is not common."""
        return name_key(name) in self

    @property
    def size(self) -> int:
        """Bits set."""
        return sum(bin(byte).count("1") for byte in self._bits)


class Lines:
    """Membership of line hashes (`fingerprints.line_hash`) in the background's common lines."""

    __slots__ = ("_bits", "_mask")

    def __init__(self, bits: bytes) -> None:
        self._bits = bits
        self._mask = len(bits) * 8 - 1

    def __contains__(self, line: int) -> bool:
        i = line & self._mask
        return bool(self._bits[i >> 3] >> (i & 7) & 1)


@cache
def common_lines() -> Lines:
    """The shipped common lines; none (with a warning in the log) when the file is missing or damaged."""
    size = 1 << (LINE_BITS - 3)
    try:
        bits = zlib.decompress(resources.files("provguard.provenance").joinpath("data", LINES_FILE).read_bytes())
    except (OSError, zlib.error) as exc:
        log.warning("background common lines unreadable (%s): idiomatic lines count as copied", exc)
        return Lines(bytes(size))
    if len(bits) != size:
        log.warning("background common lines have %d bytes, not %d: idiomatic lines count as copied", len(bits), size)
        return Lines(bytes(size))
    return Lines(bits)


def encode_lines(lines: Iterable[int]) -> bytes:
    """The lines file's bytes for a set of line hashes (used by the build script)."""
    bits = bytearray(1 << (LINE_BITS - 3))
    mask = (1 << LINE_BITS) - 1
    for h in lines:
        i = h & mask
        bits[i >> 3] |= 1 << (i & 7)
    return zlib.compress(bytes(bits), 9)


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


def name_key(name: int) -> int:
    """The table's key for a name: the name's 30 bits of text hash, spread by an odd multiplier and offset so
    that names and k-gram hashes fall on unrelated bits."""
    return ((name & _NAME_BITS) * _NAME_MULTIPLIER + _NAME_OFFSET) & ((1 << 64) - 1)


_NAME_BITS = (1 << 30) - 1
_NAME_MULTIPLIER = 0x9E3779B97F4A7C15
_NAME_OFFSET = 0x632BE59BD9B4E019


def encode(hashes: Iterable[int], names: Iterable[int] = ()) -> bytes:
    """The data file's bytes for a set of k-gram hashes and of common names (used by the build script)."""
    bits = bytearray(1 << (BITS - 3))
    for h in (*hashes, *(name_key(n) for n in names)):
        i = h & _MASK
        bits[i >> 3] |= 1 << (i & 7)
    return zlib.compress(bytes(bits), 9)
