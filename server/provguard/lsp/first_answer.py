"""The first answers of an in-process `provguard serve`, given before the protocol stack is imported.

Why it exists: importing pygls and building lsprotocol's classes is most of a cold start (issue 18), and an
editor waits for two things only: the answer to `initialize`, and the first opened document's diagnostics.
This module gives those two from plain JSON, then hands every message it read to the real server (server.py)
and ends there: it answers nothing else, and keeps no state the real server uses.

The answers are a prediction the real server checks. It handles the messages read here from the start, as if
none had been answered (one implementation of what they do: configuration.py's initialize, text_sync.py's
didOpen); its own answer to `initialize` and its first publish of the document are then dropped when they are
the ones already sent (`Handover.drops`). A publish that differs is sent (the client ends with the real one); an
`initialize` answer that differs is logged: that is a client whose capabilities lsprotocol refuses deep inside,
which this module cannot check without lsprotocol.

Anything else goes the usual way, unanswered here: a message other than initialize, initialized and one
didOpen, or one of unexpected shape; a client that pulls diagnostics (only `initialize` is answered); settings,
a ledger or an analysis that has something to tell the person (the real server tells it, in its order); a pack
or configuration file; the end of the input. Nothing is sent for those, so the real server's answers are all.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, cast

from provguard.lsp import plain_json
from provguard.lsp.convert import encoding
from provguard.lsp.framing import FrameReader
from provguard.lsp.initialize_result import initialize_result, position_encoding
from provguard.policy.project import CONFIG_FILES
from provguard.positions import Encoding
from provguard.untrusted_json import loads_untrusted

if TYPE_CHECKING:
    from pygls.io_ import StdoutWriter

    from provguard.lsp.server import ProvguardServer
    from provguard.session import Session

log = logging.getLogger(__name__)

INITIALIZE, INITIALIZED, DID_OPEN = "initialize", "initialized", "textDocument/didOpen"
MAYBE_POLICY = (".yaml", ".yml")
"""Documents left to the real server, with CONFIG_FILES: pack_files.py judges them (with lsprotocol)."""
_TRACE = (None, "off", "messages", "verbose")


@dataclass
class Handover:
    """What the real server takes over: the frames read so far (all of them, to handle in order), the reader
    to go on with, and the messages it will write that were already sent (to drop)."""

    reader: FrameReader
    frames: list[bytes] = field(default_factory=list)
    drops: list[dict[str, Any]] = field(default_factory=list)
    """Messages already sent, as JSON: the real server's first equal message of each is not written again."""


class _Unanswered(Exception):
    """The light path ends here: the real server answers what was read."""


def answer_first(stdin: BinaryIO, stdout: BinaryIO) -> Handover:
    """Answers `initialize` and publishes the first opened document's diagnostics when it safely can; returns
    what the real server takes over. Never raises: any failure hands over what was read, unanswered."""
    handover = Handover(FrameReader(stdin))
    try:
        _answer(handover, stdout)
        reason = "after the first diagnostics"
    except _Unanswered as unanswered:
        reason = str(unanswered)
    except Exception:  # a bug here must cost only the head start
        log.exception("the first answers failed; the server answers instead")
        reason = "a failure"
    answered = " and ".join(sent.get("method", INITIALIZE) for sent in handover.drops) or "nothing"
    log.info("answered before loading the protocol stack: %s; the server takes over (%s)", answered, reason)
    return handover


def _answer(handover: Handover, stdout: BinaryIO) -> None:
    request = _next(handover)
    if not _is_initialize(request):
        raise _Unanswered("the first message is not an initialize request of the expected shape")
    params = request["params"]
    light = _Light(params)
    try:
        light.configure(params)
        result = {"jsonrpc": "2.0", "id": request["id"], "result": initialize_result(params)}
        _write(stdout, plain_json.dumps(result).encode())
        handover.drops.append(result)
        if _pulls(params):
            raise _Unanswered("the client pulls diagnostics")
        if not _is_notification(_next(handover), INITIALIZED):
            raise _Unanswered("a message other than initialized")
        opened = _next(handover)
        if not _is_did_open(opened):
            raise _Unanswered("a message other than didOpen")
        published = light.publish(opened["params"]["textDocument"])
        _write(stdout, published.encode())
        handover.drops.append(json.loads(published))
    finally:
        light.close()


