"""Notifications of plain JSON: the one place that writes to pygls's transport directly.

pygls 2's public `protocol.notify(method, params)` wraps params in the method's lsprotocol class and has cattrs
unstructure it, so it takes lsprotocol objects only; with plain dicts the typed classes fail, and pygls's generic
`JsonRPCNotification` is walked value by value. For 1,000 diagnostics (two runs, load average 20 and 13 on 2
cores): json.dumps of plain JSON 17-25 ms, the generic notification 79-114 ms, lsprotocol objects 123-174 ms.
A workspace's diagnostics and $/progress partial results are that big, so they go as JSON through `_send_data`,
the method pygls's own `notify` ends in (framing, headers and the writer stay pygls's). pygls 2 has no public
equivalent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pygls.lsp.server import LanguageServer


def notify(ls: LanguageServer, method: str, params: dict[str, Any]) -> None:
    """Sends the notification `method` with `params`, plain JSON, as is."""
    ls.protocol._send_data({"jsonrpc": "2.0", "method": method, "params": params})
