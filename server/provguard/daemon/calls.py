"""One forwarded call, run in the daemon as the calling process would have run it.

The command function is the very one the in-process path runs (`provguard.commands.guard.main`,
`provguard.commands.hook.main`); around it the daemon puts on the caller's environment, working folder and
umask, and captures what it writes on stdout and stderr. That is process-wide state, so calls run one at a
time, on the main thread (which the guard's SIGALRM time bound needs anyway). A hook call returns only once
its edits are committed to the ledger, so nothing acknowledged is lost if the daemon dies afterwards.
"""

from __future__ import annotations

import io
import os
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from provguard.daemon import wire

COMMANDS = ("guard", "hook")


@dataclass(frozen=True)
class Call:
    command: str
    argv: list[str]
    cwd: bytes
    umask: int
    environ: dict[bytes, bytes]
    data: bytes


@dataclass(frozen=True)
class Answer:
    code: int
    stdout: str
    stderr: str


def parse(command: str, fields: list[bytes]) -> Call | str:
    """The call a client sent, or what is wrong with it."""
    if command not in COMMANDS:
        return f"unknown operation {command!r}"
    if len(fields) != 5:
        return f"a call has 5 fields (argv, cwd, umask, environment, stdin), this one {len(fields)}"
    argv, cwd, umask, environ, data = fields
    if command == "guard" and wire.split(argv)[:1] in ([b"install"], [b"uninstall"]):
        return "the daemon judges calls; it does not install hooks"
    context = wire.where(cwd, umask, environ)
    if isinstance(context, str):
        return context
    return Call(command, [os.fsdecode(a) for a in wire.split(argv)], cwd, *context, data)


def warm() -> None:
    """Imports what the calls need once, while the first clients queue, rather than during the first call."""
    import provguard.commands.guard
    import provguard.commands.hook
    import provguard.guard.run
    import provguard.ledger.location
    import provguard.provenance.hooks
    import provguard.provenance.transcripts.paths  # noqa: F401


def run(call: Call) -> Answer | str:
    """The command's answer, or why the daemon cannot run it (the client then runs it itself)."""
    from provguard.commands import guard, hook

    try:
        with as_caller(call) as (stdout, stderr):
            code = guard.main(call.argv, call.data) if call.command == "guard" else hook.main(call.argv, call.data)
    except OSError as exc:  # the caller's folder is gone or closed to us: the caller can say so itself
        return f"cannot run as the caller: {exc}"
    return Answer(code, stdout.getvalue(), stderr.getvalue())


@contextmanager
def as_caller(call: Call) -> Iterator[tuple[io.StringIO, io.StringIO]]:
    """The caller's environment, folder and umask, and fresh stdout/stderr, until the block ends."""
    saved_environ, saved_cwd = dict(os.environb), os.getcwd()
    saved_streams = sys.stdin, sys.stdout, sys.stderr
    os.chdir(call.cwd)
    saved_umask = os.umask(call.umask)
    stdout, stderr = io.StringIO(), io.StringIO()
    try:
        os.environb.clear()
        os.environb.update(call.environ)
        sys.stdin, sys.stdout, sys.stderr = io.TextIOWrapper(io.BytesIO()), stdout, stderr
        with warnings.catch_warnings():  # forgets which warnings were shown: each call shows its own, as a process
            yield stdout, stderr
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved_streams
        os.environb.clear()
        os.environb.update(saved_environ)
        os.umask(saved_umask)
        os.chdir(saved_cwd)
