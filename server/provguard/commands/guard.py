"""`provguard guard <agent>`: judge the write an agent is about to make (its pre-tool-use payload on stdin)
and answer in the agent's protocol; `provguard guard install|uninstall <agent>` sets the hooks up.

The agent waits for every call, so the judging path imports only what judging needs, and it is bounded in
time: past `--timeout` seconds the call is let through with a note on stderr. It always exits 0.
"""

from __future__ import annotations

import argparse
import signal
import sys
from typing import Any

from provguard.guard import DEFAULT_TIMEOUT

GUARD_AGENTS = ("claude-code", "codex", "cursor", "copilot")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "guard", help="refuse an agent's write that breaks the rule packs; install|uninstall the hooks",
        description="`provguard guard AGENT` judges the write in the agent's pre-tool-use payload (stdin). "
        "`provguard guard install|uninstall AGENT` sets up its hooks. See `provguard guard AGENT --help`.",
        add_help=False)
    parser.add_argument("rest", nargs=argparse.REMAINDER)
    parser.set_defaults(run=lambda args: main(args.rest))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("agent", choices=GUARD_AGENTS)
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                        help=f"let the call through after this long (default: {DEFAULT_TIMEOUT:g})")


def main(argv: list[str], data: bytes | None = None, spent: float = 0.0) -> int:
    """`provguard guard ...` in this process: `provguard.daemon.client` comes here when no daemon answered
    (with stdin already read, as `data`, and `spent` seconds of the time bound gone), and the daemon comes
    here for every call it serves."""
    if argv[:1] in (["install"], ["uninstall"]):
        from provguard.commands.guard_install import main as install_main

        return install_main(argv)
    parser = argparse.ArgumentParser(
        prog="provguard guard", description="Judge the write in an agent's pre-tool-use payload (stdin) and "
        "answer in the agent's protocol: nothing to allow, a deny or ask naming the rule otherwise. Always "
        "exits 0. `provguard guard install|uninstall AGENT` sets the hooks up.")
    add_arguments(parser)
    try:
        args = parser.parse_args(argv)
    except SystemExit:
        return 0  # argparse printed the usage; a misconfigured hook must not block the agent
    return run(args, data, spent)


class _TimedOut(Exception):
    pass


def run(args: argparse.Namespace, data: bytes | None = None, spent: float = 0.0) -> int:
    def expire(signum: int, frame: object) -> None:
        raise _TimedOut()

    from provguard.guard.outcome import Outcome

    outcome = Outcome()
    bounded = hasattr(signal, "setitimer") and args.timeout > 0
    try:
        try:  # the timer is off again before any handler below runs, so it cannot interrupt one
            if bounded:
                if args.timeout - spent <= 0:
                    raise _TimedOut()
                signal.signal(signal.SIGALRM, expire)
                signal.setitimer(signal.ITIMER_REAL, args.timeout - spent)
            from provguard.guard.run import decide

            decide(args.agent, sys.stdin.buffer.read() if data is None else data, outcome)
        finally:
            if bounded:
                signal.setitimer(signal.ITIMER_REAL, 0)
    except _TimedOut:
        outcome.cannot_judge(args.agent, f"no decision within {args.timeout:g} s")
    except Exception as exc:  # the agent must not be blocked by provguard's own fault
        outcome.cannot_judge(args.agent, f"internal error: {type(exc).__name__}: {exc}")
    for note in outcome.notes:
        print(f"provguard guard: {note}", file=sys.stderr)
    sys.stdout.write(outcome.stdout)
    return 0
