"""Winnowing (Schleimer, Wilkerson, Aiken, SIGMOD 2003): a few k-gram hashes that still find every long copy.

Every run of K consecutive normalised tokens (a k-gram) gets a 64-bit hash. Of every WINDOW consecutive
k-gram hashes the smallest is kept (the rightmost on ties; once per position). Because the choice depends
only on the hashes inside the window, two texts sharing a run of tokens choose the same hashes inside it:

- **Guarantee**: a run of at least WINDOW + K - 1 = GUARANTEE tokens shared by two texts (after
  normalisation: identifiers, literals, comments and layout do not count) always shares at least one
  fingerprint, and every further WINDOW tokens of shared run add about one more.
- **Noise floor**: a run shorter than K tokens never produces a shared fingerprint.
- **Density**: about 2 / (WINDOW + 1) of all k-grams are kept: with K = 8 and WINDOW = 4, one fingerprint per
  2.5 tokens; after the background's cut about one per line of typical code (recorded: 1.0 a line).

Why K = 8 and WINDOW = 4 (measured with `python bench/accuracy.py`): an edited line spoils every k-gram that
overlaps it, its own tokens and K - 1 before them, so with one line in six edited the shared runs are only a
few lines long; WINDOW = 8 chose too few fingerprints inside them (84% of such copies found), WINDOW = 4 more
(93%), for about one fingerprint a recorded line, within the 64-byte budget. A smaller K spoils less but
makes most k-grams common: at K = 5 or 6 the background table removed half the fingerprints or more, and
fewer unedited copies were found (52% and 85%, against 93% at K = 8, in the same trial run).

K-grams that are common in code at large (see `provguard.provenance.background`) are excluded before the
minimum is taken, so windows pick distinctive k-grams instead, and boilerplate never becomes a fingerprint.
The guarantee then holds for shared runs of distinctive k-grams.
"""

from __future__ import annotations

import sys
from array import array
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from functools import cache, lru_cache
from itertools import accumulate, compress, repeat
from operator import eq

from provguard.provenance.tokens import LITERAL, WEAK

K = 8
"""Tokens per k-gram: the noise floor. 8 normalised tokens is about a line and a half of code."""
WINDOW = 4
"""K-grams per winnowing window: density against index size (<= 64 bytes per recorded line)."""
LEXICAL_WINDOW = 16
"""K-grams per window for lexical fingerprints (`lexical_hashes`): half as dense as the structural ones, since a
copy that keeps its names keeps long runs of them."""
GUARANTEE = WINDOW + K - 1
"""A shared run of this many tokens always shares a fingerprint (11 tokens: about two lines)."""

_MASK = (1 << 64) - 1
_BASE = 0x100000001B3  # FNV prime: odd, so the polynomial is invertible mod 2**64
_REF = 0x9E3779B97F4A7C15


def kgram_hashes(ids: Sequence[int], names: Sequence[int] | None = None, k: int = K) -> list[int]:
    """Hash of every k consecutive tokens, signed 64-bit.

    `names` (0 for a token that is not an identifier) adds which identifiers are the same name: an identifier
    whose name occurred d tokens earlier *within the same k-gram* hashes as (identifier, d); otherwise as
    a plain identifier. That keeps the hash blind to consistent renaming while telling apart code that only
    has the same shape. A polynomial mod 2**64, then a bit mixer (see `_kgram_lanes`).
    """
    return _signed(_kgram_lanes(ids, names, k), len(ids) - k + 1)


