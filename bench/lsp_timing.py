"""The real server over stdio, driven by pygls's LanguageClient: per-edit latency and cold start.

Every latency is taken twice: when the client has the decoded message (what an editor sees), and when the
message's bytes had been read from the pipe, before the client decoded them (so the benchmark's own
JSON/cattrs decoding, which a real editor does not do in Python, can be told apart).
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
from polyglot import File
from pygls.lsp.client import LanguageClient
from spans import SpanPlan
from workload import Edit

from provguard.lsp.hints import DID_INSERT

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
        await self.start_io(*command)
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


def _open(client: BenchClient, uri: str, text: str, language_id: str = "python") -> None:
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id=language_id, version=1, text=text)))


def _change(client: BenchClient, uri: str, version: int, edit: Edit) -> None:
    (l0, c0), (l1, c1) = edit.start, edit.end
    change = types.TextDocumentContentChangePartial(
        range=types.Range(types.Position(l0, c0), types.Position(l1, c1)), text=edit.text)
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[change]))


async def _await(client: BenchClient, pending: asyncio.Future[Arrival] | asyncio.Task[Arrival],
                 timeout: float, what: str) -> Arrival:
    try:
        return await asyncio.wait_for(pending, timeout)
    except TimeoutError:
        raise SystemExit(f"bench: no answer to {what} within {timeout:.0f} s; server stderr:\n"
                         f"{client.stderr_tail()}") from None


def profiled_server(output: Path) -> tuple[str, ...]:
    """The server command run under cProfile, which writes its statistics to `output` on exit."""
    return (sys.executable, "-m", "cProfile", "-o", str(output), *SERVER_COMMAND[1:])


async def _open_pushed(client: BenchClient, root: Path, uri: str, text: str, timeout: float) -> float:
    """Initializes a push client, opens the file and returns seconds from didOpen to its diagnostics."""
    await client.initialize_for(root, pull=False)
    pending = client.expect_push(uri, 1)
    sent_at = perf_counter()
    _open(client, uri, text)
    arrival = await _await(client, pending, timeout, "didOpen")
    return arrival.received_at - sent_at


async def push_latencies(root: Path, path: Path, text: str, edits: list[Edit], warmup: int,
                         timeout: float, command: Sequence[str] = SERVER_COMMAND) -> Latencies:
    """A push client: didChange, then wait for publishDiagnostics carrying that version."""
    client = BenchClient()
    await client.launch(command)
    result = Latencies()
    uri = path.as_uri()
    try:
        result.open_seconds = await _open_pushed(client, root, uri, text, timeout)
        cpu_before = 0.0
        for i, edit in enumerate(edits):
            if i == warmup:
                cpu_before = cpu_seconds(client.server_pid)
            pending = client.expect_push(uri, i + 2)
            sent_at = perf_counter()
            _change(client, uri, i + 2, edit)
            arrival = await _await(client, pending, timeout, f"didChange #{i + 2}")
            if i >= warmup:
                result.add(sent_at, arrival)
            result.final_diagnostics = arrival.diagnostics
        result.server_cpu_seconds = cpu_seconds(client.server_pid) - cpu_before
    finally:
        await client.close()
    return result


async def _pull(client: BenchClient, uri: str) -> Arrival:
    report = await client.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri)))
    received_at = perf_counter()
    items = report.items if isinstance(report, types.RelatedFullDocumentDiagnosticReport) else []
    return Arrival(client.body_read_at, received_at, len(items))


async def pull_latencies(root: Path, path: Path, text: str, edits: list[Edit], warmup: int,
                         timeout: float, command: Sequence[str] = SERVER_COMMAND) -> Latencies:
    """A pull client: didChange, then at once textDocument/diagnostic, timed to its response."""
    client = BenchClient()
    await client.launch(command)
    result = Latencies()
    uri = path.as_uri()
    try:
        await client.initialize_for(root, pull=True)
        sent_at = perf_counter()
        _open(client, uri, text)
        arrival = await _await(client, asyncio.create_task(_pull(client, uri)), timeout, "the first pull")
        result.open_seconds = arrival.received_at - sent_at
        cpu_before = 0.0
        for i, edit in enumerate(edits):
            if i == warmup:
                cpu_before = cpu_seconds(client.server_pid)
            sent_at = perf_counter()
            _change(client, uri, i + 2, edit)
            arrival = await _await(client, asyncio.create_task(_pull(client, uri)), timeout,
                                   f"the pull after didChange #{i + 2}")
            if i >= warmup:
                result.add(sent_at, arrival)
            result.final_diagnostics = arrival.diagnostics
        result.server_cpu_seconds = cpu_seconds(client.server_pid) - cpu_before
    finally:
        await client.close()
    return result


@dataclass(frozen=True)
class ColdStart:
    initialized: float
    """Spawn to the initialize response."""
    first_diagnostics: float
    """Spawn to the first publishDiagnostics for the opened file."""
    open: float = 0.0
    """didOpen to those diagnostics."""
    diagnostics: int = 0


async def cold_start(root: Path, path: Path, text: str, timeout: float, **settings: object) -> ColdStart:
    """Spawn the server, initialize, open one file, and wait for its diagnostics."""
    client = BenchClient()
    uri = path.as_uri()
    spawned_at = perf_counter()
    await client.launch(SERVER_COMMAND)
    try:
        await asyncio.wait_for(client.initialize_for(root, pull=False, **settings), timeout)
        initialized = perf_counter() - spawned_at
        pending = client.expect_push(uri, 1)
        sent_at = perf_counter()
        _open(client, uri, text)
        arrival = await _await(client, pending, timeout, "didOpen at cold start")
    finally:
        await client.close()
    return ColdStart(initialized, arrival.received_at - spawned_at, arrival.received_at - sent_at,
                     arrival.diagnostics)


# ---------------------------------------------------------------------------------------- tracked spans


@dataclass
class SpanRun:
    edits: Latencies = field(default_factory=Latencies)
    """The measured typing and line edits, with the spans in place; open_seconds is the base file's."""
    insertions: Latencies = field(default_factory=Latencies)
    """Each bulk insertion (didChange) to its diagnostics."""
    hints: Latencies = field(default_factory=Latencies)
    """Each provguard/didInsert to the diagnostics it republishes."""
    after_insertions: int = 0
    """Diagnostics once every insertion and hint is in."""
    close_seconds: float = 0.0
    """didSave + didClose (both persist the spans) to the emptied diagnostics."""


