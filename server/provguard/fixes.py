"""Quick fixes as core text edits: mark reviewed, strip the region, add or complete a marker.

Fixes are computed from a finding and its document; the LSP carries them on diagnostics and the CLI
writes them into SARIF, so both offer exactly the same edits.
"""

from __future__ import annotations

from dataclasses import dataclass

from provguard.documents import Document
from provguard.findings import Finding
from provguard.policy.model import FixKind
from provguard.positions import TextEdit
from provguard.provenance.marker_writer import format_fields, marker_text
from provguard.provenance.origin import MarkerComment, Origin, Span
from provguard.provenance.tools import infer_vendor


@dataclass(frozen=True)
class Fix:
    kind: FixKind
    title: str
    edits: tuple[TextEdit, ...]
    safe: bool
    """Safe fixes only add information and may be applied in bulk (fix-all); others need a person."""


def fixes_for(doc: Document, finding: Finding, reviewer: str | None) -> list[Fix]:
    out: list[Fix] = []
    for kind in finding.fixes:
        fix = _build(doc, finding, kind, reviewer)
        if fix is not None:
            out.append(fix)
    return out


def _build(doc: Document, finding: Finding, kind: FixKind, reviewer: str | None) -> Fix | None:
    span = finding.span
    if span is None:
        return None
    head = _head_marker(span)
    if kind is FixKind.MARK_REVIEWED:
        if head is None or span.origin.reviewed_by is not None or not reviewer:
            return None
        edit = TextEdit(head.inline_fields_end or head.end, head.inline_fields_end or head.end,
                        " " + format_fields([("reviewed-by", reviewer)]))
        return Fix(kind, f"Mark as reviewed by {reviewer}", (edit,), safe=False)
    if kind is FixKind.STRIP:
        if head is None or head.verb == "file":
            return None
        start = head.line_start
        end = span.markers[-1].line_end if len(span.markers) > 1 else _through_line_end(doc, span.end)
        first, last = doc.lines.line_of(start) + 1, doc.lines.line_of(max(start, end - 1)) + 1
        return Fix(kind, f"Remove the {span.origin.kind.value} code (lines {first}-{last})",
                   (TextEdit(start, end, ""),), safe=False)
    if kind is FixKind.ADD_MARKER:
        if head is not None:
            return None
        return Fix(kind, "Add a provenance marker around this code", _wrap_in_markers(doc, span), safe=True)
    if kind is FixKind.COMPLETE_MARKER:
        missing = _missing_fields(span.origin, head)
        if head is None or not missing:
            return None
        at = head.inline_fields_end or head.end
        edit = TextEdit(at, at, " " + format_fields(missing))
        return Fix(kind, f"Complete the marker: {format_fields(missing)}", (edit,), safe=True)
    return None


def _head_marker(span: Span) -> MarkerComment | None:
    return span.markers[0] if span.markers else None


def _missing_fields(origin: Origin, head: MarkerComment | None) -> list[tuple[str, str]]:
    if head is None or head.field("vendor") is not None:
        return []
    vendor = infer_vendor(origin.tool, origin.model)
    return [("vendor", vendor)] if vendor else []


def _through_line_end(doc: Document, offset: int) -> int:
    """Extends a removal over the rest of its last line, line break included, when only spaces remain."""
    line = doc.lines.line_of(offset)
    if offset > 0 and doc.lines.starts[line] == offset:
        return offset  # already at the start of a line: the previous line is over
    _, text_end = doc.lines.line_bounds(line)
    if doc.source[offset:text_end].strip():
        return offset
    return doc.lines.starts[line + 1] if line + 1 < doc.lines.line_count else len(doc.source)


def _wrap_in_markers(doc: Document, span: Span) -> tuple[TextEdit, ...]:
    origin = span.origin
    fields = [("kind", origin.kind.value)]
    fields += [(k, v) for k, v in (("tool", origin.tool), ("vendor", origin.vendor), ("model", origin.model),
                                   ("reviewed-by", origin.reviewed_by)) if v]
    first_line = doc.lines.line_of(span.start)
    line_start, line_end = doc.lines.line_bounds(first_line)
    line = doc.source[line_start:line_end]
    indent_bytes = line[: len(line) - len(line.lstrip())]
    at_line_start = span.start <= line_start + len(indent_bytes)
    indent = indent_bytes.decode("utf-8", "replace") if at_line_start else ""
    eol = "\r\n" if b"\r\n" in doc.source[:4096] else "\n"
    begin = f"{indent}{marker_text(doc.language, 'begin', fields)}{eol}"
    end_at = _through_line_end(doc, span.end)
    closing = f"{indent}{marker_text(doc.language, 'end')}{eol}"
    if doc.lines.starts[doc.lines.line_of(end_at)] != end_at:
        closing = eol + closing  # code goes on after the span on its last line, or no final line break
    begin_at = line_start if at_line_start else span.start
    return (TextEdit(begin_at, begin_at, begin), TextEdit(end_at, end_at, closing))
