"""A language client that writes and never reads: tens of thousands of requests sent while none of the answers
is read.

The server must neither gather its answers without bound (memory: it waits for the client to read) nor drop
any: once the client reads again, every request has exactly one answer, and a request sent after the flood is
answered too. (raw_lsp_support's client always reads, so this one is written by hand.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path
from typing import IO

import pytest

from raw_lsp_support import encode, frame

REQUESTS = 20_000
PADDING = "x" * 1000
"""Each request carries a kilobyte: 20 MB the server could be tempted to hold, with its answers."""
HANG = 240


def peak_memory_mib(pid: int) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM")) >> 10


def answers(stdout: IO[bytes], until: str) -> Counter[object]:
    """How many responses came for each id, read until the one for `until`."""
    seen: Counter[object] = Counter()
    while True:
        length = None
        while (line := stdout.readline()) not in (b"\r\n", b""):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        assert length is not None, "the server's output ended"
        message = json.loads(stdout.read(length))
        if "method" not in message:
            seen[message.get("id")] += 1
            if message.get("id") == until:
                return seen


@pytest.mark.timeout(HANG + 60)
@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="peak memory is read from /proc")
def test_a_client_that_floods_requests_without_reading_gets_every_answer_in_bounded_memory(tmp_path: Path) -> None:
    with (tmp_path / "server.log").open("wb") as log:
        server = subprocess.Popen([sys.executable, "-m", "provguard", "serve"], cwd=tmp_path,
                                  env={**os.environ, "HOME": str(tmp_path)},
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log)
    assert server.stdin is not None and server.stdout is not None
    try:
        uri = (tmp_path / "none.py").as_uri()
        hello = {"jsonrpc": "2.0", "id": "hello", "method": "initialize",
                 "params": {"processId": None, "rootUri": tmp_path.as_uri(), "capabilities": {}}}
        flood = b"".join(frame(encode({"jsonrpc": "2.0", "id": f"flood-{n}", "method": "textDocument/hover",
                                       "params": {"textDocument": {"uri": uri},
                                                  "position": {"line": 0, "character": 0}, "padding": PADDING}}))
                         for n in range(REQUESTS))
        last = frame(encode({"jsonrpc": "2.0", "id": "last", "method": "provguard/summary",
                             "params": {"textDocument": {"uri": uri}}}))
        writer = threading.Thread(target=server.stdin.write, daemon=True,
                                  args=(frame(encode(hello)) + frame(encode({"jsonrpc": "2.0", "method": "initialized",
                                                                             "params": {}})) + flood + last,))
        writer.start()
        writer.join(10)  # a while with nothing read: the answers fill the pipe, and the server must wait
        held = peak_memory_mib(server.pid)

        seen = answers(server.stdout, "last")
        writer.join(HANG)

        assert held < 512, "while the client did not read, the server held its answers in memory"
        assert not writer.is_alive()
        flooded = {key: count for key, count in seen.items() if str(key).startswith("flood-")}
        assert len(flooded) == REQUESTS and set(flooded.values()) == {1}, "each request is answered once"
        assert seen["hello"] == seen["last"] == 1
    finally:
        server.kill()
        server.wait(30)
