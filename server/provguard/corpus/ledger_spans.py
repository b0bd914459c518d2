"""Spans the ledger accounts for, as a judge's `extra_spans` provider that worker processes can carry.

The provider holds the ledger's location, not a connection: each process opens the ledger the first time it
needs it. Copies of recorded agent edits are found with the same matcher `check` and snapshots use.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from provguard.documents import Document
from provguard.ledger.spans import restore
from provguard.ledger.store import Ledger
from provguard.provenance.matching import index_spans
from provguard.provenance.origin import Span


@dataclass
class RecordedSpans:
    """Spans recorded for a sample's path, where their exact text is found in the sample (as `check` does)."""

    location: str
    """A SQLite file or a PostgreSQL URL (with its password: this object is never shown)."""
    _ledger: Ledger | None = field(default=None, init=False, repr=False, compare=False)

    def __call__(self, doc: Document, path: str | None) -> tuple[Span, ...]:
        """Spans recorded for the sample's path, and copies of recorded agent edits found by fingerprint."""
        ledger = self._open()
        recorded = restore(ledger, path, doc).spans() if path is not None else ()
        return recorded + index_spans(doc, path, ledger)

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
