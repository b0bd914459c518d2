"""Hostile and broken input to the language server: bad frames are refused and the next one is served, every
request is answered (InvalidParams when its params are wrong), positions agree with the client's encoding."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types

from provguard.lsp.framing import MAX_FRAME_BYTES
from raw_lsp_support import MISSING, RawServer, encode, frame, served_methods

INVALID_PARAMS = -32602
INVALID_REQUEST = -32600
PARSE_ERROR = -32700

REQUESTS, NOTIFICATIONS, OTHER = served_methods()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RawServer]:
    with RawServer(tmp_path) as raw:
        raw.initialize()
        yield raw


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RawServer]:
    """One server for the many invalid-params cases; each case leaves it as it found it."""
    with RawServer(tmp_path_factory.mktemp("shared")) as raw:
        raw.initialize()
        yield raw


# -- frames ---------------------------------------------------------------------------------------------------

BAD_FRAMES = {
    "length 10^15": b"Content-Length: 1000000000000000\r\n\r\n" + b'{"jsonrpc": "2.0"}',
    "length 2^63": b"Content-Length: %d\r\n\r\n{}" % 2**63,
    "one byte over the limit": b"Content-Length: %d\r\n\r\n{}" % (MAX_FRAME_BYTES + 1),
    "negative length": b"Content-Length: -5\r\n\r\nabcde",
    "length not a number": b"Content-Length: twelve\r\n\r\n{}",
    "no length": b"Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n{}",
    "a body without headers": b'{"jsonrpc": "2.0", "id": 1, "method": "shutdown"}\r\n',
    "an endless header line": b"X-Junk: " + b"a" * 100_000 + b"\r\n\r\n",
}


@pytest.mark.parametrize("bad", BAD_FRAMES.values(), ids=BAD_FRAMES.keys())
def test_a_bad_frame_is_refused_and_the_next_request_is_answered(shared: RawServer, bad: bytes) -> None:
    refused, unanswerable = shared.log().count("LSP frame refused"), shared.answers[None]
    shared.write(bad)
    assert shared.alive()
    assert shared.process.poll() is None
    assert shared.log().count("LSP frame refused") == refused + 1
    assert shared.answers[None] == unanswerable, "nothing is answered for a refused frame"


def test_a_real_request_over_the_size_limit_is_skipped_whole(shared: RawServer) -> None:
    server = shared
    uri = (server.root / "big.py").as_uri()
    head = encode({"jsonrpc": "2.0", "id": "big", "method": "provguard/summary",
                   "params": {"textDocument": {"uri": uri}, "padding": ""}})
    body = head[:-3] + b"x" * (MAX_FRAME_BYTES + 1 - len(head)) + head[-3:]
    assert len(body) == MAX_FRAME_BYTES + 1 and json.loads(body)["id"] == "big"
    server.write(frame(body))
    assert server.alive()
    assert server.answers["big"] == 0


def test_a_frame_at_the_size_limit_is_read(shared: RawServer) -> None:
    server = shared
    head = encode({"jsonrpc": "2.0", "id": "limit", "method": "provguard/summary",
                   "params": {"textDocument": {"uri": "file:///nowhere.py"}, "padding": ""}})
    body = head[:-3] + b"x" * (MAX_FRAME_BYTES - len(head)) + head[-3:]
    server.write(frame(body))
    assert server.response("limit")["result"] is None


@pytest.mark.parametrize("ending", [b"Content-Length: 100\r\n\r\n{\"jsonrpc\"", b"Content-Length: 100\r\n",
                                    b"Content-Len"], ids=["inside the body", "inside the header", "mid-word"])
def test_input_that_ends_inside_a_frame_stops_the_server_cleanly(tmp_path: Path, ending: bytes) -> None:
    server = RawServer(tmp_path)
    server.initialize()
    server.write(ending)
    assert server.process.stdin is not None
    server.process.stdin.close()
    assert server.process.wait(timeout=30) == 0
    server.close()
    assert "Traceback" not in server.log()


def test_a_body_that_is_not_json_gets_a_parse_error_and_the_server_keeps_serving(shared: RawServer) -> None:
    server = shared
    for body in (b"{not json", b"\xff\xfe\x00garbage", b'{"id": 1, "method": "\xc3\x28"}', b"[" * 100_000):
        server.write(frame(body))
        assert server.response(None)["error"]["code"] == PARSE_ERROR
    assert server.alive()


@pytest.mark.parametrize("levels", [300, 900, 5_000])
def test_a_message_nested_past_the_limit_is_refused_whole_with_the_depth_named(shared: RawServer,
                                                                                 levels: int) -> None:
    """Python's parser accepts up to ~1,000 levels; deeper than any real message (256) is refused before any
    converter or handler walks it, so no recursion limit can be reached further down."""
    server = shared
    nested = "[" * levels + "]" * levels
    for body in (f'{{"jsonrpc": "2.0", "id": "deep", "method": "workspace/executeCommand", "params": '
                 f'{{"command": "provguard.x", "arguments": {nested}}}}}',
                 f'{{"jsonrpc": "2.0", "method": "workspace/didChangeConfiguration", '
                 f'"params": {{"settings": {nested}}}}}'):
        server.write(frame(body.encode()))
        answer = server.response(None)
        assert answer["error"]["code"] == PARSE_ERROR
        assert "nested deeper than 256 levels" in answer["error"]["message"]
    assert server.answers["deep"] == 0
    assert server.call("provguard/summary", {"textDocument": {"uri": "file:///x.py"}})["result"] is None


def test_a_message_nested_just_under_the_limit_is_served(shared: RawServer) -> None:
    server = shared
    nested = "[" * 250 + "]" * 250
    body = (f'{{"jsonrpc": "2.0", "id": "under", "method": "provguard/summary", "params": '
            f'{{"textDocument": {{"uri": "file:///x.py"}}, "extra": {nested}}}}}')
    server.write(frame(body.encode()))
    assert server.response("under")["result"] is None


@pytest.mark.parametrize("message, answer_id", [
    ([{"jsonrpc": "2.0", "id": 1, "method": "shutdown"}], None),
    ({"jsonrpc": "2.0", "id": {"not": "an id"}, "method": "provguard/summary", "params": {}}, None),
    ({"jsonrpc": "2.0", "id": "m", "method": 42}, "m"),
    ({"jsonrpc": "1.0", "id": "v", "method": "provguard/summary"}, "v"),
], ids=["a batch", "an object as id", "a number as method", "another jsonrpc version"])
def test_a_message_that_is_not_a_request_gets_invalid_request(shared: RawServer, message: Any,
                                                              answer_id: Any) -> None:
    server = shared
    server.write(frame(json.dumps(message).encode()))
    answer = server.response(answer_id)
    assert answer["error"]["code"] == INVALID_REQUEST and answer["error"]["message"]
    assert server.alive()


def test_requests_after_shutdown_are_answered_with_invalid_request(server: RawServer) -> None:
    assert server.call("shutdown", None)["result"] is None
    answer = server.call("provguard/summary", {"textDocument": {"uri": "file:///x.py"}})
    assert answer["error"]["code"] == INVALID_REQUEST and "shutting down" in answer["error"]["message"]


# -- invalid params -------------------------------------------------------------------------------------------

def params_type(method: str) -> Any:
    from provguard.lsp.server import build

    server = build()
    custom = getattr(server.protocol, "custom_methods", {})
    return custom[method].params if method in custom else types.METHOD_TO_TYPES[method][2]


def test_every_served_method_is_a_request_or_a_notification_with_typed_params() -> None:
    assert not OTHER, f"methods of unknown kind: {OTHER}; declare custom ones with server.custom_feature"
    assert "provguard/summary" in REQUESTS and "provguard/didInsert" in NOTIFICATIONS
    for method in REQUESTS | NOTIFICATIONS:
        assert method in types.METHOD_TO_TYPES or params_type(method) is not None, method


CHECKED_REQUESTS = sorted(m for m in REQUESTS if params_type(m) not in (None, type(None)))
"""Requests that take params (shutdown takes none: nothing about it can be invalid)."""


@pytest.mark.parametrize("method", CHECKED_REQUESTS)
@pytest.mark.parametrize("params", [42, "text", [], None, MISSING], ids=["number", "string", "array", "null",
                                                                         "missing"])
def test_a_request_with_params_of_the_wrong_shape_gets_invalid_params(shared: RawServer, method: str,
                                                                      params: Any) -> None:
    answer = shared.call(method, params)
    if params is MISSING and "error" not in answer:
        return  # every field of its params is optional: no params is as good as {}
    assert answer["error"]["code"] == INVALID_PARAMS, answer
    assert method in answer["error"]["message"] and "params" in answer["error"]["message"]


def text_document(shared: RawServer) -> dict[str, str]:
    return {"uri": (shared.root / "doc.py").as_uri()}


@pytest.mark.parametrize("method, params, wrong", [
    ("textDocument/hover", {"position": {"line": 0, "character": 0}}, "textDocument"),
    ("textDocument/hover", {"textDocument": "TD"}, "position"),
    ("textDocument/hover", {"textDocument": "TD", "position": {"line": -1, "character": 0}}, "position"),
    ("textDocument/hover", {"textDocument": "TD", "position": {"line": 0, "character": -3}}, "character"),
    ("textDocument/hover", {"textDocument": "TD", "position": {"line": 2**31, "character": 0}}, "line"),
    ("textDocument/hover", {"textDocument": "TD", "position": {"line": 0, "character": 10**30}}, "character"),
    ("textDocument/codeAction", {"textDocument": "TD", "range": {"start": {"line": 0, "character": 0},
                                                                "end": {"line": 0, "character": 0}}}, "context"),
    ("textDocument/codeAction", {"textDocument": "TD", "range": {"start": {"line": 0, "character": -1},
                                                                "end": {"line": 0, "character": 0}},
                                 "context": {"diagnostics": []}}, "range"),
    ("textDocument/diagnostic", {"textDocument": {"url": "file:///x"}}, "uri"),
    ("provguard/summary", {"textDocument": {}}, "uri"),
    ("provguard/summary", {}, "textDocument"),
    ("workspace/executeCommand", {"arguments": []}, "command"),
    ("workspace/executeCommand", {"command": "provguard.noSuchCommand"}, "provguard.noSuchCommand"),
    ("initialize", {"processId": None, "rootUri": None}, "capabilities"),
])
def test_a_request_with_an_invalid_field_gets_invalid_params_naming_it(shared: RawServer, method: str,
                                                                       params: dict[str, Any], wrong: str) -> None:
    filled = {key: text_document(shared) if value == "TD" else value for key, value in params.items()}
    answer = shared.call(method, filled)
    assert answer["error"]["code"] == INVALID_PARAMS, answer
    assert wrong in answer["error"]["message"]
    assert shared.alive()


@pytest.mark.parametrize("method", sorted(NOTIFICATIONS - {"exit"}))
def test_a_notification_with_invalid_params_is_logged_unanswered_and_the_server_keeps_serving(
    shared: RawServer, method: str
) -> None:
    expected = params_type(method) not in (None, type(None))
    before = shared.answers.total()
    shared.notify(method, 42)
    assert shared.alive()
    assert shared.answers.total() == before + 1, "only the liveness request was answered"
    if expected:
        logged = shared.notification(types.WINDOW_LOG_MESSAGE)["params"]["message"]
        assert logged.startswith(f"{method} ignored: Invalid params")


# -- positions ------------------------------------------------------------------------------------------------

def marker_range(server: RawServer, uri: str, version: int) -> tuple[int, int, int]:
    """(line, start, end character) of the one diagnostic pushed for `version`: an invalid marker's kind."""
    while True:
        params = server.notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)["params"]
        if params["uri"] == uri and params.get("version") == version:
            [diag] = params["diagnostics"]
            start, end = diag["range"]["start"], diag["range"]["end"]
            assert start["line"] == end["line"]
            return start["line"], start["character"], end["character"]


