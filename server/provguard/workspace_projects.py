"""The projects an editor session's documents are judged in, with their settings, packs and ledgers.

Each document is judged in its project (editor_project.py): the nearest project root above it, as `provguard
check` finds it, with the settings of the innermost workspace folder holding it; a document outside every folder
in its own project (or its folder's) with the editor's settings. Apart from session.py, which holds what is done
with the documents themselves, because settings, folders and ledgers change on their own schedule (the client's
answers to workspace/configuration, folders added and removed) and move documents between projects.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

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
from provguard.ledger.spans import stored_spans
from provguard.ledger.store import Ledger, LedgerError
from provguard.open_document import OpenDocument
from provguard.policy.policy import Policy
from provguard.projects import Roots
from provguard.provenance.changes import BulkThreshold
from provguard.provenance.tracking import SpanTracker
from provguard.settings import Settings

log = logging.getLogger(__name__)


class WorkspaceProjects:
    """The workspace folders, the editor's and each folder's settings, the projects met, and the open documents
    each belongs to (what a session does with them: session.Session)."""

    def __init__(self, roots: list[Path]) -> None:
        self.roots = innermost_first(roots)
        """The workspace folders, innermost first."""
        self.settings = Settings()
        """The editor's settings (initializationOptions, didChangeConfiguration); a folder may have its own."""
        self.explicit: frozenset[str] = frozenset()
        self.folder_settings: dict[Path, tuple[Settings, frozenset[str]]] = {}
        self.projects: dict[tuple[Path | None, Path], EditorProject] = {}
        self.documents: dict[str, OpenDocument] = {}
        self._configured = False
        self._ledgers_open = False
        self._awaiting: set[Path] = set()
        """Workspace folders whose own settings were asked of the client and have not come: their projects keep
        memory, so no ledger is made that those settings would not choose."""
        self._primary_key: tuple[Path | None, Path] | None = None
        self.on_notice: Callable[[str | PolicyUpdate], None] = log_notice
        """Told what a project met while opening a document says (a pack error, a ledger fallback): the LSP layer
        shows it to the person."""

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

    def get(self, uri: str) -> OpenDocument | None:
        return self.documents.get(uri)

    def invalidate(self) -> None:
        """Policies or settings changed: every document is analysed again, and its report is a new one."""
        for opened in self.documents.values():
            opened._analysis = None
            opened.regions_generation += 1
