"""`path:line:col: severity rule-id message`, the format editors and CI logs link up.

Lines and columns are 1-based; columns count Unicode code points. The last line sums the run up, e.g.
`5 files checked: 4 errors, 4 warnings, 2 info`.
"""

from __future__ import annotations

from provguard.check import CheckRun
from provguard.policy.model import Severity
from provguard.positions import Encoding

_CONTROLS = {**{c: f"\\x{c:02x}" for c in [*range(0x20), *range(0x7f, 0xa0)]},
             ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t"}
"""Control characters as escapes: the part of a file name after a line break (`::error ...`) must not start a
line of its own, which a CI log would obey (GitHub Actions' workflow commands)."""

_ORDER = (Severity.ERROR, Severity.WARNING, Severity.INFO, Severity.HINT)
_NOUNS = {Severity.ERROR: ("error", "errors"), Severity.WARNING: ("warning", "warnings"),
          Severity.INFO: ("info", "info"), Severity.HINT: ("hint", "hints")}


def render(run: CheckRun) -> str:
    lines: list[str] = []
    for result, finding in run.findings:
        pos = result.document.lines.position(finding.start, Encoding.UTF32)
        lines.append(f"{result.path.translate(_CONTROLS)}:{pos.line + 1}:{pos.character + 1}: "
                     f"{finding.severity.value} {finding.rule_id} {finding.message.translate(_CONTROLS)}")
    lines.append(summary(run))
    return "\n".join(lines) + "\n"


def summary(run: CheckRun) -> str:
    counts = dict.fromkeys(_ORDER, 0)
    for _, finding in run.findings:
        if finding.severity in counts:
            counts[finding.severity] += 1
    parts = [f"{n} {_NOUNS[sev][n != 1]}" for sev, n in counts.items() if n]
    checked = _count(run.files_checked, "file", "files") + " checked"
    if run.skipped:
        checked += f", {len(run.skipped)} skipped"
    suppressed = f" ({len(run.suppressed)} suppressed)" if run.suppressed else ""
    return f"{checked}: {', '.join(parts) or 'no findings'}{suppressed}"


def _count(n: int, singular: str, plural: str) -> str:
    return f"{n} {singular if n == 1 else plural}"
