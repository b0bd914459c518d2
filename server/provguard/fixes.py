"""Quick fixes as core text edits: mark reviewed, strip the region, add or complete a marker.

Fixes are computed from a finding and its document; the LSP carries them on diagnostics and the CLI
writes them into SARIF, so both offer exactly the same edits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from provguard.documents import Document
from provguard.findings import Finding
from provguard.policy.model import FixKind
from provguard.positions import TextEdit
from provguard.provenance.marker_writer import format_fields, marker_text
from provguard.provenance.origin import Kind, MarkerComment, Origin, Span
from provguard.provenance.tools import display_name, infer_vendor
from provguard.suppressions import suppression_edit

DECLARABLE_TOOLS = ("claude-code", "codex", "copilot", "cursor", "chatgpt", "claude.ai", "gemini")


@dataclass(frozen=True)
class Fix:
    kind: FixKind
    title: str
    edits: tuple[TextEdit, ...]
    safe: bool
    """Safe fixes only add information and may be applied in bulk (fix-all); others need a person."""
    declare: Origin | None = None
    """For declarations: the origin a person states for the tracked span (no text changes)."""
    span_id: str | None = None
    """The tracked span the fix is about: declared, or forgotten once a marker carries its provenance."""


def fixes_for(doc: Document, finding: Finding, reviewer: str | None,
              ai_tools: Sequence[str] = DECLARABLE_TOOLS) -> list[Fix]:
    out: list[Fix] = []
    for kind in finding.fixes:
        if kind is FixKind.DECLARE:
            out.extend(_declarations(finding, reviewer, ai_tools))
            continue
        fix = _build(doc, finding, kind, reviewer)
        if fix is not None:
            out.append(fix)
    return out


def _declarations(finding: Finding, who: str | None, ai_tools: Sequence[str]) -> list[Fix]:
    span = finding.span
    if span is None or span.span_id is None:
        return []
    today = date.today().isoformat()
    base = span.origin

    def declared(kind: Kind, tool: str | None = None) -> Origin:
        return replace(base, kind=kind, tool=tool, vendor=infer_vendor(tool, None) if tool else None,
                       model=None, declared_by=who or "unknown", date=today)

    fixes = [Fix(FixKind.DECLARE, "Declare: written by me", (), False, declared(Kind.HUMAN), span.span_id)]
    fixes += [Fix(FixKind.DECLARE, f"Declare: from {display_name(tool)}", (), False,
                  declared(Kind.AI_CHAT_PASTE, tool), span.span_id) for tool in ai_tools]
    fixes.append(Fix(FixKind.DECLARE, "Declare: from an external source", (), False, declared(Kind.EXTERNAL),
                     span.span_id))
    return fixes


def _build(doc: Document, finding: Finding, kind: FixKind, reviewer: str | None) -> Fix | None:
    if kind is FixKind.SUPPRESS:  # a person has to write the reason, so never part of fix-all
        return Fix(kind, f"Suppress {finding.rule_id} here (write the reason)", (suppression_edit(doc, finding),),
                   safe=False)
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
        # marking AI code as AI only adds information; marking unknown code writes a person's declaration
        return Fix(kind, "Mark with a provenance comment", _wrap_in_markers(doc, span, reviewer),
                   safe=span.origin.is_ai, span_id=span.span_id)
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


def _wrap_in_markers(doc: Document, span: Span, who: str | None) -> tuple[TextEdit, ...]:
    origin = span.origin
    fields = [("kind", origin.kind.value)]
    fields += [(k, v) for k, v in (("tool", origin.tool), ("vendor", origin.vendor), ("model", origin.model),
                                   ("reviewed-by", origin.reviewed_by),
                                   ("declared-by", origin.declared_by or (who if not origin.is_ai else None)),
                                   ("date", origin.date)) if v]
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
