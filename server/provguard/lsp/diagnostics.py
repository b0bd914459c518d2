"""Diagnostics: pulled (textDocument/diagnostic) when the client can, pushed otherwise, never both."""

from __future__ import annotations

import logging
from collections.abc import Hashable, Iterable
from typing import Any, cast

from lsprotocol import types

from provguard.documents import Document
from provguard.findings import Finding
from provguard.lsp import pack_files
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
    def pull(ls: ProvguardServer, params: types.DocumentDiagnosticParams) -> dict[str, Any]:
        """The report as plain JSON (see convert.diagnostic for why)."""
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
    """The findings' JSON, each reused from an earlier publish when no edit since started before its end (only
    the version in `data` changes); the memo keeps the ones given this time. With the document's `uri`, findings
    merged into one (findings.one_per_place) carry the others as related information."""
    known = doc.memo.diagnostics
    kept: dict[Hashable, tuple[int, object]] = {}
    out: list[dict[str, Any]] = []
    for finding in findings:
        key = ("lsp", enc, uri, finding.rule_id, finding.start, finding.end, finding.severity, finding.message,
               finding.note, finding.url, finding.fixes, finding.related)
        earlier = known.get(key)
        if earlier is None:
            json = diagnostic(finding, doc.lines, enc, doc.version, uri)
            kept[key] = (finding.end, json)
        else:
            kept[key] = earlier
            last = cast("dict[str, Any]", earlier[1])
            json = {**last, "data": {**last["data"], "version": doc.version}}
        out.append(json)
    doc.memo.diagnostics = kept
    return out


def publish(ls: ProvguardServer, uri: str) -> None:
    """Push diagnostics for one document, unless the client pulls them."""
    if ls.pull_diagnostics:
        return
    opened = ls.session.get(uri)
    if opened is not None:
        params = {"uri": uri, "diagnostics": for_document(ls, opened), "version": opened.document.version}
        # plain JSON straight to the transport: the protocol's typed notification would need lsprotocol objects
        ls.protocol._send_data({"jsonrpc": "2.0", "method": types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS, "params": params})


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
