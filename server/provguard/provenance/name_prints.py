"""Name prints: an edit's names indexed like fingerprints, for an edit whose shape is mostly common code.

Renaming such an edit, or cutting an excerpt from it, leaves too few k-gram fingerprints to look it up by
(`copy_score.MIN_PRINTS`), while its calls, fields, types and strings stay. So the edit also holds a `name_print`
of each of its first `copy_score.MAX_NAME_PRINTS` names (`InsertionPrints.names`, ascending), among its
fingerprints: every index (SQLite, PostgreSQL, a snapshot) finds it by them with no new storage, and matching tells
them apart from its k-grams by recomputing them from its names. No k-gram hash changes.

Edits recorded before name prints existed get theirs from the ledger migration that introduced them
(`prints_to_add`, from the names and prints the ledger already holds; the text is not needed). Light on purpose:
the ledger imports it when it migrates.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Sequence

from provguard.provenance.copy_score import MAX_NAME_PRINTS, indexes_names


def name_print(name: int) -> int:
    """The fingerprint that indexes a name (`tokens.name_value`): a signed 64-bit hash, apart from every k-gram hash
    (a collision is as likely as between two k-grams)."""
    digest = hashlib.blake2b(b"name\0" + name.to_bytes(4, "little"), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True)


def name_prints(names: Sequence[int]) -> frozenset[int]:
    """The name prints an edit with `names` may hold: how its k-gram fingerprints are told apart from them."""
    return frozenset(map(name_print, names[:MAX_NAME_PRINTS]))


def prints_to_add(prints: Collection[int], names: Sequence[int], lines: int) -> tuple[int, ...]:
    """The name prints an edit with k-gram fingerprints `prints`, `names` and `lines` non-blank lines holds
    (none unless `copy_score.indexes_names`), those it has already left out."""
    kgrams = set(prints) - name_prints(names)
    structural = sum(not h & 1 for h in kgrams)  # lexical hashes are odd (`winnow.is_lexical`)
    if not names or not indexes_names(structural, len(kgrams), lines):
        return ()
    return tuple(h for h in dict.fromkeys(map(name_print, names[:MAX_NAME_PRINTS])) if h not in prints)
