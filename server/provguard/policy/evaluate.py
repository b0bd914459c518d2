"""Rule evaluation: spans with origins, a document and the active rules give findings."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from fnmatch import fnmatchcase

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
    distinct: dict[Origin, int] = {}
    which = [distinct.setdefault(span.origin, len(distinct)) for span in spans]
    origins = list(distinct)
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
                said = messages[i] = _message(rule, span.origin, relative_path, doc)
            for start, end in places:
                findings.append(Finding(rule.id, severity, start, end, said, span.origin, span, fixes, rule.note,
                                        rule.url))
    return findings


class _Unmarked:
    """The parts of each span outside every marker that says its code is AI output, worked out once per
    span and only for rules that ask (`marked:` in a selector)."""

    def __init__(self, spans: tuple[Span, ...], source: bytes) -> None:
        self.marks = tuple(s for s in spans if s.origin.evidence is Evidence.MARKER and s.origin.is_ai)
        self.source = source
        self.parts: dict[int, tuple[Span, ...]] = {}

    def of(self, span: Span) -> tuple[Span, ...]:
        key = id(span)
        if key not in self.parts:
            overlaps = any(m.start < span.end and span.start < m.end for m in self.marks)
            self.parts[key] = uncovered((span,), self.marks, self.source) if overlaps else (span,)
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
