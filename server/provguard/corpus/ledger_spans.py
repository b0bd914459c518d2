"""Spans the ledger recorded, as a judge's `extra_spans` provider that worker processes can carry.

The provider holds the ledger's location, not a connection: each process opens the ledger the first time it
needs it. Fingerprint matching of agent edits (provenance/matching.py, to come) plugs in the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from provguard.documents import Document
from provguard.ledger.spans import restore
from provguard.ledger.store import Ledger
from provguard.provenance.origin import Span


@dataclass
class RecordedSpans:
    """Spans recorded for a sample's path, where their exact text is found in the sample (as `check` does)."""

    location: str
    """A SQLite file or a PostgreSQL URL (with its password: this object is never shown)."""
    _ledger: Ledger | None = field(default=None, init=False, repr=False, compare=False)

    def __call__(self, doc: Document, path: str | None) -> tuple[Span, ...]:
        if path is None:
            return ()
        return restore(self._open(), path, doc).spans()

    def _open(self) -> Ledger:
        if self._ledger is None:
            from provguard.ledger.location import is_url, open_postgres
            from provguard.ledger.sqlite import SqliteLedger

            self._ledger = open_postgres(self.location) if is_url(self.location) else SqliteLedger(self.location)
        return self._ledger

    def __getstate__(self) -> dict[str, str]:
        return {"location": self.location}

    def __setstate__(self, state: dict[str, str]) -> None:
        self.location = state["location"]
        self._ledger = None
