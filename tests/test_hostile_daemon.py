"""Hostile clients on the daemon's socket: a call that never ends, or that stops halfway and stays connected.

Each connection is read on a thread of its own with a deadline (daemon/server.py READ_TIMEOUT), so such a client
is cut off in bounded time and holds up nobody: the daemon keeps answering other calls while it hangs on.
"""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest

from daemon_support import Daemons
from guard_support import payload
from provguard.daemon.place import identity
from test_daemon import make_project

pytest_plugins = ("daemon_fixtures",)  # the `run` fixture

HANG = 60.0
"""Seconds: far beyond the daemon's read deadline, reached only if a hostile client is never cut off."""


def endless_sender(path: str, opening: bytes) -> tuple[threading.Thread, list[BaseException]]:
    """A client that writes `opening` and then keeps writing a field that never ends, until the daemon drops
    it; the error that ended the writing lands in the list."""
    ended: list[BaseException] = []

    def send() -> None:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.connect(path)
            sock.settimeout(HANG)
            try:
                sock.sendall(opening)
                while True:
                    sock.sendall(b"x" * 65536)
            except OSError as exc:
                ended.append(exc)

    thread = threading.Thread(target=send, daemon=True)
    thread.start()
    return thread, ended


@pytest.mark.timeout(180)
def test_a_call_that_never_ends_is_cut_off_and_other_calls_are_answered_meanwhile(run: Daemons,
                                                                                  tmp_path: Path) -> None:
    project = make_project(tmp_path / "shop")
    data = payload("claude-code-write-test-file.json", project)
    run.start()
    header = b"provguard-daemon/1 guard %s\n999999999999\n" % identity().encode()
    endless, ended = endless_sender(run.place.socket, header)

    answered = run.run("guard", "claude-code", stdin=data, cwd=project)

    assert '"deny"' in answered.stdout and run.served() == 1  # judged by the daemon, not in-process
    endless.join(HANG)
    assert not endless.is_alive() and isinstance(ended[0], OSError)
    assert run.status() != "not running"


@pytest.mark.timeout(180)
def test_a_client_silent_after_half_a_header_is_dropped_with_no_answer_and_the_daemon_serves_on(
        run: Daemons) -> None:
    run.start()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.connect(run.place.socket)
        sock.sendall(b"provguard-daemon/1 gua")
        sock.settimeout(HANG)
        assert run.served() == 0  # the status call is answered while this one waits

        assert sock.recv(1 << 16) == b""  # closed by the daemon: a call cut short gets no verdict
