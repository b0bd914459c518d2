"""GitLab's Code Quality report: a JSON array of issues, shown in merge requests and pipelines.

GitLab compares the report of a merge request with the target branch's by `fingerprint`, so a fingerprint
must stay the same while the code it flags does: it is derived from the SARIF partial fingerprint (rule,
path and the flagged text with whitespace collapsed, plus a counter for identical repeats in a file), never
from a line number. Severities map as GitLab's own linters' reports do: error -> major, warning -> minor,
info and hint -> info. Suppressed findings are left out, as in the text and JSON reports.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from provguard.check import CheckRun
from provguard.policy.model import Severity
from provguard.report.github import finding_range
from provguard.report.sarif import fingerprints

SEVERITIES: dict[Severity, str] = {Severity.ERROR: "major", Severity.WARNING: "minor", Severity.INFO: "info",
                                   Severity.HINT: "info"}


def render(run: CheckRun) -> str:
    findings = run.findings
    prints = fingerprints(findings + run.suppressed)  # the same counters as the SARIF report
    issues: list[dict[str, Any]] = []
    for (result, finding), fingerprint in zip(findings, prints, strict=False):
        if finding.severity not in SEVERITIES:
            continue
        start, end = finding_range(result, finding)
        issues.append({
            "description": finding.message,
            "check_name": finding.rule_id,
            "fingerprint": hashlib.sha256(f"{finding.rule_id}\0{fingerprint}".encode()).hexdigest(),
            "severity": SEVERITIES[finding.severity],
            "location": {"path": result.path, "lines": {"begin": start.line + 1, "end": end.line + 1}},
        })
    return json.dumps(issues, indent=2) + "\n"
