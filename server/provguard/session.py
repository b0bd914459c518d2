"""What an editor session holds: open documents, settings and the policy in force.

Protocol-free on purpose: the LSP layer converts positions and messages, this module keeps the state and
caches one analysis per document version.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from provguard.analysis import Analysis, analyze
from provguard.documents import Document
from provguard.files import relative_to_root
from provguard.identity import current_person
from provguard.languages import detect
from provguard.policy.errors import SourceError
from provguard.policy.policy import Policy, load_policy
from provguard.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class OpenDocument:
    uri: str
    document: Document
    relative_path: str
    _analysis: Analysis | None = field(default=None, repr=False)
    _analysis_version: int | None = field(default=None, repr=False)


@dataclass(frozen=True)
class PolicyUpdate:
    """The outcome of (re)loading packs: errors mean the previous policy stayed in force."""

    errors: tuple[SourceError, ...]
    kept_previous: bool


class Session:
    def __init__(self, roots: list[Path]) -> None:
        self.roots = sorted(roots, key=lambda p: len(p.parts), reverse=True)
        self.settings = Settings()
        self.policy = Policy()
        self.documents: dict[str, OpenDocument] = {}
        self._reviewer: str | None = None

    @property
    def base(self) -> Path:
        return self.roots[-1] if self.roots else Path.cwd()

    @property
    def reviewer(self) -> str | None:
        if self.settings.reviewer:
            return self.settings.reviewer
        if self._reviewer is None:
            self._reviewer = current_person(self.base) or ""
        return self._reviewer or None

    def configure(self, settings: Settings) -> PolicyUpdate:
        self.settings = settings
        return self.reload_policy()

    def reload_policy(self) -> PolicyUpdate:
        """Loads the selected packs; on any error the last good policy stays in force."""
        loaded = load_policy(self.settings.packs, self.settings.severity, base=self.base)
        if loaded.errors:
            log.warning("rule packs not reloaded: %s", "; ".join(map(str, loaded.errors)))
            return PolicyUpdate(loaded.errors, kept_previous=True)
        self.policy = loaded.policy
        self._invalidate()
        return PolicyUpdate((), kept_previous=False)

    def is_pack_file(self, path: Path) -> bool:
        try:
            resolved = path.resolve()
        except OSError:
            return False
        return any(Path(p).resolve() == resolved for p in self.policy.pack_files) or any(
            (self.base / p).resolve() == resolved for p in self.settings.packs if p.endswith((".yaml", ".yml")))

    def open(self, uri: str, path: str, language_id: str | None, text: str, version: int | None) -> OpenDocument:
        doc = Document.from_text(path, detect(path, language_id), text, version)
        opened = OpenDocument(uri, doc, self._relative(Path(path)))
        self.documents[uri] = opened
        return opened

    def close(self, uri: str) -> None:
        self.documents.pop(uri, None)

    def get(self, uri: str) -> OpenDocument | None:
        return self.documents.get(uri)

    def analysis(self, opened: OpenDocument) -> Analysis:
        version = opened.document.version
        if opened._analysis is None or opened._analysis_version != version:
            opened._analysis = analyze(opened.document, opened.relative_path, self.policy)
            opened._analysis_version = version
        return opened._analysis

    def _invalidate(self) -> None:
        for opened in self.documents.values():
            opened._analysis = None

    def _relative(self, path: Path) -> str:
        for root in self.roots:
            if path.is_relative_to(root):
                return relative_to_root(path, root)
        return path.as_posix()
