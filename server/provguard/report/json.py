"""One JSON document per run: every finding with its position, origin and fixes.

Lines and columns are 1-based; columns count Unicode code points, as in the text report. `bytes` gives the
exact UTF-8 byte range the core works in, so scripts can apply fixes without any column arithmetic.
"""

from __future__ import annotations

import json
from typing import Any

from provguard import __version__
from provguard.check import CheckRun, FileResult
from provguard.findings import Finding
from provguard.positions import Encoding
from provguard.provenance.origin import Origin


def render(run: CheckRun, reviewer: str | None) -> str:
    findings = [_finding(result, finding, reviewer) for result, finding in run.findings]
    skipped = [{"path": s.path, "reason": s.reason} for s in run.skipped]
    report = {"version": 1, "tool": {"name": "provguard", "version": __version__},
              "filesChecked": run.files_checked, "findings": findings, "suppressed": len(run.suppressed),
              "skipped": skipped}
    return json.dumps(report, indent=2) + "\n"


def origin_fields(origin: Origin) -> dict[str, Any]:
    """The origin as JSON fields (camelCase, unset fields left out); the SARIF report uses the same."""
    fields: dict[str, Any] = {"kind": origin.kind.value, "evidence": origin.evidence.value}
    for key, value in (("tool", origin.tool), ("vendor", origin.vendor), ("model", origin.model),
                       ("reviewedBy", origin.reviewed_by), ("declaredBy", origin.declared_by),
                       ("date", origin.date)):
        if value is not None:
            fields[key] = value
    fields["confidence"] = origin.confidence
    if origin.extra:
        fields["extra"] = dict(origin.extra)
    return fields


def _finding(result: FileResult, finding: Finding, reviewer: str | None) -> dict[str, Any]:
    lines = result.document.lines
    start = lines.position(finding.start, Encoding.UTF32)
    end = lines.position(finding.end, Encoding.UTF32)
    return {
        "path": result.path,
        "rule": finding.rule_id,
        "severity": finding.severity.value,
        "message": finding.message,
        "range": {"start": {"line": start.line + 1, "column": start.character + 1},
                  "end": {"line": end.line + 1, "column": end.character + 1},
                  "bytes": [finding.start, finding.end]},
        "origin": origin_fields(finding.origin) if finding.origin is not None else None,
        "fixes": [{"kind": fix.kind.value, "title": fix.title, "safe": fix.safe,
                   "applicability": fix.applicability.value,
                   "edits": [{"bytes": [e.start, e.end], "newText": e.new_text} for e in fix.edits]}
                  for fix in result.fixes(finding, reviewer)],
    }
