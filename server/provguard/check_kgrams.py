"""Every k-gram hash of a file, for `check_prefilter`, computed with NumPy when it is installed.

`winnow.every_kgram` computes a file's structural and lexical k-gram hashes with Python's big integers (every lane
at once, in C), but finds each identifier's back-reference in a Python loop, ~720 ns a token in all. The same
arithmetic on NumPy's wrapping uint64 arrays, the back-references found by a stable sort, costs ~160 ns a token:
the prefilter hashes every token of every file checked, so this is a part of every cold `provguard check`. The
hashes must be the very ones `every_kgram` gives (the ledger holds prints made by it); tests compare them on real
files of several languages and on random streams. Without NumPy, `every_kgram` itself is used.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

from provguard.provenance.tokens import LITERAL, WEAK
from provguard.provenance.winnow import _BASE, _MASK, _NAMED, _REF, K, every_kgram  # the same hashes, in arrays

if TYPE_CHECKING:
    import numpy as np


NUMPY_AFTER = 300_000
"""Tokens hashed by `every_kgram` in a process before NumPy is imported (~0.1 s, about what hashing that many tokens
with it saves): checking one file or a few never pays for the import."""


class FileKgrams:
    """A file's structural and lexical k-gram hashes (`every_kgram`), as lists."""

    def __init__(self, structural: list[int], lexical: list[int]) -> None:
        self._lists = structural, lexical

    def held(self, hashes: HeldHashes) -> set[int]:
        """The distinct hashes among them that `hashes` holds."""
        shared = set(hashes.hashes.intersection(self._lists[0]))  # no set of the file's hashes is built
        shared.update(hashes.hashes.intersection(self._lists[1]))
        return shared

    def lists(self) -> tuple[list[int], list[int]]:
        """The hashes by position, as `every_kgram` gives them."""
        return self._lists


class _ArrayKgrams(FileKgrams):
    """The same hashes as int64 arrays: a file the ledger shares too few of is never made into Python ints."""

    def __init__(self, structural: np.ndarray[Any, Any], lexical: np.ndarray[Any, Any]) -> None:
        self._arrays = structural, lexical

    def held(self, hashes: HeldHashes) -> set[int]:
        table, mask = hashes.table()
        out: set[int] = set()
        for column in self._arrays:
            maybe = column[table[column & mask]]  # the few whose low bits some held hash has
            out.update(h for h in maybe.tolist() if h in hashes.hashes)
        return out

    def lists(self) -> tuple[list[int], list[int]]:
        structural, lexical = self._arrays
        return structural.tolist(), lexical.tolist()


class HeldHashes:
    """The hashes a ledger holds, as a set and, once asked, as a table of their low bits: a file's hashes are
    looked up in the table at C speed, and only the few whose low bits match are looked up in the set."""

    def __init__(self, hashes: frozenset[int]) -> None:
        self.hashes = hashes
        self._table: tuple[np.ndarray[Any, Any], np.int64] | None = None

    def table(self) -> tuple[np.ndarray[Any, Any], np.int64]:
        """(table, mask): table[h & mask] is true for every held hash h, and for about one in 64 others (more past
        65,536 held hashes: the table stays within 4 MB)."""
        import numpy as np

        if self._table is None:
            bits = min(max(16, (len(self.hashes) * 64).bit_length()), 22)  # at most 4 MB
            mask = np.int64((1 << bits) - 1)
            table = np.zeros(1 << bits, dtype=np.bool_)
            table[np.fromiter(self.hashes, dtype=np.int64, count=len(self.hashes)) & mask] = True
            self._table = table, mask
        return self._table


class KgramHasher:
    """`every_kgram` for the first NUMPY_AFTER tokens of a process, then the same hashes with NumPy when it can be
    imported."""

    def __init__(self, numpy_after: int = NUMPY_AFTER) -> None:
        self._hashed = 0
        self._numpy_after = numpy_after
        self._numpy = False

    def __call__(self, ids: Sequence[int], names: Sequence[int]) -> FileKgrams:
        if not self._numpy and self._hashed <= self._numpy_after:
            self._hashed += len(ids)
            if self._hashed >= self._numpy_after:
                try:
                    import numpy  # noqa: F401
                except ImportError:
                    pass
                else:
                    self._numpy = True
        if self._numpy and len(ids) >= K:
            return _ArrayKgrams(*kgram_arrays(ids, names))
        return FileKgrams(*every_kgram(ids, names))


