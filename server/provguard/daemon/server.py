"""The daemon's life: one instance per user and provguard (a lock), a socket only this user can use, calls
read by one thread per connection and run one at a time on the main thread (calls.py says why), an exit
after an idle spell or when asked, and the socket gone when it exits.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import queue
import signal
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import TextIO

from provguard.daemon import calls, fork, peer, wire
from provguard.daemon.freshness import LoadedCode
from provguard.daemon.place import Place, identity, prepare
from provguard.printable import printable

DEFAULT_IDLE = 600.0
IDLE_ENV = "PROVGUARD_DAEMON_IDLE"
"""Seconds without a call after which the daemon leaves (default 600)."""
READ_TIMEOUT = 10.0
"""A client that has not sent its whole call by then is dropped."""
POLL = 0.25
"""How often the main and accepting threads look up from waiting (for a stop, or the idle limit)."""
BACKLOG = 64


@dataclass
class Job:
    call: calls.Call | fork.Session
    """A guard or hook call, or a `provguard serve` session to fork (its reply is then empty: the forked
    watcher answers on the connection)."""
    reply: bytes = b""
    done: threading.Event = field(default_factory=threading.Event)


@dataclass(frozen=True)
class Refused:
    """Why the daemon did not start: another one runs (pid), or the runtime folder cannot be used."""
    reason: str
    pid: int | None = None


def reply(word: str, fields: list[bytes]) -> bytes:
    return wire.encode(word, identity(), fields)


def refused(reason: str) -> bytes:
    return reply("refused", [wire.text(reason)])


class Daemon:
    def __init__(self, place: Place, idle_timeout: float, log: TextIO, preload: bool = False) -> None:
        self.place = place
        self.idle_timeout = idle_timeout
        self.log = log
        self.jobs: queue.Queue[Job] = queue.Queue()
        self.stopping = threading.Event()
        self.served = 0
        self.started = time.time()
        self.code = LoadedCode()
        self._busy = threading.Lock()
        self._connections = 0
        self._last = time.monotonic()
        self._preloaded = not preload
        """With `preload`, the language server is loaded at the first quiet moment; else for the first session
        (loading it takes the main thread for ~1 s, which a guard call must not wait for unasked)."""

    def run(self) -> Refused | None:
        """Serves until idle or stopped; Refused without serving when it cannot or need not."""
        problem = prepare(self.place)
        if problem is not None:
            return Refused(f"the runtime folder cannot be used: {problem}")
        lock = os.open(self.place.lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return Refused("a daemon is already running", _pid(lock))
            os.ftruncate(lock, 0)
            os.write(lock, b"%d\n" % os.getpid())
            try:
                listener = self._listen()
            except OSError as exc:
                return Refused(f"cannot listen on {self.place.socket}: {exc.strerror or exc}")
            self._serve(listener)
            return None
        finally:
            with contextlib.suppress(OSError):
                os.ftruncate(lock, 0)  # no pid: none runs
            os.close(lock)  # the lock goes with it, after the socket is gone

    def _listen(self) -> socket.socket:
        _remove(self.place.socket)  # left by a daemon that was killed: the lock says none runs now
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            listener.bind(self.place.socket)
            os.chmod(self.place.socket, 0o600)
            listener.listen(BACKLOG)
        except OSError:
            listener.close()
            _remove(self.place.socket)
            raise
        listener.settimeout(POLL)
        return listener

    def _serve(self, listener: socket.socket) -> None:
        previous = {sig: signal.signal(sig, self._stop_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            _remove(self.place.stamp)  # started: the next daemon may be started at once when this one leaves
            self._say(f"serving {self.place.socket} (pid {os.getpid()}, idle timeout {self.idle_timeout:g} s)")
            acceptor = threading.Thread(target=self._accept, args=(listener,), name="accept", daemon=True)
            acceptor.start()
            calls.warm()
            self._work()
        finally:
            self.stopping.set()
            _remove(self.place.socket)  # first, so that no new client finds it
            listener.close()
            self._drain()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            self._say(f"left after serving {self.served} calls")

    def _stop_signal(self, signum: int, frame: object) -> None:
        self.stopping.set()

    def _work(self) -> None:
        while not self.stopping.is_set():
            try:
                job = self.jobs.get(timeout=POLL)
            except queue.Empty:
                if not self._preloaded:
                    self._preload()
                    continue
                if self._idle_for() >= self.idle_timeout:
                    self._say(f"idle for {self.idle_timeout:g} s")
                    return
                continue
            self._run(job)

    def _preload(self) -> None:
        """The language server's imports, on the main thread once nothing waits (fork.py says why)."""
        self._preloaded = True
        try:
            fork.preload()
        except Exception as exc:  # sessions then run in their callers' processes
            self._say(f"cannot load the language server: {type(exc).__name__}: {exc}")

    def _run(self, job: Job) -> None:
        if isinstance(job.call, fork.Session):
            if not self._preloaded:
                self._preload()
            problem = fork.start(job.call)
            job.call.close()
            self.served += problem is None
            job.reply = b"" if problem is None else refused(problem)
            job.done.set()
            return
        try:
            answer = calls.run(job.call)
        except (Exception, SystemExit) as exc:  # the client judges in-process; the daemon stays for the next call
            answer = f"internal error: {type(exc).__name__}: {exc}"
        if isinstance(answer, str):
            job.reply = refused(answer)
        else:
            self.served += 1
            job.reply = reply("ok", [b"%d" % answer.code, wire.text(answer.stdout), wire.text(answer.stderr)])
        job.done.set()

    def _drain(self) -> None:
        while True:
            try:
                job = self.jobs.get_nowait()
            except queue.Empty:
                return
            if isinstance(job.call, fork.Session):
                job.call.close()
            job.reply = refused("the daemon is leaving")
            job.done.set()

    def _idle_for(self) -> float:
        with self._busy:
            return 0.0 if self._connections else time.monotonic() - self._last

    def _accept(self, listener: socket.socket) -> None:
        while not self.stopping.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                if self.stopping.is_set():
                    return
                time.sleep(POLL)  # out of descriptors, say: wait instead of spinning
                continue
            with self._busy:
                self._connections += 1
            threading.Thread(target=self._connection, args=(connection,), daemon=True).start()

    def _connection(self, connection: socket.socket) -> None:
        try:
            connection.settimeout(READ_TIMEOUT)
            connection.sendall(self._answer(connection))
        except OSError as exc:
            self._say(f"a connection failed: {exc}")
        finally:
            connection.close()
            with self._busy:
                self._connections -= 1

    def _answer(self, connection: socket.socket) -> bytes:
        refusal = peer.refusal(peer.peer_uid(connection))
        if refusal is not None:
            self._say(f"refused a connection: {refusal}")
            return refused(refusal)
        message, fds = fork.receive(connection, time.monotonic() + READ_TIMEOUT)
        try:
            word, their_identity, fields = wire.decode(message)
        except wire.WireError as exc:
            fork.close_all(fds)
            return refused(f"garbled call: {exc}")
        call: calls.Call | fork.Session | str = "descriptors come with `serve` and `check` only"
        if word == "serve" and their_identity == identity():
            call = fork.parse(fields, fds, connection.fileno())
        if not isinstance(call, fork.Session):
            fork.close_all(fds)
        if their_identity != identity():
            return refused(f"this daemon serves provguard {identity()}, not {their_identity}")
        if word == "status":
            return reply("ok", [b"%d" % os.getpid(), b"%d" % self.served, b"%f" % self.started,
                                b"%f" % self.idle_timeout, os.fsencode(self.place.socket)])
        if word == "stop":
            self.stopping.set()
            return reply("ok", [])
        if word != "serve":
            call = calls.parse(word, fields) if not fds else call
        if isinstance(call, str):
            return refused(call)
        if (changed := self.code.changed()) is not None:  # the caller answers with the code on disk
            if isinstance(call, fork.Session):
                call.close()
            self._say(f"leaving: provguard's code changed since this daemon started ({changed})")
            self.stopping.set()
            return refused(f"provguard's code changed since this daemon started ({changed})")
        job = Job(call)
        with self._busy:
            self._last = time.monotonic()  # only calls keep the daemon up: asking its status does not
        self.jobs.put(job)
        if self.stopping.is_set():
            self._drain()  # the main thread may have drained already: never leave a call waiting
        job.done.wait()
        with self._busy:
            self._last = time.monotonic()
        return job.reply

    def _say(self, line: str) -> None:
        with contextlib.suppress(OSError, ValueError):  # a log that cannot be written must not stop the daemon
            print(f"provguard daemon: {printable(line)}", file=self.log, flush=True)  # clients' bytes in it


def _pid(lock: int) -> int | None:
    try:
        text = os.pread(lock, 32, 0).strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):  # gone already, or never made
        os.unlink(path)


def idle_timeout(environ: os._Environ[str] | dict[str, str] = os.environ) -> float:
    """PROVGUARD_DAEMON_IDLE when it is a positive number, else DEFAULT_IDLE."""
    try:
        value = float(environ.get(IDLE_ENV, ""))
    except ValueError:
        return DEFAULT_IDLE
    return value if value > 0 else DEFAULT_IDLE
