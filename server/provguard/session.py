"""What an editor session holds: open documents, settings and the policy in force.

Protocol-free on purpose: the LSP layer converts positions and messages, this module keeps the state and
caches one analysis per document version.
"""

from __future__ import annotations

import logging
import os
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from provguard.analysis import Analysis, analyze
from provguard.documents import Document
from provguard.files import relative_to_root
from provguard.identity import current_person
from provguard.languages import detect
from provguard.ledger.location import open_ledger
from provguard.ledger.model import Declaration
from provguard.ledger.spans import restore, stored_spans, track_restored
from provguard.ledger.sqlite import SqliteLedger
from provguard.ledger.store import Ledger, LedgerError
from provguard.policy.errors import SourceError
from provguard.policy.policy import Policy
from provguard.policy.project import CONFIG_FILES, ProjectPolicyLoad, find_project_config, load_project_policy
from provguard.provenance import matching
from provguard.provenance.capture import LiveCapture
from provguard.provenance.changes import BulkThreshold
from provguard.provenance.fingerprints import LineTokens
from provguard.provenance.git import GitHistory, History
from provguard.provenance.origin import Origin, Span
from provguard.provenance.tracking import SpanRecord, SpanTracker
from provguard.settings import Settings

log = logging.getLogger(__name__)

MAX_TREES = 16
"""Documents that keep a tree-sitter tree between edits (the rest re-parse when next edited or analysed)."""
MAX_TREE_LINES = 20_000
"""And at most this many lines in those trees together (a tree is about 1 MB per 1,000 lines); the document
analysed last keeps its tree whatever its size."""


@dataclass
class OpenDocument:
    uri: str
    document: Document
    relative_path: str
    capture: LiveCapture
    ledger_error: str | None = None
    """Set when the ledger could not be read for this file: then nothing is written over its records."""
    tokens: LineTokens = field(default_factory=LineTokens, repr=False)
    """The text's normalised tokens line by line, for fingerprints; edits mark lines to read again."""
    regions: list[matching.Region] = field(default_factory=list)
    """Lines recorded agent edits account for, as of the last lookup, moved along with edits since."""
    regions_generation: int = 0
    """Bumped whenever a lookup changes `regions`: diagnostics changed without a new version."""
    _analysis: Analysis | None = field(default=None, repr=False)
    _analysis_version: int | None = field(default=None, repr=False)

    def invalidate(self) -> None:
        """Spans changed without a new version (a hint, a declaration): analyse again."""
        self._analysis = None


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


@dataclass(frozen=True)
class PolicyUpdate:
    """The outcome of (re)loading packs: errors mean the previous policy stayed in force."""

    errors: tuple[SourceError, ...]
    kept_previous: bool


