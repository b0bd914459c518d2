"""The whole workspace's findings: `workspace/diagnostic` (LSP 3.17 pull) and, for push clients, the command
`provguard.checkWorkspace`, so an editor's Problems view lists files never opened.

A scan is `provguard check` over each workspace folder (check.run_check: the same file selection, ignore files
and `.provguard/cache`, so an unchanged file costs a read and a hash), judged as the editor judges an open
document: each file relative to its project's root, under that project's policy as the folder's settings select
it (the session's own, for projects it has met). It runs in a worker thread, one scan at
a time, and stops at the next file when the request is cancelled ($/cancelRequest, or the progress's cancel
button). Only files with findings are kept, as JSON diagnostics. Clients pull again right after each answer,
so pulled scans are paced (PACE).

The file system's root, the home folder and the folders above it are never scanned (ledger/location.py's
`unplaced`, where the ledger stays in memory too): a scan reads every file below, and its cache would make a
`.provguard/` there, which makes the folder a project. Such a folder's report is its open documents' alone, and the
person is told why once. A folder whose project is such a place (a dotfiles `.git` in the home folder) is scanned
with no cache.

Open documents are never judged from disk here: their report is their live one (the same items and resultId
as textDocument/diagnostic, with the document's version), so the two never disagree. A file's resultId is a
digest of its diagnostics: a client that sends it back gets `unchanged`; a file it knows whose findings are gone
gets an empty report.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.uris import from_fs_path

from provguard.check import FileResult
from provguard.findings import one_per_place
from provguard.lsp import diagnostics, plain_json, progress
from provguard.lsp.convert import diagnostic
from provguard.lsp.server import ProvguardServer
from provguard.lsp.workspace_scan import Plan, Stopped, plan_of, run_scan

log = logging.getLogger(__name__)

CHECK_WORKSPACE = "provguard.checkWorkspace"
TITLE = "provguard: checking the workspace"
PACE = 4.0
"""A pulled scan starts no sooner than PACE times the last scan's duration after it ended: clients pull the
workspace again as soon as (or two seconds after) an answer arrives, and a large workspace must not keep a
core busy for it. The push command, asked for by a person, runs at once."""


@dataclass
class _State:
    """One server's workspace scans: one at a time; what the push command published last."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    pushed: set[str] = field(default_factory=set)
    problems: tuple[str, ...] = ()
    ended: float = 0.0
    """When the last scan ended (the event loop's clock), and how long it took."""
    took: float = 0.0
    running: threading.Event | None = None
    """The running scan's stop signal."""
    shutting_down: bool = False
    told_unplaced: set[Path] = field(default_factory=set)
    """Folders not scanned whose reason the person was told (once per session, as the ledger's notice)."""

    async def paced(self) -> None:
        loop = asyncio.get_running_loop()
        wait = self.ended + PACE * self.took - loop.time()
        if wait > 0:
            await asyncio.sleep(wait)


_states: weakref.WeakKeyDictionary[ProvguardServer, _State] = weakref.WeakKeyDictionary()


def _state(ls: ProvguardServer) -> _State:
    if (state := _states.get(ls)) is None:
        state = _states[ls] = _State()
    return state


def register(server: ProvguardServer) -> None:
    @server.feature(types.WORKSPACE_DIAGNOSTIC)
    async def pull(ls: ProvguardServer, params: types.WorkspaceDiagnosticParams) -> dict[str, Any]:
        """The report as plain JSON (as textDocument/diagnostic's); with a partialResultToken the items go out
        in $/progress batches and the answer itself is empty."""
        previous = {p.uri: p.value for p in params.previous_result_ids}
        await _state(ls).paced()
        report = Report(ls, previous, params.partial_result_token)
        try:
            await scan(ls, report.add, params.work_done_token)
        except Stopped:  # the progress's cancel button: answered as a cancelled request (RequestCancelled)
            raise asyncio.CancelledError from None
        report.finish()
        return {"items": report.items}

    @server.command(CHECK_WORKSPACE)
    async def check_workspace(ls: ProvguardServer, *args: Any) -> dict[str, int]:
        """Publishes the findings of every file not open (push clients); a pulling client is asked to pull
        again instead. Returns how many files and findings there are, open documents aside."""
        found: dict[str, list[dict[str, Any]]] = {}
        opened = _open_paths(ls)

        def keep(result: FileResult, root: Path) -> None:
            uri, real = _uri(result, root)
            if real not in opened and (items := _items(ls, result, uri)):
                found.setdefault(uri, items)

        try:
            await scan(ls, keep)
        except Stopped:  # cancelled from its progress: what was published stays
            return {"files": 0, "findings": 0, "cancelled": 1}
        if ls.pull_diagnostics:
            diagnostics.refresh_all(ls)
        else:
            _publish(ls, found)
        return {"files": len(found), "findings": sum(len(items) for items in found.values())}