def _next(handover: Handover) -> dict[str, Any]:
    body = handover.reader.next_frame()
    if body is None:
        raise _Unanswered("the input ended")
    handover.frames.append(body)
    message = loads_untrusted(body)
    if not isinstance(message, dict) or message.get("jsonrpc") != "2.0":
        raise _Unanswered("not a JSON-RPC message")
    return message


def _write(stdout: BinaryIO, body: bytes) -> None:
    """One frame, headed as pygls heads its own."""
    stdout.write(b"Content-Length: %d\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n"
                 % len(body) + body)
    stdout.flush()


# -- the real server's side ----------------------------------------------------------------------------------

class Dropping:
    """The real server's stdio writer while it handles the frames read here: a message equal to one sent here
    is not written twice. A publish that differs is written (the client ends with the real one);
    an answer to initialize that differs is not (the client has one) and is logged."""

    def __init__(self, writer: StdoutWriter, drops: list[dict[str, Any]]) -> None:
        self.writer = writer
        self.drops = list(drops)

    def write(self, data: bytes) -> None:
        if self.drops and (message := _message(data)) is not None:
            for at, sent in enumerate(self.drops):
                if _same_place(message, sent):
                    del self.drops[at]
                    if message == sent:
                        return
                    if "method" not in sent:
                        log.error("the first answer to initialize was not the server's: sent %s, the server's %s",
                                  sent, message)
                        return
                    log.warning("the first diagnostics of %s were not the server's: sent again", sent["params"]["uri"])
                    break
        self.writer.write(data)

    def done(self) -> None:
        for sent in self.drops:
            log.error("the server did not send again what the first answers sent: %s", sent)
        self.drops.clear()

    def close(self) -> None:
        self.writer.close()  # type: ignore[no-untyped-call]


def _message(data: bytes) -> dict[str, Any] | None:
    _, _, body = data.partition(b"\r\n\r\n")
    try:
        message = json.loads(body)
    except ValueError:
        return None
    return message if isinstance(message, dict) else None


def _same_place(message: dict[str, Any], sent: dict[str, Any]) -> bool:
    """The answer to the same request, or diagnostics of the same document."""
    if "method" not in sent:
        return "method" not in message and message.get("id") == sent["id"]
    params = message.get("params")
    return message.get("method") == sent["method"] and isinstance(params, dict) and \
        params.get("uri") == sent["params"]["uri"]


# -- shapes: what lsprotocol would accept, where the answer depends on it ----------------------------------------

def _is_initialize(message: dict[str, Any]) -> bool:
    params, msg_id = message.get("params"), message.get("id")
    if message.get("method") != INITIALIZE or not _is_id(msg_id) or not isinstance(params, dict):
        return False
    folders = params.get("workspaceFolders")
    info = params.get("clientInfo")
    return (isinstance(params.get("capabilities"), dict)
            and _int_or_none(params.get("processId"))
            and all(_str_or_none(params.get(k)) for k in ("rootUri", "rootPath", "locale"))
            and params.get("trace") in _TRACE
            and (params.get("workDoneToken") is None or _is_id(params.get("workDoneToken")))
            and (info is None or (isinstance(info, dict) and isinstance(info.get("name"), str)
                 and _str_or_none(info.get("version"))))
            and (folders is None or (isinstance(folders, list) and all(
                isinstance(f, dict) and isinstance(f.get("uri"), str) and isinstance(f.get("name"), str)
                for f in folders))))


def _is_notification(message: dict[str, Any], method: str) -> bool:
    return message.get("method") == method and "id" not in message and isinstance(message.get("params", {}), dict)


def _is_did_open(message: dict[str, Any]) -> bool:
    if not _is_notification(message, DID_OPEN):
        return False
    item = message.get("params", {}).get("textDocument")
    return (isinstance(item, dict) and isinstance(item.get("uri"), str) and isinstance(item.get("languageId"), str)
            and isinstance(item.get("text"), str) and type(item.get("version")) is int)


