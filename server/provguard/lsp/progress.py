"""Work-done progress ($/progress begin, report, end) for the server's slow operations.

Only a client that advertises `window.workDoneProgress` gets server-initiated progress
(window/workDoneProgress/create first); a request that carries the client's own `workDoneToken` gets progress on
that token. Operations that are usually quick (a git read, an import round) begin their progress only once
they have run for `LATE` seconds, so an editor does not flash a spinner for every opened file; a workspace scan
begins at once. Reports are throttled, and may come from a worker thread (`report_soon`).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import AsyncIterator
from concurrent.futures import Future
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from provguard.lsp import plain_json

if TYPE_CHECKING:
    from provguard.lsp.server import ProvguardServer

log = logging.getLogger(__name__)

LATE = 1.0
"""Seconds a usually quick operation runs before its progress begins."""
EVERY = 0.1
"""Seconds between two reports at least (the last one before the end always goes)."""

_tokens = itertools.count(1)


def supported(ls: ProvguardServer) -> bool:
    window = ls.client_capabilities.window
    return bool(window is not None and window.work_done_progress)


class WorkDone:
    """One operation's progress; silent when the client gets none. Call on the event loop, except
    `report_soon`."""

    def __init__(self, ls: ProvguardServer, title: str, token: types.ProgressToken | None = None,
                 cancellable: bool = False) -> None:
        self.ls, self.title, self.cancellable = ls, title, cancellable
        self.token = token
        """The client's token, or one created once the progress begins; None while silent."""
        self._given = token is not None
        self._begun = self._ended = False
        self._last = 0.0
        self._message: str | None = None
        self._percentage: int | None = None
        self._cancel: Future[None] = Future()
        """Cancelled when the client cancels the progress (window/workDoneProgress/cancel)."""
        self._loop = asyncio.get_running_loop()

    @property
    def cancelled(self) -> Future[None]:
        return self._cancel

    async def begin(self) -> None:
        """Begins the progress: on the client's token, else on one created now (if the client supports it)."""
        if self._begun or self._ended:
            return
        if self.token is None:
            if not supported(self.ls):
                return
            token = f"provguard/{next(_tokens)}"
            try:
                await self.ls.protocol.send_request_async(types.WINDOW_WORK_DONE_PROGRESS_CREATE,
                                                          types.WorkDoneProgressCreateParams(token=token))
            except Exception as exc:  # the client refused: the operation runs on without progress
                log.info("no progress for %s: %s", self.title, exc)
                return
            if self._ended:  # finished while the client created the token
                return
            self.token = token
        self._begun = True
        self.ls.protocol.progress.tokens[self.token] = self._cancel  # pygls cancels it on workDoneProgress/cancel
        value: dict[str, Any] = {"kind": "begin", "title": self.title, "cancellable": self.cancellable}
        if self._message is not None:
            value["message"] = self._message
        if self._percentage is not None:
            value["percentage"] = self._percentage
        self._send(value)

    def report(self, message: str | None = None, percentage: int | None = None, force: bool = False) -> None:
        """Progress so far; dropped when less than EVERY seconds after the previous report (unless `force`)."""
        self._message = message if message is not None else self._message
        self._percentage = percentage if percentage is not None else self._percentage
        if not self._begun or self._ended:
            return
        now = self._loop.time()
        if not force and now - self._last < EVERY:
            return
        self._last = now
        value: dict[str, Any] = {"kind": "report", "cancellable": self.cancellable}
        if message is not None:
            value["message"] = message
        if percentage is not None:
            value["percentage"] = max(0, min(100, percentage))
        self._send(value)

    def report_soon(self, message: str | None = None, percentage: int | None = None) -> None:
        """`report` from a worker thread."""
        self._loop.call_soon_threadsafe(self.report, message, percentage)

    def end(self, message: str | None = None) -> None:
        if self._ended:
            return
        self._ended = True
        if not self._begun or self.token is None:
            return
        self.ls.protocol.progress.tokens.pop(self.token, None)
        self._send({"kind": "end", **({"message": message} if message else {})})

    def _send(self, value: dict[str, Any]) -> None:
        plain_json.notify(self.ls, types.PROGRESS, {"token": self.token, "value": value})


@asynccontextmanager
async def reported(ls: ProvguardServer, title: str, *, token: types.ProgressToken | None = None,
                   late: float = LATE, cancellable: bool = False) -> AsyncIterator[WorkDone]:
    """Progress around the body: begun at once with a client's `token` or `late` == 0, else after `late`
    seconds if the body still runs; ended when it finishes (or fails, or is cancelled)."""
    work = WorkDone(ls, title, token, cancellable)
    starting: asyncio.Task[None] | None = None
    if token is not None or late <= 0:
        await work.begin()
    elif supported(ls):
        async def begin_late() -> None:
            await asyncio.sleep(late)
            await work.begin()
        starting = asyncio.get_running_loop().create_task(begin_late())
    try:
        yield work
    finally:
        if starting is not None and not starting.done():
            starting.cancel()
        work.end()
