"""Notifications of plain JSON: the one place that writes to pygls's transport directly.

pygls 2's public `protocol.notify(method, params)` wraps params in the method's lsprotocol class and has cattrs
unstructure it, so it takes lsprotocol objects only; with plain dicts the typed classes fail, and pygls's generic
`JsonRPCNotification` is walked value by value. For 1,000 diagnostics (two runs, load average 20 and 13 on 2
cores): json.dumps of plain JSON 17-25 ms, the generic notification 79-114 ms, lsprotocol objects 123-174 ms.
A workspace's diagnostics and $/progress partial results are that big, so they go as JSON through `_send_data`,
the method pygls's own `notify` ends in (framing, headers and the writer stay pygls's). pygls 2 has no public
equivalent. Pushed diagnostics are kept encoded between keystrokes (lsp/made_diagnostic.py), so they go as text
through `notify_encoded`, which frames it as `_send_data` does and writes it to pygls's writer; a pulled report
likewise goes as an `Encoded` result, which the protocol hands to `respond_encoded`.
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
    from pygls.protocol import JsonRPCProtocol

log = logging.getLogger(__name__)

_writing: set[asyncio.Future[Any]] = set()
"""Writes of an asynchronous writer under way (kept until done: the event loop holds tasks weakly)."""

dumps = partial(json.dumps, separators=(",", ":"))
"""Compact JSON, ASCII only (non-ASCII characters escaped), as `notify_encoded` takes it."""


def notify(ls: LanguageServer, method: str, params: dict[str, Any]) -> None:
    """Sends the notification `method` with `params`, plain JSON, as is."""
    ls.protocol._send_data({"jsonrpc": "2.0", "method": method, "params": params})


class Encoded(str):
    """A request's result already encoded as compact JSON (ASCII only): the protocol (lsp/protocol.py) writes
    it as the response's `result` as is. A pulled document report is made of the same kept pieces as a push;
    returned as JSON values, pygls had cattrs walk them and json.dumps encode them all again, which made a pull
    cost ~4 ms more CPU than a push of the same 140 diagnostics (in process, load ~4.5)."""


def notify_encoded(ls: LanguageServer, method: str, params: str) -> None:
    """Sends the notification `method` with `params` given as encoded JSON (ASCII only, as `dumps` makes it)."""
    _write(ls.protocol, f'{{"jsonrpc":"2.0","method":{dumps(method)},"params":{params}}}', method)


def respond_encoded(protocol: JsonRPCProtocol, msg_id: int | str, result: Encoded) -> None:
    """Sends the response to request `msg_id`, its result given encoded."""
    _write(protocol, f'{{"jsonrpc":"2.0","id":{dumps(msg_id)},"result":{result}}}', f"the answer to {msg_id!r}")


def _write(protocol: JsonRPCProtocol, text: str, what: str) -> None:
    """Frames a message as pygls's `_send_data` does and writes it to pygls's writer."""
    if protocol.writer is None:
        log.error("no transport to send %s on", what)
        return
    body = text.encode()
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
        log.exception("sending %s: the client's pipe is closed", what)
        raise
    except Exception as error:  # as pygls's `_send_data` reports a failed write
        from pygls.exceptions import JsonRpcInternalError  # imported here: this module needs no pygls to load

        log.exception("sending %s failed", what)
        protocol._server._report_server_error(error, JsonRpcInternalError)
