"""Notifications of plain JSON: the one place that writes to pygls's transport directly.

pygls 2's public `protocol.notify(method, params)` wraps params in the method's lsprotocol class and has cattrs
unstructure it, so it takes lsprotocol objects only; with plain dicts the typed classes fail, and pygls's generic
`JsonRPCNotification` is walked value by value. For 1,000 diagnostics (two runs, load average 20 and 13 on 2
cores): json.dumps of plain JSON 17-25 ms, the generic notification 79-114 ms, lsprotocol objects 123-174 ms.
A workspace's diagnostics and $/progress partial results are that big, so they go as JSON through `_send_data`,
the method pygls's own `notify` ends in (framing, headers and the writer stay pygls's). pygls 2 has no public
equivalent. Pushed diagnostics are kept encoded between keystrokes (lsp/made_diagnostic.py), so they go as text
through `notify_encoded`, which frames it as `_send_data` does and writes it to pygls's writer.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
from functools import partial
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pygls.lsp.server import LanguageServer

log = logging.getLogger(__name__)

_writing: set[asyncio.Future[Any]] = set()
"""Writes of an asynchronous writer under way (kept until done: the event loop holds tasks weakly)."""

dumps = partial(json.dumps, separators=(",", ":"))
"""Compact JSON, ASCII only (non-ASCII characters escaped), as `notify_encoded` takes it."""


def notify(ls: LanguageServer, method: str, params: dict[str, Any]) -> None:
    """Sends the notification `method` with `params`, plain JSON, as is."""
    ls.protocol._send_data({"jsonrpc": "2.0", "method": method, "params": params})


def notify_encoded(ls: LanguageServer, method: str, params: str) -> None:
    """Sends the notification `method` with `params` given as encoded JSON (ASCII only, as `dumps` makes it)."""
    protocol = ls.protocol
    if protocol.writer is None:
        log.error("no transport to send %s on", method)
        return
    body = f'{{"jsonrpc":"2.0","method":{dumps(method)},"params":{params}}}'.encode()
    if protocol._include_headers:
        header = (f"Content-Length: {len(body)}\r\n"
                  f"Content-Type: {protocol.CONTENT_TYPE}; charset={protocol.CHARSET}\r\n\r\n")
        body = header.encode() + body
    try:
        written = protocol.writer.write(body)
        if inspect.isawaitable(written):  # a websocket's writer
            pending = asyncio.ensure_future(written)
            _writing.add(pending)
            pending.add_done_callback(_writing.discard)
    except BrokenPipeError:
        log.exception("sending %s: the client's pipe is closed", method)
        raise
    except Exception as error:  # as pygls's `_send_data` reports a failed write
        from pygls.exceptions import JsonRpcInternalError  # imported here: this module needs no pygls to load

        log.exception("sending %s failed", method)
        protocol._server._report_server_error(error, JsonRpcInternalError)