class Report:
    """A workspace diagnostic report being put together on the event loop, file by file."""

    def __init__(self, ls: ProvguardServer, previous: dict[str, str],
                 partial: types.ProgressToken | None) -> None:
        self.ls, self.previous, self.partial = ls, previous, partial
        self.items: list[dict[str, Any]] = []
        """The answer's items; only what is not sent yet, with a partial result token."""
        self._opened = _open_paths(ls)
        self._reported: set[str] = set()
        self._sent_at = 0.0

    def add(self, result: FileResult, root: Path) -> None:
        uri, real = _uri(result, root)
        if real in self._opened or uri in self._reported:
            return
        items = _items(self.ls, result, uri)
        if items:
            self._report(uri, items, _digest(items), None)

    def finish(self) -> None:
        """Open documents' live reports, empty ones for files the client knows that have no findings now."""
        for uri in self._opened.values():
            opened = self.ls.session.get(uri)
            if opened is not None and uri not in self._reported:
                self._report(uri, diagnostics.for_document(self.ls, opened),
                             diagnostics.document_result_id(self.ls, opened), opened.document.version)
        empty = _digest([])
        for uri, result_id in self.previous.items():
            if uri not in self._reported and result_id != empty:
                self._report(uri, [], empty, None)
        self._flush(force=True)

    def _report(self, uri: str, items: list[dict[str, Any]], result_id: str, version: int | None) -> None:
        self._reported.add(uri)
        if self.previous.get(uri) == result_id:
            self.items.append({"kind": "unchanged", "uri": uri, "resultId": result_id, "version": version})
        else:
            self.items.append({"kind": "full", "uri": uri, "items": items, "resultId": result_id,
                               "version": version})
        self._flush()

    def _flush(self, force: bool = False) -> None:
        if self.partial is None or not self.items:
            return
        now = asyncio.get_running_loop().time()
        if not force and now - self._sent_at < progress.EVERY:
            return
        self._sent_at = now
        batch, self.items = self.items, []
        plain_json.notify(self.ls, types.PROGRESS, {"token": self.partial, "value": {"items": batch}})


async def scan(ls: ProvguardServer, on_result: Callable[[FileResult, Path], None],
               token: types.ProgressToken | None = None) -> None:
    """Checks every workspace folder in a worker thread; `on_result` runs on the event loop for each file with
    something to report. Once the thread has stopped, raises CancelledError when the request was cancelled,
    Stopped when the client cancelled the progress (window/workDoneProgress/cancel)."""
    state = _state(ls)
    async with state.lock:
        plan = plan_of(ls.session)
        _tell_unplaced(ls, state, plan)
        loop = asyncio.get_running_loop()
        stop = state.running = threading.Event()
        if state.shutting_down:
            stop.set()
        async with progress.reported(ls, TITLE, token=token, late=0, cancellable=True) as work:
            work.cancelled.add_done_callback(lambda _: stop.set())

            def found(result: FileResult, root: Path) -> None:
                loop.call_soon_threadsafe(on_result, result, root)

            def done(count: int, total: int, root: Path) -> None:
                if stop.is_set():
                    raise Stopped
                work.report_soon(f"{root.name}: {count}/{total} files", count * 100 // max(total, 1))

            started = loop.time()
            running = loop.run_in_executor(None, run_scan, plan, found, done, stop)
            try:
                problems = await asyncio.shield(running)
            except asyncio.CancelledError:
                stop.set()
                await asyncio.wait([running])  # one scan at a time: the next one waits for this thread to stop
                raise
            finally:
                state.ended = loop.time()
                state.took = state.ended - started
            if stop.is_set():
                raise Stopped
        if problems != state.problems:
            for problem in problems:
                ls.notify_user(problem)
        state.problems = problems


def _tell_unplaced(ls: ProvguardServer, state: _State, plan: Plan) -> None:
    for folder in plan.folders:
        if folder.unplaced is not None and folder.folder not in state.told_unplaced:
            state.told_unplaced.add(folder.folder)
            ls.notify_user(f"{folder.folder}: the workspace is not checked as a whole ({folder.unplaced}): the "
                           "Problems list shows open documents only. Open a project's folder to see the findings of "
                           "files never opened.", types.MessageType.Info)


def stop(ls: ProvguardServer) -> None:
    """The server is shutting down: it waits for no scan (the running one stops at its next file)."""
    state = _state(ls)
    state.shutting_down = True
    if state.running is not None:
        state.running.set()


def _publish(ls: ProvguardServer, found: dict[str, list[dict[str, Any]]]) -> None:
    state = _state(ls)
    opened = set(_open_paths(ls).values())
    cleared = [uri for uri in state.pushed if uri not in found and uri not in opened]
    for uri, items in [*found.items(), *((uri, []) for uri in cleared)]:
        plain_json.notify(ls, types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS, {"uri": uri, "diagnostics": items})
    state.pushed = set(found)


def _items(ls: ProvguardServer, result: FileResult, uri: str) -> list[dict[str, Any]]:
    """The file's diagnostics as an open document's are: one per rule and place (findings.one_per_place)."""
    lines, enc = result.document.lines, ls.position_encoding
    return [diagnostic(finding, lines, enc, None, uri) for finding in one_per_place(result.analysis.findings)]


def _digest(items: list[dict[str, Any]]) -> str:
    return "ws:" + hashlib.sha256(json.dumps(items, sort_keys=True).encode()).hexdigest()[:32]


def _open_paths(ls: ProvguardServer) -> dict[str, str]:
    """Open documents by where their files really are (symlinks resolved) -> their uri."""
    return {os.path.realpath(ls.uri_path(uri)): uri for uri in ls.session.documents}


def _uri(result: FileResult, root: Path) -> tuple[str, str]:
    path = root / result.path
    return from_fs_path(str(path)) or path.as_uri(), os.path.realpath(path)
