"""The benches' one JSON-RPC wire to a language server over stdio, in plain JSON (json.loads only): decoding
hundreds of diagnostics into typed objects in Python would weigh on every server's figure alike and hide the
difference. An asyncio `Connection` for the latency and many-files benches, blocking `frame`/`FrameReader`
for the start-up bench (which times a fresh process per run), and the /proc readings the benches report
beside wall time (a server's CPU time and memory)."""

from __future__ import annotations

import asyncio
import json
import os
import select
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from time import perf_counter
from typing import Any


def frame(message: Mapping[str, Any]) -> bytes:
    """One message as it goes on the wire (`jsonrpc` added)."""
    body = json.dumps({"jsonrpc": "2.0", **message}).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def _length(header: bytes) -> int:
    return next(int(line.split(b":")[1]) for line in header.split(b"\r\n")
                if line.lower().startswith(b"content-length"))


@dataclass(frozen=True)
class Pushed:
    """A publishDiagnostics as the client got it."""

    at: float
    """perf_counter right after its body was read (before the client did anything with it)."""
    diagnostics: int


class Connection:
    """A language server over stdio: requests answered by futures, its requests to the client (registerCapability,
    refresh, ...) answered with null, its pushed diagnostics matched to what the caller waits for."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self._next = 0
        self._answers: dict[int, asyncio.Future[Any]] = {}
        self._pushes: dict[tuple[str | None, int | None], asyncio.Future[Pushed]] = {}
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def spawn(cls, command: tuple[str, ...], cwd: Path, env: Mapping[str, str] | None = None) -> Connection:
        """`command` in `cwd`, with this environment plus `env`; its stderr is dropped."""
        return cls(await asyncio.create_subprocess_exec(
            *command, cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            limit=1 << 26, env={**os.environ, **(env or {})}))

    @property
    def pid(self) -> int:
        return self.process.pid

    def send(self, message: Mapping[str, Any]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(frame(message))

    def notify(self, method: str, params: Any) -> None:
        self.send({"method": method, "params": params})

    def request(self, method: str, params: Any) -> asyncio.Future[Any]:
        """The future of the request's result (None for an error answer)."""
        self._next += 1
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._answers[self._next] = future
        self.send({"id": self._next, "method": method, "params": params})
        return future

    def expect_push(self, uri: str | None = None, version: int | None = None) -> asyncio.Future[Pushed]:
        """The next publishDiagnostics for `uri` and/or of `version` (whichever are given)."""
        future: asyncio.Future[Pushed] = asyncio.get_running_loop().create_future()
        self._pushes[(uri, version)] = future
        return future

    async def _read(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        while True:
            header = await stream.readuntil(b"\r\n\r\n")
            message = json.loads(await stream.readexactly(_length(header)))
            now = perf_counter()
            if "method" in message and "id" in message:
                self.send({"id": message["id"], "result": None})
            elif message.get("method") == "textDocument/publishDiagnostics":
                self._pushed(message["params"], now)
            elif "id" in message:
                answer = self._answers.pop(message["id"], None)
                if answer is not None and not answer.done():
                    answer.set_result(message.get("result"))

    def _pushed(self, params: dict[str, Any], now: float) -> None:
        uri, version = params.get("uri"), params.get("version")
        for key in ((uri, version), (uri, None), (None, version)):
            future = self._pushes.pop(key, None)
            if future is not None and not future.done():
                future.set_result(Pushed(now, len(params.get("diagnostics", []))))

    async def close(self) -> None:
        """shutdown and exit, or a kill when the server does not answer."""
        try:
            await asyncio.wait_for(self.request("shutdown", None), 30)
            self.notify("exit", None)
            await asyncio.wait_for(self.process.wait(), 10)
        except (TimeoutError, ConnectionError):
            self.process.kill()
            await self.process.wait()
        self._reader.cancel()


class FrameReader:
    """Messages from a pipe, blocking, each within a deadline."""

    def __init__(self, fd: int) -> None:
        self.fd, self.buffer = fd, b""

    def next(self, deadline: float) -> dict[str, Any]:
        """The next message; TimeoutError past `deadline` (perf_counter), EOFError when the pipe closes."""
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end >= 0:
                length = _length(self.buffer[:end])
                if len(self.buffer) >= end + 4 + length:
                    body = self.buffer[end + 4:end + 4 + length]
                    self.buffer = self.buffer[end + 4 + length:]
                    message: dict[str, Any] = json.loads(body)
                    return message
            left = deadline - perf_counter()
            if left <= 0 or not select.select([self.fd], [], [], left)[0]:
                raise TimeoutError("the server did not answer in time")
            chunk = os.read(self.fd, 1 << 16)
            if not chunk:
                raise EOFError("the server closed its output")
            self.buffer += chunk


# ------------------------------------------------------------------------------------- /proc readings


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (/proc/PID/stat, in clock ticks)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS, VmHWM and the other Vm* lines of /proc/PID/status, in kB."""
    found: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key.startswith("Vm") and value.strip().endswith("kB"):
            found[key] = int(value.split()[0])
    return found


async def quiet(pid: int, timeout: float) -> None:
    """Waits until the process used no CPU for half a second (or `timeout` passed)."""
    deadline = perf_counter() + timeout
    last = cpu_seconds(pid)
    while perf_counter() < deadline:
        await asyncio.sleep(0.5)
        now = cpu_seconds(pid)
        if now == last:
            return
        last = now
