"""provguard's answer to `initialize` as plain JSON, from the client's capabilities as they came on the wire.

Why it exists: pygls computes the answer with lsprotocol's classes, and importing those is most of a cold start
(issue 18). A start that answers `initialize` and publishes the first diagnostics before the protocol stack is
imported needs the answer without them. It must be exactly the JSON pygls would send, so that no client sees a
difference: tests/test_initialize_result.py compares the two for many clients, and fails when a feature is
registered or changed in one place and not the other.

What a client can change in the answer (pygls's ServerCapabilitiesBuilder): the position encoding (the first of
the client's `general.positionEncodings` that LSP defines, else UTF-16), and `willSave`/`willSaveWaitUntil`
(sent as false when the client names them at all: provguard handles neither). Everything else is provguard's
fixed set of features. Capabilities of the wrong shape count as absent; checking the message's params is the
protocol's work (protocol.py), not this module's.
"""

from __future__ import annotations

from typing import Any

from provguard import __version__

SERVER_NAME = "provguard"
ENCODINGS = ("utf-8", "utf-16", "utf-32")
"""LSP's PositionEncodingKind values (pygls's supported encodings)."""
INCREMENTAL = 2
"""TextDocumentSyncKind.Incremental, the sync kind pygls's LanguageServer asks for."""
CODE_ACTION_KINDS = ("quickfix", "source.fixAll.provguard")
"""code_actions.py's kinds."""
COMMANDS = ("provguard.declare", "provguard.forget", "provguard.checkWorkspace")
"""commands.py's and workspace_diagnostics.py's commands, in the order the server registers them."""


def initialize_result(params: object) -> dict[str, Any]:
    """The InitializeResult pygls would answer `initialize` with, for the request's raw `params`."""
    return {"capabilities": server_capabilities(_at(params, "capabilities")),
            "serverInfo": {"name": SERVER_NAME, "version": __version__}}


def position_encoding(client: object) -> str:
    """The client's first position encoding that LSP defines; UTF-16 when it names none of them."""
    offered = _at(client, "general", "positionEncodings")
    for kind in offered if isinstance(offered, list) else ():
        if kind in ENCODINGS:
            return str(kind)
    return "utf-16"


def server_capabilities(client: object) -> dict[str, Any]:
    """ServerCapabilities as JSON, keys in the order pygls writes them."""
    sync: dict[str, Any] = {"openClose": True, "change": INCREMENTAL}
    for name in ("willSave", "willSaveWaitUntil"):
        if _at(client, "textDocument", "synchronization", name) is not None:
            sync[name] = False
    sync["save"] = {"includeText": False}
    return {
        "positionEncoding": position_encoding(client),
        "textDocumentSync": sync,
        "hoverProvider": True,
        "codeActionProvider": {"codeActionKinds": list(CODE_ACTION_KINDS)},
        "executeCommandProvider": {"commands": list(COMMANDS)},
        "diagnosticProvider": {"interFileDependencies": False, "workspaceDiagnostics": True,
                               "identifier": SERVER_NAME},
        "workspace": {"workspaceFolders": {"supported": True, "changeNotifications": True}, "fileOperations": {}},
    }


def _at(value: object, *path: str) -> object:
    """The member at `path` of nested JSON objects; None where one is missing or not an object."""
    for name in path:
        if not isinstance(value, dict):
            return None
        value = value.get(name)
    return value
