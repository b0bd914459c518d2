"""`provguard/summary`: one document's provenance in numbers, for an editor's status bar.

Params: `{"textDocument": {"uri"}}`. Result: `{"version", "aiLines", "undeclared", "findings": {"error",
"warning", "info", "hint"}}`, or null when the document is not open. A request rather than something the client
derives from diagnostics: AI code that breaks no rule has no diagnostic, yet a person wants to see it counted.
"""

from __future__ import annotations

from typing import Any

import attrs
from lsprotocol import types

from provguard.lsp.server import ProvguardServer
from provguard.policy.model import Severity
from provguard.provenance.origin import Evidence, Kind, Span
from provguard.session import OpenDocument

SUMMARY = "provguard/summary"

_UNDECLARED_KINDS = frozenset({Kind.UNKNOWN, Kind.PASTE})
_EDITOR_EVIDENCE = frozenset({Evidence.EDITOR_EVENT, Evidence.CLIENT_HINT})


@attrs.define
class SummaryParams:
    text_document: types.TextDocumentIdentifier


def register(server: ProvguardServer) -> None:
    @server.custom_feature(SUMMARY, SummaryParams, request=True)
    def summary(ls: ProvguardServer, params: SummaryParams) -> dict[str, Any] | None:
        opened = ls.session.get(params.text_document.uri)
        return None if opened is None else summarize(ls, opened)


def summarize(ls: ProvguardServer, opened: OpenDocument) -> dict[str, Any]:
    analysis = ls.session.analysis(opened)
    line_of = opened.document.lines.line_of
    ai_lines: set[int] = set()
    for span in analysis.spans:
        if span.origin.kind.is_ai and span.end > span.start:
            ai_lines.update(range(line_of(span.start), line_of(span.end - 1) + 1))
    counts = {level.value: 0 for level in (Severity.ERROR, Severity.WARNING, Severity.INFO, Severity.HINT)}
    for finding in analysis.findings:
        counts[finding.severity.value] = counts.get(finding.severity.value, 0) + 1
    return {"version": opened.document.version, "aiLines": len(ai_lines),
            "undeclared": sum(1 for span in analysis.spans if _undeclared(span)), "findings": counts}


def _undeclared(span: Span) -> bool:
    """An insertion the editor saw whose origin nobody has stated: what `undeclared-insertion` asks about."""
    origin = span.origin
    return origin.kind in _UNDECLARED_KINDS and origin.evidence in _EDITOR_EVIDENCE and origin.declared_by is None
