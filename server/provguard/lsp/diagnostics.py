"""Diagnostics: pulled (textDocument/diagnostic) when the client can, pushed otherwise, never both.

Importing this module imports neither lsprotocol nor pygls (the server, pack files and pack reloads are imported
where they are used): rendering and pushing diagnostics needs only plain JSON, and building lsprotocol's classes
is most of a cold start (issue 18), so a first push can be made before the protocol stack is in memory.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Hashable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from provguard.documents import Document
from provguard.edit_memo import Rendered
from provguard.findings import Finding
from provguard.lsp import plain_json
from provguard.lsp.convert import diagnostic
from provguard.lsp.made_diagnostic import Made
from provguard.policy.project import CONFIG_FILES
from provguard.positions import Encoding
from provguard.session import OpenDocument

if TYPE_CHECKING:
    from lsprotocol import types

    from provguard.lsp.server import ProvguardServer

log = logging.getLogger(__name__)

PUBLISH = "textDocument/publishDiagnostics"
"""lsprotocol's types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS."""
MAYBE_PACK = (".yaml", ".yml")
"""pack_files.PACK_SUFFIXES."""


def register(server: ProvguardServer) -> None:
    from lsprotocol import types

    from provguard.lsp import pack_reload

    @server.feature(
        types.TEXT_DOCUMENT_DIAGNOSTIC,
        types.DiagnosticOptions(identifier="provguard", inter_file_dependencies=False,
                                workspace_diagnostics=False),
    )
    async def pull(ls: ProvguardServer, params: types.DocumentDiagnosticParams) -> dict[str, Any] | plain_json.Encoded:
        """The report as plain JSON (see convert.diagnostic for why), a full one encoded from the pieces kept
        between edits as a push is; once a running pack reload has ended."""
        if pack_reload.running(ls):
            await pack_reload.settled(ls)
        ls.backlog.touch()  # the queued lookups wait for a pause, PATIENCE at most: a client pulling on a timer
        ls.backlog.first(params.text_document.uri)  # gets them too, this document's first
        opened = ls.session.get(params.text_document.uri)
        if opened is None:
            return {"kind": "full", "items": []}
        # the tree the last edit replaced is freed once this answer is written (its send is already queued when a
        # timer of 0 s runs), not before it: freeing a tree of 10,000 lines costs about 1 ms
        asyncio.get_running_loop().call_later(0, opened.document.free_retired)
        result_id = document_result_id(ls, opened)
        if params.previous_result_id == result_id:
            return {"kind": "unchanged", "resultId": result_id}
        items = _encoded_items(ls, opened, opened.uri)
        return plain_json.Encoded(f'{{"kind":"full","items":[{items}],"resultId":{plain_json.dumps(result_id)}}}')


def document_result_id(ls: ProvguardServer, opened: OpenDocument) -> str:
    """What a document's report depends on (the policy, the text's version, the regions found so far): a pull,
    of the document or of the workspace, that sends it back gets `unchanged`."""
    return f"{id(opened.project.policy)}:{opened.document.version}:{opened.regions_generation}"


def for_document(ls: ProvguardServer, opened: OpenDocument) -> list[dict[str, Any]]:
    findings = _findings(ls, opened)
    return rendered(findings, opened.document, ls.position_encoding, opened.uri) + _policy_file(ls, opened)


def _policy_file(ls: ProvguardServer, opened: OpenDocument) -> list[dict[str, Any]]:
    """pack_files.diagnostics, its module imported only for a file whose name may make it a pack or the
    project configuration (it imports lsprotocol, which a first push does without)."""
    name = Path(ls.uri_path(opened.uri)).name
    if opened.oversized or (name not in CONFIG_FILES and not name.lower().endswith(MAYBE_PACK)):
        return []  # a file over the size limit is not read as a pack either (too_large.py)
    from provguard.lsp import pack_files

    return pack_files.diagnostics(ls, opened)


