"""`provguard hook <agent>` run by an agent that leaves stdin open and sends nothing, or stops halfway through
its payload: the hook (and the daemon's client before it) gives up after `PAYLOAD_WAIT` seconds (the guard's
default `--timeout`), says on stderr that the payload did not come, records nothing and exits 0, rather than
holding the agent until it kills the hook. The pipe is held open by the test for the whole run; the run has a
timeout, so a hang fails the test."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from provguard.stdin_payload import PAYLOAD_WAIT
from transcript_support import payload

HANG = 90


def hook_with_open_stdin(agent: str, project: Path, sent: bytes,
                         daemon: bool = False) -> subprocess.CompletedProcess[str]:
    """`provguard hook AGENT` in `project`, sent `sent` through a pipe this side never closes until it exits; with
    `daemon`, as agents run it by default: the daemon's client reads the payload first."""
    env = {**os.environ, "PROVGUARD_DAEMON": "1" if daemon else "0", "XDG_RUNTIME_DIR": str(project.parent)}
    process = subprocess.Popen([sys.executable, "-m", "provguard", "hook", agent], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=project, env=env)
    assert process.stdin is not None
    try:
        if sent:
            process.stdin.write(sent)
            process.stdin.flush()
        stdout, stderr = _wait(process)
    finally:
        process.stdin.close()
        if process.poll() is None:
            process.kill()
            process.wait()
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def _wait(process: subprocess.Popen[bytes]) -> tuple[str, str]:
    """Waits for the exit with stdin still open (communicate would close it), then reads both outputs."""
    process.wait(timeout=HANG)
    assert process.stdout is not None and process.stderr is not None
    return process.stdout.read().decode(), process.stderr.read().decode()


@pytest.mark.parametrize("daemon", [False, True], ids=["in-process", "daemon client"])
@pytest.mark.parametrize("agent", ["claude-code", "codex", "cursor", "copilot"])
def test_a_stdin_left_open_with_nothing_sent_is_given_up_and_the_hook_exits_0(project: Path, agent: str,
                                                                              daemon: bool) -> None:
    done = hook_with_open_stdin(agent, project, b"", daemon)

    assert done.returncode == 0, done.stderr
    assert done.stderr == f"provguard hook: no payload came on stdin within {PAYLOAD_WAIT:g} s: nothing recorded\n"
    assert done.stdout == ""
    assert not (project / ".provguard").exists()


@pytest.mark.parametrize("daemon", [False, True], ids=["in-process", "daemon client"])
def test_a_payload_that_stops_halfway_is_not_recorded(project: Path, daemon: bool) -> None:
    whole = payload("claude-code-write.json", project)
    done = hook_with_open_stdin("claude-code", project, whole[: len(whole) // 2], daemon)

    assert done.returncode == 0, done.stderr
    assert done.stderr == f"provguard hook: the payload did not end within {PAYLOAD_WAIT:g} s: nothing recorded\n"
    assert not (project / ".provguard").exists()
