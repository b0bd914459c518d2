"""`provguard guard <agent>`: judge the write an agent is about to make (its pre-tool-use payload on stdin)
and answer in the agent's protocol; `provguard guard install|uninstall <agent>` sets the hooks up.

The agent waits for every call, so the judging path imports only what judging needs, and it is bounded in
time: past `--timeout` seconds the call is let through with a note on stderr, or refused when the project's
packs say `agent-write-on-error: deny`. That choice is known before the clock starts (remembered per project,
guard/project.py) or else learnt first thing, before the payload is read. It always exits 0.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
from typing import Any

from provguard.guard import DEFAULT_TIMEOUT
from provguard.printable import say
from provguard.stdin_payload import read_payload

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


def main(argv: list[str], data: bytes | None = None, spent: float = 0.0, head: bytes = b"") -> int:
    """`provguard guard ...` in this process: `provguard.daemon.client` comes here when no daemon answered
    (with stdin already read, as `data`, or its first bytes, `head`, when it did not end in time; `spent`
    seconds of the time bound gone), and the daemon comes here for every call it serves."""
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
    return run(args, data, spent, head)


class _TimedOut(Exception):
    pass


class _Unread(Exception):
    """The payload is larger than stdin_payload's limit."""


def run(args: argparse.Namespace, data: bytes | None = None, spent: float = 0.0, head: bytes = b"") -> int:
    """Judges the call within `args.timeout` less `spent` seconds; stdin (after `head`) when `data` is None."""
    def expire(signum: int, frame: object) -> None:
        raise _TimedOut()

    from provguard.guard import project
    from provguard.guard.outcome import Outcome

    outcome = Outcome()
    try:  # a few stats: known before the clock runs, whatever happens next
        choice = project.known(project.project_root(os.path.join(os.getcwd(), "_")))
    except OSError:  # the working folder is gone: learnt (or not) with the payload's
        choice = None
    outcome.presumed_closed = choice is not None and choice.fails_closed
    bounded = hasattr(signal, "setitimer") and args.timeout > 0
    try:
        try:  # the timer is off again before any handler below runs, so it cannot interrupt one
            if bounded:
                if args.timeout - spent <= 0:
                    raise _TimedOut()
                signal.signal(signal.SIGALRM, expire)
                signal.setitimer(signal.ITIMER_REAL, args.timeout - spent)
            from provguard.guard.run import Policies, decide

            policies = Policies(outcome)
            if choice is None or not choice.fresh:
                with contextlib.suppress(OSError):  # the folder is gone: the payload's is all there is
                    policies.presume(os.getcwd())  # the choice, before a payload that may never end is read
            if data is None:  # a chunk at a time, so the alarm can stop a payload that keeps coming
                payload = read_payload(head=head)
                if payload.too_large:
                    raise _Unread(payload.problem() or "")
                data = payload.data
            decide(args.agent, data, outcome, policies)
        finally:
            if bounded:
                signal.setitimer(signal.ITIMER_REAL, 0)
    except _TimedOut:
        outcome.cannot_judge(args.agent, f"no decision within {args.timeout:g} s")
    except _Unread as exc:
        outcome.cannot_judge(args.agent, str(exc))
    except Exception as exc:  # the agent must not be blocked by provguard's own fault
        outcome.cannot_judge(args.agent, f"internal error: {type(exc).__name__}: {exc}")
    for note in outcome.notes:
        say(note, "provguard guard")
    sys.stdout.write(outcome.stdout)
    return 0

