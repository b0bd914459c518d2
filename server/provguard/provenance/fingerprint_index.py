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


class FingerprintIndex(Protocol):
    def match_fingerprints(self, hashes: Collection[int]) -> dict[str, int]:
        """Edit id -> how many of the distinct `hashes` that edit's fingerprints contain (edits with >= 1)."""
        ...

    def agent_edits(self, path: str | None = None, ids: Sequence[str] | None = None) -> list[AgentEdit]:
        """Edits matching every given filter (all when none), oldest first (by time, then id), with their
        fingerprints and line hashes (and their text only where the store keeps it: a snapshot never does)."""
        ...
