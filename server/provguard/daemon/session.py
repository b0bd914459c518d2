"""`provguard serve` (and `check`) started warm: this user's daemon forks an already-imported child that serves
the session on this process's own standard streams, handed over by descriptor passing (SCM_RIGHTS); this
process stays as the editor sees it: it forwards SIGTERM, SIGINT and SIGHUP to the child and leaves as the child did.

The exchange: this side sends `serve` (argv, working folder, umask, environment) with stdin, stdout, stderr
and the read end of a pipe attached, then half-closes; the daemon's fork (fork.py) answers `started <pid>`,
this side writes one byte on the pipe (go), and later `exited <code>` or `killed <signal>` comes back. Until
go the child does not touch the streams, so any failure before it (no daemon, another provguard, refused,
too slow, the daemon killed mid-way) leaves this process free to serve in-process as before, and a daemon is
started for next time. Once go is written the session is the child's; when this process dies the pipe
closes and the child leaves too. `PROVGUARD_DAEMON=0` turns all of this off.

Imports: what the interpreter loaded at start-up, `_socket` and `_signal` (`signal` costs ~14 ms of `enum`).
"""

from __future__ import annotations

import _socket
import os
import sys
import time

from provguard.daemon import peer, wire
from provguard.daemon.client import ABSENT, CONNECT_TIMEOUT
from provguard.daemon.place import Place, enabled, identity, locate, unsafe

TYPE_CHECKING = False
if TYPE_CHECKING:
    import signal as _signal
else:
    import _signal

START_WAIT = 10.0
"""How long to wait for `started`: a daemon loads the language server on its first session (~1 s, more on a
busy machine) and runs one hook call at a time; a daemon slower than this is given up, the session runs here,
and the child it may still fork sees no go and leaves."""
FORWARDED = (_signal.SIGTERM, _signal.SIGINT, _signal.SIGHUP)
GO = b"g"


def forwardable(argv: list[str]) -> bool:
    """`provguard serve [--stdio]`, or `provguard check ...` short of a request for help: the commands whose
    start-up (imports, the default pack) is most of their time in an editor or a pre-commit hook."""
    if argv[:1] == ["serve"]:
        return set(argv[1:]) <= {"--stdio"}
    return argv[:1] == ["check"] and not {"-h", "--help"} & set(argv)


def main(argv: list[str]) -> int:
    """`provguard serve|check ...` in a child of the daemon when one takes it, else here. Only `serve` starts a
    daemon when none runs: a CI job's `check` should not leave one behind."""
    place: Place | None = None
    outcome: Handed | str = "the daemon is switched off (PROVGUARD_DAEMON=0)"
    if enabled() and os.name == "posix" and hasattr(_socket, "SCM_RIGHTS"):
        try:
            place = locate()
            outcome = hand_over(place, argv, time.monotonic() + START_WAIT)
        except Exception as exc:  # a fault of this path must cost the session nothing but the fallback
            outcome = f"internal error: {type(exc).__name__}: {exc}"
    if isinstance(outcome, Handed):
        return outcome.wait()
    if outcome == ABSENT and place is not None and argv[0] == "serve":
        _start_daemon(place)
    from provguard.cli import dispatch

    return dispatch(argv)


def _start_daemon(place: Place) -> None:
    from provguard.daemon.spawn import start

    try:
        start(place, preload=True)
    except Exception:  # this session runs in-process anyway; the next one tries again after the backoff
        return


class Handed:
    """A session the daemon's child serves: the connection its exit status comes back on, and the child."""

    __slots__ = ("go", "pid", "sock")

    def __init__(self, sock: _socket.socket, go: int, pid: int) -> None:
        self.sock, self.go, self.pid = sock, go, pid

    def wait(self) -> int:
        """Forwards signals until the child's status arrives; returns its exit code or dies of its signal."""
        for signum in FORWARDED:
            _signal.signal(signum, self._forward)
        self.sock.settimeout(None)
        buffer = b""
        while True:
            try:
                chunk = self.sock.recv(4096)
            except OSError:
                chunk = b""
            buffer += chunk
            message = take(buffer)
            if message is not None or not chunk:
                break
        self.sock.close()
        os.close(self.go)
        if message is not None and message[0] == "killed" and message[1].isdigit():
            died_of = int(message[1])
            _signal.signal(died_of, _signal.SIG_DFL)
            os.kill(os.getpid(), died_of)
            return 128 + died_of
        if message is not None and message[0] == "exited" and message[1].isdigit():
            return int(message[1])
        _outlive(self.pid)  # the daemon's watcher went away: the child still ends with its streams
        return 1

    def _forward(self, signum: int, frame: object) -> None:
        try:
            os.kill(self.pid, signum)
        except OSError:  # gone already: its status is on its way
            return


