"""Checking files on disk: the CLI's loop around the same `analyze` the language server calls."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from provguard.analysis import Analysis, analyze
from provguard.documents import Document
from provguard.files import SkippedFile, read_document, relative_to_root, walk
from provguard.findings import Finding
from provguard.fixes import Fix, fixes_for
from provguard.ledger.spans import restore
from provguard.ledger.store import Ledger, LedgerError
from provguard.policy.policy import Policy
from provguard.provenance import matching
from provguard.provenance.git import GitHistory
from provguard.provenance.origin import Span


@dataclass(frozen=True)
class FileResult:
    path: str
    """As shown to the user: relative to the project root when inside it."""
    document: Document
    analysis: Analysis

    def fixes(self, finding: Finding, reviewer: str | None) -> list[Fix]:
        return fixes_for(self.document, finding, reviewer)


@dataclass(frozen=True)
class CheckRun:
    files: tuple[FileResult, ...]
    skipped: tuple[SkippedFile, ...]
    notes: tuple[str, ...] = ()
    """Things a person should know that are not findings: ledger records that no longer match."""

    @property
    def findings(self) -> list[tuple[FileResult, Finding]]:
        return [(f, finding) for f in self.files for finding in f.analysis.findings]

    @property
    def suppressed(self) -> list[tuple[FileResult, Finding]]:
        """Findings silenced by suppression comments: SARIF lists them, other reports only count them."""
        return [(f, finding) for f in self.files for finding in f.analysis.suppressed]


def check_paths(paths: Sequence[Path], root: Path, policy: Policy, ledger: Ledger | None = None,
                git: GitHistory | None = None) -> CheckRun:
    """Findings for every file; spans the ledger recorded count where their exact text is still found;
    with `git`, lines of commits that name an AI tool count too (see provenance/git)."""
    results: list[FileResult] = []
    skipped: list[SkippedFile] = []
    problems: list[str] = []
    for path in walk(paths, root):
        if isinstance(path, SkippedFile):
            skipped.append(path)
            continue
        display = relative_to_root(path, root)
        doc = read_document(path, display)
        if isinstance(doc, SkippedFile):
            skipped.append(doc)
            continue
        recorded: tuple[Span, ...] = ()
        if ledger is not None:
            restored = restore(ledger, display, doc)
            recorded = restored.spans()
            problems += [f"{display}: recorded span {d.stored.id} dropped: {d.reason}" for d in restored.dropped]
            problems += [restored.error] if restored.error else []
            recorded += _matched(ledger, display, doc, problems)
        history: tuple[Span, ...] = ()
        if git is not None:
            found = git.spans(path, doc.source, display)
            history = found.spans
            problems += [str(found.problem)] if found.problem else []
        results.append(FileResult(display, doc, analyze(doc, display, policy, recorded, history)))
    return CheckRun(tuple(results), tuple(skipped), tuple(problems))


def _matched(ledger: Ledger, path: str, doc: Document, problems: list[str]) -> tuple[Span, ...]:
    """Code the ledger's recorded agent edits account for: in this file, or copied from anywhere."""
    try:
        return matching.index_spans(doc, path, ledger)
    except LedgerError as exc:
        problems.append(f"{path}: cannot look up recorded agent edits in {ledger.location}: {exc}")
        return ()
