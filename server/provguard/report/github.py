"""GitHub Actions workflow commands: one `::error`/`::warning`/`::notice` line per finding.

GitHub turns each line into an annotation on the file and line, in the job log and on the pull request's
changed files. Paths are as in the other reports (relative to the project root), which is what GitHub
expects when the project root is the repository root. Lines and columns are 1-based and count Unicode code
points, as in the text report; columns are given only for a finding on one line, since GitHub accepts
`col`/`endColumn` only when `line` and `endLine` are the same. Values are escaped as the Actions toolkit
does: `%`, CR and LF in the message, and also `:` and `,` in the properties; other controls, which the
toolkit has no encoding for, are written as escapes (printable.py). The last line is the text
report's summary, which GitHub shows as a plain log line.
"""

from __future__ import annotations

from provguard.check import CheckRun, FileResult
from provguard.findings import Finding
from provguard.policy.model import Severity
from provguard.positions import Encoding, Position
from provguard.printable import github_data, github_property
from provguard.report.text import summary

COMMANDS: dict[Severity, str] = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice",
                                 Severity.HINT: "notice"}


def render(run: CheckRun) -> str:
    lines = [annotation(result, finding) for result, finding in run.findings if finding.severity in COMMANDS]
    lines.append(summary(run))
    return "\n".join(lines) + "\n"


def annotation(result: FileResult, finding: Finding) -> str:
    start, end = finding_range(result, finding)
    properties = [("file", result.path), ("line", str(start.line + 1)), ("endLine", str(end.line + 1))]
    if start.line == end.line:  # end.character is exclusive 0-based, so the 1-based inclusive end column
        properties += [("col", str(start.character + 1)), ("endColumn", str(max(end.character, start.character + 1)))]
    properties.append(("title", finding.rule_id))
    props = ",".join(f"{key}={github_property(value)}" for key, value in properties)
    return f"::{COMMANDS[finding.severity]} {props}::{github_data(finding.message)}"


def finding_range(result: FileResult, finding: Finding) -> tuple[Position, Position]:
    """0-based code point positions of a finding; one that ends at the start of a later line (a block that
    takes its last line break) ends at the end of the line before, the last line it really covers."""
    lines = result.document.lines
    start = lines.position(finding.start, Encoding.UTF32)
    end = lines.position(finding.end, Encoding.UTF32)
    if end.line > start.line and end.character == 0:
        end = lines.position(lines.line_bounds(end.line - 1)[1], Encoding.UTF32)
    return start, end
