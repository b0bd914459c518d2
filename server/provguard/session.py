"""What an editor session holds: open documents, each in its project (workspace_projects.py), and one analysis per
document version.

Protocol-free on purpose: the LSP layer converts positions and messages, this module keeps the state.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from provguard.analysis import Analysis, analyze
from provguard.documents import Document
from provguard.editor_project import (
    EditorProject,
    LedgersOpened,
    PolicyUpdate,
)
from provguard.files import relative_to_root
from provguard.findings import one_per_place
from provguard.kept_trees import KeptTrees
from provguard.languages import detect
from provguard.ledger.model import Declaration
from provguard.ledger.spans import restore, track_restored
from provguard.ledger.store import LedgerError
from provguard.open_document import OpenDocument
from provguard.provenance import matching, region
from provguard.provenance.capture import LiveCapture
from provguard.provenance.changes import BulkThreshold
from provguard.provenance.git import GitHistory
from provguard.provenance.origin import Origin, Span
from provguard.too_large import not_judged, not_kept, over_cap, over_limit
from provguard.workspace_projects import WorkspaceProjects

__all__ = ["EditorProject", "LedgersOpened", "OpenDocument", "PolicyUpdate", "Session"]

log = logging.getLogger(__name__)


class Session(WorkspaceProjects):
    """Open documents, each judged in its project (workspace_projects.py): what is edited, tracked, analysed and
    declared in them."""

    def __init__(self, roots: list[Path]) -> None:
        super().__init__(roots)
        self._trees = KeptTrees()
        self.git = GitHistory()

    # -- documents ------------------------------------------------------------------------------------------

    def open(self, uri: str, path: str, language_id: str | None, text: str, version: int | None) -> OpenDocument:
        """Parsed at its first analysis, not here (a tree held from now would escape kept_trees.py). A document
        over files.MAX_FILE_BYTES is `oversized`: its text is kept and edited, nothing else is done with it (its
        recorded spans stay in the ledger, untouched) until edits bring it under the limit; one over
        too_large.HARD_CAP is not even kept."""
        source = text.encode("utf-8", errors="surrogatepass")
        size = len(source)
        doc = Document(path, detect(path, language_id), b"" if over_cap(size) else source, version, parse=False)
        del source
        project = self.project_of(Path(path))
        capture = LiveCapture(BulkThreshold(chars=project.settings.bulk_insert_chars))
        opened = OpenDocument(uri, doc, relative_to_root(path, project.root), capture, project,
                              oversized=over_limit(size), dropped=size if over_cap(size) else None)
        if not opened.oversized:
            self._restore(opened)
        self.documents[uri] = opened
        return opened

    def _restore(self, opened: OpenDocument) -> None:
        restored = restore(opened.project.ledger, opened.relative_path, opened.document)
        opened.ledger_error = restored.error
        track_restored(opened.capture.tracker, restored)

    def _sized(self, opened: OpenDocument, size: int) -> bool:
        """Before a change leaving `size` bytes: True when it is to be applied as bare text (the document is
        over the limit before or after it). A document going over saves its spans first (the text still is the
        one they were tracked in) and forgets all it knew of its text."""
        if opened.oversized or not over_limit(size):
            return opened.oversized
        self.persist(opened.uri)
        opened.oversized = True
        opened.forget_text()
        self._trees.drop(opened.uri)
        return True

    def _drop(self, opened: OpenDocument, size: int) -> None:
        """A change would leave `size` bytes, past too_large.HARD_CAP: the text is let go (see too_large.py)."""
        opened.dropped = size
        opened.document.set_text("", parse=False)

    def _resized(self, opened: OpenDocument) -> None:
        """After a bare change: a document back under the limit is judged again, its recorded spans placed anew."""
        if opened.oversized and not over_limit(len(opened.document.source)):
            opened.oversized = False
            opened.invalidate()
            self._restore(opened)

    def edit(self, opened: OpenDocument, start: int, end: int, text: str, version: int) -> None:
        """One incremental change: the text, tracked spans, the tokens of the lines it touched, and regions
        found earlier moved with it (no ledger lookup here: the LSP layer calls `match` debounced)."""
        doc, added = opened.document, len(text.encode("utf-8", errors="surrogatepass"))
        if opened.dropped is not None:
            return  # no text to apply it to (too_large.py)
        size = len(doc.source) - (end - start) + added
        if self._sized(opened, size):
            if over_cap(size):
                self._drop(opened, size)
                return
            doc.replace(start, end, text)
            self._resized(opened)
            return
        first, old_last, old_tree = doc.lines.line_of(start), doc.lines.line_of(end), doc.tree
        opened.capture.edit(doc, start, end, text, version)
        new_last = doc.lines.line_of(start + added)
        opened.tokens.edited(first, old_last, new_last, doc, old_tree)
        opened.regions = [r.moved(first, old_last, new_last) for r in opened.regions]
        self._trees.keep(opened)  # a document being edited keeps its tree, pushed or pulled

    def replace_all(self, opened: OpenDocument, text: str, version: int) -> None:
        """A full-document change: every line's tokens are read again at the next lookup."""
        size = len(text.encode("utf-8", errors="surrogatepass"))
        if self._sized(opened, size):
            if over_cap(size):
                self._drop(opened, size)
                return
            opened.dropped = None  # the whole text again: kept, edited and judged as any text of its size
            opened.document.set_text(text, parse=False)
            self._resized(opened)
            return
        opened.capture.replace_all(opened.document, text, version)
        opened.tokens.reset()
        self._trees.keep(opened)

    def match(self, uri: str) -> bool:
        """Looks the document up in the ledger's agent edits (after open, on save, and after edits
        settle: see `provguard.lsp.matches`); returns True when the regions found changed. Only lines edited
        since the last lookup are tokenised (all of them the first time: about 15 ms per 1,000 lines)."""
        opened = self.get(uri)
        if opened is None:
            return False
        doc = opened.document
        if len(doc.source) > matching.MAX_EDITOR_BYTES:
            return False
        try:
            found = self._find_regions(opened)
        except LedgerError as exc:
            log.warning("could not look up agent edits for %s: %s", opened.relative_path, exc)
            return False
        if found == opened.regions:
            return False
        opened.regions = found
        opened.regions_generation += 1
        opened.invalidate()
        return True

    def _find_regions(self, opened: OpenDocument) -> list[region.Region]:
        """With no agent edit recorded there is nothing to find: the file is not tokenised at all. A document
        that keeps no tree (not analysed lately) gives back the tree and tokens the lookup needed."""
        ledger = opened.project.ledger
        if not ledger.has_agent_edits():
            return []
        opened.tokens.refresh(opened.document)
        try:
            return matching.find_regions(ledger, opened.relative_path, opened.document, opened.tokens)
        finally:
            if opened.uri not in self._trees:
                opened.document.release_tree()
                opened.tokens.reset()

    def close(self, uri: str) -> None:
        self.persist(uri)
        opened = self.documents.pop(uri, None)
        self._trees.drop(uri)
        if opened is not None and opened.project.folder is None:
            self._drop_if_unused(opened.project)

    def shutdown(self) -> None:
        for uri in list(self.documents):
            self.persist(uri)
        self._ledgers_open = False  # settings that come after this open nothing
        for project in self.projects.values():
            project.close()

    def analysis(self, opened: OpenDocument) -> Analysis:
        version = opened.document.version
        if opened.oversized:
            return not_judged(len(opened.document.source)) if opened.dropped is None else not_kept(opened.dropped)
        if opened._analysis is None or opened._analysis_version != version:
            history = tuple(Span(s.start, s.end, s.origin) for s in opened.capture.history.spans())
            found = analyze(opened.document, opened.relative_path, opened.project.policy,
                            opened.capture.tracker.spans() + region.spans(opened.document, opened.regions),
                            history)
            opened._analysis = replace(found, findings=one_per_place(found.findings))
            opened._analysis_version = version
            self._trees.keep(opened)
        return opened._analysis

    def declare(self, uri: str, span_id: str, origin: Origin, note: str | None = None) -> bool:
        """A person states where a tracked span came from (`note`: a URL or licence); False when the span is
        gone."""
        opened = self.get(uri)
        if opened is None or span_id not in opened.capture.tracker.records():
            return False
        if note:
            origin = replace(origin, extra=(*origin.extra, ("source", note)))
        opened.capture.tracker.set_origin(span_id, origin)
        opened.invalidate()
        declared = Declaration(span_id, opened.relative_path, origin, datetime.now(UTC).isoformat(timespec="seconds"),
                               note)
        try:
            opened.project.ledger.add_declaration(declared)
        except LedgerError as exc:
            log.warning("could not record the declaration of %s: %s", span_id, exc)
        self.persist(uri)
        log.info("%s declared span %s of %s as %s", origin.declared_by, span_id, opened.relative_path,
                 origin.describe())
        return True

    def forget(self, uri: str, span_id: str) -> None:
        """Drops a tracked span whose provenance a marker in the text now carries."""
        opened = self.get(uri)
        if opened is not None:
            opened.capture.tracker.remove(span_id)
            opened.invalidate()
            self.persist(uri)
