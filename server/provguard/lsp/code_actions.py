"""Quick fixes from the fix data each diagnostic carries, and a fix-all source action of the safe fixes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from lsprotocol import types

from provguard.fixes import Fix, fixes_for
from provguard.lsp.commands import DECLARE, FORGET, origin_argument
from provguard.lsp.convert import SOURCE, text_edit
from provguard.lsp.server import ProvguardServer
from provguard.session import OpenDocument

FIX_ALL = f"{types.CodeActionKind.SourceFixAll.value}.provguard"
KINDS: list[types.CodeActionKind | str] = [types.CodeActionKind.QuickFix, FIX_ALL]


def register(server: ProvguardServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(code_action_kinds=KINDS))
    def code_action(ls: ProvguardServer, params: types.CodeActionParams) -> list[types.CodeAction]:
        opened = ls.session.get(params.text_document.uri)
        if opened is None:
            return []
        only = params.context.only
        actions: list[types.CodeAction] = []
        if _wanted(types.CodeActionKind.QuickFix, only):
            actions.extend(_merged(a for diag in params.context.diagnostics for a in _quick_fixes(ls, opened, diag)))
        if _wanted(FIX_ALL, only):
            fix_all = _fix_all(ls, opened)
            if fix_all is not None:
                actions.append(fix_all)
        return actions


def _wanted(kind: str, only: Sequence[types.CodeActionKind | str] | None) -> bool:
    """LSP `only` filters by prefix: asking for `source` includes `source.fixAll.provguard`."""
    if not only:
        return kind == types.CodeActionKind.QuickFix
    return any(kind == str(o) or kind.startswith(f"{o}.") for o in only)


def _merged(actions: Iterable[types.CodeAction]) -> list[types.CodeAction]:
    """One action per distinct fix: two findings on the same lines (two rules about one span) offer the same
    removal or marker, which a menu would otherwise list twice. The action keeps every diagnostic it fixes."""
    by_fix: dict[tuple[str, str, str], types.CodeAction] = {}
    for action in actions:
        key = (action.title, repr(action.edit), repr(action.command))
        kept = by_fix.get(key)
        if kept is None:
            by_fix[key] = action
            continue
        kept.diagnostics = [*(kept.diagnostics or []), *(action.diagnostics or [])]
        kept.is_preferred = bool(kept.is_preferred or action.is_preferred)
    return list(by_fix.values())


def _quick_fixes(ls: ProvguardServer, opened: OpenDocument, diag: types.Diagnostic) -> list[types.CodeAction]:
    data: Any = diag.data
    if diag.source != SOURCE or not isinstance(data, dict):
        return []
    if data.get("version") != opened.document.version:
        return []  # stale: the client pulls or receives fresh diagnostics for the current text
    findings = ls.session.analysis(opened).findings
    finding = next((f for f in findings if f.key == data.get("finding")), None)
    if finding is None:
        return []
    doc, project = opened.document, opened.project
    return [_action(ls, opened, diag, fix, index == 0)
            for index, fix in enumerate(fixes_for(doc, finding, project.reviewer, project.settings.ai_tools))]


def _action(ls: ProvguardServer, opened: OpenDocument, diag: types.Diagnostic, fix: Fix,
            preferred: bool) -> types.CodeAction:
    """Text edits become a workspace edit; a declaration, or forgetting a span a marker now covers, a command."""
    doc, enc = opened.document, ls.position_encoding
    edit = (_workspace_edit(opened, [text_edit(doc.lines, e.start, e.end, e.new_text, enc) for e in fix.edits])
            if fix.edits else None)
    command = None
    if fix.declare is not None and fix.span_id is not None:
        command = types.Command(title=fix.title, command=DECLARE,
                                arguments=[opened.uri, fix.span_id, origin_argument(fix.declare)])
    elif fix.span_id is not None:
        command = types.Command(title=fix.title, command=FORGET, arguments=[opened.uri, fix.span_id])
    return types.CodeAction(title=fix.title, kind=types.CodeActionKind.QuickFix, diagnostics=[diag],
                            is_preferred=preferred, edit=edit, command=command)


def _fix_all(ls: ProvguardServer, opened: OpenDocument) -> types.CodeAction | None:
    doc = opened.document
    chosen: list[tuple[int, int, str]] = []
    taken_until = -1
    fixes = (fixes_for(doc, f, opened.project.reviewer) for f in ls.session.analysis(opened).findings)
    for safe in (next((fix for fix in found if fix.safe), None) for found in fixes):
        if safe is None:
            continue
        edits = sorted((e.start, e.end, e.new_text) for e in safe.edits)
        if edits[0][0] <= taken_until:
            continue  # overlaps an earlier fix; the next fix-all run picks it up
        chosen.extend(edits)
        taken_until = max(end for _, end, _ in edits)
    if not chosen:
        return None
    enc = ls.position_encoding
    lsp_edits = [text_edit(doc.lines, s, e, t, enc) for s, e, t in sorted(chosen)]
    return types.CodeAction(title="provguard: apply all safe fixes", kind=FIX_ALL,
                            edit=_workspace_edit(opened, lsp_edits))


def _workspace_edit(opened: OpenDocument, edits: list[types.TextEdit]) -> types.WorkspaceEdit:
    identifier = types.OptionalVersionedTextDocumentIdentifier(uri=opened.uri, version=opened.document.version)
    return types.WorkspaceEdit(document_changes=[types.TextDocumentEdit(text_document=identifier, edits=list(edits))])
