"""Work that waits until the client goes quiet: ledger lookups and git history reads of opened documents.

An editor restoring fifty tabs sends fifty didOpens at once. Each document's first diagnostics come from its
markers, recorded spans and rules alone (milliseconds); looking it up in the ledger's agent edits (tokenising
the whole file) and reading its git history would, run right after each didOpen, hold back every later
document's diagnostics. So they queue here and run one document at a time, only after QUIET seconds without a
message from the client, the documents asked about most recently (pulled, edited) first; a document whose
regions or history changed gets its diagnostics again (pushed, or a refresh asked of a pulling client).
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from enum import Enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the server holds a backlog: its module imports this one
    from provguard.lsp.server import ProvguardServer

log = logging.getLogger(__name__)

QUIET = 0.2
"""Seconds without a message from the client before the next queued job runs."""


class Job(Enum):
    HISTORY = "history"
    LOOKUP = "lookup"


class Backlog:
    """The queue of one server; `touch` on every message from the client that asks for diagnostics."""

    def __init__(self) -> None:
        self._queue: OrderedDict[tuple[str, Job], None] = OrderedDict()
        self._task: asyncio.Task[None] | None = None
        self._last_message = 0.0

    def __len__(self) -> int:
        return len(self._queue)

    def touch(self) -> None:
        """A message came in: queued work waits another QUIET seconds."""
        self._last_message = asyncio.get_running_loop().time()

    async def quiet(self) -> None:
        """Returns once the client has sent nothing that asks for diagnostics for QUIET seconds."""
        loop = asyncio.get_running_loop()
        while (wait := self._last_message + QUIET - loop.time()) > 0:
            await asyncio.sleep(wait)

    def add(self, ls: ProvguardServer, uri: str, *jobs: Job) -> None:
        for job in jobs:
            self._queue[(uri, job)] = None
        self._start(ls)

    def first(self, uri: str) -> None:
        """`uri` is in view (pulled, edited): its queued jobs run before the others'."""
        for job in Job:
            if (uri, job) in self._queue:
                self._queue.move_to_end((uri, job), last=False)

    def drop(self, uri: str) -> None:
        for job in Job:
            self._queue.pop((uri, job), None)

    def _start(self, ls: ProvguardServer) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(ls))

    async def _run(self, ls: ProvguardServer) -> None:
        from provguard.lsp import history, matches

        loop = asyncio.get_running_loop()
        while self._queue:
            wait = self._last_message + QUIET - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
                continue
            (uri, job), _ = self._queue.popitem(last=False)
            try:
                if job is Job.HISTORY:
                    await history.load(ls, uri)
                else:
                    matches.now(ls, uri)
            except Exception:  # a bug in one job must not stop the others
                log.exception("background %s of %s failed", job.value, uri)
            await asyncio.sleep(0)
