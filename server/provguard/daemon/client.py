"""`provguard guard|hook` as agents run them: hand the call to this user's daemon, else judge in-process.

The call travels whole (arguments, stdin, working folder, umask, environment) and the daemon runs the very
same command function on it, so the answer, the notes on stderr and the exit code are those the in-process
path would give. Anything short of a well-formed reply from a daemon of the same provguard and the same user
(no socket, a stale one, refused, too slow, garbage) falls back to judging in-process, within the guard's time
bound: the daemon gets `--timeout` less a reserve, and the time spent waiting is taken off `--timeout`. Reading
stdin counts too: a payload that has not ended when the reserve is all that is left never goes to the daemon,
and the in-process path, which learns the project's `agent-write-on-error` choice before reading on, answers
it (a hung or killed daemon, a stdin that never closes: the agent waits `--timeout` at most). When no daemon was
there, one is started afterwards for the next call (spawn.py). `PROVGUARD_DAEMON=0` turns all of this off.

Imports: only what the interpreter loaded at start-up, plus `_socket` and `zlib` (`socket` alone would cost
5 ms, `json` 2 ms, `typing` 10 ms: this module exists to save such milliseconds).
"""

from __future__ import annotations

import _socket
import os
import sys
import time

from provguard.daemon import peer, wire
from provguard.daemon.place import Place, enabled, identity, locate, unsafe
from provguard.guard import DEFAULT_TIMEOUT
from provguard.stdin_payload import PAYLOAD_WAIT, read_payload

CONNECT_TIMEOUT = 0.5
"""A live daemon accepts at once (the kernel queues the connection); this only covers a wedged one."""
HOOK_WAIT = 6.0
"""How long a hook call (or a guard called with `--timeout 0`) waits for the daemon before running in-process:
the ledger's busy timeout (5 s) and a second, inside the 10 s the installed hooks give the command. Recording
the same call twice keeps one record (edits are keyed by their tool call)."""
RESERVE = 2.0
"""Seconds of the guard's `--timeout` (at most half of it) kept back for judging in-process when the daemon
does not answer in the rest: in-process judging takes 0.1-0.5 s, so a wedged daemon still gets the call
judged, not waved through on a timeout."""
ABSENT = "no daemon is running"


class Reply:
    __slots__ = ("code", "stderr", "stdout")

    def __init__(self, code: int, stdout: str, stderr: str) -> None:
        self.code, self.stdout, self.stderr = code, stdout, stderr


def main(command: str, argv: list[str]) -> int:
    """`provguard guard ...` or `provguard hook ...`: through the daemon when one answers, else in-process."""
    if not _forwardable(command, argv):
        return in_process(command, argv, None, 0.0)
    started = time.monotonic()
    if command == "hook":
        payload = read_payload(seconds=PAYLOAD_WAIT)
        if not payload.ended:  # the hook says why and records nothing (reading on would double the wait)
            from provguard.commands.hook import main as hook_main

            return hook_main(argv, payload)
        data = payload.data
    else:
        data, ended = _read_input(_wait(command, argv) if _timeout(argv) > 0 else 0.0)
        if not ended:  # an agent that does not close stdin: the rest of the time bound is the in-process path's,
            # which knows the project's choice on errors (a deny pack refuses the call) before reading on
            return in_process(command, argv, None, time.monotonic() - started, data)
    place: Place | None = None
    try:
        place = locate()
        reply = ask(place, command, argv, data, max(0.05, _wait(command, argv) - (time.monotonic() - started)))
    except Exception as exc:  # a fault of this path must cost the call nothing but the fallback
        reply = f"internal error: {type(exc).__name__}: {exc}"
    if isinstance(reply, Reply):
        sys.stderr.write(reply.stderr)
        sys.stdout.write(reply.stdout)
        return reply.code
    code = in_process(command, argv, data, time.monotonic() - started)
    if reply == ABSENT and place is not None:
        _start_daemon(place)
    return code


def _start_daemon(place: Place) -> None:
    """After the answer is out: whatever happens here changes nothing for this call."""
    from provguard.daemon.spawn import start

    try:
        start(place)
    except Exception:  # the next call judges in-process again, and tries again after the backoff
        return


def in_process(command: str, argv: list[str], data: bytes | None, spent: float, head: bytes = b"") -> int:
    """The command in this process: `data` is stdin when read whole, else stdin is read on after `head`."""
    if command == "guard":
        from provguard.commands.guard import main as guard_main

        return guard_main(argv, data, spent, head)
    from provguard.commands.hook import main as hook_main

    return hook_main(argv, data)


