"""The daemon as a fork server for `provguard serve` (session.py is the other end).

The daemon forks on its main thread (the one thread whose state a child can trust) a small watcher that forks
the session. The session child puts on the caller's streams, folder, umask and environment, gets fresh
signal handlers and `sys` streams, and holds no descriptor of the daemon's (its lock, its socket, other
callers' connections and streams are swapped for /dev/null, so that Python objects still naming them close
nothing of the child's), then waits for the caller's go and runs the very command `provguard serve` runs.
The watcher reports `started <pid>`, then how the child ended, on the caller's connection: the daemon itself
keeps nothing of the session, so it may leave (idle, stopped) while sessions go on. The language server's
imports are loaded in the daemon once, on the first session or when it is first idle (PRELOAD).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import signal
import socket
import sys
import threading
import time
import traceback
from dataclasses import dataclass

from provguard.daemon import wire
from provguard.daemon.place import identity
from provguard.daemon.session import forwardable
from provguard.printable import printable

STREAMS = 4
"""stdin, stdout, stderr and the read end of the caller's go pipe."""
MAX_FDS = 8


@dataclass
class Session:
    argv: list[str]
    cwd: bytes
    umask: int
    environ: dict[bytes, bytes]
    fds: list[int]
    connection: int
    """The caller's connection (its descriptor number in the daemon, still open while the fork happens)."""

    def close(self) -> None:
        """The daemon's copies of the caller's streams: the forked processes have their own."""
        for fd in self.fds:
            with contextlib.suppress(OSError):
                os.close(fd)
        self.fds = []


def receive(sock: socket.socket, deadline: float, limit: int = wire.MAX_MESSAGE) -> tuple[bytes, list[int]]:
    """Everything until the other end half-closes, and the descriptors that came with it (the caller owns
    them: close them). TimeoutError past `deadline`, OSError past `limit` bytes."""
    chunks: list[bytes] = []
    fds: list[int] = []
    size = 0
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("timed out")
            sock.settimeout(left)
            chunk, more, _, _ = socket.recv_fds(sock, 1 << 16, MAX_FDS)
            fds.extend(more)
            if not chunk:
                return b"".join(chunks), fds
            size += len(chunk)
            if size > limit:
                raise OSError(f"a message of more than {limit} bytes")
            chunks.append(chunk)
    except BaseException:
        close_all(fds)
        raise


def close_all(fds: list[int]) -> None:
    for fd in fds:
        with contextlib.suppress(OSError):
            os.close(fd)


def parse(fields: list[bytes], fds: list[int], connection: int) -> Session | str:
    """The session a caller asks for, or what is wrong with it."""
    if len(fields) != 4:
        return f"a session has 4 fields (argv, cwd, umask, environment), this one {len(fields)}"
    if len(fds) != STREAMS:
        return f"a session comes with {STREAMS} descriptors (stdin, stdout, stderr, go), this one {len(fds)}"
    argv, cwd, umask, environ = fields
    arguments = [os.fsdecode(a) for a in wire.split(argv)]
    if not forwardable(arguments):
        return "the daemon forks `provguard serve` and `provguard check` only"
    context = wire.where(cwd, umask, environ)
    if isinstance(context, str):
        return context
    return Session(arguments, cwd, *context, list(fds), connection)


_parser: argparse.ArgumentParser | None = None
"""`provguard`'s argument parser, built by `preload`: building it costs a child ~30 ms, mostly argparse looking
for message catalogs (gettext) for each of its strings."""


def preload() -> None:
    """What a session would load first (~0.9 s): the command modules and their parser, pygls, lsprotocol and
    every feature module (a server built and warmed for the children to take: lsp/warm.py), the tree-sitter
    grammars, the default pack with its scope queries compiled (cached by policy.scopes) and the policy cache's
    reader. Then the heap is frozen, so that a session's collections neither scan nor copy it. Main thread only:
    a fork must never see an import half-done."""
    import gc

    from provguard import cli
    from provguard.guard import policy_cache  # noqa: F401  (a session reads its project's packs from it)
    from provguard.languages import LANGUAGES
    from provguard.lsp import warm
    from provguard.policy.policy import DEFAULT_PACK, load_reference

    global _parser
    _parser = cli._parser()  # imports every command module
    _parser.parse_args(["serve"])  # and compiles the regular expressions argparse's usage lines need
    warm.prepare()
    for language in LANGUAGES:
        if language.has_grammar:
            language.ts_language()
    load_reference(DEFAULT_PACK)
    gc.collect()
    gc.freeze()


def start(session: Session) -> str | None:
    """Forks the watcher (on the main thread); None once it runs, else why not. The caller's connection and
    streams are the watcher's from then on: the daemon closes its copies."""
    try:
        sys.stdout.flush()
        sys.stderr.flush()
        watcher = os.fork()
    except (Exception, SystemExit) as exc:
        return f"cannot start a session: {type(exc).__name__}: {exc}"
    if watcher == 0:  # pragma: no cover - the forked watcher never returns
        _watch(session)
    session.close()
    threading.Thread(target=_reap, args=(watcher,), name="reap", daemon=True).start()
    return None


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)