def every_kgram_numpy(ids: Sequence[int], names: Sequence[int]) -> tuple[list[int], list[int]]:
    """`winnow.every_kgram`'s structural and lexical hashes, by position, computed on uint64 arrays."""
    if len(ids) < K:
        return [], []
    structural, lexical = kgram_arrays(ids, names)
    return structural.tolist(), lexical.tolist()


def kgram_arrays(ids: Sequence[int], names: Sequence[int]) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """`every_kgram_numpy` as signed int64 arrays (at least K tokens)."""
    import numpy as np

    n = len(ids)
    token = np.asarray(ids, dtype=np.uint64)
    name = np.asarray(names, dtype=np.int64)
    structural = _polynomial(token, n) + _references(name, n)
    structural = _mix(structural) & np.uint64(_MASK - 1)
    spelled_mask = (name != 0) & ((name & WEAK) == 0)
    spelled = np.where(spelled_mask, name.astype(np.uint64) | np.uint64(_NAMED), token)
    lexical = _mix(_polynomial(spelled, n)) | np.uint64(1)
    return structural.view(np.int64), lexical.view(np.int64)


def _polynomial(values: np.ndarray[Any, Any], n: int) -> np.ndarray[Any, Any]:
    """sum(values[s + t] * B**(K-1-t) for t < K) mod 2**64 for every k-gram start s (wrapping uint64 arithmetic)."""
    import numpy as np

    count = n - K + 1
    out = np.zeros(count, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for t, power in enumerate(_powers()):
            out += values[t:t + count] * np.uint64(power)
    return out


def _references(names: np.ndarray[Any, Any], n: int) -> np.ndarray[Any, Any]:
    """Each k-gram's back-reference terms: an identifier whose name occurred d < K tokens earlier adds
    d * REF * B**(K-1-t) to every k-gram holding both, t being its offset in the k-gram (as `winnow._kgram_lanes`)."""
    import numpy as np

    count = n - K + 1
    extra = np.zeros(count, dtype=np.uint64)
    at = np.flatnonzero((names != 0) & ((names & LITERAL) == 0))
    if len(at) < 2:
        return extra
    order = np.argsort(names[at], kind="stable")  # positions of each name, ascending
    sorted_at, sorted_names = at[order], names[at][order]
    same = sorted_names[1:] == sorted_names[:-1]
    later, distance = sorted_at[1:][same], (sorted_at[1:] - sorted_at[:-1])[same]
    near = distance < K
    later, distance = later[near], distance[near]
    terms = np.array(_terms(), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for t in range(1, K):
            pick = (distance <= t) & (later - t >= 0) & (later - t < count)
            if pick.any():
                extra[later[pick] - t] += terms[distance[pick], t]  # one k-gram per reference and offset
    return extra


def _mix(h: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """splitmix64's finaliser (`winnow._mix_lanes`)."""
    import numpy as np

    with np.errstate(over="ignore"):
        h = h ^ (h >> np.uint64(30))
        h = h * np.uint64(0xBF58476D1CE4E5B9)
        h = h ^ (h >> np.uint64(27))
        h = h * np.uint64(0x94D049BB133111EB)
        mixed: np.ndarray[Any, Any] = h ^ (h >> np.uint64(31))
    return mixed


@cache
def _powers() -> list[int]:
    """B**(K-1-t) mod 2**64 for t < K."""
    return [pow(_BASE, K - 1 - t, 1 << 64) for t in range(K)]


@cache
def _terms() -> list[list[int]]:
    """[d][t]: d * REF * B**(K-1-t) mod 2**64 (`winnow._reference_terms`)."""
    return [[(d * _REF * pow(_BASE, K - 1 - t, 1 << 64)) & _MASK for t in range(K)] for d in range(K)]
