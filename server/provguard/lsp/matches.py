"""When an open document is looked up in the ledger's agent edits: after open (queued in `backlog`, once the
client is quiet, so opening many files is not slower), on save, and MATCH_DELAY seconds after the last edit
of a burst, never on every keystroke.

A keystroke only marks the lines it touched and moves the regions already found (`Session.edit`, well under a
millisecond); the lookup (tokenising the touched lines, winnowing, one indexed query) runs once typing pauses,
and new diagnostics follow only when the regions found changed.
"""

from __future__ import annotations

import asyncio

from provguard.lsp import diagnostics
from provguard.lsp.server import ProvguardServer

MATCH_DELAY = 0.4
"""Seconds without edits to a document before its copies of recorded agent edits are looked up again."""

_pending: dict[str, asyncio.TimerHandle] = {}


def later(ls: ProvguardServer, uri: str) -> None:
    """Looks `uri` up once it has not been edited for MATCH_DELAY seconds."""
    cancel(ls, uri)
    _pending[uri] = asyncio.get_running_loop().call_later(MATCH_DELAY, now, ls, uri)


def now(ls: ProvguardServer, uri: str) -> None:
    cancel(ls, uri)
    if ls.session.match(uri):
        diagnostics.refresh(ls, uri)


def cancel(ls: ProvguardServer, uri: str) -> None:
    handle = _pending.pop(uri, None)
    if handle is not None:
        handle.cancel()