def message(word: str, value: str) -> bytes:
    return wire.encode(word, identity(), [wire.text(value)])


def _watch(session: Session) -> None:  # pragma: no cover - runs in the forked watcher
    """Forks the session child, says `started`, waits for it, says how it ended."""
    code = 1
    try:
        os.setpgid(0, 0)  # signals meant for the daemon's group (a ^C at its terminal) are not the session's
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGCHLD, signal.SIGALRM):
            signal.signal(signum, signal.SIG_DFL)
        scrub(keep={session.connection, *session.fds})
        child = os.fork()
        if child == 0:
            _serve(session)
        session.close()
        _say(session.connection, message("started", str(child)))
        _, status = os.waitpid(child, 0)
        if os.WIFSIGNALED(status):
            _say(session.connection, message("killed", str(os.WTERMSIG(status))))
        else:
            _say(session.connection, message("exited", str(os.waitstatus_to_exitcode(status))))
        code = 0
    except BaseException:
        with contextlib.suppress(OSError):
            _say(session.connection, message("refused", "the session could not be started"))
    finally:
        os._exit(code)


def _say(connection: int, data: bytes) -> None:
    with contextlib.suppress(OSError):  # the caller is gone: nobody to tell
        while data:
            data = data[os.write(connection, data):]


def _serve(session: Session) -> None:  # pragma: no cover - runs in the forked session child
    """The session child: the caller's process, as far as the command can tell, once the caller says go."""
    code = 1
    try:
        stdin, stdout, stderr, go = session.fds
        for fd, target in ((stdin, 0), (stdout, 1), (stderr, 2)):
            os.dup2(fd, target)
        for fd in (stdin, stdout, stderr):
            if fd > 2:
                os.close(fd)
        scrub(keep={0, 1, 2, go})
        signal.signal(signal.SIGINT, signal.default_int_handler)
        os.chdir(session.cwd)
        os.umask(session.umask)
        os.environb.clear()
        os.environb.update(session.environ)
        _fresh_streams()
        sys.argv = [sys.argv[0], *session.argv]
        if os.read(go, 1) != b"g":
            os._exit(1)  # the caller gave up (or died) before go: the streams are its own
        threading.Thread(target=_leave_with, args=(go,), name="caller", daemon=True).start()
        code = _run(session.argv)
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
    except BaseException:
        with contextlib.suppress(Exception):
            traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(code)


def _run(argv: list[str]) -> int:
    """The command as `python -m provguard` runs it (cli.dispatch, with the parser built ahead), SystemExit
    included."""
    from provguard.cli import dispatch

    try:
        args = _parser.parse_args(argv) if _parser is not None else None
        if args is None or getattr(args, "run", None) is None:
            return dispatch(argv)
        code: int = args.run(args)
        return code
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        print(printable(str(exc.code)), file=sys.stderr)
        return 1


def _leave_with(go: int) -> None:  # pragma: no cover - a thread of the session child
    """The caller holds the other end: when it dies, the session ends too, as it would have in-process."""
    with contextlib.suppress(OSError):
        while os.read(go, 64):
            continue
    os._exit(1)


def _fresh_streams() -> None:  # pragma: no cover - runs in the session child
    """New `sys` streams on descriptors 0-2: the daemon's may hold output or a lock of a thread that is gone."""
    for name, fd, mode in (("stdin", 0, "rb"), ("stdout", 1, "wb"), ("stderr", 2, "wb")):
        old = getattr(sys, name)
        binary = io.FileIO(fd, mode, closefd=False)
        buffered = io.BufferedReader(binary) if mode == "rb" else io.BufferedWriter(binary)
        stream = io.TextIOWrapper(buffered, encoding=getattr(old, "encoding", None) or "utf-8",
                                  errors="backslashreplace" if name == "stderr" else getattr(old, "errors", None),
                                  line_buffering=name == "stderr" or _isatty(fd))
        setattr(sys, name, stream)
        setattr(sys, f"__{name}__", stream)


def _isatty(fd: int) -> bool:
    try:
        return os.isatty(fd)
    except OSError:
        return False


def scrub(keep: set[int]) -> None:
    """Every open descriptor from 3 up that is not in `keep` now names /dev/null: the file behind it (the
    daemon's lock and socket, other callers' connections and streams) is released, and the number stays
    taken, so a Python object that closes it later closes nothing of this process's own."""
    null = os.open(os.devnull, os.O_RDWR | os.O_CLOEXEC)
    try:
        for fd in _open_fds():
            if fd > 2 and fd not in keep and fd != null:
                with contextlib.suppress(OSError):
                    os.dup2(null, fd, inheritable=False)
    finally:
        os.close(null)


def _open_fds() -> list[int]:
    for listing in ("/proc/self/fd", "/dev/fd"):
        with contextlib.suppress(OSError):
            return sorted(int(name) for name in os.listdir(listing) if name.isdigit())
    return list(range(3, 1024))
