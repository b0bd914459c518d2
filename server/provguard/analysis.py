"""The analysis core: one document in, spans and findings out. The LSP and the CLI both call `analyze`."""

from __future__ import annotations

from dataclasses import dataclass, replace

from provguard.documents import Document
from provguard.findings import Finding
from provguard.policy.evaluate import evaluate
from provguard.policy.model import FixKind, Severity
from provguard.policy.policy import Policy
from provguard.positions import trimmed
from provguard.provenance.markers import MarkerProblem, scan
from provguard.provenance.origin import Span
from provguard.provenance.tools import infer_vendor
from provguard.suppressions import SUPPRESSION_RULES
from provguard.suppressions import apply as apply_suppressions

MARKER_RULES: dict[str, tuple[Severity, str]] = {
    "marker-invalid": (Severity.ERROR, "A provenance marker cannot be read, so the code it marks escapes the rules."),
    "marker-unterminated": (Severity.ERROR, "A 'provguard: begin' has no 'provguard: end'."),
    "marker-unmatched-end": (Severity.WARNING, "A 'provguard: end' closes no block."),
    "marker-no-unit": (Severity.ERROR, "A next-unit marker is followed by no function, class or method."),
    "marker-incomplete": (Severity.INFO, "An AI marker names the tool but not the vendor."),
}
"""Built-in rules about the markers themselves: (default severity, description)."""

BUILTIN_RULES: dict[str, tuple[Severity, str]] = {**MARKER_RULES, **SUPPRESSION_RULES}
"""Every rule no pack defines: about markers and about suppression comments."""


@dataclass(frozen=True)
class Analysis:
    spans: tuple[Span, ...]
    findings: tuple[Finding, ...]
    """What the editor shows and reports count; suppressed findings are not among them."""
    suppressed: tuple[Finding, ...] = ()
    """Findings a `provguard: allow[...]` comment silenced, each with its justification."""


def analyze(doc: Document, relative_path: str, policy: Policy, extra_spans: tuple[Span, ...] = (),
            history: tuple[Span, ...] = ()) -> Analysis:
    """Findings for one document under a policy; `extra_spans` come from sources other than markers,
    `history` from git, which speaks only where no marker or recorded span does."""
    doc.ensure_tree()
    marked = scan(doc)
    spans = marked.spans + extra_spans
    spans += uncovered(history, spans, doc.source)
    findings = [_marker_finding(p, policy) for p in marked.problems]
    findings += _incomplete_markers(marked.spans, policy)
    findings += evaluate(doc, relative_path, spans, policy.rules, policy.severity_overrides)
    visible = [f for f in findings if f.severity is not Severity.OFF]
    suppressed: list[Finding] = []
    if marked.directives:
        suppressible = {**dict.fromkeys(MARKER_RULES, True), **{r.id: r.suppressible for r in policy.rules}}
        applied = apply_suppressions(doc, marked.directives, visible, suppressible)
        visible, suppressed = applied.visible, applied.suppressed
        problems = (Finding(p.code, _severity(p.code, policy), p.start, p.end, p.message, None, None)
                    for p in applied.problems)
        visible += (f for f in problems if f.severity is not Severity.OFF)
    visible.sort(key=_order)
    suppressed.sort(key=_order)
    return Analysis(spans, tuple(visible), tuple(suppressed))


def _order(finding: Finding) -> tuple[int, int, int, str]:
    return finding.start, finding.end, -finding.severity.rank, finding.rule_id


def uncovered(weak: tuple[Span, ...], strong: tuple[Span, ...], source: bytes) -> tuple[Span, ...]:
    """The parts of `weak` spans no `strong` span covers, without the blank space at their edges: whole-commit
    evidence yields to a marker or a recorded span, which say more precisely where the code came from."""
    taken = sorted((s.start, s.end) for s in strong if s.start < s.end)
    pieces: list[tuple[Span, int, int]] = []
    for span in weak:
        at = span.start
        for start, end in taken:
            if end <= at or start >= span.end:
                continue
            if start > at:
                pieces.append((span, at, start))
            at = max(at, end)
        if at < span.end:
            pieces.append((span, at, span.end))
    out: list[Span] = []
    for span, start, end in pieces:
        start, end = trimmed(source, start, end)
        if start < end:
            out.append(span if (start, end) == (span.start, span.end) else replace(span, start=start, end=end))
    return tuple(out)



def _severity(rule_id: str, policy: Policy) -> Severity:
    return policy.severity_overrides.get(rule_id, BUILTIN_RULES[rule_id][0])


def _marker_finding(problem: MarkerProblem, policy: Policy) -> Finding:
    return Finding(problem.code, _severity(problem.code, policy), problem.start, problem.end,
                   problem.message, None, None)


def _incomplete_markers(spans: tuple[Span, ...], policy: Policy) -> list[Finding]:
    out: list[Finding] = []
    for span in spans:
        origin = span.origin
        head = span.markers[0] if span.markers else None
        if head is None or not origin.is_ai or head.field("vendor") is not None:
            continue
        vendor = infer_vendor(origin.tool, origin.model)
        if vendor is None:
            continue
        out.append(Finding(
            "marker-incomplete", _severity("marker-incomplete", policy), head.start, head.end,
            f"marker names {origin.tool or origin.model} but not its vendor ({vendor}); "
            "write it so every tool reading the marker sees it",
            origin, span, (FixKind.COMPLETE_MARKER,)))
    return out
