"""Core values to and from LSP's values, at the edge, in the negotiated position encoding.

Diagnostics are plain JSON and nothing here imports lsprotocol until a function that returns its objects is
called: building lsprotocol's classes is most of a cold start (issue 18), and the first diagnostics need none.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from provguard.analysis import BUILTIN_HELP_URI, BUILTIN_RULES
from provguard.findings import Finding
from provguard.policy.model import Severity
from provguard.positions import Encoding, LineIndex, Position

if TYPE_CHECKING:
    from lsprotocol import types

SOURCE = "provguard"

_SEVERITY = {Severity.ERROR: 1, Severity.WARNING: 2, Severity.INFO: 3, Severity.HINT: 4}
"""LSP's DiagnosticSeverity values."""
WARNING = _SEVERITY[Severity.WARNING]

_ENCODING = {"utf-8": Encoding.UTF8, "utf-16": Encoding.UTF16, "utf-32": Encoding.UTF32}
"""LSP's PositionEncodingKind values."""


def encoding(kind: types.PositionEncodingKind | str | None) -> Encoding:
    """The encoding a PositionEncodingKind names (UTF-16 when none is); raises ValueError for one LSP does not
    define, as lsprotocol's enum does."""
    if not kind:
        return Encoding.UTF16
    found = _ENCODING.get(str(getattr(kind, "value", kind)))
    if found is None:
        raise ValueError(f"{kind!r} is not a valid PositionEncodingKind")
    return found


def to_range(lines: LineIndex, start: int, end: int, enc: Encoding) -> types.Range:
    from lsprotocol import types

    r = lines.range(start, end, enc)
    return types.Range(types.Position(r.start.line, r.start.character), types.Position(r.end.line, r.end.character))


def to_offset(lines: LineIndex, position: types.Position, enc: Encoding) -> int:
    return lines.offset(Position(position.line, position.character), enc)


def text_edit(lines: LineIndex, start: int, end: int, new_text: str, enc: Encoding) -> types.TextEdit:
    from lsprotocol import types

    return types.TextEdit(range=to_range(lines, start, end, enc), new_text=new_text)


def diagnostic(finding: Finding, lines: LineIndex, enc: Encoding, version: int | None,
               uri: str | None = None) -> dict[str, Any]:
    """A Diagnostic as the JSON the client receives, built directly: a keystroke in a file with many spans
    republishes thousands, and lsprotocol objects plus cattrs cost more than the analysis itself.

    `data` names the finding and its fixes; the code action handler builds the edits for the document
    version named there (fix edits for every diagnostic would multiply each publish). The rule's note (why it
    exists) is the message's second line: editors list the first and show the whole on hover. The first is
    the rule's message, as every output shows it ("Code written by Claude Code ..."). Other findings of the rule
    at the same place (findings.one_per_place) are its related information, where the document's `uri` is known."""
    r = lines.range(finding.start, finding.end, enc)
    text = finding.message
    out: dict[str, Any] = {
        "range": {"start": {"line": r.start.line, "character": r.start.character},
                  "end": {"line": r.end.line, "character": r.end.character}},
        "message": f"{text}\n{finding.note}" if finding.note else text,
        "severity": _SEVERITY.get(finding.severity, WARNING),
        "code": finding.rule_id,
        "source": SOURCE,
        "data": {"version": version, "finding": finding.key, "fixes": [kind.value for kind in finding.fixes]},
    }
    href = finding.url or (BUILTIN_HELP_URI if finding.rule_id in BUILTIN_RULES else None)
    if href:
        out["codeDescription"] = {"href": href}
    if uri is not None and finding.related:
        out["relatedInformation"] = [_related(other, lines, enc, uri) for other in finding.related]
    return out


def _related(other: Finding, lines: LineIndex, enc: Encoding, uri: str) -> dict[str, Any]:
    """Where the other finding's evidence is (its whole span) and what it says."""
    start, end = (other.span.start, other.span.end) if other.span is not None else (other.start, other.end)
    r = lines.range(start, end, enc)
    text = other.message
    evidence = f" (evidence: {other.origin.evidence.value})" if other.origin is not None else ""
    return {"location": {"uri": uri, "range": {"start": {"line": r.start.line, "character": r.start.character},
                                               "end": {"line": r.end.line, "character": r.end.character}}},
            "message": f"{text}{evidence}"}
