"""Helpers for driving the real server over stdio: capabilities, opening files, applying edits."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Union

from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

SERVER = ClientServerConfig(server_command=[sys.executable, "-m", "provguard", "serve"])


def record_registrations(client: LanguageClient) -> list[types.Registration]:
    """Answers client/registerCapability as an editor does, keeping what the server registered.

    Also mends the test client's reading of code actions: lsprotocol takes any action with a `command`
    key for a bare Command, although a CodeAction's `command` is an object and a Command's a string."""
    converter = client.protocol._converter

    def code_action_or_command(obj: Any, _: type) -> types.Command | types.CodeAction:
        if isinstance(obj.get("command"), str):
            return converter.structure(obj, types.Command)
        return converter.structure(obj, types.CodeAction)

    converter.register_structure_hook(Union[types.Command, types.CodeAction], code_action_or_command)  # noqa: UP007
    registrations: list[types.Registration] = []

    @client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register_capability(params: types.RegistrationParams) -> None:
        registrations.extend(params.registrations)

    return registrations


def capabilities(pull: bool, encodings: list[str] | None = None) -> types.ClientCapabilities:
    """VS Code's capabilities, as a pull client (textDocument/diagnostic) or a push-only client."""
    caps = client_capabilities("visual-studio-code")
    assert caps.text_document is not None
    caps.text_document.diagnostic = (
        types.DiagnosticClientCapabilities(dynamic_registration=False, related_document_support=True)
        if pull else None
    )
    caps.general = types.GeneralClientCapabilities(
        position_encodings=[types.PositionEncodingKind(e) for e in (encodings or ["utf-16"])])
    return caps


async def start(client: LanguageClient, root: Path, pull: bool, options: dict[str, object] | None = None,
                encodings: list[str] | None = None) -> types.InitializeResult:
    return await client.initialize_session(types.InitializeParams(
        capabilities=capabilities(pull, encodings),
        root_uri=root.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
        initialization_options={"reviewer": "tester@example.com", **(options or {})},
    ))


@asynccontextmanager
async def session(caps: types.ClientCapabilities, *folders: str, options: dict[str, object] | None = None,
                  configuration: dict[str, object] | None = None) -> AsyncIterator[LanguageClient]:
    """The real server, initialized as an editor with the folder uris `folders` open (the first is also the
    root), shut down and stopped after; registrations are answered; `configuration`: the client's answers to
    workspace/configuration by scope uri ("" for the editor's own); `options`: initialization options besides
    the reviewer."""
    client = await SERVER.start()
    assert isinstance(client, LanguageClient)
    record_registrations(client)
    for scope, value in (configuration or {}).items():
        client.set_configuration(value, scope_uri=scope)
    await client.initialize_session(types.InitializeParams(
        capabilities=caps, root_uri=folders[0] if folders else None,
        workspace_folders=[types.WorkspaceFolder(uri=uri, name=f"folder {n}") for n, uri in enumerate(folders)],
        initialization_options={"reviewer": "tester@example.com", **(options or {})}))
    try:
        yield client
    finally:
        await client.shutdown_session()
        await client.stop()


def open_file(client: LanguageClient, path: Path, text: str, language_id: str = "python") -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    uri = path.as_uri()
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id=language_id, version=1, text=text)))
    return uri


async def pushed(client: LanguageClient, uri: str, version: int) -> list[types.Diagnostic]:
    """The diagnostics of the next push for one document version after this call.

    Reads what `_pushes` recorded rather than waiting for the next notification: two pushes that arrive together
    (another version's refresh, then this one) are handled before a test awaiting the first could wait again."""
    pushes = _pushes(client)
    seen = len(pushes)
    async with asyncio.timeout(120):
        while True:
            found = next((p for p in pushes[seen:] if (p.uri, p.version) == (uri, version)), None)
            if found is not None:
                return list(found.diagnostics)
            seen = len(pushes)
            await asyncio.sleep(0.01)


def _pushes(client: LanguageClient) -> list[types.PublishDiagnosticsParams]:
    """Every push the client receives from now on, in order: wraps the handler pytest-lsp registered, which keeps
    only the latest diagnostics per document."""
    pushes: list[types.PublishDiagnosticsParams] | None = getattr(client, "pushes", None)
    if pushes is None:
        pushes = []
        features = client.protocol.fm.features
        shown = features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS]

        def recording(params: types.PublishDiagnosticsParams) -> object:
            pushes.append(params)
            return shown(params)

        features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = recording
        client.pushes = pushes  # type: ignore[attr-defined]
    return pushes


async def published_until(client: LanguageClient, uri: str,
                          settled: Callable[[list[types.Diagnostic]], bool]) -> list[types.Diagnostic]:
    """The document's latest pushed diagnostics once `settled` holds for them.

    Reads what the client recorded instead of waiting for the next notification, so a push that arrives while
    the test is not awaiting (a busy machine delivers several at once) is not missed. Fails after a minute.
    """
    async with asyncio.timeout(60):
        while not settled(current := list(client.diagnostics.get(uri, ()))):
            await asyncio.sleep(0.02)
    return current


async def pulled(client: LanguageClient, uri: str) -> list[types.Diagnostic]:
    report = await client.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri)))
    assert isinstance(report, types.RelatedFullDocumentDiagnosticReport)
    return list(report.items)


def apply(text: str, edits: list[types.TextEdit]) -> str:
    """Applies LSP edits to ASCII text, last first, as an editor does."""
    lines = text.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def offset(p: types.Position) -> int:
        return starts[p.line] + p.character if p.line < len(lines) else len(text)

    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        text = text[: offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end):]
    return text


def send_edits(client: LanguageClient, uri: str, version: int, edits: list[types.TextEdit]) -> None:
    """Tells the server about edits the client applied, as incremental changes (last first)."""
    ordered = sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True)
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[types.TextDocumentContentChangePartial(range=e.range, text=e.new_text) for e in ordered]))


def edits_of(action: types.CodeAction) -> list[types.TextEdit]:
    assert action.edit is not None and action.edit.document_changes is not None
    change = action.edit.document_changes[0]
    assert isinstance(change, types.TextDocumentEdit)
    return [e for e in change.edits if isinstance(e, types.TextEdit)]


async def quick_fixes(client: LanguageClient, uri: str, diag: types.Diagnostic) -> list[types.CodeAction]:
    """The code actions the server offers for one diagnostic, as an editor's light bulb asks for them."""
    actions = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), range=diag.range,
        context=types.CodeActionContext(diagnostics=[diag])))
    return [a for a in actions or [] if isinstance(a, types.CodeAction)]


def insert_at_line(client: LanguageClient, uri: str, version: int, line: int, text: str) -> None:
    """One didChange inserting `text` at the start of `line`, as a paste there would."""
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[types.TextDocumentContentChangePartial(
            range=types.Range(types.Position(line, 0), types.Position(line, 0)), text=text)]))