def _kgram_lanes(ids: Sequence[int], names: Sequence[int] | None, k: int) -> int:
    """`kgram_hashes` as lanes of one big int (see `_lanes`), unsigned and mixed.

    The hash of the k-gram at s is sum(value(s + t) * B**(k-1-t) for t < k) mod 2**64, where a token's value is
    its id, plus d * _REF if it is an identifier whose name occurred d <= t tokens earlier (inside the k-gram).
    That is the plain polynomial of the ids, computed for every k-gram at once as k shifted lane vectors times
    constants (in C), plus each reference's terms, added k-gram by k-gram for the few tokens that have one (the
    recorded hashes were defined by a rolling loop over the same sums: this is the same arithmetic).
    """
    n = len(ids)
    if n < k:
        return 0
    ones = _ones(n)
    h = _polynomials(_lanes(ids), k, ones)
    if names is not None:
        terms = _reference_terms(k)
        extra: dict[int, int] = {}
        last: dict[int, int] = {}
        for i in compress(range(n), names):  # the tokens with a name: string literals' are no identifiers
            name = names[i]
            if not name & LITERAL:
                earlier = last.get(name)
                last[name] = i
                if earlier is not None and i - earlier < k:
                    d = i - earlier  # counts in the k-grams holding the earlier occurrence: those at i - t, t >= d
                    for t in range(d, min(k, i + 1)):
                        extra[i - t] = extra.get(i - t, 0) + terms[d][t]
        if extra:
            refs = array("Q", bytes(16 * n))
            for at, term in extra.items():
                refs[2 * at] = term & _MASK
            h += _from_array(refs)
    return _mix_lanes(h & ones, ones)


def _polynomials(tokens: int, k: int, ones: int) -> int:
    """Lanes of sum(tokens[s + t] * B**(k-1-t) for t < k) mod 2**64, for every s (garbage in the last k - 1).

    By doubling, a product per bit of k: the polynomial of a + b tokens at s is that of the first a times B**b
    plus that of the b at s + a. A lane below 2**64 times a constant below 2**64, plus one more, stays below
    2**128: no carry reaches the next lane."""
    result, length = 0, 0
    block, size = tokens, 1  # the polynomial of `size` tokens at every s
    while True:
        if k & size:
            result = ((result * pow(_BASE, size, 1 << 64)) + (block >> (_LANE * length))) & ones
            length += size
        if size * 2 > k:
            return result
        block = ((block * pow(_BASE, size, 1 << 64)) + (block >> (_LANE * size))) & ones
        size *= 2


@cache
def _reference_terms(k: int) -> list[list[int]]:
    """[d][t]: what a reference of length d at offset t adds to a k-gram's hash, d * _REF * B**(k-1-t) mod 2**64."""
    return [[(d * _REF * pow(_BASE, k - 1 - t, 1 << 64)) & _MASK for t in range(k)] for d in range(k)]


def structural_hashes(ids: Sequence[int], names: Sequence[int]) -> list[int]:
    """`kgram_hashes` with names as back-references only, made even: fingerprints blind to renaming."""
    lanes = _kgram_lanes(ids, names, K)
    return _signed(lanes - (lanes & _low_bits(len(ids))), len(ids) - K + 1)


def lexical_hashes(ids: Sequence[int], names: Sequence[int],
                   common_name: Callable[[int], bool]) -> tuple[list[int], list[bool]]:
    """Hashes of every K tokens with each identifier's and literal's own text in place of `$id` and `$str`, made
    odd (so a print's kind is its lowest bit); and for each, whether it holds no name that tells code apart
    (only names of one or two characters, or `common_name`s such as `self` and `path`, or none: a getter of
    `path` is boilerplate, whatever its names).

    Code whose shape is everywhere (a table of `add_option(...)` calls, keyword arguments, a constructor's
    assignments) has few or no structural fingerprints, yet its names and strings make it as distinctive as any:
    these find its copies when the names are kept (moved, re-indented, reformatted, excerpted), and the
    structural ones find renamed copies."""
    hashes = _lexical_only(ids, names)
    return hashes, nameless(names, common_name)[:len(hashes)]


def _lexical_only(ids: Sequence[int], names: Sequence[int]) -> list[int]:
    values = _spelled(ids, names)
    return _signed(_kgram_lanes(values, None, K) | _low_bits(len(values)), len(values) - K + 1)


def nameless(names: Sequence[int], common_name: Callable[[int], bool]) -> list[bool]:
    """For each k-gram (and as many more), whether it holds no name that tells code apart (see `lexical_hashes`):
    never a lexical fingerprint."""
    telling = {name: not common_name(name) for name in set(names) if name and not name & WEAK}
    strong = list(accumulate(map(telling.get, names, repeat(False)), initial=0))  # telling names before each token
    return list(map(eq, strong[K:], strong))


