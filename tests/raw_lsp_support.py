"""A raw byte connection to the real language server over stdio, for input no well-behaved client sends:
broken frames, invalid JSON, invalid params. pytest-lsp's client only sends what lsprotocol can type."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path
from typing import IO, Any

from provguard.lsp.server import build

TIMEOUT = 30.0
"""Seconds to wait for one answer; only a hung server takes this long."""

MISSING = object()
"""Leave `params` out of a message."""


def frame(body: bytes) -> bytes:
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def encode(message: dict[str, Any]) -> bytes:
    """JSON as a client writes it; lone surrogates become \\ud800 escapes, as JavaScript's JSON.stringify does."""
    return json.dumps(message).encode("ascii")


class RawServer:
    """`provguard serve` as a subprocess; a thread reads its frames into a queue."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.log_path = root / "server.log"
        self._log = self.log_path.open("wb")
        env = {**os.environ, "HOME": str(root)}  # transcripts and caches stay inside the test's folder
        self.process = subprocess.Popen([sys.executable, "-m", "provguard", "serve"], cwd=root, env=env,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log)
        self._incoming: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self.answers: Counter[Any] = Counter()
        """How many responses arrived for each id (None for errors about messages without a usable id)."""
        self.notifications: list[dict[str, Any]] = []
        self._next_id = 0
        self._reader = threading.Thread(target=self._read, args=(self.process.stdout,), daemon=True)
        self._reader.start()

    def __enter__(self) -> RawServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing ------------------------------------------------------------------------------------------

    def write(self, data: bytes) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(data)
        self.process.stdin.flush()

    def send(self, message: dict[str, Any]) -> None:
        self.write(frame(encode(message)))

    def new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def request(self, method: str, params: Any = MISSING) -> int:
        msg_id = self.new_id()
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": msg_id, "method": method}
        if params is not MISSING:
            message["params"] = params
        self.send(message)
        return msg_id

    def notify(self, method: str, params: Any = MISSING) -> None:
        message: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
        if params is not MISSING:
            message["params"] = params
        self.send(message)

    def call(self, method: str, params: Any = MISSING) -> dict[str, Any]:
        return self.response(self.request(method, params))

    # -- reading ------------------------------------------------------------------------------------------

    def _read(self, stdout: IO[bytes] | None) -> None:
        assert stdout is not None
        while True:
            length = None
            while True:
                line = stdout.readline()
                if not line:
                    self._incoming.put(None)
                    return
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
                if line == b"\r\n":
                    break
            assert length is not None, "the server wrote a frame without Content-Length"
            self._incoming.put(json.loads(stdout.read(length)))

    def next_message(self, timeout: float = TIMEOUT) -> dict[str, Any] | None:
        """The next message the server writes, or None once its output has ended."""
        message = self._incoming.get(timeout=timeout)
        if message is None:
            self._incoming.put(None)  # stays ended for later readers
            return None
        if "method" not in message:
            assert "id" in message, f"a response without an id: {message}"
            self.answers[message["id"]] += 1
        elif "id" in message:  # the server asks something (registerCapability, configuration): answer null
            self.send({"jsonrpc": "2.0", "id": message["id"], "result": None})
        else:
            self.notifications.append(message)
        return message

    def response(self, msg_id: Any, timeout: float = TIMEOUT) -> dict[str, Any]:
        """The response to `msg_id`; fails if the server stops or stays silent for `timeout` seconds."""
        while True:
            message = self.next_message(timeout)
            assert message is not None, f"the server stopped before answering {msg_id!r}: {self.log()[-2000:]}"
            if "method" not in message and "id" in message and message["id"] == msg_id:
                return message

    def notification(self, method: str, timeout: float = TIMEOUT) -> dict[str, Any]:
        """The next notification of `method` (earlier ones already received count)."""
        for seen in self.notifications:
            if seen["method"] == method:
                self.notifications.remove(seen)
                return seen
        while True:
            message = self.next_message(timeout)
            assert message is not None, f"the server stopped before sending {method}"
            if message.get("method") == method and "id" not in message:
                self.notifications.remove(message)
                return message

    def log(self) -> str:
        """What the server wrote to stderr so far."""
        return self.log_path.read_text(errors="replace")

    # -- life cycle ---------------------------------------------------------------------------------------

    def initialize(self, encodings: list[str] | None = None) -> dict[str, Any]:
        """A minimal client: push diagnostics, no dynamic registration, the folder as the workspace."""
        answer = self.call("initialize", {
            "processId": None, "rootUri": self.root.as_uri(),
            "workspaceFolders": [{"uri": self.root.as_uri(), "name": self.root.name}],
            "capabilities": {"general": {"positionEncodings": encodings or ["utf-16"]}},
        })
        assert "result" in answer, answer
        self.notify("initialized", {})
        return answer

    def open(self, name: str, text: str, language: str = "python") -> str:
        uri = (self.root / name).as_uri()
        self.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": language, "version": 1,
                                                              "text": text}})
        return uri

    def alive(self) -> bool:
        """The server still answers: a summary of a document nobody opened is null."""
        answer = self.call("provguard/summary", {"textDocument": {"uri": (self.root / "none.py").as_uri()}})
        return answer.get("result", "missing") is None

    def close(self) -> None:
        if self.process.poll() is None:
            try:
                self.call("shutdown", None)
                self.notify("exit")
            except (OSError, AssertionError):
                pass
        if self.process.stdin is not None:
            with contextlib.suppress(OSError):
                self.process.stdin.close()
        try:
            self.process.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()


def served_methods() -> tuple[set[str], set[str], set[str]]:
    """(requests, notifications, methods of neither kind) the server answers, from its registered features:
    a method added later is covered without naming it here."""
    import attrs
    from lsprotocol import types

    from provguard.lsp.protocol import ProvguardProtocol

    protocol = build().protocol
    assert isinstance(protocol, ProvguardProtocol)
    names = set(protocol.fm.features) | set(protocol.fm.builtin_features)
    custom = protocol.custom_methods
    def kind(method: str) -> str:
        if method in custom:
            return "request" if custom[method].request else "notification"
        if method in types.METHOD_TO_TYPES:  # a request's message type has an id, a notification's none
            return "request" if "id" in attrs.fields_dict(types.METHOD_TO_TYPES[method][0]) else "notification"
        return "unknown"

    requests = {m for m in names if kind(m) == "request"}
    notifications = {m for m in names if kind(m) == "notification"}
    return requests, notifications, names - requests - notifications