def _outlive(pid: int) -> None:
    """Waits for the child to end when no one is left to report it (its watcher was killed)."""
    while True:
        try:
            os.kill(pid, 0)
        except OSError:  # gone
            return
        time.sleep(0.05)


def request(argv: list[str]) -> bytes:
    umask = os.umask(0o022)
    os.umask(umask)
    environment = [key + b"=" + value for key, value in os.environb.items()]
    return wire.encode("serve", identity(), [wire.join([os.fsencode(a) for a in argv]), os.getcwdb(),
                                             b"%d" % umask, wire.join(environment)])


def hand_over(place: Place, argv: list[str], deadline: float) -> Handed | str:
    """The session handed to the daemon's child, or why not (ABSENT when no daemon listens): nothing of this
    process's streams has been read or written by anyone else then."""
    if unsafe(place.folder) is not None:
        return ABSENT if not os.path.lexists(place.folder) else "the runtime folder is unsafe"
    message = request(argv)
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    watch, go = os.pipe()
    answer: int | str = ABSENT
    try:
        try:
            answer = _offer(sock, place.socket, message, watch)
        finally:
            os.close(watch)  # the child's now: with no reader left, a go written to a child that is gone fails
        if not answer:
            answer = _started(sock, deadline)
        if isinstance(answer, int):
            os.write(go, GO)  # from here on the session is the child's
    except OSError as exc:
        answer = f"the daemon did not take the session: {exc}"
    finally:
        if not isinstance(answer, int):
            sock.close()
            os.close(go)  # a child already forked sees no go: it leaves without touching the streams
    return Handed(sock, go, answer) if isinstance(answer, int) else answer


def _offer(sock: _socket.socket, path: str, message: bytes, watch: int) -> str:
    """Sends the call with the streams attached; why it could not be sent, or "" once it is."""
    sock.settimeout(CONNECT_TIMEOUT)
    try:
        sock.connect(path)
    except (FileNotFoundError, ConnectionRefusedError):
        return ABSENT
    refused = peer.refusal(peer.peer_uid(sock))
    if refused is not None:
        return refused
    fds = b"".join(fd.to_bytes(4, sys.byteorder) for fd in (0, 1, 2, watch))
    sent = sock.sendmsg([message], [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, fds)])
    sock.sendall(message[sent:])
    sock.shutdown(_socket.SHUT_WR)
    return ""


def _started(sock: _socket.socket, deadline: float) -> int | str:
    """The child's pid once the daemon answers `started`, or why it did not."""
    buffer = b""
    while (found := take(buffer)) is None:
        left = deadline - time.monotonic()
        if left <= 0:
            return "the daemon did not start the session in time"
        sock.settimeout(left)
        chunk = sock.recv(4096)
        if not chunk:
            return "the daemon closed the connection before starting the session"
        buffer += chunk
    word, value, their_identity = found
    if their_identity != identity():
        return f"a daemon of another provguard answered ({their_identity})"
    if word != "started" or not value.isdigit():
        return f"the daemon refused the session: {value}"
    return int(value)


def take(buffer: bytes) -> tuple[str, str, str] | None:
    """The first one-field message in `buffer` as (word, field, identity); None while it is incomplete."""
    end = buffer.find(b"\n")
    length_end = buffer.find(b"\n", end + 1) if end >= 0 else -1
    if length_end < 0:
        return None if len(buffer) < 4096 else ("garbled", "no header", "")
    size = buffer[end + 1:length_end]
    if not size.isdigit():
        return "garbled", "no field length", ""
    if len(buffer) < length_end + 1 + int(size):
        return None
    try:
        word, their_identity, fields = wire.decode(buffer[:length_end + 1 + int(size)])
    except wire.WireError as exc:
        return "garbled", str(exc), ""
    return word, wire.untext(fields[0]).strip(), their_identity
