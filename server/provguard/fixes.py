"""Quick fixes as core text edits: mark reviewed, strip the region, add or complete a marker, remove an unused
suppression.

Fixes are computed from a finding and its document; the LSP carries them on diagnostics and the CLI
writes them into SARIF and applies them (`check --fix`), so every surface offers exactly the same edits.
Each fix says how it may be applied (`Applicability`, as in ruff): safe fixes change neither what the code does
nor assert anything a person did not say, so `check --fix` and the editor's fix-all apply them in bulk.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum

from provguard.documents import Document
from provguard.findings import Finding
from provguard.policy.model import FixKind
from provguard.positions import TextEdit
from provguard.provenance.marker_writer import format_fields, marker_text
from provguard.provenance.markers import scan
from provguard.provenance.origin import Kind, MarkerComment, Origin, Span
from provguard.provenance.tools import display_name, infer_vendor
from provguard.suppressions import suppression_edit

DECLARABLE_TOOLS = ("claude-code", "codex", "copilot", "cursor", "chatgpt", "claude.ai", "gemini")


UNUSED_SUPPRESSION = "suppression-unused"


class Applicability(StrEnum):
    """How a fix may be applied, as in ruff."""

    SAFE = "safe"
    """Changes neither what the code does nor asserts what a person did not say: `check --fix`, fix-all."""
    UNSAFE = "unsafe"
    """Removes code or writes a person's statement (a review, a declaration): only with `--unsafe-fixes`."""
    DISPLAY_ONLY = "display-only"
    """Offered to a person, never applied in bulk: a declaration (a ledger record) or a suppression whose
    reason only a person can write."""


class BuiltinFix(StrEnum):
    """Fixes of built-in rules that packs do not list."""

    REMOVE_SUPPRESSION = "remove-suppression"


@dataclass(frozen=True)
class Fix:
    kind: FixKind | BuiltinFix
    title: str
    edits: tuple[TextEdit, ...]
    applicability: Applicability
    declare: Origin | None = None
    """For declarations: the origin a person states for the tracked span (no text changes)."""
    span_id: str | None = None
    """The tracked span the fix is about: declared, or forgotten once a marker carries its provenance."""

    @property
    def safe(self) -> bool:
        """Safe fixes may be applied in bulk (fix-all, `check --fix`); others need a person."""
        return self.applicability is Applicability.SAFE


def fixes_for(doc: Document, finding: Finding, reviewer: str | None,
              ai_tools: Sequence[str] = DECLARABLE_TOOLS) -> list[Fix]:
    if finding.rule_id == UNUSED_SUPPRESSION:
        removal = _remove_suppression(doc, finding)
        return [removal] if removal is not None else []
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

    manual = Applicability.DISPLAY_ONLY
    fixes = [Fix(FixKind.DECLARE, "Declare: written by me", (), manual, declared(Kind.HUMAN), span.span_id)]
    fixes += [Fix(FixKind.DECLARE, f"Declare: from {display_name(tool)}", (), manual,
                  declared(Kind.AI_CHAT_PASTE, tool), span.span_id) for tool in ai_tools]
    fixes.append(Fix(FixKind.DECLARE, "Declare: from an external source", (), manual, declared(Kind.EXTERNAL),
                     span.span_id))
    return fixes


def _build(doc: Document, finding: Finding, kind: FixKind, reviewer: str | None) -> Fix | None:
    if kind is FixKind.SUPPRESS:  # a person has to write the reason, so never part of fix-all
        return Fix(kind, f"Suppress {finding.rule_id} here (write the reason)", (suppression_edit(doc, finding),),
                   Applicability.DISPLAY_ONLY)
    span = finding.span
    if span is None:
        return None
    head = _head_marker(span)
    if kind is FixKind.MARK_REVIEWED:
        if head is None or span.origin.reviewed_by is not None or not reviewer:
            return None
        edit = TextEdit(head.inline_fields_end or head.end, head.inline_fields_end or head.end,
                        " " + format_fields([("reviewed-by", reviewer)]))
        return Fix(kind, f"Mark as reviewed by {reviewer}", (edit,), Applicability.UNSAFE)  # a person's word
    if kind is FixKind.STRIP:
        if head is None or head.verb == "file":
            return None
        start = head.line_start
        end = span.markers[-1].line_end if len(span.markers) > 1 else _through_line_end(doc, span.end)
        first, last = doc.lines.line_of(start) + 1, doc.lines.line_of(max(start, end - 1)) + 1
        return Fix(kind, f"Remove the {span.origin.kind.value} code (lines {first}-{last})",
                   (TextEdit(start, end, ""),), Applicability.UNSAFE)
    if kind is FixKind.ADD_MARKER:
        if head is not None:
            return None
        # marking AI code as AI only adds information when the evidence is sure; marking a guess (git history,
        # a partial copy) would state it as fact, and marking unknown code writes a person's declaration
        sure = span.origin.is_ai and span.origin.confidence >= 1.0
        return Fix(kind, "Mark with a provenance comment", _wrap_in_markers(doc, span, reviewer),
                   Applicability.SAFE if sure else Applicability.UNSAFE, span_id=span.span_id)
    if kind is FixKind.COMPLETE_MARKER:
        missing = _missing_fields(span.origin, head)
        if head is None or not missing:
            return None
        at = head.inline_fields_end or head.end
        edit = TextEdit(at, at, " " + format_fields(missing))
        return Fix(kind, f"Complete the marker: {format_fields(missing)}", (edit,), Applicability.SAFE)
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


_RULE_REF = re.compile(rb"[^,\s]+")


def _remove_suppression(doc: Document, finding: Finding) -> Fix | None:
    """Removes the rule an unused suppression names: from its list, or the whole comment when it is the only one
    (its line too when the comment is alone on it). Two such fixes in one comment overlap, so a bulk run applies
    one and the next pass sees what is left."""
    source = doc.source
    comment = next(((s, e) for s, e in scan(doc).directives if s <= finding.start < e), None)
    if comment is None:
        return None
    start, end = comment
    opened, closed = source.rfind(b"[", start, finding.start), source.find(b"]", finding.end, end)
    if opened == -1 or closed == -1:
        return None
    refs = [(opened + 1 + m.start(), opened + 1 + m.end()) for m in _RULE_REF.finditer(source[opened + 1:closed])]
    index = next((i for i, (s, _) in enumerate(refs) if s == finding.start), None)
    if index is None:
        return None
    rule = source[finding.start:finding.end].decode("utf-8", "replace")
    if len(refs) > 1:
        cut = (refs[index][0], refs[index + 1][0]) if index + 1 < len(refs) else (refs[index - 1][1], refs[index][1])
        return Fix(BuiltinFix.REMOVE_SUPPRESSION, f"Remove {rule} from the suppression",
                   (TextEdit(*cut, ""),), Applicability.SAFE)
    lines = doc.lines
    first, last = lines.line_of(start), lines.line_of(max(start, end - 1))
    line_start = lines.starts[first]
    _, last_end = lines.line_bounds(last)
    before = source[line_start:start]
    if not before.strip() and not source[end:last_end].strip():  # alone on its lines: remove them
        cut = (line_start, lines.starts[last + 1] if last + 1 < lines.line_count else len(source))
    elif before.strip():  # after code on its line: remove it with the spaces before it
        cut = (line_start + len(before.rstrip()), end)
    else:
        cut = (start, end)
    return Fix(BuiltinFix.REMOVE_SUPPRESSION, "Remove the unused suppression", (TextEdit(*cut, ""),),
               Applicability.SAFE)
