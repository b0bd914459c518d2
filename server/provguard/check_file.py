"""One file of a `provguard check` run, wherever it runs (the main process or a worker): read it, find what the
ledger and git say about it, analyse it under its project's policy, and keep only what the report needs.

Workers send back `FileOutcome`s: the findings, and the file's bytes only when there are findings to place,
so memory stays flat with the size of the tree. A cached result stands in for all the work, never for the read:
the key is the content read now.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from provguard.analysis import Analysis, analyze
from provguard.check_cache import CheckCache
from provguard.documents import Document
from provguard.files import SkippedFile, read_document
from provguard.findings import Finding
from provguard.ledger.store import Ledger, LedgerError
from provguard.policy.policy import Policy
from provguard.projects import CheckSetup, Projects
from provguard.provenance.origin import Span

if TYPE_CHECKING:  # the rest is imported where used: a project without a ledger or git history needs none of it
    from provguard.check_prefilter import LedgerPrints, Screened
    from provguard.provenance.git.history import GitHistory
    from provguard.provenance.line_origins import LineCounts


@dataclass(frozen=True)
class FileTask:
    order: int
    """Where the file came in the walk: results are reported in this order whatever finishes first."""
    path: str
    """As walked: what is opened."""
    display: str
    """As reports show it."""
    rule_path: str
    """As rules see it: relative to the file's project root."""
    root: Path
    context: str = ""
    """The run's digest of everything besides the file that the verdict depends on (check_cache.context_key);
    empty when results are not cached."""


@dataclass(frozen=True)
class FileOutcome:
    order: int
    display: str
    language: str = ""
    source: bytes | None = None
    """Kept only when there is something to place in the text (findings, suppressed findings)."""
    findings: tuple[Finding, ...] = ()
    suppressed: tuple[Finding, ...] = ()
    notes: tuple[str, ...] = ()
    skipped: str | None = None
    """Why the file was not read."""
    entry: tuple[bytes, bytes] | None = None
    """A new cache entry for the main process to store."""
    hit: bytes | None = None
    """The cache key used, when the result came from the cache."""
    lines: LineCounts | None = None
    """The file's lines by origin, when the checker counts them (for `provguard report`)."""
    unmatched: bool = False
    """Not fingerprinted: no recorded agent edit shares enough k-grams with it to be found there
    (`check_prefilter`)."""


def analyze_file(doc: Document, rule_path: str, policy: Policy, ledger: Ledger | None, git: GitHistory | None,
                 path: Path, fingerprints: bool = True, shown_as: str | None = None,
                 screened: Screened | None = None) -> tuple[Analysis, list[str]]:
    """Findings for one file read from disk: the spans the ledger recorded (where their exact text is still
    found), copies of recorded agent edits (unless the ledger holds none), and with `git`, lines of commits
    whose trailers name an AI tool (see provenance/git). Returns notes a person should see beside them.
    `screened`, the prefilter's verdict on `doc` (`LedgerPrints.tokens`), spares fingerprinting a file no recorded
    edit can be found in, and gives the tokens to look up one that passes."""
    shown = shown_as or rule_path
    doc.ensure_tree()
    notes: list[str] = []
    recorded: tuple[Span, ...] = ()
    if ledger is not None:
        from provguard.ledger.spans import restore

        restored = restore(ledger, rule_path, doc)
        recorded = restored.spans()
        notes += [f"{shown}: recorded span {d.stored.id} dropped: {d.reason}" for d in restored.dropped]
        notes += [restored.error] if restored.error else []
        if fingerprints:
            from provguard.provenance import matching, region

            try:
                if screened is None:
                    recorded += matching.index_spans(doc, rule_path, ledger)
                elif screened.tokens is not None:
                    recorded += region.spans(doc, matching.find_regions(ledger, rule_path, doc, screened.tokens))
                else:
                    from provguard.check_prefilter import same_file_spans

                    recorded += same_file_spans(doc, rule_path, ledger)
            except LedgerError as exc:
                notes.append(f"{shown}: cannot look up recorded agent edits in {ledger.location}: {exc}")
    history: tuple[Span, ...] = ()
    if git is not None:
        found = git.spans(path, doc.source, shown)
        history = found.spans
        notes += [str(found.problem)] if found.problem else []
    return analyze(doc, rule_path, policy, recorded, history), notes


