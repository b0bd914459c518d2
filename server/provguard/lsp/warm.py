"""A language server built ahead of its session, for the daemon's forked children (daemon/fork.py).

Building a server costs ~50 ms (pygls's converter, the features), and its first messages ~60 ms more: cattrs
generates (compiles) a structure or unstructure function the first time it meets each lsprotocol class. The
daemon builds one server and meets those classes once, before it forks; every child then starts with the
built server and the generated functions (its own copy of them: nothing is shared after the fork). The
server holds no session state until `initialize`, which replaces its Session, so a prepared server and a
freshly built one serve alike.
"""

from __future__ import annotations

import json

from lsprotocol import types
from pygls.capabilities import ServerCapabilitiesBuilder
from pygls.protocol import JsonRPCResponseMessage

from provguard.lsp.server import ProvguardServer, build

_ready: ProvguardServer | None = None

SERVER_MESSAGES = (types.PublishDiagnosticsParams, types.LogMessageParams, types.ShowMessageParams,
                   types.RegistrationParams, types.ProgressParams, types.WorkDoneProgressBegin,
                   types.WorkDoneProgressReport, types.WorkDoneProgressEnd, types.ConfigurationParams)
"""What the server sends of its own accord (notifications, requests to the client)."""


def prepare() -> None:
    """Builds the server the next `take` returns and meets the message classes a session will."""
    global _ready
    from provguard.lsp.imports import known_agents

    server = build()
    _meet_classes(server)
    known_agents()  # imported lazily in-process (few sessions need it); a forked child finds it imported
    _ready = server


def prepared() -> bool:
    """Whether `take` has a prepared server to give (this process is the daemon's forked child)."""
    return _ready is not None


def take() -> ProvguardServer:
    """The prepared server (once), else a new one."""
    global _ready
    server, _ready = _ready, None
    return server if server is not None else build()


def _meet_classes(server: ProvguardServer) -> None:
    """Has the converter generate its functions for every method the server handles (the message in, the
    response out), for what it sends unasked, and for an InitializeResult as pygls builds it."""
    protocol = server.protocol
    converter = protocol._converter
    features = protocol.fm.features
    methods = {*features, *protocol.fm.builtin_features}
    for method in methods:
        for kind in types.METHOD_TO_TYPES.get(method, (None, None))[:2]:
            if kind is not None:
                converter.get_structure_hook(kind)
                converter.get_unstructure_hook(kind)
    for kind in SERVER_MESSAGES:
        converter.get_unstructure_hook(kind)
    for client in (types.ClientCapabilities(), _pulling_client()):
        capabilities = ServerCapabilitiesBuilder(
            client, methods, protocol.fm.feature_options, list(protocol.fm.commands),
            server._text_document_sync_kind, server._notebook_document_sync,
            types.PositionEncodingKind.Utf16).build()  # type: ignore[no-untyped-call]
        result = types.InitializeResult(capabilities, server_info=protocol.server_info)
        for sent in (capabilities, JsonRPCResponseMessage(id=0, result=result, jsonrpc=protocol.VERSION)):
            json.dumps(sent, default=protocol._serialize_message)  # pygls logs the capabilities, then answers


def _pulling_client() -> types.ClientCapabilities:
    """A client with the capabilities that change the server's answer (pull diagnostics, workspace folders)."""
    return types.ClientCapabilities(
        workspace=types.WorkspaceClientCapabilities(
            workspace_folders=True, configuration=True,
            diagnostics=types.DiagnosticWorkspaceClientCapabilities(refresh_support=True),
            did_change_watched_files=types.DidChangeWatchedFilesClientCapabilities(dynamic_registration=True)),
        text_document=types.TextDocumentClientCapabilities(
            diagnostic=types.DiagnosticClientCapabilities(related_document_support=False)),
        general=types.GeneralClientCapabilities(position_encodings=[types.PositionEncodingKind.Utf8]))