async def span_latencies(root: Path, path: Path, plan: SpanPlan, warmup: int, timeout: float,
                         command: Sequence[str] = SERVER_COMMAND) -> SpanRun:
    """A push client grows the file by bulk insertions (some named by hints), edits it, saves and closes it."""
    client = BenchClient()
    await client.launch(command)
    run = SpanRun()
    uri = path.as_uri()
    try:
        run.edits.open_seconds = await _open_pushed(client, root, uri, plan.base_text, timeout)
        version = 1
        for insertion in plan.insertions:
            version += 1
            pending = client.expect_push(uri, version)
            sent_at = perf_counter()
            _change(client, uri, version, insertion.edit)
            arrival = await _await(client, pending, timeout, f"the insertion didChange #{version}")
            run.insertions.add(sent_at, arrival)
            if insertion.hint is not None:
                pending = client.expect_push(uri, version)
                sent_at = perf_counter()
                client.protocol.notify(DID_INSERT, insertion.hint.params(uri, version))
                arrival = await _await(client, pending, timeout, f"the {DID_INSERT} hint for version {version} "
                                       "(a hint that matches no insertion is dropped without a publish)")
                run.hints.add(sent_at, arrival)
        run.after_insertions = arrival.diagnostics
        cpu_before = 0.0
        for i, edit in enumerate(plan.edits):
            version += 1
            if i == warmup:
                cpu_before = cpu_seconds(client.server_pid)
            pending = client.expect_push(uri, version)
            sent_at = perf_counter()
            _change(client, uri, version, edit)
            arrival = await _await(client, pending, timeout, f"didChange #{version}")
            if i >= warmup:
                run.edits.add(sent_at, arrival)
            run.edits.final_diagnostics = arrival.diagnostics
        run.edits.server_cpu_seconds = cpu_seconds(client.server_pid) - cpu_before
        path.write_text(plan.final_text)
        pending = client.expect_push(uri, None)
        sent_at = perf_counter()
        document = types.TextDocumentIdentifier(uri=uri)
        client.text_document_did_save(types.DidSaveTextDocumentParams(text_document=document))
        client.text_document_did_close(types.DidCloseTextDocumentParams(text_document=document))
        arrival = await _await(client, pending, timeout, "didClose")
        run.close_seconds = arrival.received_at - sent_at
    finally:
        await client.close()
    return run


# ---------------------------------------------------------------------------------------------- memory


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


@dataclass
class MemoryRun:
    baseline: dict[str, int] = field(default_factory=dict)
    """/proc status after initialize (kB)."""
    checkpoints: list[tuple[int, dict[str, int]]] = field(default_factory=list)
    """(files open, /proc status) as the files are opened."""
    open_seconds: list[float] = field(default_factory=list)
    diagnostics: int = 0


async def memory_profile(root: Path, files: Sequence[File], checkpoints: set[int], timeout: float) -> MemoryRun:
    """Opens every file over the protocol, one after the other, reading the server's memory as it goes."""
    client = BenchClient()
    await client.launch(SERVER_COMMAND)
    run = MemoryRun()
    try:
        await client.initialize_for(root, pull=False)
        # A request answered after `initialized` was handled: the server is idle when it is read.
        await client.text_document_diagnostic_async(types.DocumentDiagnosticParams(
            text_document=types.TextDocumentIdentifier(uri=(root / "none.py").as_uri())))
        run.baseline = proc_status(client.server_pid)
        for count, file in enumerate(files, start=1):
            path = root / file.relative_path
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(file.text)
            uri = path.as_uri()
            pending = client.expect_push(uri, 1)
            sent_at = perf_counter()
            _open(client, uri, file.text, file.language_id)
            arrival = await _await(client, pending, timeout, f"didOpen of {file.relative_path}")
            run.open_seconds.append(arrival.received_at - sent_at)
            run.diagnostics += arrival.diagnostics
            if count in checkpoints:
                run.checkpoints.append((count, proc_status(client.server_pid)))
    finally:
        await client.close()
    return run
