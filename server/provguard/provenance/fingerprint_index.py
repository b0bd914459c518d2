"""What fingerprint matching needs from wherever the known AI output is kept: the interface, not a store.

Two things satisfy it: the team's ledger (`provguard.ledger.store.Ledger`, SQLite or PostgreSQL) and a
policy snapshot's read-only index (`provguard.corpus.snapshot.SnapshotIndex`, memory-mapped by pipeline
workers that cannot reach the ledger). Matching written against this protocol runs unchanged on both, which
is what keeps the verdicts of a cluster run equal to those of one machine.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Protocol

from provguard.ledger.model import AgentEdit

PRINT_SCHEME = 4
"""Which fingerprints an edit holds: bumped whenever what a fingerprint is changes (tokens, K, WINDOW, hash,
background table), since prints of two schemes need not match. 1: k = 8, window 8, imports kept (until
2026-11-25); 2: k = 8, window 4, imports skipped (until 2026-12-07); 3: the background table of every grammar
language, and each edit's names kept beside its prints (until 2026-12-08); 4: JavaScript and TypeScript class
members recorded alone are read inside a class body (`fragments.fragment_tokens`; every other edit's prints are
those of scheme 3). Ledgers record each edit's scheme; `provguard health` counts
the edits of an older one (`Ledger.stale_edits`), and importing again refreshes them (the migration that added
the scheme also rewound the import cursors). Snapshots carry the scheme in their format version."""

MAX_EDITS_PER_PRINT = 64
"""A fingerprint recorded in more edits than this is the index's own boilerplate (structure every agent
writes): `match_fingerprints` ignores it. Reading its thousands of postings in a large ledger cost more than
the rest of a lookup together, and it tells no edit apart. Every index applies the same cut, so a ledger and
a snapshot of it give the same verdicts."""


class FingerprintIndex(Protocol):
    def match_fingerprints(self, hashes: Collection[int]) -> dict[str, int]:
        """Edit id -> how many of the distinct `hashes` that edit's fingerprints contain (edits with >= 1),
        leaving out hashes recorded in more than MAX_EDITS_PER_PRINT edits."""
        ...

    def agent_edits(self, path: str | None = None, ids: Sequence[str] | None = None) -> list[AgentEdit]:
        """Edits matching every given filter (all when none), oldest first (by time, then id), with their
        fingerprints and line hashes (and their text only where the store keeps it: a snapshot never does)."""
        ...
