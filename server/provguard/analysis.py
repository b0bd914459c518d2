"""The analysis core: one document in, spans and findings out. The LSP and the CLI both call `analyze`."""

from __future__ import annotations

from dataclasses import dataclass

from provguard.documents import Document
from provguard.findings import Finding
from provguard.policy.evaluate import evaluate
from provguard.policy.model import FixKind, Severity
from provguard.policy.policy import Policy
from provguard.provenance.coverage import uncovered
from provguard.provenance.marker_scan import MarkerProblem
from provguard.provenance.markers import scan
from provguard.provenance.origin import Evidence, Kind, Span
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
BUILTIN_HELP_URI = "https://github.com/provguard/provguard/blob/main/rules/README.md#built-in-rules"
"""Where the built-in rules are described: the editor's diagnostics and SARIF link there; a test holds the anchor."""


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
    spans = marked.spans + _explained(extra_spans, doc.source)
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


_DESCENDING = {severity: -severity.rank for severity in Severity}
"""Severities most severe first, looked up once (a file with 1,000 tracked spans sorts ~1,400 findings)."""


def _order(finding: Finding) -> tuple[int, int, int, str]:
    return finding.start, finding.end, _DESCENDING[finding.severity], finding.rule_id


RECORDS = frozenset({Evidence.HOOK, Evidence.TRANSCRIPT, Evidence.FINGERPRINT, Evidence.AGENT_TRACE, Evidence.GIT_AI})
"""Evidence of a recorded agent edit: it names the tool that wrote the code."""


def _explained(spans: tuple[Span, ...], source: bytes) -> tuple[Span, ...]:
    """Insertions of unknown origin without the parts a recorded agent edit accounts for: an agent's write
    that reaches an open editor as a bulk insertion is that edit's code, and asking the user to declare it
    would report the same lines twice."""
    records = [s for s in spans if s.origin.is_ai and s.origin.evidence in RECORDS]
    if not records or not any(_unexplained(s) for s in spans):
        return spans
    return (tuple(s for s in spans if not _unexplained(s))
            + uncovered((s for s in spans if _unexplained(s)), records, source))


def _unexplained(span: Span) -> bool:
    origin = span.origin
    return (origin.kind in (Kind.UNKNOWN, Kind.PASTE) and origin.declared_by is None
            and origin.evidence in (Evidence.EDITOR_EVENT, Evidence.CLIENT_HINT))


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
        if head is None or not origin.is_ai or head.names("vendor"):
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
