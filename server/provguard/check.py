"""Checking files on disk: the CLI's run around the same `analyze` the language server calls.

A run walks the paths, finds each file's project (projects.py), checks the files on every core (check_pool.py)
with results cached between runs (check_cache.py), and keeps only the files that have something to report.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from provguard import check_cache
from provguard.analysis import Analysis
from provguard.check_file import Checker, FileOutcome, FileTask, analyze_file
from provguard.documents import Document
from provguard.files import SkippedFile, read_document, relative_to_root, walk
from provguard.findings import Finding
from provguard.fixes import Fix, fixes_for
from provguard.ignores import Selection
from provguard.languages import by_id, detect
from provguard.ledger.location import unplaced
from provguard.ledger.store import Ledger, LedgerError
from provguard.policy.policy import Policy
from provguard.project_markers import nearest_project
from provguard.projects import CheckSetup, Projects, Roots, outside_projects

if TYPE_CHECKING:
    from provguard.provenance.git.history import GitHistory
    from provguard.provenance.line_origins import FileLines


@dataclass(frozen=True)
class FileResult:
    path: str
    """As shown to the user: relative to the project root when inside it."""
    document: Document
    analysis: Analysis

    def fixes(self, finding: Finding, reviewer: str | None) -> list[Fix]:
        self.document.ensure_tree()  # kept unparsed until a fix needs it (suppressions are read from the tree)
        return fixes_for(self.document, finding, reviewer)


@dataclass(frozen=True)
class CheckRun:
    files: tuple[FileResult, ...]
    """The files with something to report (every file, from `check_paths`)."""
    skipped: tuple[SkippedFile, ...]
    notes: tuple[str, ...] = ()
    """Things a person should know that are not findings: ledger records that no longer match."""
    checked: int | None = None
    """Files read and checked; `len(files)` when not given."""
    errors: tuple[str, ...] = ()
    """Files that could not be checked at all (an internal error): the run cannot vouch for them."""
    policies: tuple[Policy, ...] = ()
    """The policy of each project the run met, the first one's first."""
    root: Path | None = None
    """The folder the files' shown paths are relative to."""
    lines: tuple[FileLines, ...] = ()
    """Every checked file's lines by origin, with `RunOptions.lines`."""
    roots: tuple[Path, ...] = ()
    """The project root of each of `policies`, in the same order."""
    unmatched: int = 0
    """Files read this run (not from the cache) that were not fingerprinted: no recorded agent edit shares enough
    k-grams with them to be found there (`check_prefilter`)."""

    @property
    def files_checked(self) -> int:
        return len(self.files) if self.checked is None else self.checked

    @property
    def findings(self) -> list[tuple[FileResult, Finding]]:
        return [(f, finding) for f in self.files for finding in f.analysis.findings]

    @property
    def suppressed(self) -> list[tuple[FileResult, Finding]]:
        """Findings silenced by suppression comments: SARIF lists them, other reports only count them."""
        return [(f, finding) for f in self.files for finding in f.analysis.suppressed]


def check_paths(paths: Sequence[Path], root: Path, policy: Policy, ledger: Ledger | None = None,
                git: GitHistory | None = None, selection: Selection | None = None) -> CheckRun:
    """Every file under `paths` judged relative to `root` under one policy and ledger, in this process, each
    file's whole analysis kept (spans too): for benches and tests that look inside. `run_check` is the CLI's;
    both select files by the same walk (`_walked`)."""
    results: list[FileResult] = []
    skipped: list[SkippedFile] = []
    notes: list[str] = []
    fingerprints = ledger is not None and ledger.has_agent_edits()
    for task in _walked(paths, root, selection, lambda _: (root, "")):
        if isinstance(task, SkippedFile):
            skipped.append(task)
            continue
        doc = read_document(Path(task.path), task.display)
        if isinstance(doc, SkippedFile):
            skipped.append(doc)
            continue
        analysis, found = analyze_file(doc, task.rule_path, policy, ledger, git, Path(task.path), fingerprints)
        notes += found
        results.append(FileResult(task.display, doc, analysis))
    return CheckRun(tuple(results), tuple(skipped), tuple(notes), policies=(policy,), root=root)


