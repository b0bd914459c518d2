"""Commands behind code actions that change provenance rather than text: declare, and forget a span."""

from __future__ import annotations

from typing import Any

from lsprotocol import types

from provguard.lsp import diagnostics
from provguard.lsp.server import ProvguardServer
from provguard.provenance.origin import Evidence, Kind, Origin

DECLARE = "provguard.declare"
FORGET = "provguard.forget"


def register(server: ProvguardServer) -> None:
    @server.command(DECLARE)
    def declare(ls: ProvguardServer, *args: Any) -> bool:
        """Args: uri, span id, the declared origin (see `origin_argument`), and optionally a note: the URL or
        licence of external code, which an editor plugin asks the person for."""
        uri, span_id, raw, note = _args(args, 4)
        origin = origin_from_argument(raw)
        if not isinstance(uri, str) or not isinstance(span_id, str) or origin is None:
            ls.notify_user(f"{DECLARE}: expected [uri, span id, origin, note?], got {args!r}")
            return False
        if not ls.session.declare(uri, span_id, origin, note if isinstance(note, str) and note else None):
            ls.notify_user("that code is no longer tracked (it was deleted or the file was closed)",
                           types.MessageType.Info)
            return False
        diagnostics.refresh(ls, uri)
        return True

    @server.command(FORGET)
    def forget(ls: ProvguardServer, *args: Any) -> bool:
        uri, span_id = _args(args, 2)
        if isinstance(uri, str) and isinstance(span_id, str):
            ls.session.forget(uri, span_id)
            diagnostics.refresh(ls, uri)
            return True
        return False


def origin_argument(origin: Origin) -> dict[str, Any]:
    return {key: value for key, value in (
        ("kind", origin.kind.value), ("evidence", origin.evidence.value), ("tool", origin.tool),
        ("vendor", origin.vendor), ("model", origin.model), ("declaredBy", origin.declared_by),
        ("date", origin.date)) if value is not None}


def origin_from_argument(raw: Any) -> Origin | None:
    if not isinstance(raw, dict):
        return None
    try:
        kind = Kind(str(raw.get("kind")))
        evidence = Evidence(str(raw.get("evidence", Evidence.EDITOR_EVENT.value)))
    except ValueError:
        return None
    text = {key: raw.get(key) if isinstance(raw.get(key), str) else None
            for key in ("tool", "vendor", "model", "declaredBy", "date")}
    return Origin(kind, evidence, tool=text["tool"], vendor=text["vendor"], model=text["model"],
                  declared_by=text["declaredBy"], date=text["date"])


def _args(args: Any, count: int) -> list[Any]:
    values = list(args) if isinstance(args, (list, tuple)) else []
    return (values + [None] * count)[:count]
