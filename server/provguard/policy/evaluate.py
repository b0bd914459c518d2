"""Rule evaluation: spans with origins, a document and the active rules give findings."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from itertools import accumulate

from provguard.documents import Document
from provguard.findings import Finding
from provguard.policy.model import FixKind, OriginSelector, Rule, Severity
from provguard.policy.scopes import scope_ranges
from provguard.provenance.coverage import uncovered
from provguard.provenance.names import kind_name, origin_phrase, tool_name
from provguard.provenance.origin import Evidence, Origin, Span


def evaluate(
    doc: Document,
    relative_path: str,
    spans: Iterable[Span],
    rules: Iterable[Rule],
    severity_overrides: Mapping[str, Severity] | None = None,
) -> list[Finding]:
    overrides = severity_overrides or {}
    spans = tuple(spans)
    unmarked = _Unmarked(spans, doc.source)
    # Most spans share a few origins (one tool, one kind): which selectors match and the messages are worked
    # out once per distinct origin, not once per span and rule (a keystroke in a file of 200 regions
    # re-evaluates them all).
    kept = _kept(doc, len(spans))
    origins: list[Origin] = []  # one of each distinct origin, the first equal one seen
    seen: dict[int, int] = {}
    which: list[int] = []
    for span in spans:
        origin = span.origin
        known = kept.origins.get(id(origin))
        if known is None or known[0] is not origin:
            known = kept.origins[id(origin)] = (origin, kept.by_value.setdefault(origin, origin))
        index = seen.get(id(known[1]))
        if index is None:
            index = seen[id(known[1])] = len(origins)
            origins.append(known[1])
        which.append(index)
    findings: list[Finding] = []
    for rule in rules:
        severity = overrides.get(rule.id, rule.severity)
        if severity is Severity.OFF or not _applies_to_file(rule, doc, relative_path):
            continue
        chosen = [tuple(s for s in rule.origins if selects(s, origin)) for origin in origins]
        selected = [(piece, i) for span, i in zip(spans, which, strict=True) if chosen[i]
                    for piece in _selected(chosen[i], span, unmarked)]
        if not selected:
            continue
        query = dict(rule.scope).get(doc.language.id) if rule.scope else None
        fixes = (*rule.fixes, FixKind.SUPPRESS) if rule.suppressible else rule.fixes
        messages: dict[int, str] = {}
        for span, i in selected:
            if query is not None:  # per span: a cursor limited to the span visits far less than the whole tree
                scopes = scope_ranges(doc, doc.language.id, query, span.start, span.end)
                places = _merged([(max(s, span.start), min(e, span.end)) for s, e in scopes])
            else:
                places = [_display_range(span)]
            said = messages.get(i)
            if said is None:
                said = messages[i] = kept.message(rule, origins[i], relative_path, doc)
            for start, end in places:
                findings.append(Finding(rule.id, severity, start, end, said, span.origin, span, fixes, rule.note,
                                        rule.url))
    return findings


@dataclass
class _Kept:
    """What a document's evaluations keep for the next one (in its edit memo). An origin's fields are hashed
    once, not at every keystroke: each origin object maps to the first equal origin seen (1,000 tracked spans
    have 1,000 origin objects, of a few dozen values). Messages are kept per rule and origin."""

    origins: dict[int, tuple[Origin, Origin]] = field(default_factory=dict)
    """By id of an origin object: the object (so the id stays its own) and the first equal origin seen."""
    by_value: dict[Origin, Origin] = field(default_factory=dict)
    messages: dict[tuple[int, int, str, str], tuple[Rule, Origin, str]] = field(default_factory=dict)
    """By ids of the rule and the (first equal) origin, path and language: the rule, the origin, the message."""

    def message(self, rule: Rule, origin: Origin, relative_path: str, doc: Document) -> str:
        key = (id(rule), id(origin), relative_path, doc.language.id)
        known = self.messages.get(key)
        if known is not None and known[0] is rule and known[1] is origin:
            return known[2]
        said = _message(rule, origin, relative_path, doc)
        self.messages[key] = (rule, origin, said)
        return said


def _kept(doc: Document, spans: int) -> _Kept:
    """The document's kept evaluation state, started again when it holds many origins no span has now."""
    kept = doc.memo.evaluation
    if not isinstance(kept, _Kept) or len(kept.origins) > 2 * spans + 64 or len(kept.messages) > 10_000:
        kept = _Kept()
        doc.memo.evaluation = kept
    return kept


