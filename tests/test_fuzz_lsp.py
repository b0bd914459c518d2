"""Fuzzing the language server over stdio: random frames and random params against one real server process
per test. Whatever arrives, the server stays up, every request with an id gets exactly one response, and no
params make a handler fail (InternalError); seeded and bounded, so CI runs it every time."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from raw_lsp_support import MISSING, RawServer, frame, served_methods

INTERNAL_ERROR = -32603
LIFE_CYCLE = {"initialize", "shutdown", "exit"}
"""Not fuzzed: a valid random call would end or restart the session; their invalid params are covered in
test_lsp_hostile."""

REQUESTS, NOTIFICATIONS, _ = served_methods()
FUZZED = sorted((REQUESTS | NOTIFICATIONS) - LIFE_CYCLE)

SAFE_TEXT = st.text(st.characters(exclude_characters="/\\~.:", codec=None), max_size=12)
"""Random strings: lone surrogates and emoji included, but nothing that names a path outside the test folder
(a fuzzed setting may name a ledger file)."""
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**64), 2**64) | st.floats(allow_nan=False, allow_infinity=False)
    | SAFE_TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(SAFE_TEXT, inner, max_size=3),
    max_leaves=8,
)


def templates(root: Path) -> dict[str, Any]:
    """Valid params for each fuzzed method, on documents under `root` (doc.py stays open throughout)."""
    doc, other = (root / "doc.py").as_uri(), (root / "other.py").as_uri()
    at = {"line": 0, "character": 0}
    span = {"start": at, "end": {"line": 1, "character": 2}}
    return {
        "textDocument/hover": {"textDocument": {"uri": doc}, "position": at},
        "textDocument/codeAction": {"textDocument": {"uri": doc}, "range": span,
                                    "context": {"diagnostics": [], "only": ["quickfix"]}},
        "textDocument/diagnostic": {"textDocument": {"uri": doc}, "previousResultId": "x"},
        "workspace/diagnostic": {"previousResultIds": [{"uri": other, "value": "x"}], "partialResultToken": "p"},
        "provguard/summary": {"textDocument": {"uri": doc}},
        "workspace/executeCommand": {"command": "provguard.forget", "arguments": [doc, "span"]},
        "textDocument/didOpen": {"textDocument": {"uri": other, "languageId": "python", "version": 1,
                                                  "text": "x = 1\n"}},
        "textDocument/didChange": {"textDocument": {"uri": doc, "version": 2},
                                   "contentChanges": [{"range": span, "text": "y"}]},
        "textDocument/didSave": {"textDocument": {"uri": other}},
        "textDocument/didClose": {"textDocument": {"uri": other}},
        "provguard/didInsert": {"textDocument": {"uri": doc, "version": 2}, "range": span, "kind": "paste"},
        "workspace/didChangeConfiguration": {"settings": {"reviewer": "fuzz@example.com"}},
        "workspace/didChangeWatchedFiles": {"changes": [{"uri": doc, "type": 2}]},
        "workspace/didChangeWorkspaceFolders": {"event": {"added": [], "removed": []}},
        "initialized": {},
        "$/setTrace": {"value": "off"},
        "window/workDoneProgress/cancel": {"token": "t"},
        "notebookDocument/didOpen": {"notebookDocument": {"uri": "file:///n.ipynb", "notebookType": "jupyter",
                                                          "version": 1, "cells": []}, "cellTextDocuments": []},
        "notebookDocument/didChange": {"notebookDocument": {"uri": "file:///n.ipynb", "version": 2},
                                       "change": {}},
        "notebookDocument/didClose": {"notebookDocument": {"uri": "file:///n.ipynb"}, "cellTextDocuments": []},
    }


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every place in a JSON value, the value itself first."""
    yield prefix
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from paths(inner, (*prefix, index))


def replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    """`value` with the place at `path` set to `new`, or removed when `new` is MISSING."""
    if not path:
        return new
    copy = dict(value) if isinstance(value, dict) else list(value)
    head, rest = path[0], path[1:]
    if rest or new is not MISSING:
        copy[head] = replaced(value[head], rest, new)
    else:
        del copy[head]
    return copy


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RawServer]:
    with RawServer(tmp_path) as raw:
        raw.initialize()
        raw.open("doc.py", "# provguard: kind=ai-completion tool=copilot\ndef f():\n    return 1\n")
        yield raw


