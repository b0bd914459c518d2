"""`provguard/didInsert`: an editor plugin says what it knows about an insertion it just made.

Params: `{"textDocument": {"uri", "version"}, "range": Range, "kind": "paste" | "inline-completion" |
"agent-edit" | "chat-apply", "tool"?, "vendor"?, "model"?}`, where `range` is the inserted text's place in
that version, in the negotiated position encoding. Malformed params are logged and ignored.
"""

from __future__ import annotations

import logging
from typing import Any

import attrs
from lsprotocol import types

from provguard.lsp import diagnostics
from provguard.lsp.server import ProvguardServer
from provguard.positions import Position, Range
from provguard.provenance.capture import HintKind, HintOutcome, InsertionHint

DID_INSERT = "provguard/didInsert"

log = logging.getLogger(__name__)


@attrs.define
class DidInsertParams:
    """The shape checked before the handler runs; `parse_hint` checks the values."""

    text_document: types.VersionedTextDocumentIdentifier
    range: types.Range
    kind: str
    tool: str | None = None
    vendor: str | None = None
    model: str | None = None


def register(server: ProvguardServer) -> None:
    @server.custom_feature(DID_INSERT, DidInsertParams, request=False)
    def did_insert(ls: ProvguardServer, params: Any) -> None:
        parsed = parse_hint(params)
        if isinstance(parsed, str):
            ls.window_log_message(types.LogMessageParams(type=types.MessageType.Warning,
                                                         message=f"{DID_INSERT} ignored: {parsed}"))
            return
        uri, hint = parsed
        opened = ls.session.get(uri)
        if opened is None:
            log.info("%s for a document that is not open: %s", DID_INSERT, uri)
            return
        if opened.capture.hint(opened.document, hint) is HintOutcome.APPLIED:
            opened.invalidate()
            ls.session.persist(uri)
            diagnostics.refresh(ls, uri)


def parse_hint(params: Any) -> tuple[str, InsertionHint] | str:
    """The hint, or what is wrong with the params."""
    get = _getter(params)
    document = get("textDocument") or get("text_document")
    doc_get = _getter(document)
    uri, version = doc_get("uri"), doc_get("version")
    if not isinstance(uri, str) or not isinstance(version, int):
        return "textDocument must have a uri and an integer version"
    try:
        kind = HintKind(get("kind"))
    except ValueError:
        return f"unknown kind {get('kind')!r}; expected one of {', '.join(k.value for k in HintKind)}"
    place = _range(get("range"))
    if place is None:
        return "range must be {start: {line, character}, end: {line, character}}"
    fields = {key: get(key) for key in ("tool", "vendor", "model")}
    if any(value is not None and not isinstance(value, str) for value in fields.values()):
        return "tool, vendor and model must be strings"
    return uri, InsertionHint(version, place, kind, fields["tool"], fields["vendor"], fields["model"])


def _getter(obj: Any) -> Any:
    """pygls hands custom params over as a namedtuple-like object or a dict."""
    if isinstance(obj, dict):
        return obj.get
    return lambda key: getattr(obj, key, None)


def _range(raw: Any) -> Range | None:
    get = _getter(raw)
    points = []
    for key in ("start", "end"):
        point = _getter(get(key))
        line, character = point("line"), point("character")
        if not isinstance(line, int) or not isinstance(character, int) or line < 0 or character < 0:
            return None
        points.append(Position(line, character))
    return Range(points[0], points[1]) if points[0] <= points[1] else None
