"""A cold `provguard serve` answers initialize and the first didOpen before its protocol stack is loaded
(lsp/first_answer.py), then hands every message to the real server: a client sees the same messages as from a
server that loaded everything first, whatever it sends and however fast."""

from __future__ import annotations

import queue
from pathlib import Path
from typing import Any

import pytest

from raw_lsp_support import RawServer

PUBLISH = "textDocument/publishDiagnostics"
DOCUMENT = """\
import os


# provguard: begin kind=ai-agent tool=claude-code vendor=anthropic
def generated():
    return 42
# provguard: end
"""
"""An unreviewed agent region in a test file: two findings."""
UNREVIEWED = "ai-output-unreviewed"


def initialize_params(root: Path, capabilities: dict[str, Any] | None = None, **more: Any) -> dict[str, Any]:
    return {"processId": None, "rootUri": root.as_uri(), "capabilities": capabilities or {},
            "workspaceFolders": [{"uri": root.as_uri(), "name": root.name}], **more}


def did_open(uri: str, text: str = DOCUMENT, version: int = 1) -> dict[str, Any]:
    return {"textDocument": {"uri": uri, "languageId": "python", "version": version, "text": text}}


def settle(server: RawServer) -> list[dict[str, Any]]:
    """Every notification the server sent until it answered a later request, in order."""
    assert server.alive()
    return list(server.notifications)


def publishes(notifications: list[dict[str, Any]], uri: str) -> list[dict[str, Any]]:
    return [n["params"] for n in notifications if n["method"] == PUBLISH and n["params"]["uri"] == uri]


def codes(params: dict[str, Any]) -> list[str]:
    return sorted(d["code"] for d in params["diagnostics"])


