"""The judge: one decision per sample of code (keep, drop or redact), by the same rules `check` applies.

`provguard filter`, `provguard export` and a pipeline stage (Ray Data, a Spark UDF) all call `Judge.judge_batch`,
so there is one implementation of the verdicts. A judge is plain data (the resolved policy and options), cheap
to pickle and send to worker processes; nothing in it holds a file or a connection.

A sample is judged at every path it occupies: its own (the record's `path`, which decides test-file rules and
the like) and each of the judge's `placements`, the paths of the corpus it is going into (so training-data
rules apply to every sample of a training corpus). Findings at or above `min_severity` flag their range.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from provguard.analysis import analyze
from provguard.documents import Document
from provguard.findings import Finding
from provguard.languages import PLAIN, Language, by_id, detect
from provguard.policy.evaluate import evaluate
from provguard.policy.model import Severity
from provguard.policy.policy import Policy
from provguard.provenance.markers import TAG
from provguard.provenance.origin import Origin, Span

from .redaction import redact

if TYPE_CHECKING:
    from pathlib import Path

    from .snapshot import IndexMatcher, Snapshot

SpanProvider = Callable[[Document, str | None], tuple[Span, ...]]
"""Spans from sources other than markers for a document and the path it came from (None when unknown): the
ledger's recorded spans, fingerprint matches. Must be picklable (a module-level function or a dataclass with
`__call__`) when the judge runs in worker processes."""

LANGUAGE_ALIASES = {"c++": "cpp", "js": "javascript", "ts": "typescript", "py": "python", "golang": "go",
                    "rs": "rust", "rb": "ruby", "yml": "yaml", "text": "plaintext", "plain": "plaintext"}
"""Spellings corpora use for languages (The Stack writes "C++", "Python") beside provguard's ids."""


class Action(StrEnum):
    KEEP = "keep"
    DROP = "drop"
    REDACT = "redact"


@dataclass(frozen=True)
class Record:
    """One sample: its code and, when the corpus has them, where it came from and its language."""

    code: str | bytes
    path: str | None = None
    language: str | None = None
    fields: Mapping[str, Any] = field(default_factory=dict)
    """Other fields a pipeline passes along; the judge does not read them."""


@dataclass(frozen=True)
class Reason:
    """One flagged range of a sample and the rule that flagged it."""

    rule_id: str
    severity: Severity
    start: int
    end: int
    """Byte range of the sample's UTF-8 code this reason covers (the whole span the rule applies to)."""
    line: int
    """1-based line of `start`."""
    end_line: int
    """1-based line of the last byte of the range."""
    placement: str
    """The path the sample was judged at when the rule fired: its own path or a corpus placement."""
    message: str
    origin: Origin | None
    """None for problems with the markers themselves."""

    @property
    def source(self) -> str:
        """Which provenance source decided it: marker, fingerprint, editor-event, ... ("marker" for marker
        problems)."""
        return self.origin.evidence.value if self.origin is not None else "marker"


@dataclass(frozen=True)
class Verdict:
    action: Action
    reasons: tuple[Reason, ...] = ()
    redacted: str | None = None
    """The code with flagged ranges replaced by placeholder comments, for `Action.REDACT`."""
    language: str = PLAIN.id

    @property
    def rule_ids(self) -> tuple[str, ...]:
        return tuple(sorted({r.rule_id for r in self.reasons}))


