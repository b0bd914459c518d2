"""The daemon's parts on their own: its wire format, the peer check that keeps other users off the socket,
the runtime folder's safety check, the start-attempt stamp, and the reading of a forwarded call."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from provguard.daemon import calls, peer, spawn, wire
from provguard.daemon.place import Place, folder_path, identity, unsafe


def test_a_message_round_trips_with_any_bytes_in_its_fields() -> None:
    fields = [b"", b"\x00\xff\n12\n", "é".encode(), b"x" * 70_000]

    assert wire.decode(wire.encode("guard", "0.1.0-abc", fields)) == ("guard", "0.1.0-abc", fields)


@pytest.mark.parametrize(("message", "problem"), [
    (b"", "no header line in the first 256 bytes"),
    (b"GET / HTTP/1.1\r\n\r\n", "not a provguard-daemon/1 header: b'GET / HTTP/1.1\\r'"),
    (b"provguard-daemon/1 ok 1\n5\nabc", "field 1: 5 bytes announced at byte 24, 3 sent"),
    (b"provguard-daemon/1 ok 1\n3\nabcx", "field 2: no length at byte 29"),
    (b"provguard-daemon/1 ok 1\n-1\n", "field 1: no length at byte 24"),
])
def test_a_broken_message_is_an_error_saying_where(message: bytes, problem: str) -> None:
    with pytest.raises(wire.WireError) as raised:
        wire.decode(message)
    assert str(raised.value) == problem


def test_lists_keep_empty_entries() -> None:
    for values in ([], [b""], [b"a", b"", b"b"], [b"HOME=/home/dana"]):
        assert wire.split(wire.join(values)) == values


def test_a_peer_running_as_another_user_is_refused_and_the_same_user_is_served() -> None:
    credentials = (4242).to_bytes(4, "little") + (1000).to_bytes(4, "little") + (1000).to_bytes(4, "little")

    assert peer.refusal(1000, own=1000) is None
    assert peer.refusal(0, own=1000) == "the peer runs as user 0, not as this user (1000)"
    assert peer.refusal(None, own=1000) is None  # where the kernel cannot say, the 0700 folder decides
    assert peer.uid_of(credentials) == (1000 if sys.byteorder == "little" else 1000 << 24)


def test_the_peer_of_a_real_connection_is_this_user() -> None:
    left, right = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    with left, right:
        assert peer.peer_uid(left) in (os.geteuid(), None)
        assert peer.refusal(peer.peer_uid(left)) is None


def test_the_runtime_folder_must_be_this_users_and_closed_to_others(tmp_path: Path) -> None:
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o770)
    link = tmp_path / "link"
    link.symlink_to(private)

    assert unsafe(str(private)) is None
    assert unsafe(str(shared)) == f"{shared} is open to other users (mode 0770; 0700 is required)"
    assert unsafe(str(link)) == f"{link} is not a folder"
    assert unsafe(str(tmp_path / "missing")) == f"{tmp_path / 'missing'}: No such file or directory"


def test_the_runtime_folder_comes_from_the_environment() -> None:
    assert folder_path({"PROVGUARD_RUNTIME_DIR": "/run/pg", "XDG_RUNTIME_DIR": "/run/user/7"}) == "/run/pg"
    assert folder_path({"XDG_RUNTIME_DIR": "/run/user/7"}) == "/run/user/7/provguard"
    assert folder_path({"TMPDIR": "/var/tmp"}) == f"/var/tmp/provguard-{os.geteuid()}"
    assert folder_path({}) == f"/tmp/provguard-{os.geteuid()}"


def test_the_socket_name_carries_the_version_and_the_installation() -> None:
    from provguard import __version__

    assert identity().startswith(f"{__version__}-") and len(identity()) == len(__version__) + 9


def test_a_start_is_attempted_at_most_once_a_minute(tmp_path: Path) -> None:
    place = Place(str(tmp_path), "provguard-test")

    assert spawn.claim_attempt(place, now=1_000.0)
    assert not spawn.claim_attempt(place, now=1_030.0)
    assert spawn.claim_attempt(place, now=1_000.0 + spawn.START_BACKOFF + 1)


def forwarded(**changes: bytes) -> list[bytes]:
    fields = {"argv": wire.join([b"claude-code"]), "cwd": b"/home/dana/shop", "umask": b"18",
              "environ": wire.join([b"HOME=/home/dana", b"EMPTY="]), "stdin": b"{}"}
    fields.update(changes)
    return list(fields.values())


def test_a_forwarded_call_is_read_back_exactly() -> None:
    call = calls.parse("guard", forwarded())

    assert call == calls.Call("guard", ["claude-code"], b"/home/dana/shop", 18,
                              {b"HOME": b"/home/dana", b"EMPTY": b""}, b"{}")


@pytest.mark.parametrize(("command", "fields", "problem"), [
    ("rm", forwarded(), "unknown operation 'rm'"),
    ("guard", forwarded()[:4], "a call has 5 fields (argv, cwd, umask, environment, stdin), this one 4"),
    ("hook", forwarded(cwd=b"relative"), "the umask or working folder is not valid"),
    ("hook", forwarded(umask=b"-1"), "the umask or working folder is not valid"),
    ("hook", forwarded(environ=wire.join([b"NOEQUALS"])), "environment entry without a name: b'NOEQUALS'"),
    ("guard", forwarded(argv=wire.join([b"install", b"codex"])), "the daemon judges calls; it does not install hooks"),
])
def test_a_malformed_call_is_refused_saying_why(command: str, fields: list[bytes], problem: str) -> None:
    assert calls.parse(command, fields) == problem


WARN_TWICE = """
import os, warnings
from provguard.daemon import calls
call = calls.Call("guard", [], os.getcwdb(), 0o022, dict(os.environb), b"")
for _ in range(2):
    with calls.as_caller(call) as (_, stderr):
        warnings.warn("the same place each time", UserWarning, stacklevel=1)
    print("the same place each time" in stderr.getvalue())
"""


def test_a_warning_is_shown_to_every_caller_as_each_process_would_show_it(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", WARN_TWICE], capture_output=True, text=True, cwd=tmp_path,
                          timeout=60, check=True)

    assert done.stdout.split() == ["True", "True"]
