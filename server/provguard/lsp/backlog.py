"""Work that waits until the client goes quiet: ledger lookups and git history reads of opened documents.

An editor restoring fifty tabs sends fifty didOpens at once. Each document's first diagnostics come from its
markers, recorded spans and rules alone (milliseconds); looking it up in the ledger's agent edits (tokenising
the whole file) and reading its git history would, run right after each didOpen, hold back every later
document's diagnostics. So they queue here and run one document at a time, after QUIET seconds without a
message from the client, the documents asked about most recently (pulled, edited) first; a document whose
regions or history changed gets its diagnostics again (pushed, or a refresh asked of a pulling client).

A client may never be quiet (an editor pulling on a timer, a person typing without a pause): each message
postponing the work would starve it of the very findings it keeps asking for, so a job waits PATIENCE seconds at
most, whatever else the client sends, once documents stop being added.
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
PATIENCE = 1.0
"""Seconds the next queued job waits for QUIET at most, counted from the end of the job before it or the last
document added, whichever is later: a client that is never quiet gets a job run each PATIENCE, those of the
documents it asks about first, and restored tabs (didOpens back to back, however long they take to diagnose) are
all answered before any job runs."""


class Job(Enum):
    HISTORY = "history"
    LOOKUP = "lookup"


class Backlog:
    """The queue of one server; `touch` on every message from the client that asks for diagnostics."""

    def __init__(self) -> None:
        self._queue: OrderedDict[tuple[str, Job], None] = OrderedDict()
        self._task: asyncio.Task[None] | None = None
        self._last_message = 0.0
        self._patient_from = 0.0

    def __len__(self) -> int:
        return len(self._queue)

    def touch(self) -> None:
        """A message came in: queued work waits another QUIET seconds (within its PATIENCE)."""
        self._last_message = asyncio.get_running_loop().time()

    async def quiet(self) -> None:
        """Returns once the client has sent nothing that asks for diagnostics for QUIET seconds, or after
        PATIENCE seconds of traffic."""
        await self._turn(asyncio.get_running_loop().time())

    async def _turn(self, since: float) -> None:
        """Returns once the client is quiet, or PATIENCE seconds after `since` or the last document added."""
        loop = asyncio.get_running_loop()
        while (wait := min(self._last_message + QUIET, max(since, self._patient_from) + PATIENCE)
               - loop.time()) > 0:
            await asyncio.sleep(wait)

    def add(self, ls: ProvguardServer, uri: str, *jobs: Job) -> None:
        self._patient_from = asyncio.get_running_loop().time()
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
            await self._turn(loop.time())
            if not self._queue:  # the documents were closed meanwhile
                return
            (uri, job), _ = self._queue.popitem(last=False)
            try:
                if job is Job.HISTORY:
                    await history.load(ls, uri)
                else:
                    matches.now(ls, uri)
            except Exception:  # a bug in one job must not stop the others
                log.exception("background %s of %s failed", job.value, uri)
            await asyncio.sleep(0)