@dataclass(frozen=True)
class Judge:
    policy: Policy
    placements: tuple[str, ...] = ()
    """Paths of the corpus the samples are going into; each sample is judged at each of them too."""
    min_severity: Severity = Severity.ERROR
    redact: bool = False
    """Redact flagged ranges instead of dropping the sample. A sample whose markers cannot be read is still
    dropped: nobody can tell which of its code the broken marker meant."""
    extra_spans: SpanProvider | None = None

    @staticmethod
    def from_snapshot(snapshot: str | Path | Snapshot, placements: tuple[str, ...] = (),
                      min_severity: Severity = Severity.ERROR, redact: bool = False,
                      matcher: IndexMatcher | None = None) -> Judge:
        """A judge with a snapshot's policy (a path, loaded here, or a loaded `Snapshot`), for workers that
        reach neither the project nor the ledger. Samples are also matched against the snapshot's fingerprint
        index by `matcher` (default: `snapshot.default_matcher()`). Raises `snapshot.SnapshotError` naming the
        file."""
        from .snapshot import IndexedSpans, Snapshot, default_matcher, open_snapshot

        loaded = snapshot if isinstance(snapshot, Snapshot) else open_snapshot(snapshot)
        matcher = matcher if matcher is not None else default_matcher()
        spans = IndexedSpans.loaded(loaded, matcher) if matcher is not None and len(loaded.index) else None
        return Judge(loaded.policy, placements, min_severity, redact, spans)

    def judge_batch(self, records: Iterable[Record]) -> list[Verdict]:
        return [self.judge(record) for record in records]

    def judge(self, record: Record) -> Verdict:
        language = record_language(record)
        code = record.code if isinstance(record.code, bytes) else record.code.encode("utf-8", "surrogatepass")
        if self.extra_spans is None and TAG not in code:
            return Verdict(Action.KEEP, language=language.id)  # no marker and no other source: nothing to parse
        doc = Document(record.path or "", language, code)
        reasons = self.reasons(doc, record.path)
        if not reasons:
            return Verdict(Action.KEEP, language=language.id)
        if not self.redact or any(r.origin is None for r in reasons):
            return Verdict(Action.DROP, reasons, language=language.id)
        return Verdict(Action.REDACT, reasons, redact(doc, [(r.start, r.end, r.rule_id) for r in reasons]),
                       language.id)

    def reasons(self, doc: Document, path: str | None) -> tuple[Reason, ...]:
        """Flagged ranges of a document judged at its own path (when known) and at every placement, one
        reason per rule and range, in document order."""
        extra = self.extra_spans(doc, path) if self.extra_spans is not None else ()
        places = [p for p in dict.fromkeys((path, *self.placements)) if p is not None]
        if not places:
            places = [""]
        threshold = self.min_severity.rank
        analysis = analyze(doc, places[0], self.policy, extra)
        found: dict[tuple[str, int, int], Reason] = {}
        for place, findings in _findings_by_place(doc, places, analysis.findings, analysis.spans, self.policy):
            for finding in findings:
                if finding.severity.rank < threshold:
                    continue
                start, end = flagged_range(finding)
                key = (finding.rule_id, start, end)
                if key not in found:
                    found[key] = Reason(finding.rule_id, finding.severity, start, end, doc.lines.line_of(start) + 1,
                                        doc.lines.line_of(max(start, end - 1)) + 1, place, finding.message,
                                        finding.origin)
        return tuple(sorted(found.values(), key=lambda r: (r.start, r.end, r.rule_id)))


def _findings_by_place(doc: Document, places: Sequence[str], first: Sequence[Finding], spans: tuple[Span, ...],
                       policy: Policy) -> Iterable[tuple[str, Sequence[Finding]]]:
    """The first place's findings come from `analyze` (markers' problems included); the other places need only
    the pack's rules evaluated again over the same spans, as markers do not depend on the path."""
    yield places[0], first
    for place in places[1:]:
        yield place, evaluate(doc, place, spans, policy.rules, policy.severity_overrides)


def flagged_range(finding: Finding) -> tuple[int, int]:
    """The bytes a finding puts off limits: its own range, widened to the whole span when the finding is shown
    at a whole-file marker, and to the span's markers so a redaction leaves no marker without its code."""
    start, end = finding.start, finding.end
    span = finding.span
    if span is None:
        return start, end
    markers = span.markers
    if len(markers) == 1 and markers[0].verb == "file" and (start, end) == (markers[0].start, markers[0].end):
        return span.start, span.end
    if (start, end) == (span.start, span.end):
        for marker in markers:
            start, end = min(start, marker.start), max(end, marker.end)
    return start, end


def record_language(record: Record) -> Language:
    """The record's language field (a provguard id, an LSP languageId or a common spelling), else its path's
    extension, else the line-based fallback."""
    if record.language:
        name = record.language.strip().lower()
        name = LANGUAGE_ALIASES.get(name, name)
        found = by_id(name)
        if found is not None:
            return found
        detected = detect(None, name)
        if detected is not PLAIN or name == PLAIN.id:
            return detected
    return detect(record.path)
