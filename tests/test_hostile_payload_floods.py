"""A hook or guard payload that never ends: data keeps coming on stdin and the other end never closes it.

The guard promises an answer within `--timeout` and an exit 0, the hook an exit 0 whatever goes wrong; both
must stop reading at a limit rather than gather stdin until memory runs out. The agents' processes run under
a 1 GiB address-space limit here, so a reader that gathers everything fails with MemoryError in seconds
instead of taking the machine with it.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from guard_support import CACHE
from provguard.stdin_payload import Payload, read_payload

HANG = 90
MEMORY = 1 << 30
TOO_LARGE = Payload(b"", ended=False, too_large=True).problem() or ""
"""What the note says: a reader that gathers stdin dies of MemoryError, or (when the guard's alarm happens to
land inside a read) answers at its timeout, never this."""


def limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def flooded(args: list[str], cwd: Path, daemon: bool = False) -> subprocess.CompletedProcess[bytes]:
    """`provguard ARGS` with /dev/zero as stdin: data for ever, never an end."""
    env = {**os.environ, "XDG_CACHE_HOME": str(CACHE), "PROVGUARD_DAEMON": "1" if daemon else "0",
           "XDG_RUNTIME_DIR": str(cwd.parent)}
    with open("/dev/zero", "rb") as zero:
        return subprocess.run([sys.executable, "-m", "provguard", *args], stdin=zero, capture_output=True,
                              cwd=cwd, env=env, timeout=HANG, preexec_fn=limited, check=False)


@pytest.fixture
def pipe() -> Iterator[tuple[int, int]]:
    read, write = os.pipe()
    yield read, write
    for fd in (read, write):
        with contextlib.suppress(OSError):
            os.close(fd)


def endless(fd: int) -> threading.Thread:
    """A writer that sends zeros until the pipe is closed."""
    def send() -> None:
        block = bytes(1 << 16)
        try:
            while True:
                os.write(fd, block)
        except OSError:
            return

    thread = threading.Thread(target=send, daemon=True)
    thread.start()
    return thread


# -- the reader ---------------------------------------------------------------------------------------------------


def test_a_payload_that_ends_is_read_whole(pipe: tuple[int, int]) -> None:
    read, write = pipe
    os.write(write, b'{"tool_name": "Write"}')
    os.close(write)

    payload = read_payload(read, seconds=30, head=b" ")

    assert (payload.data, payload.ended, payload.problem()) == (b' {"tool_name": "Write"}', True, None)


def test_a_payload_that_never_ends_is_read_to_one_byte_past_the_limit(pipe: tuple[int, int]) -> None:
    read, write = pipe
    writer = endless(write)

    payload = read_payload(read, limit=3 << 20)

    os.close(read)
    writer.join(timeout=HANG)
    assert (len(payload.data), payload.ended, payload.too_large) == ((3 << 20) + 1, False, True)
    assert payload.problem() == "the payload is larger than 3 MiB: not read"


def test_a_stdin_left_open_without_data_is_given_up_at_the_deadline(pipe: tuple[int, int]) -> None:
    read, write = pipe
    os.write(write, b'{"tool_na')

    payload = read_payload(read, seconds=0.2)

    assert (payload.data, payload.ended, payload.too_large) == (b'{"tool_na', False, False)
    assert payload.problem() == "the payload did not end in time: not read"


# -- the commands agents run -----------------------------------------------------------------------------------


@pytest.mark.parametrize("daemon", [False, True], ids=["in-process", "daemon client"])
def test_the_guard_answers_a_payload_that_never_ends_and_lets_the_call_through(project: Path, daemon: bool) -> None:
    done = flooded(["guard", "claude-code", "--timeout", "5"], project, daemon)

    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stderr == f"provguard guard: {TOO_LARGE}; the call is let through\n".encode(), done.stderr[-2000:]


def test_the_guard_refuses_a_payload_that_never_ends_when_the_pack_fails_closed(project: Path) -> None:
    (project / "closed.yaml").write_text("pack: closed\nextends: default\nagent-write-on-error: deny\n",
                                         encoding="utf-8")
    (project / "provguard.toml").write_text('packs = ["closed.yaml"]\n', encoding="utf-8")

    done = flooded(["guard", "claude-code", "--timeout", "5"], project)

    assert done.returncode == 0, done.stderr[-2000:]
    decision = json.loads(done.stdout)["hookSpecificOutput"]["permissionDecision"]
    assert decision == "deny"
    assert TOO_LARGE.encode() in done.stdout, done.stdout[-2000:]


def test_the_hook_gives_up_a_payload_that_never_ends_and_exits_0(project: Path) -> None:
    done = flooded(["hook", "claude-code"], project)

    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stderr.startswith(b"provguard hook: ") and TOO_LARGE.encode() in done.stderr, done.stderr[-2000:]
