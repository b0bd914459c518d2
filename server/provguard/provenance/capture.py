"""Live capture: edits of an open document become tracked spans, and client hints name their origin.

Every change is classified (changes.py); a bulk insertion becomes a span of unknown origin at once. An editor
plugin that knows more (a paste, an accepted inline completion, an agent's edit) sends a hint naming the
document version and the range the inserted text occupies in that version. The hint is joined to the
insertion it describes; one that matches no insertion, or whose change never arrives, is dropped after a
short time and never applied to other text.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

from provguard.documents import Document
from provguard.positions import Encoding, Range
from provguard.provenance.changes import BulkThreshold, ChangeKind, classify, diff
from provguard.provenance.origin import Evidence, Kind, Origin
from provguard.provenance.tools import infer_vendor
from provguard.provenance.tracking import SpanRecord, SpanTracker

log = logging.getLogger(__name__)

HINT_WAIT_SECONDS = 2.0
"""How long a hint may wait for its change, and an insertion for its hint."""


class HintKind(StrEnum):
    PASTE = "paste"
    INLINE_COMPLETION = "inline-completion"
    AGENT_EDIT = "agent-edit"
    CHAT_APPLY = "chat-apply"

    @property
    def origin_kind(self) -> Kind:
        return _HINT_KINDS[self]


_HINT_KINDS = {HintKind.PASTE: Kind.PASTE, HintKind.INLINE_COMPLETION: Kind.AI_COMPLETION,
               HintKind.AGENT_EDIT: Kind.AI_AGENT, HintKind.CHAT_APPLY: Kind.AI_CHAT_PASTE}


@dataclass(frozen=True)
class InsertionHint:
    version: int
    range: Range
    """Where the inserted text lies in that version, in the client's position encoding."""
    kind: HintKind
    tool: str | None = None
    vendor: str | None = None
    model: str | None = None
    received: float = field(default_factory=time.monotonic)

    def origin(self) -> Origin:
        return Origin(self.kind.origin_kind, Evidence.CLIENT_HINT, tool=self.tool,
                      vendor=self.vendor or infer_vendor(self.tool, self.model), model=self.model, date=_now())


@dataclass
class _Insertion:
    version: int
    record: SpanRecord
    """Its record in the recent-insertions tracker, which moves it with later edits."""
    span: SpanRecord | None
    """The tracked span a bulk insertion created, if any."""
    created: float
    range: Range | None = None


class HintOutcome(StrEnum):
    APPLIED = "applied"
    QUEUED = "queued"
    DROPPED = "dropped"


class LiveCapture:
    def __init__(self, threshold: BulkThreshold) -> None:
        self.threshold = threshold
        self.tracker = SpanTracker()
        self.history = SpanTracker()
        """Spans from git history: they follow edits as tracked spans do, but are never recorded (git has them)."""
        self._recent = SpanTracker()
        self._insertions: list[_Insertion] = []
        self._waiting: list[InsertionHint] = []

    def edit(self, doc: Document, start: int, end: int, text: str, version: int) -> ChangeKind:
        """Applies one incremental change to the document and the spans."""
        inserted = text.encode("utf-8", errors="surrogatepass")
        self._track(doc, start, end, inserted, version)
        doc.replace(start, end, text)
        return classify(end - start, inserted, self.threshold)

    def replace_all(self, doc: Document, text: str, version: int) -> None:
        """A full-document change, tracked as the edits a diff finds (last first, so offsets hold)."""
        new = text.encode("utf-8", errors="surrogatepass")
        for edit in reversed(diff(doc.source, new)):
            self._track(doc, edit.start, edit.end, edit.text, version)
        doc.set_text(text)

    def finish(self, doc: Document, version: int, encoding: Encoding, now: float | None = None) -> None:
        """After all changes of one version: note where its insertions lie, then join waiting hints."""
        now = time.monotonic() if now is None else now
        places = {iv.record.id: (iv.start, iv.end) for iv in self._recent.intervals}
        for insertion in self._insertions:
            if insertion.version == version and insertion.record.id in places:
                start, end = places[insertion.record.id]
                insertion.range = doc.lines.range(start, end, encoding)
        waiting, self._waiting = self._waiting, []
        for hint in waiting:
            if hint.version == version:
                self.hint(doc, hint, now)
            elif hint.version > version and now - hint.received <= HINT_WAIT_SECONDS:
                self._waiting.append(hint)
            else:
                log.info("dropped a %s hint for version %d: its change never arrived", hint.kind, hint.version)
        self._prune(now)

    def hint(self, doc: Document, hint: InsertionHint, now: float | None = None) -> HintOutcome:
        now = time.monotonic() if now is None else now
        self._prune(now)
        if doc.version is None or hint.version > doc.version:
            self._waiting.append(hint)
            return HintOutcome.QUEUED
        insertion = next((i for i in self._insertions if i.version == hint.version and i.range is not None
                          and _covers(i.range, hint.range)), None)
        place = next(((iv.start, iv.end) for iv in self._recent.intervals
                      if insertion is not None and iv.record is insertion.record), None)
        if insertion is None or place is None:
            log.info("dropped a %s hint for version %d: no insertion of that version at %s",
                     hint.kind, hint.version, hint.range)
            return HintOutcome.DROPPED
        origin = hint.origin()
        if insertion.span is not None and any(iv.record is insertion.span for iv in self.tracker.intervals):
            insertion.span.origin = origin
        else:
            record = SpanRecord(origin, place[1] - place[0], created_version=hint.version)
            self.tracker.add(record, *place)
            insertion.span = record
        return HintOutcome.APPLIED

    def _track(self, doc: Document, start: int, end: int, inserted: bytes, version: int) -> None:
        deleted = doc.source[start:end]
        kind = classify(end - start, inserted, self.threshold)
        origin = (Origin(Kind.UNKNOWN, Evidence.EDITOR_EVENT, date=_now())
                  if kind is ChangeKind.BULK_INSERTION else None)
        span = self.tracker.replace(start, end, deleted, inserted, origin, version)
        self.history.replace(start, end, deleted, inserted)
        marker = Origin(Kind.UNKNOWN, Evidence.EDITOR_EVENT)
        recent = self._recent.replace(start, end, deleted, inserted, marker if inserted else None, version)
        if recent is not None:
            self._insertions.append(_Insertion(version, recent, span, time.monotonic()))

    def _prune(self, now: float) -> None:
        keep: list[_Insertion] = []
        for insertion in self._insertions:
            if now - insertion.created <= HINT_WAIT_SECONDS:
                keep.append(insertion)
            else:
                self._recent.remove(insertion.record.id)
        self._insertions = keep


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _covers(outer: Range, inner: Range) -> bool:
    return outer.start <= inner.start and inner.end <= outer.end and inner.start < inner.end