def every_kgram(ids: Sequence[int], names: Sequence[int]) -> tuple[list[int], list[int]]:
    """Every structural and every lexical k-gram hash of a token stream, by position: all `chosen_hashes` may choose
    from, none left out by winnowing or the background table. So a fingerprint of the text is always among them,
    and a recorded edit sharing fewer than N of them shares fewer than N of its fingerprints (`check_prefilter`).
    The hashes alone, in C: no window is scanned."""
    if len(ids) < K:
        return [], []
    return structural_hashes(ids, names), _lexical_only(ids, names)


def chosen_among(hashes: Sequence[int], window: int, positions: Iterable[int],
                 allowed: Callable[[int], bool]) -> list[int]:
    """Of `positions` (ascending), those `winnow` chooses with the same window, where `allowed(q)` says position q is
    neither skipped nor blocked: a position is chosen when it is allowed and the rightmost least allowed hash of some
    window holding it (of the whole text, when shorter than a window). Each is judged by its own windows alone, so
    the few positions whose hashes a ledger holds cost a few comparisons instead of winnowing the whole text."""
    n = len(hashes)
    out: list[int] = []
    for p in positions:
        if not allowed(p):
            continue
        h = hashes[p]
        starts, span = (range(max(0, p - window + 1), min(p, n - window) + 1), window) if n >= window else (
            range(1), n)
        for w in starts:
            if all(q == p or not (hashes[q] < h or (hashes[q] == h and q > p)) or not allowed(q)
                   for q in range(w, w + span)):
                out.append(p)
                break
    return out


def _spelled(ids: Sequence[int], names: Sequence[int]) -> list[int]:
    """The tokens of lexical k-grams: each identifier's and literal's name in place of `$id` and `$str`."""
    return [(_NAMED | name) if name and not name & WEAK else token for token, name in zip(ids, names, strict=True)]


def is_lexical(h: int) -> bool:
    return bool(h & 1)


def chosen_hashes(ids: Sequence[int], names: Sequence[int], skip: Callable[[int], bool] | None,
                  common_name: Callable[[int], bool] | None = None) -> list[tuple[int, int]]:
    """(position of the k-gram's first token, hash) of every fingerprint of a token stream, structural ones
    (window WINDOW) then lexical ones (LEXICAL_WINDOW; only given `common_name`: a file without a grammar has no
    names apart from its words, which its structural hashes already hold)."""
    structural = structural_hashes(ids, names)
    out = [(i, structural[i]) for i in winnow(structural, WINDOW, skip)]
    if common_name is not None:
        spelled, nameless = lexical_hashes(ids, names, common_name)
        out += [(i, spelled[i]) for i in winnow(spelled, LEXICAL_WINDOW, skip, nameless, rarely_skipped=True)]
    return out


_NAMED = 1 << 32
"""Added to a name's value in lexical k-grams so it never equals a token id (both 32-bit)."""


_LANE = 128
"""Bits a lane: a 64-bit value times a 64-bit constant never carries into the next lane."""


def _lanes(values: Sequence[int]) -> int:
    """Values mod 2**64 as one int, value i in bits [128 i, 128 i + 64): arithmetic on every value at once."""
    packed = array("Q", bytes(16 * len(values)))
    try:
        packed[0::2] = array("Q", values)
    except OverflowError:  # token ids are 32-bit; any other int counts mod 2**64, as in the polynomial
        packed[0::2] = array("Q", [v & _MASK for v in values])
    return _from_array(packed)


def _from_array(packed: array[int]) -> int:
    if sys.byteorder == "big":
        packed = array("Q", packed)
        packed.byteswap()
    return int.from_bytes(packed.tobytes(), "little")