def _findings(ls: ProvguardServer, opened: OpenDocument) -> Iterable[Finding]:
    try:
        return ls.session.analysis(opened).findings
    except Exception:  # a bug in one rule must not take the server down with it
        from lsprotocol import types

        log.exception("analysis failed for %s", opened.uri)
        ls.notify_user(f"analysis failed for {opened.relative_path}; see the log", types.MessageType.Error)
        return []


def rendered(findings: Iterable[Finding], doc: Document, enc: Encoding, uri: str | None = None) -> list[dict[str, Any]]:
    """The findings' JSON, each reused from an earlier publish when it says the same and no edit since touched
    the bytes it counts positions from (moved with the edits before it: new lines, a new key in `data`; the
    version in `data` changes anyway); the memo keeps the ones given this time. With the document's `uri`,
    findings merged into one (findings.one_per_place) carry the others as related information."""
    return [one.current(doc.version) for one in _rendered(findings, doc, enc, uri)]


def encoded(findings: Iterable[Finding], doc: Document, enc: Encoding, uri: str | None = None) -> list[str]:
    """What `rendered` gives, encoded as compact JSON (ASCII only): the parts an edit leaves as they were are
    kept encoded from the last push, so a push mostly joins strings."""
    version = json.dumps(doc.version)
    return [one.encoded(version) for one in _rendered(findings, doc, enc, uri)]


def _rendered(findings: Iterable[Finding], doc: Document, enc: Encoding, uri: str | None) -> list[Made]:
    known = doc.memo.diagnostics
    kept: dict[tuple[int, Hashable], Rendered] = {}
    out: list[Made] = []
    lines = doc.lines
    for finding in findings:
        start = finding.start
        related = (tuple([_related_key(other, start) for other in finding.related])
                   if uri is not None and finding.related else ())
        key = (start, (enc, uri, finding.rule_id, finding.severity, finding.message,
                       finding.note, finding.url, finding.fixes, finding.end - start, related))
        earlier = known.get(key)
        if earlier is None:
            made = Made(diagnostic(finding, lines, enc, doc.version, uri))
            low = min((start, *(start + r[0] for r in related)))
            high = max((finding.end, *(start + r[1] for r in related)))
            kept[key] = Rendered(lines.starts[lines.line_of(low)], high, made)
        elif not earlier.moved and not earlier.lines:
            kept[key] = earlier
            made = cast("Made", earlier.value)
        else:
            made = cast("Made", earlier.value).moved(finding.key, earlier.lines)
            kept[key] = Rendered(earlier.low, earlier.high, made)
        out.append(made)
    doc.memo.diagnostics = kept
    return out


def _related_key(other: Finding, start: int) -> tuple[int, int, str, str | None]:
    """What a related finding's JSON is made of (convert._related), its offsets from the finding's start."""
    low, high = (other.span.start, other.span.end) if other.span is not None else (other.start, other.end)
    return (low - start, high - start, other.message,
            None if other.origin is None else other.origin.evidence.value)


def publish(ls: ProvguardServer, uri: str) -> None:
    """Push diagnostics for one document, unless the client pulls them."""
    if ls.pull_diagnostics:
        return
    opened = ls.session.get(uri)
    if opened is not None:
        # encoded JSON straight to the transport: each diagnostic's encoding is kept in pieces between pushes
        # (the protocol's typed notification would need lsprotocol objects, and json.dumps of all of them
        # costs about 1 ms a keystroke in a file with 200 findings)
        version = json.dumps(opened.document.version)
        items = _encoded_items(ls, opened, uri)
        params = f'{{"uri":{plain_json.dumps(uri)},"diagnostics":[{items}],"version":{version}}}'
        plain_json.notify_encoded(ls, PUBLISH, params)


def _encoded_items(ls: ProvguardServer, opened: OpenDocument, uri: str) -> str:
    """A document's diagnostics, encoded and joined by commas (what `for_document` gives, as text)."""
    items = encoded(_findings(ls, opened), opened.document, ls.position_encoding, uri)
    items += [plain_json.dumps(extra) for extra in _policy_file(ls, opened)]
    return ",".join(items)


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
