"""What an editor session holds: open documents, settings and the policy in force.

Protocol-free on purpose: the LSP layer converts positions and messages, this module keeps the state and
caches one analysis per document version.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from provguard.analysis import Analysis, analyze
from provguard.documents import Document
from provguard.editor_project import (
    EditorProject,
    LedgersOpened,
    PolicyUpdate,
    innermost_first,
    log_notice,
    merged,
    restore_anew,
    within,
)
from provguard.files import relative_to_root
from provguard.findings import one_per_place
from provguard.kept_trees import KeptTrees
from provguard.languages import detect
from provguard.ledger.model import Declaration
from provguard.ledger.spans import restore, stored_spans, track_restored
from provguard.ledger.store import Ledger, LedgerError
from provguard.open_document import OpenDocument
from provguard.policy.policy import Policy
from provguard.projects import Roots
from provguard.provenance import matching, region
from provguard.provenance.capture import LiveCapture
from provguard.provenance.changes import BulkThreshold
from provguard.provenance.git import GitHistory
from provguard.provenance.origin import Origin, Span
from provguard.provenance.tracking import SpanTracker
from provguard.settings import Settings
from provguard.too_large import not_judged, not_kept, over_cap, over_limit

__all__ = ["EditorProject", "LedgersOpened", "OpenDocument", "PolicyUpdate", "Session"]

log = logging.getLogger(__name__)

class Session:
    """Open documents, each judged in its project (editor_project.py): the nearest project root above it, as
    `provguard check` finds it, with the settings of the innermost workspace folder holding it. A document
    outside every folder is judged in its own project (or its folder's) with the editor's settings."""

    def __init__(self, roots: list[Path]) -> None:
        self.roots = innermost_first(roots)
        """The workspace folders, innermost first."""
        self.settings = Settings()
        """The editor's settings (initializationOptions, didChangeConfiguration); a folder may have its own."""
        self.explicit: frozenset[str] = frozenset()
        self.folder_settings: dict[Path, tuple[Settings, frozenset[str]]] = {}
        self.projects: dict[tuple[Path | None, Path], EditorProject] = {}
        self.documents: dict[str, OpenDocument] = {}
        self._trees = KeptTrees()
        self._configured = False
        self._ledgers_open = False
        self._awaiting: set[Path] = set()
        """Workspace folders whose own settings were asked of the client and have not come: their projects keep
        memory, so no ledger is made that those settings would not choose."""
        self._primary_key: tuple[Path | None, Path] | None = None
        self.on_notice: Callable[[str | PolicyUpdate], None] = log_notice
        """Told what a project met while opening a document says (a pack error, a ledger fallback): the LSP layer
        shows it to the person."""
        self.git = GitHistory()

    # -- projects -------------------------------------------------------------------------------------------

    @property
    def base(self) -> Path:
        return self.roots[-1] if self.roots else Path.cwd()

    @property
    def primary(self) -> EditorProject:
        """The outermost workspace folder's project: what session-wide features (agent imports) use."""
        if self._primary_key is None:  # found again when folders or project configurations change
            self._primary_key = (self.roots[-1] if self.roots else None, Roots().of(self.base, self.base))
        return self._project(*self._primary_key)

    @property
    def policy(self) -> Policy:
        return self.primary.policy

    @property
    def ledger(self) -> Ledger:
        return self.primary.ledger

    @property
    def project_config(self) -> Path | None:
        return self.primary.config

    @property
    def reviewer(self) -> str | None:
        return self.primary.reviewer

    def _ensure_primary(self) -> EditorProject:
        return self.primary

    def project_of(self, path: Path) -> EditorProject:
        """The project a file at `path` is judged in (loaded, with its ledger, the first time it is met)."""
        real = os.path.realpath(path)
        folder = next((f for f in self.roots if within(real, os.path.realpath(f))), None)
        return self._project(folder, Roots().of(Path(real), folder or Path(os.path.dirname(real))))

    def _project(self, folder: Path | None, root: Path) -> EditorProject:
        project = self.projects.get((folder, root))
        if project is None:
            settings, explicit = self.settings_of(folder)
            project = self.projects[(folder, root)] = EditorProject(root, folder, settings, explicit)
            if self._configured:
                update = project.reload_policy()
                if update.errors:
                    self.on_notice(update)
            if self._ledgers_open and (warning := project.open_ledger(
                    self._notice, provisional=folder in self._awaiting)) is not None:
                self.on_notice(warning)
        return project

    def settings_of(self, folder: Path | None) -> tuple[Settings, frozenset[str]]:
        """A workspace folder's own settings, else the editor's."""
        return self.folder_settings.get(folder, (self.settings, self.explicit)) if folder else (
            self.settings, self.explicit)

    def open_ledger(self) -> str | None:
        """`open_ledgers`' first warning."""
        warnings = self.open_ledgers().warnings
        return warnings[0] if warnings else None

    def open_ledgers(self) -> LedgersOpened:
        """(Re)opens every project's ledger whose settings changed (or that is in memory) and, from now on,
        each new project's, except in folders whose settings are on their way (`await_folder_settings`)."""
        self._ensure_primary()  # opened with the others below, once
        self._ledgers_open = True
        opened, instead = LedgersOpened([], []), set[str]()
        for project in list(self.projects.values()):
            awaiting = project.folder in self._awaiting
            if awaiting and project.provisional:
                continue
            other = project.provisional and project.ledger.persistent  # opened before its folder's settings
            in_memory = not project.ledger.persistent
            if project.ledger_outdated or project.waiting or (in_memory and not project.provisional):
                if (warning := project.open_ledger(self._notice, provisional=awaiting)) is not None:
                    opened.warnings.append(warning)
                if other or (in_memory and project.ledger.persistent):  # its documents' spans: from another
                    uris = [o.uri for o in self.documents.values() if o.project is project]
                    opened.documents.extend(uris)
                    instead.update(uris if other else ())
            project.provisional = awaiting
        for uri in opened.documents:
            restore_anew(self.documents[uri], uri in instead)
        return opened

    @property
    def awaiting_settings(self) -> bool:
        """Whether some workspace folder's settings, and so its ledger, are still on their way."""
        return bool(self._awaiting)

    def await_folder_settings(self, folders: list[Path]) -> None:
        """The client is asked for these folders' own settings: their ledgers wait for the answer."""
        self._awaiting.update(folders)

    def folder_settings_known(self, folders: list[Path]) -> LedgersOpened:
        """The folders' settings came (or the client gave none): their ledgers open if ledgers are in use."""
        self._awaiting.difference_update(folders)
        return self.open_ledgers() if self._ledgers_open else LedgersOpened([], [])

    def _notice(self, notice: str) -> None:
        self.on_notice(notice)

    @property
    def ledger_outdated(self) -> bool:
        return any(project.ledger_outdated for project in self.projects.values())

    def configure(self, settings: Settings, explicit: frozenset[str] = frozenset()) -> PolicyUpdate:
        """`explicit`: the settings the editor gave (they override the project file). Loads the packs here; the
        language server loads them in a worker (`set_settings`, then lsp/pack_reload.py)."""
        return self.reload_policy(self.set_settings(settings, explicit))

    def set_settings(self, settings: Settings, explicit: frozenset[str] = frozenset()) -> list[EditorProject]:
        """The editor's settings in force, packs not loaded: returns the projects whose packs must load again."""
        self.settings, self.explicit = settings, explicit
        return self._settings_changed(lambda project: project.folder not in self.folder_settings)

    def set_folder_settings(self, folder: Path, found: tuple[Settings, frozenset[str]] | None) -> list[EditorProject]:
        """A workspace folder's own settings (workspace/configuration for it), or None: the editor's apply.
        Returns the projects whose packs must load again."""
        if found is None:
            self.folder_settings.pop(folder, None)
        else:
            self.folder_settings[folder] = found
        return self._settings_changed(lambda project: project.folder == folder)

    def _settings_changed(self, affected: Callable[[EditorProject], bool]) -> list[EditorProject]:
        self._ensure_primary()  # loaded with the others, once
        self._configured = True
        changed = [project for project in self.projects.values() if affected(project)]
        for project in changed:
            project.settings, project.explicit = self.settings_of(project.folder)
        for opened in self.documents.values():
            settings = opened.project.settings
            opened.capture.threshold = BulkThreshold(chars=settings.bulk_insert_chars)
            if not settings.git and opened.capture.history.intervals:
                opened.capture.history = SpanTracker()
        self.invalidate()
        return changed

    def reload_policy(self, projects: list[EditorProject] | None = None) -> PolicyUpdate:
        """Loads the packs of `projects` (of every project when None); on any error a project's last good policy
        stays in force."""
        update = merged([project.reload_policy() for project in (self.to_reload() if projects is None else projects)])
        self.invalidate()
        return update

    def to_reload(self) -> list[EditorProject]:
        """Documents moved to their projects (a configuration file may have come or gone): the ones to reload."""
        self._rehome()
        return list(self.projects.values())

    def is_pack_file(self, path: Path) -> bool:
        try:
            resolved = path.resolve()
        except OSError:
            return False
        self._ensure_primary()  # asked before any document is open, too
        return any(project.is_pack_file(resolved) for project in self.projects.values())

    def set_folders(self, roots: list[Path]) -> None:
        """Workspace folders were added or removed: documents move to the projects they now belong to (their
        spans saved in the ledger they leave), and projects nothing uses any more are closed."""
        self.roots = innermost_first(roots)
        self._awaiting.intersection_update(self.roots)
        for folder in [f for f in self.folder_settings if f not in self.roots]:
            del self.folder_settings[folder]
        self._rehome()
        self.invalidate()
        for project in list(self.projects.values()):
            if project.folder is not None and project.folder not in self.roots:
                self._drop_if_unused(project)

    def _rehome(self) -> None:
        """Each open document in the project it belongs to now; its spans saved in the ledger it leaves."""
        self._primary_key = None
        for opened in list(self.documents.values()):
            project = self.project_of(Path(opened.document.path))
            if project is not opened.project:
                self.persist(opened.uri)
                left, opened.project = opened.project, project
                opened.relative_path = relative_to_root(opened.document.path, project.root)
                if left.folder is None:
                    self._drop_if_unused(left)

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

    def _drop_if_unused(self, project: EditorProject) -> None:
        """A stray file's project goes with its last document (a folder's projects stay: their files come back)."""
        if project is not self._ensure_primary() and all(o.project is not project for o in self.documents.values()):
            project.close()
            self.projects.pop((project.folder, project.root), None)

    def persist(self, uri: str) -> str | None:
        """Writes a document's tracked spans to the ledger; returns what went wrong, if anything."""
        opened = self.get(uri)
        if opened is None or opened.ledger_error is not None or opened.oversized:
            return None
        spans = stored_spans(opened.capture.tracker, opened.relative_path, opened.document)
        ledger = opened.project.ledger
        try:
            ledger.save_spans(opened.relative_path, spans)
        except LedgerError as exc:
            log.warning("could not record spans of %s: %s", opened.relative_path, exc)
            return f"could not record spans of {opened.relative_path} in {ledger.location}: {exc}"
        return None

    def shutdown(self) -> None:
        for uri in list(self.documents):
            self.persist(uri)
        self._ledgers_open = False  # settings that come after this open nothing
        for project in self.projects.values():
            project.close()

    def get(self, uri: str) -> OpenDocument | None:
        return self.documents.get(uri)

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

    def invalidate(self) -> None:
        """Policies or settings changed: every document is analysed again, and its report is a new one."""
        for opened in self.documents.values():
            opened._analysis = None
            opened.regions_generation += 1

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