def _signed(lanes: int, count: int) -> list[int]:
    """The first `count` lanes, as signed 64-bit values."""
    if count <= 0:
        return []
    values = array("q")
    values.frombytes(lanes.to_bytes(max(16 * count, (lanes.bit_length() + 7) // 8), "little")[:16 * count])
    if sys.byteorder == "big":
        values.byteswap()
    return values[0::2].tolist()


@lru_cache(maxsize=4)
def _ones(n: int) -> int:
    """The low 64 bits of each of n lanes (the last few sizes kept: a document's hashes are made twice)."""
    return int.from_bytes((b"\xff" * 8 + bytes(8)) * n, "little")


@lru_cache(maxsize=4)
def _low_bits(n: int) -> int:
    """Bit 0 of each of n lanes."""
    return int.from_bytes((b"\x01" + bytes(15)) * n, "little")


def _mix_lanes(h: int, ones: int) -> int:
    """splitmix64's finaliser of every lane (unsigned): every input bit moves every output bit, so minima are
    uniformly spread."""
    h ^= (h >> 30) & ones
    h = (h * 0xBF58476D1CE4E5B9) & ones
    h ^= (h >> 27) & ones
    h = (h * 0x94D049BB133111EB) & ones
    return h ^ ((h >> 31) & ones)


def winnow(hashes: Sequence[int], window: int = WINDOW, skip: Callable[[int], bool] | None = None,
           blocked: Sequence[bool] | None = None, *, rarely_skipped: bool = False) -> list[int]:
    """Positions (indexes into `hashes`) of the chosen fingerprints, ascending.

    `skip` marks hashes never to choose (common k-grams), `blocked` positions never to choose. A text shorter than
    one window keeps its minimum. `rarely_skipped` changes only how often `skip` is asked: about the minimum of
    each window, not every hash (then again about the windows whose minimum it skips), fewer calls when it
    skips few (lexical k-grams: under 1%; structural ones: half).
    """
    if rarely_skipped and skip is not None and len(hashes) >= window:
        chosen = _window_minima(hashes, window, blocked)
        common = {p for p in set(chosen) if p >= 0 and skip(hashes[p])}
        if common:
            allowed: dict[int, bool] = dict.fromkeys(common, False)
            for w, p in enumerate(chosen):
                if p in common:  # the window's least hash is common: the least of those that are not
                    least = -1
                    for j in range(w, w + window):
                        if blocked is None or not blocked[j]:
                            ok = allowed.get(j)
                            if ok is None:
                                ok = allowed[j] = not skip(hashes[j])
                            if ok and (least < 0 or hashes[j] <= hashes[least]):
                                least = j
                    chosen[w] = least
        # consecutive windows share their minimum until it leaves: the positions ascend, the distinct ones are chosen
        return [p for p in dict.fromkeys(chosen) if p >= 0]
    barred: Iterable[bool]
    if blocked is None:
        barred = map(skip, hashes) if skip is not None else repeat(False)
    else:
        barred = blocked if skip is None else [b or skip(h) for h, b in zip(hashes, blocked, strict=True)]
    chosen = []
    candidates: deque[int] = deque()  # positions, their hashes increasing from left to right
    push, pop, first = candidates.append, candidates.pop, window - 1
    last = -1
    for i, (h, bar) in enumerate(zip(hashes, barred, strict=False)):  # `barred` may repeat for ever
        if not bar:
            while candidates and hashes[candidates[-1]] >= h:
                pop()
            push(i)
        if candidates:
            if candidates[0] < i - first:
                candidates.popleft()
            if i >= first and candidates and candidates[0] != last:
                last = candidates[0]
                chosen.append(last)
    if len(hashes) < window and candidates:
        chosen.append(candidates[0])
    return chosen


def _window_minima(hashes: Sequence[int], window: int, blocked: Sequence[bool] | None) -> list[int]:
    """For each window of `window` hashes, the position of its least unblocked hash (the rightmost on ties), or
    -1."""
    minima: list[int] = []
    candidates: deque[int] = deque()
    push, pop, first = candidates.append, candidates.pop, window - 1
    for i, (h, bar) in enumerate(zip(hashes, repeat(False) if blocked is None else blocked, strict=False)):
        if not bar:
            while candidates and hashes[candidates[-1]] >= h:
                pop()
            push(i)
        if candidates and candidates[0] < i - first:
            candidates.popleft()
        if i >= first:
            minima.append(candidates[0] if candidates else -1)
    return minima