def _asks_folders(params: dict[str, Any]) -> bool:
    """configuration.asks_folders: the client answers workspace/configuration."""
    workspace = params["capabilities"].get("workspace")
    return isinstance(workspace, dict) and bool(workspace.get("configuration"))  # truthy, as lsprotocol reads it


def _pulls(params: dict[str, Any]) -> bool:
    """configuration.py's test: the client declares pull diagnostics."""
    documents = params["capabilities"].get("textDocument")
    return isinstance(documents, dict) and documents.get("diagnostic") is not None


def _is_id(value: object) -> bool:
    return isinstance(value, (int, str)) and not isinstance(value, bool)


def _int_or_none(value: object) -> bool:
    return value is None or type(value) is int


def _str_or_none(value: object) -> bool:
    return value is None or isinstance(value, str)


# -- the prediction ----------------------------------------------------------------------------------------------

class _Light:
    """The session the real server's initialize would build, standing in for the server in diagnostics.publish
    (the attributes that function reads); whatever it would tell the person ends the light path."""

    pull_diagnostics = False

    def __init__(self, params: dict[str, Any]) -> None:
        from provguard.editor_project import local_folder
        from provguard.session import Session

        self.position_encoding: Encoding = encoding(position_encoding(params["capabilities"]))
        self.protocol = _Buffer()
        self.session: Session = Session([r for r in map(local_folder, map(self.uri_path, _uris(params))) if r])
        self.session.on_notice = self.notify_user

    def configure(self, params: dict[str, Any]) -> None:
        """configuration.apply_settings, for settings that have nothing to tell the person. For a client asked for
        each folder's settings (configuration.asks_folders) the folders' ledgers are provisional, as in the real
        server until the answer comes: the file the editor's settings choose when it exists, else memory; none is
        made here."""
        from provguard.settings import parse_settings

        parsed = parse_settings(params.get("initializationOptions"))
        if parsed.problems or parsed.settings.import_agents:
            raise _Unanswered("settings the person is told about, or agents to import")
        if _asks_folders(params):
            self.session.await_folder_settings(self.session.roots)
        projects = self.session.set_settings(parsed.settings, parsed.explicit)
        if self.session.open_ledger() is not None or self.session.reload_policy(projects).errors:
            raise _Unanswered("a ledger or a pack the person is told about")

    def uri_path(self, uri: str) -> str:
        """ProvguardServer.uri_path (pygls.uris imports nothing of the protocol stack)."""
        from pygls.uris import to_fs_path

        return to_fs_path(uri) or uri

    def notify_user(self, message: object, kind: object = None) -> None:
        raise _Unanswered(f"something to tell the person: {message}")

    def publish(self, item: dict[str, Any]) -> str:
        """The document opened and its diagnostics, as the encoded publishDiagnostics notification."""
        from provguard.lsp import diagnostics

        uri = item["uri"]
        name = Path(self.uri_path(uri)).name
        if name in CONFIG_FILES or name.lower().endswith(MAYBE_POLICY):
            raise _Unanswered("a pack or configuration file")
        opened = self.session.open(uri, self.uri_path(uri), item["languageId"], item["text"], item["version"])
        if opened.ledger_error is not None:
            raise _Unanswered("a ledger error to tell the person")
        diagnostics.publish(cast("ProvguardServer", self), uri)
        if len(self.protocol.written) != 1:
            raise _Unanswered("no diagnostics were published")
        return self.protocol.written[0]

    def close(self) -> None:
        """Closes the ledgers; nothing is persisted (the real server opened the same documents again)."""
        for project in list(self.session.projects.values()):
            project.close()


class _Buffer:
    """The transport plain_json.notify_encoded writes to: bodies kept, sent once the publish is complete."""

    _include_headers = False

    def __init__(self) -> None:
        self.written: list[str] = []
        self.writer = self

    def write(self, body: bytes) -> None:
        self.written.append(body.decode())


def _uris(params: dict[str, Any]) -> list[str]:
    """server.roots_of's folders: the workspace folders' uris, else the root's."""
    uris = [folder["uri"] for folder in params.get("workspaceFolders") or []]
    if not uris and params.get("rootUri"):
        uris = [params["rootUri"]]
    return uris
