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

from collections import deque
from collections.abc import Callable, Sequence

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
    has the same shape. A rolling polynomial mod 2**64 (O(1) per token, the back-references included: each is
    dropped once, when the earlier occurrence leaves the k-gram), then a bit mixer.
    """
    n = len(ids)
    if n < k:
        return []
    back = _back_references(names, n) if names is not None else [0] * n
    powers = [pow(_BASE, e, 1 << 64) for e in range(k + 1)]
    base_k = powers[k]
    values = [(ids[i] + back[i] * _REF) & _MASK if back[i] else ids[i] for i in range(n)]
    events: dict[int, list[int]] = {}
    for i in range(n):
        if back[i]:
            events.setdefault(i - back[i], []).append(i)
    h = 0
    for i in range(k):
        h = (h * _BASE + values[i]) & _MASK
    out = [_mix(h)]
    for s in range(n - k):
        # slide from [s, s+k) to [s+1, s+k+1): token s leaves, token s+k enters
        added = s + k
        entering = ids[added] if back[added] and added - back[added] <= s else values[added]
        h = (h * _BASE - ids[s] * base_k + entering) & _MASK  # the first token refers to nothing inside
        for j in events.get(s, ()):
            if j < added:  # still inside: its earlier occurrence just left, so it is a plain identifier now
                h = (h + (ids[j] - values[j]) * powers[s + k - j]) & _MASK
        out.append(_mix(h))
    return out


def structural_hashes(ids: Sequence[int], names: Sequence[int]) -> list[int]:
    """`kgram_hashes` with names as back-references only, made even: fingerprints blind to renaming."""
    return [h & ~1 for h in kgram_hashes(ids, names)]


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
    values = [(_NAMED | name) if name and not name & WEAK else token for token, name in zip(ids, names, strict=True)]
    hashes = [h | 1 for h in kgram_hashes(values)]
    telling: dict[int, bool] = {}
    strong = [0]
    for name in names:
        if name and not name & WEAK:
            known = telling.get(name)
            if known is None:
                known = telling[name] = not common_name(name)
            strong.append(strong[-1] + known)
        else:
            strong.append(strong[-1])
    return hashes, [strong[i + K] == strong[i] for i in range(len(hashes))]


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
        out += [(i, spelled[i]) for i in winnow(spelled, LEXICAL_WINDOW, skip, nameless)]
    return out


_NAMED = 1 << 32
"""Added to a name's value in lexical k-grams so it never equals a token id (both 32-bit)."""


def _back_references(names: Sequence[int], n: int) -> list[int]:
    """For each token, how many tokens back its name last occurred (0: not an identifier, or first use). Names
    flagged LITERAL (string literals' texts, words of files without a grammar) are no identifiers: no references."""
    last: dict[int, int] = {}
    back = [0] * n
    for i in range(n):
        name = names[i]
        if name and not name & LITERAL:
            if name in last:
                back[i] = i - last[name]
            last[name] = i
    return back


def _mix(h: int) -> int:
    """splitmix64's finaliser: every input bit moves every output bit, so minima are uniformly spread."""
    h = ((h ^ (h >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    h = ((h ^ (h >> 27)) * 0x94D049BB133111EB) & _MASK
    h ^= h >> 31
    return h - (1 << 64) if h >= 1 << 63 else h


def winnow(hashes: Sequence[int], window: int = WINDOW, skip: Callable[[int], bool] | None = None,
           blocked: Sequence[bool] | None = None) -> list[int]:
    """Positions (indexes into `hashes`) of the chosen fingerprints, ascending.

    `skip` marks hashes never to choose (common k-grams), `blocked` positions never to choose. A text shorter than
    one window keeps its minimum.
    """
    chosen: list[int] = []
    candidates: deque[int] = deque()  # positions, their hashes increasing from left to right
    for i, h in enumerate(hashes):
        if (blocked is None or not blocked[i]) and (skip is None or not skip(h)):
            while candidates and hashes[candidates[-1]] >= h:
                candidates.pop()
            candidates.append(i)
        while candidates and candidates[0] <= i - window:
            candidates.popleft()
        if i >= window - 1 and candidates and (not chosen or chosen[-1] != candidates[0]):
            chosen.append(candidates[0])
    if len(hashes) < window and candidates:
        chosen.append(candidates[0])
    return chosen
