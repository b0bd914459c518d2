"""Fingerprints of code that survive moving, re-indenting and renaming (winnowed k-grams of normalised tokens).

PLACEHOLDER API, being implemented: the function below is the interface the recorders use.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


@dataclass(frozen=True)
class InsertionPrints:
    """What the ledger keeps of an inserted text instead of the text."""

    fingerprints: tuple[int, ...]
    """Winnowed k-gram hashes (signed 64-bit) of the normalised tokens."""
    line_hashes: tuple[int, ...]
    """Hashes of the text's non-blank lines with surrounding white space removed (signed 64-bit)."""
    lines: int


def insertion_prints(text: str, path: str) -> InsertionPrints:
    """Fingerprints of `text`, inserted into the file at `path` (its name picks the grammar)."""
    lines = [line.strip() for line in text.splitlines()]
    return InsertionPrints((), tuple(_hash64(line.encode()) for line in lines if line), len(lines))


def _hash64(data: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little", signed=True)
