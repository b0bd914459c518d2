"""Diagnostics: pulled (textDocument/diagnostic) when the client can, pushed otherwise, never both."""

from __future__ import annotations

import logging
from collections.abc import Hashable, Iterable
from typing import Any, cast

from lsprotocol import types

from provguard.documents import Document
from provguard.edit_memo import Rendered
from provguard.findings import Finding
from provguard.lsp import pack_files, pack_reload, plain_json
from provguard.lsp.convert import diagnostic
from provguard.lsp.server import ProvguardServer
from provguard.positions import Encoding
from provguard.session import OpenDocument

log = logging.getLogger(__name__)


def register(server: ProvguardServer) -> None:
    @server.feature(
        types.TEXT_DOCUMENT_DIAGNOSTIC,
        types.DiagnosticOptions(identifier="provguard", inter_file_dependencies=False,
                                workspace_diagnostics=False),
    )
    async def pull(ls: ProvguardServer, params: types.DocumentDiagnosticParams) -> dict[str, Any]:
        """The report as plain JSON (see convert.diagnostic for why); once a running pack reload has ended."""
        if pack_reload.running(ls):
            await pack_reload.settled(ls)
        ls.backlog.touch()
        ls.backlog.first(params.text_document.uri)
        opened = ls.session.get(params.text_document.uri)
        if opened is None:
            return {"kind": "full", "items": []}
        result_id = document_result_id(ls, opened)
        if params.previous_result_id == result_id:
            return {"kind": "unchanged", "resultId": result_id}
        return {"kind": "full", "items": for_document(ls, opened), "resultId": result_id}


def document_result_id(ls: ProvguardServer, opened: OpenDocument) -> str:
    """What a document's report depends on (the policy, the text's version, the regions found so far): a pull,
    of the document or of the workspace, that sends it back gets `unchanged`."""
    return f"{id(opened.project.policy)}:{opened.document.version}:{opened.regions_generation}"


def for_document(ls: ProvguardServer, opened: OpenDocument) -> list[dict[str, Any]]:
    doc = opened.document
    try:
        analysis = ls.session.analysis(opened)
    except Exception:  # a bug in one rule must not take the server down with it
        log.exception("analysis failed for %s", opened.uri)
        ls.notify_user(f"analysis failed for {opened.relative_path}; see the log", types.MessageType.Error)
        return []
    return rendered(analysis.findings, doc, ls.position_encoding, opened.uri) + pack_files.diagnostics(ls, opened)


def rendered(findings: Iterable[Finding], doc: Document, enc: Encoding, uri: str | None = None) -> list[dict[str, Any]]:
    """The findings' JSON, each reused from an earlier publish when it says the same and no edit since touched
    the bytes it counts positions from (moved with the edits before it: new lines, a new key in `data`; the
    version in `data` changes anyway); the memo keeps the ones given this time. With the document's `uri`,
    findings merged into one (findings.one_per_place) carry the others as related information."""
    known = doc.memo.diagnostics
    kept: dict[tuple[int, Hashable], Rendered] = {}
    out: list[dict[str, Any]] = []
    lines = doc.lines
    for finding in findings:
        start = finding.start
        related = tuple(_related_key(other, start) for other in finding.related) if uri is not None else ()
        key = (start, (enc, uri, finding.rule_id, finding.severity, finding.message,
                       finding.note, finding.url, finding.fixes, finding.end - start, related))
        earlier = known.get(key)
        if earlier is None:
            json = diagnostic(finding, lines, enc, doc.version, uri)
            low = min((start, *(start + r[0] for r in related)))
            high = max((finding.end, *(start + r[1] for r in related)))
            kept[key] = Rendered(lines.starts[lines.line_of(low)], high, json)
        elif not earlier.moved and not earlier.lines:
            kept[key] = earlier
            last = cast("dict[str, Any]", earlier.value)
            json = {**last, "data": {**last["data"], "version": doc.version}}
        else:
            json = _moved(cast("dict[str, Any]", earlier.value), finding.key, earlier.lines, doc.version)
            kept[key] = Rendered(earlier.low, earlier.high, json)
        out.append(json)
    doc.memo.diagnostics = kept
    return out


def _related_key(other: Finding, start: int) -> tuple[int, int, str, str | None]:
    """What a related finding's JSON is made of (convert._related), its offsets from the finding's start."""
    low, high = (other.span.start, other.span.end) if other.span is not None else (other.start, other.end)
    return (low - start, high - start, other.message,
            None if other.origin is None else other.origin.evidence.value)


def _moved(last: dict[str, Any], key: str, lines: int, version: int | None) -> dict[str, Any]:
    """A finding's JSON for the same finding `lines` lines further down (its key names its new offsets)."""
    json = {**last, "data": {**last["data"], "version": version, "finding": key}}
    if lines:
        json["range"] = _down(last["range"], lines)
        if "relatedInformation" in last:
            json["relatedInformation"] = [
                {**info, "location": {**info["location"], "range": _down(info["location"]["range"], lines)}}
                for info in last["relatedInformation"]]
    return json


def _down(at: dict[str, Any], lines: int) -> dict[str, Any]:
    start, end = at["start"], at["end"]
    return {"start": {"line": start["line"] + lines, "character": start["character"]},
            "end": {"line": end["line"] + lines, "character": end["character"]}}


def publish(ls: ProvguardServer, uri: str) -> None:
    """Push diagnostics for one document, unless the client pulls them."""
    if ls.pull_diagnostics:
        return
    opened = ls.session.get(uri)
    if opened is not None:
        params = {"uri": uri, "diagnostics": for_document(ls, opened), "version": opened.document.version}
        # plain JSON straight to the transport: the protocol's typed notification would need lsprotocol objects
        plain_json.notify(ls, types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS, params)


def refresh_all(ls: ProvguardServer) -> None:
    """After the policy changed: re-push every open document, or ask a pulling client to pull again."""
    if not ls.pull_diagnostics:
        for uri in list(ls.session.documents):
            publish(ls, uri)
        return
    _ask_to_pull(ls)


def refresh(ls: ProvguardServer, uri: str) -> None:
    """One document's spans changed without a text change (a hint, a declaration)."""
    if ls.pull_diagnostics:
        _ask_to_pull(ls)
    else:
        publish(ls, uri)


def _ask_to_pull(ls: ProvguardServer) -> None:
    workspace = ls.client_capabilities.workspace
    if workspace is not None and workspace.diagnostics is not None and workspace.diagnostics.refresh_support:
        ls.workspace_diagnostic_refresh(None)
