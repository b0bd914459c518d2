"""Scenarios over the real server on stdio, driven by lsp_client.BenchClient: per-edit latency (push and pull),
cold start, tracked spans, and memory as files are opened. Each latency is kept as the client decoded it and
as its bytes came off the pipe (lsp_client.py says why).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from time import perf_counter

from lsp_client import (
    SERVER_COMMAND,
    Arrival,
    BenchClient,
    Latencies,
    awaited,
    change,
    open_document,
)
from lsp_wire import cpu_seconds, proc_status
from lsprotocol import types
from polyglot import File
from spans import SpanPlan
from workload import Edit

from provguard.lsp.hints import DID_INSERT


def profiled_server(output: Path) -> tuple[str, ...]:
    """The server command run under cProfile, which writes its statistics to `output` on exit."""
    return (sys.executable, "-m", "cProfile", "-o", str(output), *SERVER_COMMAND[1:])


async def _open_pushed(client: BenchClient, root: Path, uri: str, text: str, timeout: float) -> float:
    """Initializes a push client, opens the file and returns seconds from didOpen to its diagnostics."""
    await client.initialize_for(root, pull=False)
    pending = client.expect_push(uri, 1)
    sent_at = perf_counter()
    open_document(client, uri, text)
    arrival = await awaited(client, pending, timeout, "didOpen")
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
            change(client, uri, i + 2, edit)
            arrival = await awaited(client, pending, timeout, f"didChange #{i + 2}")
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
        open_document(client, uri, text)
        arrival = await awaited(client, asyncio.create_task(_pull(client, uri)), timeout, "the first pull")
        result.open_seconds = arrival.received_at - sent_at
        cpu_before = 0.0
        for i, edit in enumerate(edits):
            if i == warmup:
                cpu_before = cpu_seconds(client.server_pid)
            sent_at = perf_counter()
            change(client, uri, i + 2, edit)
            arrival = await awaited(client, asyncio.create_task(_pull(client, uri)), timeout,
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
        open_document(client, uri, text)
        arrival = await awaited(client, pending, timeout, "didOpen at cold start")
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
            change(client, uri, version, insertion.edit)
            arrival = await awaited(client, pending, timeout, f"the insertion didChange #{version}")
            run.insertions.add(sent_at, arrival)
            if insertion.hint is not None:
                pending = client.expect_push(uri, version)
                sent_at = perf_counter()
                client.protocol.notify(DID_INSERT, insertion.hint.params(uri, version))
                arrival = await awaited(client, pending, timeout, f"the {DID_INSERT} hint for version {version} "
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
            change(client, uri, version, edit)
            arrival = await awaited(client, pending, timeout, f"didChange #{version}")
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
        arrival = await awaited(client, pending, timeout, "didClose")
        run.close_seconds = arrival.received_at - sent_at
    finally:
        await client.close()
    return run


# ---------------------------------------------------------------------------------------------- memory


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
            open_document(client, uri, file.text, file.language_id)
            arrival = await awaited(client, pending, timeout, f"didOpen of {file.relative_path}")
            run.open_seconds.append(arrival.received_at - sent_at)
            run.diagnostics += arrival.diagnostics
            if count in checkpoints:
                run.checkpoints.append((count, proc_status(client.server_pid)))
    finally:
        await client.close()
    return run