def _walked(paths: Sequence[Path], display_root: Path, selection: Selection | None,
            project_of: Callable[[Path], tuple[Path, str]]) -> Iterator[FileTask | SkippedFile]:
    """The files a check reads, in walk order, each a task under its project (`project_of` gives a file's
    root and cache context), or what was not read and why."""
    order = 0
    for path in walk(paths, display_root, selection):
        if isinstance(path, SkippedFile):
            yield path
            continue
        root, context = project_of(path)
        yield FileTask(order, str(path), relative_to_root(path, display_root), relative_to_root(path, root), root,
                       context)
        order += 1


@dataclass
class RunOptions:
    jobs: int = 1
    cache: bool = True
    progress: Callable[[int, int], None] | None = None
    """Called with (files done, files in all) as the run goes."""
    selection: Selection | None = None
    """Which files are read (files.walk's default when None)."""
    lines: bool = False
    """Count every file's lines by origin, kept in `CheckRun.lines` (for `provguard report`)."""
    on_result: Callable[[FileResult], None] | None = None
    """Called with each file that has something to report, as the run goes (the language server streams them)."""
    file_context: Callable[[str, Path], str] | None = None
    """A file's cache context from its project's, instead of adding its repository's HEAD (report --since: the
    commit that last changed the file, so an unchanged file of a past tree is not judged again week after week)."""


class ProjectError(Exception):
    """A project's packs or ledger cannot be used: the run stops before any file is judged under them. An
    empty message: what is wrong was said already."""


def run_check(paths: Sequence[Path], setup: CheckSetup, options: RunOptions,
              load_policy: Callable[[Path], Policy | None]) -> CheckRun:
    """Every file under `paths`, each judged relative to its project's root under its project's policy and
    ledger (outside any project: see projects.outside_projects). `load_policy` loads a project's policy or says what
    is wrong (and returns None, which stops the run with ProjectError)."""
    from provguard.check_pool import run_tasks

    roots = Roots(setup.root)
    given = outside_projects(paths)
    display_root = Path(os.path.commonpath([str(roots.of(top, given)) for top in paths]))
    met = Projects(setup)
    contexts: dict[Path, str] = {}
    heads = check_cache.RepositoryHeads() if setup.git else None
    tasks: list[FileTask] = []
    skipped: list[SkippedFile] = []
    notes: list[str] = []

    def project_of(path: Path) -> tuple[Path, str]:
        root = roots.of(path, given)
        if root not in contexts:
            contexts[root] = _meet(root, met, setup, load_policy, options.cache and _cacheable(root))
        context = contexts[root]
        if options.file_context is not None and context:
            return root, options.file_context(context, path)
        return root, heads.context(context, path) if heads is not None and context else context

    try:
        for top in paths:  # each path's own project is loaded even when it holds no file: its errors are said
            project_of(top)
        for task in _walked(paths, display_root, options.selection, project_of):
            if isinstance(task, SkippedFile):
                skipped.append(task)
            else:
                tasks.append(task)
    finally:
        met.close()  # opened to prove they can be; each process that checks opens its own
    policies = met.policies()
    key = check_cache.secret() if options.cache else None
    results: list[FileResult] = []
    errors: list[str] = []
    lines: list[FileLines] = []
    checked = unmatched = 0
    written = _CacheWrites(key)

    def make_checker() -> Checker:
        return Checker(setup, Projects(setup, policies), key, lines=options.lines)

    try:
        for done, outcome in enumerate(run_tasks(tasks, make_checker, options.jobs), 1):
            if options.progress is not None:
                options.progress(done, len(tasks))
            if isinstance(outcome, str):
                errors.append(outcome)
                continue
            if outcome.skipped is not None:
                skipped.append(SkippedFile(outcome.display, outcome.skipped))
                continue
            checked += 1
            unmatched += outcome.unmatched
            notes += outcome.notes
            if outcome.source is not None:
                results.append(_result(outcome))
                if options.on_result is not None:
                    options.on_result(results[-1])
            if options.lines and outcome.lines is not None:
                from provguard.provenance.line_origins import FileLines

                task = tasks[outcome.order]
                lines.append(FileLines(outcome.display, task.rule_path, task.root, outcome.lines))
            written.add(tasks[outcome.order].root, outcome)
    finally:
        written.close()
    return CheckRun(tuple(results), tuple(skipped), tuple(notes), checked, tuple(errors), tuple(policies.values()),
                    display_root, tuple(lines), tuple(policies), unmatched)


