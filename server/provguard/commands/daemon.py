"""`provguard daemon`: the resident provguard that answers agents' guard and hook calls over a Unix socket
(provguard.daemon says why) and forks warm `provguard serve` sessions (daemon/fork.py). The first guard, hook
or serve call that finds none starts one; this command runs one in the foreground, or asks the running one
for its status or to stop."""

from __future__ import annotations

import argparse
import math
import sys
from typing import Any

from provguard.printable import printable, say

from .common import EXIT_CLEAN, EXIT_FINDINGS, add_parser, usage_error


def register(subparsers: Any) -> None:
    parser = add_parser(subparsers, "daemon", "answer agents' guard and hook calls from a resident process")
    parser.add_argument("--idle-timeout", type=float, metavar="SECONDS",
                        help="leave after this long without a call (default: $PROVGUARD_DAEMON_IDLE, else 600)")
    parser.add_argument("--preload", action="store_true",
                        help="load the language server when first idle, so that the first `provguard serve` it "
                             "forks starts warm (else the first session loads it)")
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--status", action="store_true", help="say whether one runs for this user and provguard")
    what.add_argument("--stop", action="store_true", help="ask the running one to leave")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from provguard.daemon import control
    from provguard.daemon.place import locate

    if args.idle_timeout is not None and not (0 < args.idle_timeout < math.inf):
        return usage_error(f"--idle-timeout must be a positive number of seconds, not {args.idle_timeout:g}")
    place = locate()
    if args.status:
        found = control.status(place)
        print(printable(describe(found, place.socket)))
        return EXIT_CLEAN if isinstance(found, control.Status) else EXIT_FINDINGS
    if args.stop:
        problem = control.stop(place)
        print(printable(f"provguard daemon: {problem}" if problem else f"provguard daemon: stopped ({place.socket})"))
        return EXIT_CLEAN if problem in (None, "not running") else EXIT_FINDINGS
    from provguard.daemon.server import Daemon, idle_timeout

    idle = args.idle_timeout if args.idle_timeout is not None else idle_timeout()
    refused = Daemon(place, idle, sys.stderr, preload=args.preload).run()
    if refused is None:
        return EXIT_CLEAN
    say(refused.reason + (f" (pid {refused.pid}, {place.socket})" if refused.pid else ""), "provguard daemon")
    return EXIT_CLEAN if refused.pid is not None else EXIT_FINDINGS


def describe(found: object, socket: str) -> str:
    """One line for --status and doctor."""
    from provguard.daemon.control import Status

    if isinstance(found, Status):
        return (f"daemon: running, pid {found.pid}, {found.served} calls served, leaves after "
                f"{found.idle_timeout:g} s idle; socket {found.socket}")
    return f"daemon: {found}; socket {socket}"
