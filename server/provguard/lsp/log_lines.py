"""The language server's log on stderr, where nothing from the workspace or the client starts a line of its own.

The server's log names files, folders, uris and packs' text: a file name holding a line break would write a log
line that seems the server's own, and an escape sequence would repaint or retitle the terminal an editor's log is
shown in (VS Code's output channels render ANSI). Every record's message goes through provguard.printable; the
lines of a traceback keep their breaks, each line made printable and indented, so an exception's message (which may
quote a file name) cannot begin a line that reads as a record. Imports nothing of the protocol stack: the light
start (first_answer.py) logs before the server is imported.
"""

from __future__ import annotations

import logging

from provguard.printable import printable, printable_lines

TRACE_INDENT = "    "


class PrintableFormatter(logging.Formatter):
    """Another formatter's lines (its format and date format), each record's text made printable."""

    def __init__(self, inner: logging.Formatter | None = None) -> None:
        super().__init__()
        self.inner = inner or logging.Formatter()

    def format(self, record: logging.LogRecord) -> str:
        shown = logging.makeLogRecord({**record.__dict__, "msg": printable(record.getMessage()), "args": None,
                                       "exc_info": None, "exc_text": None, "stack_info": None})
        text = self.inner.format(shown)
        if record.exc_info:
            text += "\n" + _indented(self.inner.formatException(record.exc_info))
        elif record.exc_text:
            text += "\n" + _indented(record.exc_text)
        if record.stack_info:
            text += "\n" + _indented(self.inner.formatStack(record.stack_info))
        return text


def _indented(lines: str) -> str:
    return "\n".join(TRACE_INDENT + line for line in printable_lines(lines.rstrip("\n")).split("\n"))


def escape_handlers(logger: logging.Logger | None = None) -> None:
    """Makes every handler of `logger` (the root logger's: where `provguard serve` logs) write printable
    records, keeping each one's format; a handler already doing so is left as it is."""
    for handler in (logger or logging.getLogger()).handlers:
        if not isinstance(handler.formatter, PrintableFormatter):
            handler.setFormatter(PrintableFormatter(handler.formatter))