@dataclass
class _LedgerState:
    ledger: Ledger | None
    fingerprints: bool
    prints: LedgerPrints | None = None
    """Every hash the ledger holds, to skip files no edit can be found in (None: look every file up)."""


class LedgerUnavailable(Exception):
    """The project's ledger opened in the main process but not here: its files cannot be vouched for."""


@dataclass
class Checker:
    """A process's state for checking files: projects met, their ledgers and caches, git's memory."""

    setup: CheckSetup
    projects: Projects
    cache_key: bytes | None = None
    git: GitHistory | None = None
    lines: bool = False
    """Count each file's lines by origin (only `provguard report` shows them; a check does without)."""
    _ledgers: dict[Path, _LedgerState] = field(default_factory=dict)
    _caches: dict[Path, CheckCache] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.setup.git and self.git is None:
            from provguard.provenance.git.history import GitHistory

            self.git = GitHistory()

    def check(self, task: FileTask) -> FileOutcome:
        doc = read_document(Path(task.path), task.display, parse=False)
        if isinstance(doc, SkippedFile):
            return FileOutcome(task.order, task.display, skipped=doc.reason)
        cache = self._cache(task.root) if task.context else None
        key = cache.entry_key(task.context, task.rule_path, doc.source) if cache is not None else None
        cached = cache.get(key) if key is not None and cache is not None else None
        if cached is not None and (cached[3] is not None or not self.lines):  # a check's entry counts no lines
            return self._outcome(task, doc, *cached, hit=key)
        project = self.projects.get(task.root)
        state = self._ledger(task.root)
        screened = self._screen(state, doc)
        analysis, notes = analyze_file(doc, task.rule_path, project.policy, state.ledger, self.git,
                                       Path(task.path), state.fingerprints, task.display, screened)
        unmatched = screened is not None and screened.ruled_out
        lines = None
        if self.lines:
            from provguard.provenance.line_origins import count_lines

            lines = count_lines(doc.source, analysis.spans)
        entry = None
        if key is not None:
            entry = (key, CheckCache.value(analysis.findings, analysis.suppressed, notes, lines))
        return self._outcome(task, doc, analysis.findings, analysis.suppressed, tuple(notes), lines, entry=entry,
                             unmatched=unmatched)

    def close(self) -> None:
        self.projects.close()
        for cache in self._caches.values():
            cache.close()

    def _cache(self, root: Path) -> CheckCache | None:
        if self.cache_key is None:
            return None
        if root not in self._caches:
            self._caches[root] = CheckCache(root, self.cache_key)
        return self._caches[root]

    @staticmethod
    def _screen(state: _LedgerState, doc: Document) -> Screened | None:
        """The prefilter's verdict on `doc`, or None to look it up in full (no prefilter, or the ledger failed to
        answer it: the full lookup then says what fails)."""
        if state.prints is None or state.ledger is None or not state.fingerprints:
            return None
        doc.ensure_tree()
        try:
            return state.prints.tokens(doc, state.ledger)
        except LedgerError:
            return None

    def _ledger(self, root: Path) -> _LedgerState:
        state = self._ledgers.get(root)
        if state is None:
            opened = self.projects.get(root).ledger()
            if isinstance(opened, str):
                raise LedgerUnavailable(opened)
            if opened is None:
                state = _LedgerState(None, False)
            else:
                try:
                    state = _LedgerState(opened, opened.has_agent_edits())
                except LedgerError:  # looked up per file all the same: each lookup says what fails
                    state = _LedgerState(opened, True)
                if state.fingerprints:
                    from provguard.check_prefilter import LedgerPrints

                    state.prints = LedgerPrints.load(opened)
            self._ledgers[root] = state
        return state

    @staticmethod
    def _outcome(task: FileTask, doc: Document, findings: tuple[Finding, ...], suppressed: tuple[Finding, ...],
                 notes: tuple[str, ...], lines: LineCounts | None, entry: tuple[bytes, bytes] | None = None,
                 hit: bytes | None = None, unmatched: bool = False) -> FileOutcome:
        keep = doc.source if findings or suppressed else None
        return FileOutcome(task.order, task.display, doc.language.id, keep, findings, suppressed,
                           tuple(notes), entry=entry, hit=hit, lines=lines, unmatched=unmatched)