class Session:
    def __init__(self, roots: list[Path]) -> None:
        self.roots = sorted(roots, key=lambda p: len(p.parts), reverse=True)
        self.settings = Settings()
        self.explicit: frozenset[str] = frozenset()
        self.project_config: Path | None = None
        self.policy = Policy()
        self.documents: dict[str, OpenDocument] = {}
        self._trees: OrderedDict[str, OpenDocument] = OrderedDict()
        self._reviewer: str | None = None
        self.ledger: Ledger = SqliteLedger(":memory:")
        self._ledger_setting: tuple[str | None, bool] = (None, False)
        self.git = GitHistory()

    def open_ledger(self) -> str | None:
        """(Re)opens the ledger the settings name; returns a warning when it fell back to memory."""
        self.ledger.close()
        opened = open_ledger(self.base if self.roots else None, self.settings.ledger,
                             store_text=self.settings.store_text)
        self.ledger, self._ledger_setting = opened.ledger, (self.settings.ledger, self.settings.store_text)
        return opened.warning

    @property
    def ledger_outdated(self) -> bool:
        return self._ledger_setting != (self.settings.ledger, self.settings.store_text)

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

    def configure(self, settings: Settings, explicit: frozenset[str] = frozenset()) -> PolicyUpdate:
        """`explicit`: the settings the editor gave (they override the project file)."""
        self.settings = settings
        self.explicit = explicit
        for opened in self.documents.values():
            opened.capture.threshold = BulkThreshold(chars=settings.bulk_insert_chars)
            if not settings.git and opened.capture.history.intervals:
                opened.capture.history = SpanTracker()
                opened.invalidate()
        return self.reload_policy()

    def reload_policy(self) -> PolicyUpdate:
        """Loads the selected packs; on any error the last good policy stays in force."""
        loaded = self._load_policy()
        self.project_config = loaded.config.file if loaded.config else None
        if loaded.errors:
            log.warning("rule packs not reloaded: %s", "; ".join(map(str, loaded.errors)))
            return PolicyUpdate(loaded.errors, kept_previous=True)
        self.policy = loaded.policy
        self._invalidate()
        return PolicyUpdate((), kept_previous=False)

    def _load_policy(self) -> ProjectPolicyLoad:
        """The project's own packs, when the editor chose neither packs nor severities, from the policy cache the
        guard and `check` keep (valid while no pack or configuration file changed): a session then starts without
        reading YAML (~100-200 ms), and a session the daemon forks (daemon/fork.py) too."""
        from provguard.guard import policy_cache

        own = not {"packs", "severity"} & self.explicit
        if own and (cached := policy_cache.load(self.base)) is not None:
            return ProjectPolicyLoad(cached, (), find_project_config(self.base))
        loaded = load_project_policy(self.base, self.settings, explicit=self.explicit, editor_base=self.base)
        if own and not loaded.errors:
            policy_cache.save(self.base, loaded.policy)
        return loaded

    def is_pack_file(self, path: Path) -> bool:
        try:
            resolved = path.resolve()
        except OSError:
            return False
        if resolved.name in CONFIG_FILES:  # a config file may appear, vanish or change
            return True
        return any(Path(p).resolve() == resolved for p in self.policy.pack_files) or any(
            (self.base / p).resolve() == resolved for p in self.settings.packs if p.endswith((".yaml", ".yml")))

    def open(self, uri: str, path: str, language_id: str | None, text: str, version: int | None) -> OpenDocument:
        # Parsed at its first analysis, which a pulling client may never ask for: a tree held from here would
        # stay outside the trees kept (`_keep_tree`) and never be released.
        doc = Document(path, detect(path, language_id), text.encode("utf-8", errors="surrogatepass"), version,
                       parse=False)
        capture = LiveCapture(BulkThreshold(chars=self.settings.bulk_insert_chars))
        opened = OpenDocument(uri, doc, self._relative(Path(path)), capture)
        restored = restore(self.ledger, opened.relative_path, doc)
        opened.ledger_error = restored.error
        track_restored(capture.tracker, restored)
        self.documents[uri] = opened
        return opened

    def edit(self, opened: OpenDocument, start: int, end: int, text: str, version: int) -> None:
        """One incremental change: the text, tracked spans, the tokens of the lines it touched, and regions
        found earlier moved with it (no ledger lookup here: the LSP layer calls `match` debounced)."""
        doc = opened.document
        first, old_last, old_tree = doc.lines.line_of(start), doc.lines.line_of(end), doc.tree
        opened.capture.edit(doc, start, end, text, version)
        new_last = doc.lines.line_of(start + len(text.encode("utf-8", errors="surrogatepass")))
        opened.tokens.edited(first, old_last, new_last, doc, old_tree)
        opened.regions = [_moved(r, first, old_last, new_last) for r in opened.regions]
        self._keep_tree(opened)  # a document being edited keeps its tree, pushed or pulled

    def replace_all(self, opened: OpenDocument, text: str, version: int) -> None:
        """A full-document change: every line's tokens are read again at the next lookup."""
        opened.capture.replace_all(opened.document, text, version)
        opened.tokens.reset()
        self._keep_tree(opened)

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

    def _find_regions(self, opened: OpenDocument) -> list[matching.Region]:
        """With no agent edit recorded there is nothing to find: the file is not tokenised at all. A document
        that keeps no tree (not analysed lately) gives back the tree and tokens the lookup needed."""
        if not self.ledger.has_agent_edits():
            return []
        opened.tokens.refresh(opened.document)
        try:
            return matching.find_regions(self.ledger, opened.relative_path, opened.document, opened.tokens)
        finally:
            if opened.uri not in self._trees:
                opened.document.release_tree()
                opened.tokens.reset()

    def close(self, uri: str) -> None:
        self.persist(uri)
        self.documents.pop(uri, None)
        self._trees.pop(uri, None)

    def persist(self, uri: str) -> str | None:
        """Writes a document's tracked spans to the ledger; returns what went wrong, if anything."""
        opened = self.get(uri)
        if opened is None or opened.ledger_error is not None:
            return None
        spans = stored_spans(opened.capture.tracker, opened.relative_path, opened.document)
        try:
            self.ledger.save_spans(opened.relative_path, spans)
        except LedgerError as exc:
            log.warning("could not record spans of %s: %s", opened.relative_path, exc)
            return f"could not record spans of {opened.relative_path} in {self.ledger.location}: {exc}"
        return None

    def shutdown(self) -> None:
        for uri in list(self.documents):
            self.persist(uri)
        self.ledger.close()

    def get(self, uri: str) -> OpenDocument | None:
        return self.documents.get(uri)

    def analysis(self, opened: OpenDocument) -> Analysis:
        version = opened.document.version
        if opened._analysis is None or opened._analysis_version != version:
            history = tuple(Span(s.start, s.end, s.origin) for s in opened.capture.history.spans())
            opened._analysis = analyze(opened.document, opened.relative_path, self.policy,
                                       opened.capture.tracker.spans() + matching.spans(opened.document,
                                                                                       opened.regions), history)
            opened._analysis_version = version
            self._keep_tree(opened)
        return opened._analysis

    def history_job(self, uri: str) -> HistoryJob | None:
        """What to blame for a document as it is now; None when git is off or the document is not open."""
        opened = self.get(uri)
        if opened is None or not self.settings.git:
            return None
        doc = opened.document
        return HistoryJob(uri, Path(doc.path), opened.relative_path, doc.source, doc.version)

    def read_history(self, job: HistoryJob) -> History:
        """Blocking (runs git); safe in a worker thread."""
        return self.git.spans(job.path, job.source, job.shown_as)

    def apply_history(self, job: HistoryJob, history: History) -> HistoryApplied:
        """Puts a document's git spans in place, unless it changed since `job` (then its lines moved)."""
        opened = self.get(job.uri)
        if opened is None or not self.settings.git:
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

    def _keep_tree(self, opened: OpenDocument) -> None:
        """Only the most recently analysed documents keep their trees; the others parse again on demand."""
        self._trees.pop(opened.uri, None)
        self._trees[opened.uri] = opened
        lines = sum(kept.document.lines.line_count for kept in self._trees.values())
        while len(self._trees) > MAX_TREES or (len(self._trees) > 1 and lines > MAX_TREE_LINES):
            _, idle = self._trees.popitem(last=False)
            lines -= idle.document.lines.line_count
            idle.document.release_tree()
            idle.tokens.reset()  # read again (from a new tree) at its next lookup

    def _invalidate(self) -> None:
        for opened in self.documents.values():
            opened._analysis = None

    def _relative(self, path: Path) -> str:
        """The path rules see (files.relative_to_root): where the document lands, relative to the innermost
        workspace folder holding it; outside them all, its resolved absolute path."""
        found = [relative_to_root(path, root) for root in self.roots]
        return next((r for r in found if not Path(r).is_absolute()), Path(os.path.realpath(path)).as_posix())

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
            self.ledger.add_declaration(declared)
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


def _moved(region: matching.Region, first: int, old_last: int, new_last: int) -> matching.Region:
    """A region after lines first..old_last became first..new_last: below the edit it moves; an edit inside
    it stretches or shrinks it (the next lookup settles the exact lines)."""
    delta = new_last - old_last
    if old_last < region.first_line:
        return replace(region, first_line=region.first_line + delta, last_line=region.last_line + delta)
    if first > region.last_line:
        return region
    start = min(region.first_line, first)
    end = region.last_line + delta if region.last_line > old_last else new_last
    return replace(region, first_line=start, last_line=max(start, end))
