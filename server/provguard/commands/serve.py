"""`provguard serve`: the language server on stdin/stdout."""

from __future__ import annotations

import argparse
from typing import Any

from .common import EXIT_CLEAN, add_parser


def register(subparsers: Any) -> None:
    parser = add_parser(subparsers, "serve", "run the language server on stdin/stdout")
    parser.add_argument("--stdio", action="store_true",
                        help="accepted for clients that always pass it: stdin/stdout is the only transport")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import gc
    import logging
    import sys

    gc.disable()  # ~100 ms of collections while importing, of objects that live on; run_stdio turns it on again
    logging.basicConfig(level=logging.INFO, format="provguard %(levelname)s %(name)s: %(message)s")
    from provguard.lsp.log_lines import escape_handlers

    escape_handlers()  # before the light start logs a name from the workspace (log_lines.py)
    handover = None
    if "pygls.protocol" not in sys.modules:  # a daemon's forked child has the protocol stack imported already
        from provguard.lsp.first_answer import answer_first

        handover = answer_first(sys.stdin.buffer, sys.stdout.buffer)
    from provguard.lsp.server import run_stdio  # imported late: other commands need no protocol stack

    run_stdio(handover)
    return EXIT_CLEAN
