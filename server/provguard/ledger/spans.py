"""Between tracked spans and the ledger: what to store for a document, and its stored spans placed again.

The session and the CLI both use these, so a span is re-anchored the same way in the editor and in CI:
only where its exact bytes are found; otherwise it is dropped with the reason, never moved to other lines.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from provguard.documents import Document
from provguard.ledger.anchor import Unanchored, anchor, fingerprint
from provguard.ledger.model import StoredSpan
from provguard.ledger.store import Ledger, LedgerError
from provguard.provenance.origin import Span
from provguard.provenance.tracking import SpanRecord, SpanTracker

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Placed:
    stored: StoredSpan
    start: int
    end: int


@dataclass(frozen=True)
class Dropped:
    stored: StoredSpan
    reason: str


@dataclass(frozen=True)
class Restored:
    placed: tuple[Placed, ...]
    dropped: tuple[Dropped, ...]
    error: str | None = None
    """The ledger could not be read for this path: keep what it holds, write nothing over it."""

    def spans(self) -> tuple[Span, ...]:
        return tuple(Span(p.start, p.end, p.stored.origin, span_id=p.stored.id,
                          original_share=_share(p.stored)) for p in self.placed)


def restore(ledger: Ledger, path: str, doc: Document) -> Restored:
    try:
        stored = ledger.load_spans(path)
    except LedgerError as exc:
        return Restored((), (), f"cannot read recorded spans of {path} from {ledger.location}: {exc}")
    placed: list[Placed] = []
    dropped: list[Dropped] = []
    for span in stored:
        where = anchor(span.fingerprint, doc.source, doc.lines)
        if isinstance(where, Unanchored):
            dropped.append(Dropped(span, where.reason))
            log.info("dropped recorded span %s of %s: %s", span.id, path, where.reason)
        else:
            placed.append(Placed(span, *where))
    return Restored(tuple(placed), tuple(dropped))


def track_restored(tracker: SpanTracker, restored: Restored) -> None:
    """Puts placed spans back under live tracking, with their ids, origins and original text."""
    records: dict[str, SpanRecord] = {}
    items = []
    for p in restored.placed:
        record = records.setdefault(p.stored.id, SpanRecord(
            p.stored.origin, p.stored.original_length, id=p.stored.id, created_at=p.stored.created_at))
        items.append((record, p.start, p.end, [(p.start + s, p.start + e) for s, e in p.stored.original]))
    tracker.add_many(items)


def stored_spans(tracker: SpanTracker, path: str, doc: Document) -> list[StoredSpan]:
    return [
        StoredSpan(iv.record.id, path, iv.record.origin, iv.record.original_length,
                   tuple((s - iv.start, e - iv.start) for s, e in iv.original), iv.record.created_at,
                   fingerprint(doc.source, iv.start, iv.end, doc.lines))
        for iv in tracker.intervals
    ]


def _share(span: StoredSpan) -> float:
    if not span.original_length:
        return 0.0
    return sum(e - s for s, e in span.original) / span.original_length
