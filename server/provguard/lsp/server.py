"""The provguard language server: state, start-up and the list of features it serves."""

from __future__ import annotations

import asyncio
import gc
import logging
import sys
import threading
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any, BinaryIO, TypeVar, cast

from lsprotocol import types
from pygls.io_ import StdoutWriter
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from provguard import __version__
from provguard.lsp.backlog import Backlog
from provguard.lsp.convert import encoding
from provguard.lsp.first_answer import Dropping, Handover
from provguard.lsp.framing import FrameReader, serve
from provguard.lsp.log_lines import escape_handlers
from provguard.lsp.protocol import CustomMethod, ProvguardProtocol
from provguard.positions import Encoding
from provguard.printable import printable
from provguard.session import Session

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])

GARBAGE_DELAY = 2.0
"""Seconds after the server starts reading before the garbage of an in-process start is collected."""


class ProvguardServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("provguard", __version__, protocol_cls=ProvguardProtocol)
        self.session = Session([])
        self.pull_diagnostics = False
        self.backlog = Backlog()
        self.startup_garbage = False
        """Objects freed while starting were frozen with the rest, uncollected: start_io collects them later."""

    def custom_feature(self, method: str, params: type, *, request: bool) -> Callable[[F], F]:
        """Registers a provguard method outside LSP; its params are checked against `params` (an attrs class)
        before the handler runs, as lsprotocol's types are for LSP's own methods (protocol.py)."""
        cast(ProvguardProtocol, self.protocol).custom_methods[method] = CustomMethod(params, request)
        return self.feature(method)

    def start_io(self, stdin: BinaryIO | None = None, stdout: BinaryIO | None = None,
                 handover: Handover | None = None) -> None:
        """pygls's stdio loop with provguard's frame reader: frames within a size limit, and a bad frame
        skipped instead of ending the server (framing.py). With a `handover` (first_answer.py), its frames are
        handled first, in order, and the answers it already sent are not written again."""
        self._stop_event = stop = threading.Event()
        writer = StdoutWriter(stdout or sys.stdout.buffer)
        dropping = Dropping(writer, handover.drops) if handover is not None and handover.drops else None
        self.protocol.set_writer(dropping or writer)
        reader = handover.reader if handover is not None else FrameReader(stdin or sys.stdin.buffer)
        handle = cast(ProvguardProtocol, self.protocol).handle_body
        taken = handover.frames if handover is not None else []
        try:
            asyncio.run(self._serve(serve(reader, handle, self.thread_pool, stop), taken, dropping))
        except BrokenPipeError:
            log.error("the client's end of the connection is closed; stopping")
        except (KeyboardInterrupt, SystemExit):
            pass
        finally:
            self.shutdown()  # type: ignore[no-untyped-call]

    async def _serve(self, serving: Coroutine[Any, Any, None], taken: Sequence[bytes] = (),
                     dropping: Dropping | None = None) -> None:
        collecting = asyncio.create_task(self._collect_startup_garbage()) if self.startup_garbage else None
        try:
            handle = cast(ProvguardProtocol, self.protocol).handle_body
            for body in taken:
                handle(body)
            if dropping is not None:
                await asyncio.sleep(0)  # answers of the frames taken that pygls sends from a callback
                dropping.done()
                self.protocol.set_writer(dropping.writer)
            await serving
        finally:
            if collecting is not None:
                collecting.cancel()

    async def _collect_startup_garbage(self) -> None:
        """The full collection an in-process start skipped (~40-70 ms), once the first diagnostics are likely
        out and the client is quiet; then everything alive is frozen again, as run_stdio did."""
        await asyncio.sleep(GARBAGE_DELAY)
        await self.backlog.quiet()
        self.startup_garbage = False
        gc.unfreeze()
        gc.collect()
        gc.freeze()

    @property
    def position_encoding(self) -> Encoding:
        return encoding(self.protocol.workspace.position_encoding)

    def uri_path(self, uri: str) -> str:
        return to_fs_path(uri) or uri

    def notify_user(self, message: str, kind: types.MessageType = types.MessageType.Warning) -> None:
        """A message the person sees (window/showMessage) and a line in the server log."""
        log.warning("%s", message)
        self.window_show_message(types.ShowMessageParams(type=kind, message=f"provguard: {message}"))
        self.window_log_message(types.LogMessageParams(type=kind, message=message))

    def window_log_message(self, params: types.LogMessageParams) -> None:
        """A line in the editor's log of this server (an output channel, which renders ANSI): made printable, as
        its messages name files and quote packs, so that none writes a line of its own or repaints the view."""
        super().window_log_message(types.LogMessageParams(type=params.type, message=printable(params.message)))

    def window_show_message(self, params: types.ShowMessageParams) -> None:
        """A message shown to the person, printable as the log's lines are."""
        super().window_show_message(types.ShowMessageParams(type=params.type, message=printable(params.message)))


def roots_of(params: types.InitializeParams) -> list[Path]:
    uris = [folder.uri for folder in params.workspace_folders or []]
    if not uris and params.root_uri:
        uris = [params.root_uri]
    return [Path(p) for p in (to_fs_path(u) for u in uris) if p]


def build() -> ProvguardServer:
    from provguard.lsp import (
        code_actions,
        commands,
        configuration,
        diagnostics,
        hints,
        hover,
        summary,
        text_sync,
        workspace_diagnostics,
        workspace_folders,
    )

    server = ProvguardServer()
    for feature in (configuration, text_sync, diagnostics, code_actions, commands, hints, hover, summary,
                    workspace_diagnostics, workspace_folders):
        feature.register(server)
    return server


def run_stdio(handover: Handover | None = None) -> None:
    """Serves stdin/stdout; `handover`: what first_answer.py read and answered before this module was imported."""
    logging.getLogger("pygls").setLevel(logging.WARNING)  # it logs every message at INFO
    escape_handlers()  # names from the workspace and the client, printable on stderr (log_lines.py)
    from provguard.lsp.warm import prepared, take

    forked = prepared()
    server = take()  # built and warmed ahead by the daemon for a forked session, else built now
    # The protocol type tables and grammars live for the whole process: keep the collector from rescanning
    # them, which otherwise puts a full collection of ~20 ms into every fifteenth keystroke.
    if forked or gc.isenabled():
        gc.collect()
    else:  # started in-process with the collector off (commands/serve.py): its ~18,000 objects of garbage are
        server.startup_garbage = True  # collected once the client is quiet, not before the first answer
    gc.freeze()
    gc.enable()
    server.start_io(handover=handover)