def _forwardable(command: str, argv: list[str]) -> bool:
    """An agent's call: not `guard install|uninstall`, not a request for help, not someone at a terminal
    (whose stdin the client would wait on before the usage message), and the daemon not switched off."""
    if command == "guard" and argv[:1] in (["install"], ["uninstall"]):
        return False
    if "-h" in argv or "--help" in argv or not enabled() or not hasattr(_socket, "AF_UNIX") or os.name != "posix":
        return False
    try:
        return not os.isatty(0)
    except OSError:
        return False


def _read_input(seconds: float) -> tuple[bytes, bool]:
    """stdin to its end, and True; what came within `seconds` (0: no bound) or up to the payload limit, and
    False, when it did not end. The guard's `--timeout` covers the whole call, reading the payload included."""
    payload = read_payload(seconds=seconds if seconds > 0 else None)
    return payload.data, payload.ended


def _timeout(argv: list[str]) -> float:
    """The guard's `--timeout` as given (0: unbounded)."""
    timeout = DEFAULT_TIMEOUT
    for at, argument in enumerate(argv):
        value = argument[len("--timeout="):] if argument.startswith("--timeout=") else (
            argv[at + 1] if argument == "--timeout" and at + 1 < len(argv) else None)
        timeout = _seconds(value, timeout)
    return timeout


def _wait(command: str, argv: list[str]) -> float:
    if command == "hook":
        return HOOK_WAIT
    timeout = _timeout(argv)
    return timeout - min(RESERVE, timeout / 2) if timeout > 0 else HOOK_WAIT


def _seconds(value: str | None, otherwise: float) -> float:
    """A `--timeout` value; a bad one is the command's to report, through the daemon or in-process alike."""
    try:
        return float(value) if value is not None else otherwise
    except ValueError:
        return otherwise


def request(command: str, argv: list[str], data: bytes) -> bytes:
    umask = os.umask(0o022)
    os.umask(umask)
    environment = [key + b"=" + value for key, value in os.environb.items()]
    return wire.encode(command, identity(), [wire.join([os.fsencode(a) for a in argv]), os.getcwdb(),
                                             b"%d" % umask, wire.join(environment), data])


def ask(place: Place, command: str, argv: list[str], data: bytes, wait: float) -> Reply | str:
    """The daemon's reply to the call, or why there is none (ABSENT when no daemon listens)."""
    deadline = time.monotonic() + wait
    if unsafe(place.folder) is not None:
        return ABSENT if not os.path.lexists(place.folder) else "the runtime folder is unsafe"
    try:
        message = request(command, argv, data)
    except OSError as exc:
        return f"cannot describe the call: {exc}"
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        sock.settimeout(max(0.001, min(CONNECT_TIMEOUT, deadline - time.monotonic())))
        try:
            sock.connect(place.socket)
        except (FileNotFoundError, ConnectionRefusedError):
            return ABSENT
        refused = peer.refusal(peer.peer_uid(sock))
        if refused is not None:
            return refused
        sock.settimeout(max(0.001, deadline - time.monotonic()))
        sock.sendall(message)
        sock.shutdown(_socket.SHUT_WR)
        received = receive(sock, deadline)
    except OSError as exc:
        return f"the daemon did not answer: {exc}"
    finally:
        sock.close()
    return parse_reply(received)


def receive(sock: _socket.socket, deadline: float, limit: int = wire.MAX_MESSAGE) -> bytes:
    """Everything until the other end closes; TimeoutError past `deadline`, OSError past `limit` bytes."""
    chunks: list[bytes] = []
    size = 0
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("timed out")
        sock.settimeout(left)
        chunk = sock.recv(1 << 16)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > limit:
            raise OSError(f"a message of more than {limit} bytes")
        chunks.append(chunk)


def parse_reply(message: bytes) -> Reply | str:
    try:
        word, their_identity, fields = wire.decode(message)
    except wire.WireError as exc:
        return f"garbled reply: {exc}"
    if their_identity != identity():
        return f"a daemon of another provguard answered ({their_identity})"
    if word != "ok":
        return f"the daemon refused the call: {wire.untext(fields[0]) if fields else word}"
    if len(fields) != 3 or not fields[0].isdigit():
        return "garbled reply: expected exit code, stdout and stderr"
    try:
        return Reply(int(fields[0]), wire.untext(fields[1]), wire.untext(fields[2]))
    except UnicodeDecodeError:
        return "garbled reply: output is not UTF-8"
