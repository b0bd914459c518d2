"""Hover over marked code: where it came from, who reviewed it, and which marker says so."""

from __future__ import annotations

from collections.abc import Callable

from lsprotocol import types

from provguard.lsp.convert import to_offset, to_range
from provguard.lsp.server import ProvguardServer
from provguard.provenance.origin import Span


def register(server: ProvguardServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: ProvguardServer, params: types.HoverParams) -> types.Hover | None:
        opened = ls.session.get(params.text_document.uri)
        if opened is None:
            return None
        doc = opened.document
        enc = ls.position_encoding
        offset = to_offset(doc.lines, params.position, enc)
        covering = [s for s in ls.session.analysis(opened).spans if s.start <= offset < s.end]
        if not covering:
            return None
        span = min(covering, key=lambda s: s.end - s.start)
        return types.Hover(
            contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=describe(span, doc.lines.line_of)),
            range=to_range(doc.lines, span.start, span.end, enc),
        )


def describe(span: Span, line_of: Callable[[int], int]) -> str:
    origin = span.origin
    rows = [("Origin", f"`{origin.kind.value}`"), ("Tool", origin.tool), ("Vendor", origin.vendor),
            ("Model", origin.model), ("Date", origin.date), ("Reviewed by", origin.reviewed_by or "*not reviewed*"),
            ("Declared by", origin.declared_by)]
    if origin.confidence < 1:
        rows.append(("Confidence", f"{origin.confidence:.0%}"))
    rows += [(key, value) for key, value in origin.extra]
    if span.original_share is not None:
        rows.append(("Still as inserted", f"{span.original_share:.0%}"))
    where = f"{origin.evidence.value}"
    if span.markers:
        where += f" on line {line_of(span.markers[0].start) + 1}"
    rows.append(("Evidence", where))
    lines = ["**provguard provenance**", ""] + [f"- {name}: {value}" for name, value in rows if value]
    return "\n".join(lines)