def test_a_lone_surrogate_is_one_utf16_unit_and_later_edits_on_its_line_land_in_place(server: RawServer) -> None:
    uri = server.open("s.py", 'x = "\ud800"\n')
    # the client inserts after the closing quote: 'x = "' (5) + lone surrogate (1) + '"' (1) = character 7
    server.notify("textDocument/didChange", {
        "textDocument": {"uri": uri, "version": 2},
        "contentChanges": [{"range": {"start": {"line": 0, "character": 7}, "end": {"line": 0, "character": 7}},
                            "text": "  # provguard: kind=bogus"}]})
    # 7 + '  # provguard: kind=' (20) = 27, and 'bogus' ends at 32
    assert marker_range(server, uri, 2) == (0, 27, 32)


@pytest.mark.parametrize("line, character", [(0, 10_000), (99, 0), (2**31 - 1, 2**31 - 1)])
def test_a_valid_position_past_the_end_is_clamped_to_the_end(server: RawServer, line: int, character: int) -> None:
    uri = server.open("c.py", "x = 1\n")
    answer = server.call("textDocument/hover", {"textDocument": {"uri": uri},
                                                "position": {"line": line, "character": character}})
    assert "error" not in answer and answer["result"] is None
    server.notify("textDocument/didChange", {
        "textDocument": {"uri": uri, "version": 2},
        "contentChanges": [{"range": {"start": {"line": line, "character": character},
                                      "end": {"line": line, "character": character}},
                            "text": "  # provguard: kind=bogus"}]})
    # clamped to the end of line 0 ('x = 1', before its line break) or of the text (after it);
    # '  # provguard: kind=' is 20 characters
    assert marker_range(server, uri, 2) == ((0, 25, 30) if line == 0 else (1, 20, 25))
