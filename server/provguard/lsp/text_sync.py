"""didOpen, didChange (incremental and full), didSave, didClose: keep the session's documents current."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types

from provguard.lsp import diagnostics, history, matches, pack_files
from provguard.lsp.backlog import Job
from provguard.lsp.convert import to_offset
from provguard.lsp.server import ProvguardServer


def register(server: ProvguardServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: ProvguardServer, params: types.DidOpenTextDocumentParams) -> None:
        item = params.text_document
        ls.backlog.touch()
        opened = ls.session.open(item.uri, ls.uri_path(item.uri), item.language_id, item.text, item.version)
        if opened.ledger_error is not None:
            ls.notify_user(opened.ledger_error)
        diagnostics.publish(ls, item.uri)  # from markers, recorded spans and rules alone: the ledger lookup
        if not opened.oversized:  # and git history follow once the client is quiet (never for a text not judged)
            ls.backlog.add(ls, item.uri, Job.HISTORY, Job.LOOKUP)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: ProvguardServer, params: types.DidChangeTextDocumentParams) -> None:
        ls.backlog.touch()
        ls.backlog.first(params.text_document.uri)
        opened = ls.session.get(params.text_document.uri)
        if opened is None:
            ls.notify_user(f"didChange for a document that is not open: {params.text_document.uri}")
            return
        doc, was_oversized = opened.document, opened.oversized
        enc = ls.position_encoding
        version = params.text_document.version
        for change in params.content_changes:
            if isinstance(change, types.TextDocumentContentChangePartial):
                start = to_offset(doc.lines, change.range.start, enc)
                end = to_offset(doc.lines, change.range.end, enc)
                ls.session.edit(opened, min(start, end), max(start, end), change.text, version)
            else:
                ls.session.replace_all(opened, change.text, version)
        doc.version = version
        opened.capture.finish(doc, version, enc)
        diagnostics.publish(ls, params.text_document.uri)
        if not ls.pull_diagnostics:  # the diagnostics are out: the tree the edit replaced can go (a pull frees
            doc.free_retired()  # it after its answer, see diagnostics.pull)
        if opened.oversized:
            if not was_oversized:  # its history, agent edits and pack checks are not read while it is too large
                matches.cancel(ls, params.text_document.uri)
                ls.backlog.drop(params.text_document.uri)
            return
        if was_oversized:  # judged again: its history and agent edits are read as after didOpen
            ls.backlog.add(ls, params.text_document.uri, Job.HISTORY, Job.LOOKUP)
        if pack_files.is_policy_file(ls, opened):
            pack_files.refresh_others(ls, opened)
        matches.later(ls, params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE, types.SaveOptions(include_text=False))
    async def did_save(ls: ProvguardServer, params: types.DidSaveTextDocumentParams) -> None:
        from provguard.lsp.configuration import reload_packs

        problem = ls.session.persist(params.text_document.uri)
        if problem is not None:
            ls.notify_user(problem)
        if (opened := ls.session.get(params.text_document.uri)) is not None and opened.oversized:
            return
        history.schedule(ls, params.text_document.uri)
        matches.now(ls, params.text_document.uri)
        if ls.session.is_pack_file(Path(ls.uri_path(params.text_document.uri))):
            await reload_packs(ls)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: ProvguardServer, params: types.DidCloseTextDocumentParams) -> None:
        matches.cancel(ls, params.text_document.uri)
        ls.backlog.drop(params.text_document.uri)
        ls.session.close(params.text_document.uri)
        if not ls.pull_diagnostics:
            ls.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri=params.text_document.uri, diagnostics=[]))