class _Unmarked:
    """The parts of each span outside every marker that says its code is AI output, worked out once per
    span and only for rules that ask (`marked:` in a selector). The marks are sorted by start with the
    furthest end reached so far, so each span looks only at the marks it overlaps: a file of 1,000 tracked
    spans and 200 marked regions asked every span about every mark."""

    def __init__(self, spans: tuple[Span, ...], source: bytes) -> None:
        self.marks = sorted((s for s in spans if s.origin.evidence is Evidence.MARKER and s.origin.is_ai),
                            key=lambda m: m.start)
        self.starts = [m.start for m in self.marks]
        self.reach = list(accumulate((m.end for m in self.marks), max))
        """The furthest end of the marks up to each one: the ones before a mark reaching no further than a
        span's start cannot overlap it."""
        self.source = source
        self.parts: dict[int, tuple[Span, ...]] = {}

    def of(self, span: Span) -> tuple[Span, ...]:
        key = id(span)
        if key not in self.parts:
            overlapping: list[Span] = []
            at = bisect_left(self.starts, span.end) - 1  # the last mark starting before the span ends
            while at >= 0 and self.reach[at] > span.start:
                if self.marks[at].end > span.start:
                    overlapping.append(self.marks[at])
                at -= 1
            overlapping.reverse()
            self.parts[key] = uncovered((span,), overlapping, self.source) if overlapping else (span,)
        return self.parts[key]


def _selected(chosen: tuple[OriginSelector, ...], span: Span, unmarked: _Unmarked) -> tuple[Span, ...]:
    """What of `span` the rule applies to, given the rule's selectors its origin matches (`chosen`): all of it,
    its unmarked parts (`marked: false`), or nothing."""
    pieces: tuple[Span, ...] = ()
    for selector in chosen:
        if selector.marked is None:
            return (span,)
        parts = unmarked.of(span)
        if selector.marked and not parts:
            return (span,)
        if not selector.marked and parts:
            pieces = parts
    return pieces


def _applies_to_file(rule: Rule, doc: Document, relative_path: str) -> bool:
    if rule.languages and doc.language.id not in rule.languages:
        return False
    if rule.scope and doc.language.id not in dict(rule.scope):
        return False
    return rule.paths.matches(relative_path)


def selects(selector: OriginSelector, origin: Origin) -> bool:
    if selector.kind and origin.kind.value not in selector.kind:
        return False
    if selector.evidence and origin.evidence.value not in selector.evidence:
        return False
    for patterns, value in ((selector.tool, origin.tool), (selector.vendor, origin.vendor),
                            (selector.model, origin.model)):
        if patterns and not any(fnmatchcase((value or "").lower(), p.lower()) for p in patterns):
            return False
    if selector.declared is not None and selector.declared != (origin.declared_by is not None):
        return False
    if selector.min_confidence is not None and origin.confidence < selector.min_confidence:
        return False
    return selector.reviewed is None or selector.reviewed == (origin.reviewed_by is not None)


def _merged(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping ranges joined: nested scopes (a test inside a describe block) give one finding, not two."""
    out: list[tuple[int, int]] = []
    for start, end in sorted(ranges):
        if out and start < out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def _display_range(span: Span) -> tuple[int, int]:
    """A whole-file marker is reported at the marker, not across every line of the file."""
    if len(span.markers) == 1 and span.markers[0].verb == "file":
        return span.markers[0].start, span.markers[0].end
    return span.start, span.end


def _message(rule: Rule, origin: Origin, relative_path: str, doc: Document) -> str:
    """The rule's message with the origin filled in as people call it (provenance/names.py): the one text every
    front end shows; the ids are in the fields tools read (the origin of JSON and SARIF)."""
    values = {
        "origin": origin_phrase(origin),
        "kind": kind_name(origin.kind),
        "tool": tool_name(origin.tool),
        "vendor": origin.vendor or "an unknown vendor",
        "model": origin.model or "an unnamed model",
        "path": relative_path,
        "language": doc.language.id,
        "rule": rule.id,
    }
    return rule.message.format_map(values)
