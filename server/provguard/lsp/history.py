"""Git history for open documents: read on open (queued in the backlog) and on save (never per keystroke), in a
worker thread."""

from __future__ import annotations

import asyncio
import logging

from lsprotocol import types

from provguard import document_history
from provguard.document_history import HistoryApplied, HistoryJob
from provguard.lsp import diagnostics, progress
from provguard.lsp.server import ProvguardServer

log = logging.getLogger(__name__)

ATTEMPTS = 3
"""Reads of one document's history before giving up until its next save: each is thrown away when the
document changed while git ran, since its line numbers are those of the text it was given."""

_running: set[asyncio.Task[None]] = set()
"""Tasks in flight, kept referenced so they finish."""


def schedule(ls: ProvguardServer, uri: str) -> None:
    job = document_history.job(ls.session.get(uri))
    if job is None:
        return
    task = asyncio.get_running_loop().create_task(_load(ls, job))
    _running.add(task)
    task.add_done_callback(_running.discard)


async def load(ls: ProvguardServer, uri: str) -> None:
    """Reads and applies one document's history now (the backlog's job after didOpen)."""
    job = document_history.job(ls.session.get(uri))
    if job is not None:
        await _load(ls, job)


def schedule_all(ls: ProvguardServer) -> None:
    for uri in list(ls.session.documents):
        schedule(ls, uri)


async def _load(ls: ProvguardServer, job: HistoryJob) -> None:
    for _ in range(ATTEMPTS):
        try:
            async with progress.reported(ls, f"provguard: reading git history of {job.shown_as}"):
                history = await asyncio.to_thread(document_history.read, ls.session.git, job)
        except Exception:  # a bug here must not take the server down with it
            log.exception("reading git history of %s failed", job.shown_as)
            return
        if history.problem is not None:
            log.warning("%s", history.problem)
            ls.window_log_message(types.LogMessageParams(type=types.MessageType.Warning, message=str(history.problem)))
        applied = document_history.apply(ls.session.get(job.uri), job, history)
        if applied is HistoryApplied.CHANGED:
            diagnostics.refresh(ls, job.uri)
        if applied is not HistoryApplied.STALE:
            return
        next_job = document_history.job(ls.session.get(job.uri))
        if next_job is None:
            return
        job = next_job
    log.info("git history of %s not applied: the document kept changing; it is read again on save", job.shown_as)
