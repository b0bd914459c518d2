"""`path:line:col: severity rule-id message`, the format editors and CI logs link up.

Lines and columns are 1-based; columns count Unicode code points. Names, rule ids and messages are made
printable (printable.py): a line break in a file name must not start a line a CI log obeys. The last line
sums the run up, e.g. `5 files checked: 4 errors, 4 warnings, 2 info`.
"""

from __future__ import annotations

from provguard.check import CheckRun
from provguard.policy.model import Severity
from provguard.positions import Encoding
from provguard.printable import printable

_ORDER = (Severity.ERROR, Severity.WARNING, Severity.INFO, Severity.HINT)
_NOUNS = {Severity.ERROR: ("error", "errors"), Severity.WARNING: ("warning", "warnings"),
          Severity.INFO: ("info", "info"), Severity.HINT: ("hint", "hints")}


def render(run: CheckRun) -> str:
    lines: list[str] = []
    for result, finding in run.findings:
        pos = result.document.lines.position(finding.start, Encoding.UTF32)
        lines.append(f"{printable(result.path)}:{pos.line + 1}:{pos.character + 1}: "
                     f"{finding.severity.value} {printable(finding.rule_id)} {printable(finding.message)}")
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