def check_answers(server: RawServer, expected: list[Any]) -> None:
    """The server is alive (the probe is answered after everything sent before it) and each id in `expected`
    was answered exactly once; no id was answered twice."""
    assert server.alive(), server.log()[-2000:]
    assert server.process.poll() is None
    for msg_id in expected:
        assert server.answers[msg_id] == 1, (msg_id, server.answers[msg_id])
    assert all(count == 1 for msg_id, count in server.answers.items() if msg_id is not None)


def no_length_header(raw: bytes) -> bool:
    """Random bytes that do not happen to spell a header, which the server rightly resynchronises on."""
    return b"content-length" not in raw.lower()


@st.composite
def frame_piece(draw: Callable[..., Any], next_id: Callable[[], int]) -> tuple[bytes, list[Any]]:
    """Bytes of one piece of input, and the ids of the requests in it that must be answered."""
    choice = draw(st.sampled_from(["request", "message", "json", "bytes", "bad-length", "short-length", "junk"]))
    if choice == "request":  # a well-framed request of a served method, params random
        msg_id = next_id()
        method = draw(st.sampled_from(sorted(REQUESTS - LIFE_CYCLE)))
        message = {"jsonrpc": "2.0", "id": msg_id, "method": method, "params": draw(JSON)}
        return frame(json.dumps(message).encode()), [msg_id]
    if choice == "message":  # every part of a message may be wrong
        msg_id = draw(st.sampled_from([next_id(), f"s{next_id()}", None, 1.5, True, {}, [], MISSING]))
        message = {key: value for key, value in {
            "jsonrpc": draw(st.sampled_from(["2.0", "1.0", 2, MISSING])),
            "id": msg_id,
            "method": draw(st.sampled_from([*FUZZED, "no/such", 5, None, MISSING])),
            "params": draw(JSON | st.just(MISSING)),
        }.items() if value is not MISSING}
        answered = "method" in message and isinstance(msg_id, (int, str)) and not isinstance(msg_id, bool)
        return frame(json.dumps(message).encode()), [msg_id] if answered else []
    if choice == "json":  # a well-framed JSON value that is no message
        return frame(json.dumps(draw(JSON)).encode()), []
    if choice == "bytes":  # a well-framed body of random bytes: invalid JSON, invalid UTF-8
        body = draw(st.binary(max_size=60).filter(no_length_header))
        return frame(body), []
    if choice == "bad-length":
        length = draw(st.sampled_from([b"-1", b"1e3", b"", b"0x10", b"99999999999999999999999", b"%d" % 2**63,
                                       b"%d" % (64 * 1024 * 1024 + 1), b"12 34"]))
        body = draw(st.binary(max_size=60).filter(no_length_header))
        return b"Content-Length: " + length + b"\r\n\r\n" + body, []
    if choice == "short-length":  # the header claims fewer bytes than follow: the rest is garbage
        body = draw(st.binary(min_size=1, max_size=60).filter(no_length_header))
        return b"Content-Length: %d\r\n\r\n" % draw(st.integers(0, len(body) - 1)) + body, []
    junk = draw(st.binary(max_size=80).filter(no_length_header))  # lines that are no header at all
    return junk + draw(st.sampled_from([b"", b"\r\n", b"\n", b"\r\n\r\n"])), []


def test_random_frames_never_stop_the_server_and_every_request_is_answered_once(server: RawServer) -> None:
    @settings(derandomize=True, max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        pieces = data.draw(st.lists(frame_piece(server.new_id), min_size=1, max_size=5))
        server.write(b"".join(piece for piece, _ in pieces))
        check_answers(server, [msg_id for _, ids in pieces for msg_id in ids])

    check()
    assert "Traceback" not in server.log()


def test_random_params_of_every_served_method_are_answered_or_refused_never_crash(server: RawServer) -> None:
    valid = templates(server.root)
    assert set(FUZZED) <= set(valid), f"add valid params for {set(FUZZED) - set(valid)} to templates()"

    @settings(derandomize=True, max_examples=600, deadline=None, suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        method = data.draw(st.sampled_from(FUZZED))
        template = valid[method]
        place = data.draw(st.sampled_from(list(paths(template))))
        new = data.draw(JSON | st.just(MISSING))
        params = replaced(template, place, new) if place or new is not MISSING else MISSING
        if method in NOTIFICATIONS:
            server.notify(method, params)
            check_answers(server, [])
            return
        msg_id = server.request(method, params)
        answer = server.response(msg_id)
        assert answer.get("error", {}).get("code") != INTERNAL_ERROR, answer
        check_answers(server, [msg_id])

    check()
    assert "Traceback" not in server.log()