class _CacheWrites:
    """New cache entries, and the ones this run used, written per project in batches by the main process."""

    BATCH = 256

    def __init__(self, key: bytes | None) -> None:
        self.key = key
        self._caches: dict[Path, check_cache.CheckCache] = {}
        self._new: dict[Path, list[tuple[bytes, bytes]]] = {}
        self._used: dict[Path, list[bytes]] = {}

    def add(self, root: Path, outcome: FileOutcome) -> None:
        if self.key is None:
            return
        if outcome.entry is not None:
            batch = self._new.setdefault(root, [])
            batch.append(outcome.entry)
            if len(batch) >= self.BATCH:
                self._cache(root).put(batch)
                batch.clear()
        if outcome.hit is not None:
            self._used.setdefault(root, []).append(outcome.hit)

    def close(self) -> None:
        for root in {*self._new, *self._used}:
            cache = self._cache(root)
            cache.put(self._new.get(root, []))
            cache.touch(self._used.get(root, []))
            cache.prune()
        for cache in self._caches.values():
            cache.close()

    def _cache(self, root: Path) -> check_cache.CheckCache:
        assert self.key is not None
        if root not in self._caches:
            self._caches[root] = check_cache.CheckCache(root, self.key)
        return self._caches[root]


def _result(outcome: FileOutcome) -> FileResult:
    source = outcome.source or b""
    language = by_id(outcome.language) or detect(outcome.display)
    document = Document(outcome.display, language, source, parse=False)
    return FileResult(outcome.display, document, Analysis((), outcome.findings, outcome.suppressed))


def _cacheable(root: Path) -> bool:
    """Whether results may be cached in the root's `.provguard/cache`: only in a project's root, and never at
    `/`, the home folder or above (a dotfiles `.git` makes home a project). A folder that is in no project gets
    no `.provguard` folder from a check: it would make the folder a project."""
    return nearest_project(root) == root and unplaced(root) is None


def _meet(root: Path, met: Projects, setup: CheckSetup, load_policy: Callable[[Path], Policy | None],
          cached: bool) -> str:
    """Loads a project met for the first time and proves its ledger opens; returns its cache context."""
    policy = load_policy(root)
    if policy is None:
        raise ProjectError("")  # what is wrong with them was said by load_policy
    project = met.add(root, policy)
    ledger = project.ledger()
    if isinstance(ledger, str):
        raise ProjectError(ledger)
    return cache_context(root, policy, ledger, setup) if cached else ""


def cache_context(root: Path, policy: Policy, ledger: Ledger | None, setup: CheckSetup) -> str:
    """The digest a cached result of this project must match (check, and report --since for the weeks it keeps);
    empty (no cache) when a part cannot be known."""
    settings = check_cache.describe({"packs": setup.packs, "severity": dict(setup.overrides),
                                     "overrides": dict(policy.severity_overrides), "git": setup.git,
                                     "ids": [(p.id, p.version, p.source) for p in policy.packs]})
    parts = [str(root), check_cache.pack_digest(policy.pack_files, settings)]
    if ledger is not None:
        try:
            parts.append(f"ledger {ledger.location} {ledger.generation()}")
        except LedgerError:
            return ""
    return check_cache.context_key(*parts)  # with git, each file's repository's HEAD is added (RepositoryHeads)
