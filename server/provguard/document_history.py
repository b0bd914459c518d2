"""Git history for an open document: what to blame for its current version (read in a worker thread: blame may
take a while) and putting the spans in place only if the document did not change meanwhile."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from provguard.open_document import OpenDocument
from provguard.provenance.git import GitHistory, History
from provguard.provenance.tracking import SpanRecord, SpanTracker


class HistoryApplied(StrEnum):
    STALE = "stale"
    """The document changed while git ran: read again."""
    UNCHANGED = "unchanged"
    CHANGED = "changed"


@dataclass(frozen=True)
class HistoryJob:
    """Git history to read for one version of a document (in a worker thread: blame may take a while)."""

    uri: str
    path: Path
    shown_as: str
    source: bytes
    version: int | None


def job(opened: OpenDocument | None) -> HistoryJob | None:
    """What to blame for a document as it is now; None when git is off or the document is not open."""
    if opened is None or not opened.project.settings.git:
        return None
    doc = opened.document
    return HistoryJob(opened.uri, Path(doc.path), opened.relative_path, doc.source, doc.version)


def read(git: GitHistory, job: HistoryJob) -> History:
    """Blocking (runs git); safe in a worker thread."""
    return git.spans(job.path, job.source, job.shown_as)


def apply(opened: OpenDocument | None, job: HistoryJob, history: History) -> HistoryApplied:
    """Puts a document's git spans in place, unless it changed since `job` (then its lines moved)."""
    if opened is None or not opened.project.settings.git:
        return HistoryApplied.UNCHANGED
    if opened.document.version != job.version or opened.document.source != job.source:
        return HistoryApplied.STALE
    had = bool(opened.capture.history.intervals)
    tracker = SpanTracker()
    tracker.add_many([(SpanRecord(s.origin, s.end - s.start), s.start, s.end, None) for s in history.spans])
    opened.capture.history = tracker
    if not had and not history.spans:
        return HistoryApplied.UNCHANGED
    opened.invalidate()
    return HistoryApplied.CHANGED