def test_messages_sent_at_once_after_initialize_are_all_answered_once_and_in_order(tmp_path: Path) -> None:
    first, second = (tmp_path / "tests" / "test_a.py").as_uri(), (tmp_path / "tests" / "test_b.py").as_uri()
    with RawServer(tmp_path) as server:
        init = server.request("initialize", initialize_params(tmp_path))
        server.notify("initialized", {})
        server.notify("textDocument/didOpen", did_open(first))
        hover = server.request("textDocument/hover", {"textDocument": {"uri": first},
                                                      "position": {"line": 4, "character": 4}})
        server.notify("textDocument/didChange", {"textDocument": {"uri": first, "version": 2}, "contentChanges": [
            {"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 9}}, "text": ""}]})
        server.notify("textDocument/didOpen", did_open(second))
        assert "result" in server.response(init)
        assert "result" in server.response(hover)
        sent = settle(server)
        assert server.answers[init] == 1
    pushed = publishes(sent, first)
    assert [p["version"] for p in pushed][:2] == [1, 2], "each version once, in order"
    assert [p["version"] for p in pushed].count(1) == 1
    assert UNREVIEWED in codes(pushed[0]) and UNREVIEWED in codes(pushed[1])
    assert UNREVIEWED in codes(publishes(sent, second)[0])


def test_a_request_before_the_first_document_is_answered_by_the_real_server(tmp_path: Path) -> None:
    uri = (tmp_path / "tests" / "test_a.py").as_uri()
    with RawServer(tmp_path) as server:
        init = server.request("initialize", initialize_params(tmp_path))
        server.notify("initialized", {})
        summary = server.request("provguard/summary", {"textDocument": {"uri": uri}})
        server.notify("textDocument/didOpen", did_open(uri))
        assert "result" in server.response(init)
        assert server.response(summary) == {"jsonrpc": "2.0", "id": summary, "result": None}
        [pushed] = publishes(settle(server), uri)
    assert UNREVIEWED in codes(pushed)


def test_a_request_right_after_initialize_is_answered(tmp_path: Path) -> None:
    with RawServer(tmp_path) as server:
        init = server.request("initialize", initialize_params(tmp_path))
        hover = server.request("textDocument/hover", {"textDocument": {"uri": (tmp_path / "a.py").as_uri()},
                                                      "position": {"line": 0, "character": 0}})
        assert "result" in server.response(init)
        assert server.response(hover)["result"] is None
        assert server.answers[init] == 1


def test_shutdown_and_exit_sent_with_initialize_end_the_server_cleanly(tmp_path: Path) -> None:
    with RawServer(tmp_path) as server:
        init = server.request("initialize", initialize_params(tmp_path))
        shutdown = server.request("shutdown")
        server.notify("exit")
        assert "result" in server.response(init)
        assert server.response(shutdown)["result"] is None
        assert server.process.wait(timeout=30) == 0


def test_shutdown_and_exit_right_after_the_first_document_end_the_server_cleanly(tmp_path: Path) -> None:
    uri = (tmp_path / "tests" / "test_a.py").as_uri()
    with RawServer(tmp_path) as server:
        server.request("initialize", initialize_params(tmp_path))
        server.notify("initialized", {})
        server.notify("textDocument/didOpen", did_open(uri))
        shutdown = server.request("shutdown")
        server.notify("exit")
        assert server.response(shutdown)["result"] is None
        assert server.process.wait(timeout=30) == 0
        while server.next_message() is not None:
            continue
        assert [p["version"] for p in publishes(server.notifications, uri)] == [1]


def test_the_input_ending_after_the_first_document_ends_the_server(tmp_path: Path) -> None:
    uri = (tmp_path / "tests" / "test_a.py").as_uri()
    with RawServer(tmp_path) as server:
        server.request("initialize", initialize_params(tmp_path))
        server.notify("initialized", {})
        server.notify("textDocument/didOpen", did_open(uri))
        assert server.process.stdin is not None
        server.process.stdin.close()
        assert server.process.wait(timeout=30) is not None
        while server.next_message() is not None:
            continue
        assert [p["version"] for p in publishes(server.notifications, uri)] == [1]


def test_a_pulling_client_gets_no_push_and_pulls_the_diagnostics(tmp_path: Path) -> None:
    uri = (tmp_path / "tests" / "test_a.py").as_uri()
    pulling = {"textDocument": {"diagnostic": {"relatedDocumentSupport": False}}}
    with RawServer(tmp_path) as server:
        init = server.request("initialize", initialize_params(tmp_path, pulling))
        server.notify("initialized", {})
        server.notify("textDocument/didOpen", did_open(uri))
        pulled = server.call("textDocument/diagnostic", {"textDocument": {"uri": uri}})
        assert publishes(settle(server), uri) == []
        assert server.answers[init] == 1
    assert pulled["result"]["kind"] == "full"
    assert UNREVIEWED in sorted(d["code"] for d in pulled["result"]["items"])


class FolderSettings(RawServer):
    """A client whose answer to workspace/configuration for a workspace folder is `answer` (null for the
    editor's own settings), answered as it arrives."""

    def __init__(self, root: Path, answer: Any) -> None:
        super().__init__(root)
        self._incoming = _Answering(self, answer)  # nothing arrives before initialize


class _Answering(queue.Queue[dict[str, Any] | None]):
    def __init__(self, server: RawServer, answer: Any) -> None:
        super().__init__()
        self.server, self.answer = server, answer

    def put(self, item: dict[str, Any] | None, block: bool = True, timeout: float | None = None) -> None:
        if item is not None and item.get("method") == "workspace/configuration" and "id" in item:
            answers = [self.answer if entry.get("scopeUri") else None for entry in item["params"]["items"]]
            self.server.send({"jsonrpc": "2.0", "id": item["id"], "result": answers})
            return
        super().put(item, block, timeout)


def test_folder_settings_the_server_asks_for_after_the_first_push_apply(tmp_path: Path) -> None:
    uri = (tmp_path / "tests" / "test_a.py").as_uri()
    with FolderSettings(tmp_path, {"severity": {UNREVIEWED: "off"}}) as server:
        server.request("initialize", initialize_params(tmp_path, {"workspace": {"configuration": True}}))
        server.notify("initialized", {})
        server.notify("textDocument/didOpen", did_open(uri))
        pushed = [server.notification(PUBLISH)["params"] for _ in range(2)]
    assert UNREVIEWED not in codes(pushed[-1]), "the folder's settings are in force"
    assert codes(pushed[-1]), "the other finding stays"


def test_settings_with_a_problem_are_reported_before_the_answer_to_initialize(tmp_path: Path) -> None:
    with RawServer(tmp_path) as server:
        init = server.request("initialize", initialize_params(tmp_path, initializationOptions={"bulkInsertChars": "x"}))
        while (message := server.next_message()) is not None and message.get("id") != init:
            continue
        told = [n["method"] for n in server.notifications]
    assert "window/showMessage" in told


def test_the_log_says_which_answers_came_before_the_protocol_stack(tmp_path: Path) -> None:
    """The head start is taken for a plain client (and the log tells when it was not, and why)."""
    uri = (tmp_path / "tests" / "test_a.py").as_uri()
    with RawServer(tmp_path) as server:
        server.request("initialize", initialize_params(tmp_path))
        server.notify("initialized", {})
        server.notify("textDocument/didOpen", did_open(uri))
        server.notification(PUBLISH)
        assert server.alive()
        log = server.log()
    assert "before loading the protocol stack: initialize and textDocument/publishDiagnostics;" in log
    assert "error" not in log.lower()


NON_ASCII = """\
# provguard: begin kind=ai-agent tool=claude-code vendor=anthropic
def générée(): return "→ 😀"
# provguard: end
x = "é😀"  # provguard: kind=bogus
"""
"""A region, and an invalid marker whose diagnostic starts at a column each encoding counts differently."""


@pytest.mark.parametrize("encodings", [["utf-8"], ["utf-32", "utf-16"], ["latin-1"], []])
def test_the_first_diagnostics_are_the_servers_in_every_position_encoding(tmp_path: Path,
                                                                         encodings: list[str]) -> None:
    """Published once, as the real server makes them (it sends its own when they differ, and logs it)."""
    uri = (tmp_path / "tests" / "test_a.py").as_uri()
    with RawServer(tmp_path) as server:
        server.request("initialize", initialize_params(tmp_path, {"general": {"positionEncodings": encodings}}))
        server.notify("initialized", {})
        server.notify("textDocument/didOpen", did_open(uri, NON_ASCII))
        first = server.notification(PUBLISH)["params"]
        pushed = publishes(settle(server), uri)
        log = server.log()
    assert pushed == [], "published once"
    assert "were not the server's" not in log
    prefix = NON_ASCII.splitlines()[3].split("bogus")[0]
    chosen = next((e for e in encodings if e in ("utf-8", "utf-16", "utf-32")), "utf-16")
    codec, width = {"utf-8": ("utf-8", 1), "utf-16": ("utf-16-le", 2), "utf-32": ("utf-32-le", 4)}[chosen]
    [invalid] = [d for d in first["diagnostics"] if d["range"]["start"]["line"] == 3]
    assert invalid["range"]["start"]["character"] == len(prefix.encode(codec)) // width
