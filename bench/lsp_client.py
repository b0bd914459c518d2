"""provguard's server driven by pygls's LanguageClient, as an editor drives it (VS Code's capabilities, typed
messages): the client lsp_timing.py's scenarios run.

Every arrival is stamped twice: when the client has the decoded message (what an editor sees), and when the
message's bytes had been read from the pipe, before the client decoded them (so the benchmark's own
JSON/cattrs decoding, which a real editor does not do in Python, can be told apart). The benches that need
no typed client speak plain JSON (lsp_wire.py).
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from time import perf_counter

from lsprotocol import types
from pygls.lsp.client import LanguageClient
from workload import Edit

SERVER_COMMAND = (sys.executable, "-m", "provguard", "serve")
REVIEWER = "bench@example.com"


@dataclass(frozen=True)
class Arrival:
    read_at: float
    """perf_counter when the message's body had been read from the server's stdout."""
    received_at: float
    """perf_counter when the client had decoded it and called its handler."""
    diagnostics: int


@dataclass
class Latencies:
    """Seconds from sending didChange to the diagnostics, per measured edit."""

    received: list[float] = field(default_factory=list)
    on_wire: list[float] = field(default_factory=list)
    open_seconds: float = 0.0
    """didOpen of the whole file to its first diagnostics."""
    final_diagnostics: int = 0
    server_cpu_seconds: float = 0.0
    """CPU time the server process used over the measured edits: next to their wall time, it tells whether
    the server waited for a CPU (other load on the machine) rather than worked."""

    def add(self, sent_at: float, arrival: Arrival) -> None:
        self.received.append(arrival.received_at - sent_at)
        self.on_wire.append(arrival.read_at - sent_at)


def capabilities(pull: bool) -> types.ClientCapabilities:
    """VS Code's capabilities (as pytest-lsp records them), pulling diagnostics or taking pushes."""
    from pytest_lsp import client_capabilities  # late: it imports pytest, which need not weigh on the rest

    caps = client_capabilities("visual-studio-code")
    assert caps.text_document is not None
    caps.text_document.diagnostic = (
        types.DiagnosticClientCapabilities(dynamic_registration=False, related_document_support=True)
        if pull else None)
    caps.general = types.GeneralClientCapabilities(position_encodings=[types.PositionEncodingKind.Utf16])
    return caps


class BenchClient(LanguageClient):
    def __init__(self) -> None:
        super().__init__("provguard-bench", "1.0")
        self.body_read_at = 0.0
        self.server_messages: list[str] = []
        self._stderr: deque[str] = deque(maxlen=40)
        self._drainer: asyncio.Task[None] | None = None
        self._pushed: dict[tuple[str, int | None], asyncio.Future[Arrival]] = {}
        self._register_handlers()

    async def launch(self, command: Sequence[str]) -> None:
        # In-process, never forked by a provguard daemon (nor starting one): the measured process is the server.
        await self.start_io(*command, env={**os.environ, "PROVGUARD_DAEMON": "0"})
        server = self._server
        assert server is not None and server.stdout is not None and server.stderr is not None
        self._time_bodies(server.stdout)
        self._drainer = asyncio.create_task(self._drain(server.stderr))

    async def initialize_for(self, root: Path, pull: bool, **settings: object) -> None:
        await self.initialize_async(types.InitializeParams(
            capabilities=capabilities(pull),
            process_id=os.getpid(),
            root_uri=root.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=root.as_uri(), name=root.name)],
            initialization_options={"reviewer": REVIEWER, **settings},
        ))
        self.initialized(types.InitializedParams())

    @property
    def server_pid(self) -> int:
        assert self._server is not None
        return self._server.pid

    async def close(self) -> None:
        if self._server is not None and self._server.returncode is None:
            await self.shutdown_async(None)
            self.exit(None)
        await self.stop()
        if self._drainer is not None:
            await self._drainer

    def expect_push(self, uri: str, version: int) -> asyncio.Future[Arrival]:
        future: asyncio.Future[Arrival] = asyncio.get_running_loop().create_future()
        self._pushed[(uri, version)] = future
        return future

    def stderr_tail(self) -> str:
        return "".join(self._stderr)

    def _time_bodies(self, stream: asyncio.StreamReader) -> None:
        """Stamps the moment each message body leaves the pipe, before pygls decodes it."""
        read = stream.readexactly

        async def readexactly(n: int) -> bytes:
            data = await read(n)
            self.body_read_at = perf_counter()
            return data

        stream.readexactly = readexactly  # type: ignore[method-assign]

    async def _drain(self, stream: asyncio.StreamReader) -> None:
        while line := await stream.readline():
            self._stderr.append(line.decode(errors="replace"))

    def _register_handlers(self) -> None:
        # pygls marks handlers with attributes, which bound methods cannot carry: plain functions it is.
        @self.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def published(params: types.PublishDiagnosticsParams) -> None:
            future = self._pushed.pop((params.uri, params.version), None)
            if future is not None and not future.done():
                future.set_result(Arrival(self.body_read_at, perf_counter(), len(params.diagnostics)))

        @self.feature(types.WINDOW_SHOW_MESSAGE)
        def shown(params: types.ShowMessageParams) -> None:
            self.server_messages.append(params.message)

        @self.feature(types.WINDOW_LOG_MESSAGE)
        def logged(params: types.LogMessageParams) -> None:
            self.server_messages.append(params.message)

        @self.feature(types.CLIENT_REGISTER_CAPABILITY)
        def register_capability(params: types.RegistrationParams) -> None:
            return None


def open_document(client: BenchClient, uri: str, text: str, language_id: str = "python") -> None:
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id=language_id, version=1, text=text)))


def change(client: BenchClient, uri: str, version: int, edit: Edit) -> None:
    (l0, c0), (l1, c1) = edit.start, edit.end
    change = types.TextDocumentContentChangePartial(
        range=types.Range(types.Position(l0, c0), types.Position(l1, c1)), text=edit.text)
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[change]))


async def awaited(client: BenchClient, pending: asyncio.Future[Arrival] | asyncio.Task[Arrival],
                 timeout: float, what: str) -> Arrival:
    try:
        return await asyncio.wait_for(pending, timeout)
    except TimeoutError:
        raise SystemExit(f"bench: no answer to {what} within {timeout:.0f} s; server stderr:\n"
                         f"{client.stderr_tail()}") from None
