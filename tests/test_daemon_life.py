"""The daemon's life as a user sees it: started by the first call that finds none (once), switched off by
PROVGUARD_DAEMON=0, one per user and provguard, gone with its socket when idle or asked, reported by
`provguard daemon --status` and `provguard doctor`, and kept out of a runtime folder others could reach."""

from __future__ import annotations

import fcntl
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from daemon_support import WAIT, Daemons
from guard_support import decision, payload
from provguard.daemon import control, wire
from provguard.daemon.place import identity
from transcript_support import CLAUDE_FIXTURE, CLAUDE_SESSION, moved
from transcript_support import payload as hook_payload

pytest_plugins = ("daemon_fixtures",)  # the `run` and `project` fixtures


def deny(run: Daemons, project: Path) -> None:
    done = run.run("guard", "claude-code", stdin=payload("claude-code-write-test-file.json", project), cwd=project)
    assert decision("claude-code", done)[0] == "deny"
    assert done.stderr == ""


def test_the_first_call_starts_a_daemon_once_and_the_next_calls_are_served_by_it(run: Daemons,
                                                                                  project: Path) -> None:
    assert run.status() == "not running"

    deny(run, project)  # judged in-process; a daemon is started for the next call
    started = run.wait_until_running()
    assert started.served == 0
    deny(run, project)
    deny(run, project)

    assert run.served() == 2
    assert run.pids() == [started.pid]
    assert run.log().count("provguard daemon: serving ") == 1
    assert not Path(run.place.stamp).exists()  # it came up: a later daemon may be started at once


def test_a_call_whose_caller_waits_for_its_output_is_not_held_up_by_the_daemon_it_starts(run: Daemons,
                                                                                          project: Path) -> None:
    """The daemon must not inherit the agent's pipes: the agent reads stdout until it closes."""
    call = subprocess.Popen([sys.executable, "-m", "provguard", "guard", "claude-code"], env=run.env, cwd=project,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = call.communicate(payload("claude-code-write-test-file.json", project), timeout=WAIT)

    assert b'"deny"' in out and err == b""
    assert run.wait_until_running().pid != call.pid


def test_with_provguard_daemon_0_no_daemon_is_asked_or_started(run: Daemons, project: Path, tmp_path: Path) -> None:
    env = {**run.env, "PROVGUARD_DAEMON": "0", "PROVGUARD_RUNTIME_DIR": str(tmp_path / "never")}
    transcript = moved(CLAUDE_FIXTURE, tmp_path / "claude" / f"{CLAUDE_SESSION}.jsonl", project)

    for _ in range(2):
        done = run.run("guard", "claude-code", stdin=payload("claude-code-write-test-file.json", project),
                       cwd=project, env=env)
        assert decision("claude-code", done)[0] == "deny"
        hooked = run.run("hook", "claude-code", stdin=hook_payload("claude-code-write.json", project, transcript),
                         cwd=project, env=env)
        assert (hooked.returncode, hooked.stderr) == (0, "")

    assert not (tmp_path / "never").exists()


def test_a_daemon_that_cannot_start_is_not_started_again_by_every_call(run: Daemons, project: Path) -> None:
    Path(run.place.folder).mkdir(parents=True, exist_ok=True)
    holder = os.open(run.place.lock, os.O_RDWR | os.O_CREAT, 0o600)  # as if a daemon held it, with no socket
    fcntl.flock(holder, fcntl.LOCK_EX)
    try:
        deny(run, project)  # no socket: judged in-process, and a daemon started, which cannot take the lock
        deadline = time.monotonic() + WAIT
        while "a daemon is already running" not in run.log():
            assert time.monotonic() < deadline, run.log()
            time.sleep(0.02)
        deny(run, project)
        deny(run, project)
    finally:
        os.close(holder)

    assert run.log().count("a daemon is already running") == 1
    assert Path(run.place.stamp).exists()  # the attempt is remembered: the next calls did not start one
    assert run.pids() == []


def test_a_second_daemon_refuses_to_start_and_the_first_one_goes_on(run: Daemons, project: Path) -> None:
    first = run.start()

    second = run.run("daemon")

    assert second.returncode == 0
    assert second.stderr == (f"provguard daemon: a daemon is already running (pid {first.pid}, "
                             f"{run.place.socket})\n")
    deny(run, project)
    assert run.served() == 1


def test_an_idle_daemon_leaves_and_removes_its_socket(run: Daemons) -> None:
    daemon = run.start("--idle-timeout", "0.5")

    assert daemon.wait(timeout=WAIT) == 0
    assert not Path(run.place.socket).exists()
    assert run.status() == "not running"
    assert "provguard daemon: idle for 0.5 s" in run.log()


def test_status_and_stop(run: Daemons) -> None:
    assert run.run("daemon", "--status").stdout == f"daemon: not running; socket {run.place.socket}\n"
    assert run.run("daemon", "--status").returncode == 1
    daemon = run.start()

    status = run.run("daemon", "--status")
    assert (status.returncode, status.stdout) == (0, (
        f"daemon: running, pid {daemon.pid}, 0 calls served, leaves after 120 s idle; socket {run.place.socket}\n"))

    stopped = run.run("daemon", "--stop")
    assert (stopped.returncode, stopped.stdout) == (0, f"provguard daemon: stopped ({run.place.socket})\n")
    assert daemon.wait(timeout=WAIT) == 0
    assert not Path(run.place.socket).exists()
    assert run.run("daemon", "--stop").stdout == "provguard daemon: not running\n"


def test_doctor_says_whether_the_daemon_runs_and_where_its_socket_is(run: Daemons, project: Path) -> None:
    assert run.run("doctor", "--root", str(project)).stdout.splitlines()[-1] == (
        f"daemon: not running (the next guard or hook call starts one); socket {run.place.socket}")
    daemon = run.start()
    assert run.run("doctor", "--root", str(project)).stdout.splitlines()[-1].startswith(
        f"daemon: running, pid {daemon.pid}, 0 calls served")
    assert run.run("doctor", "--root", str(project), env=run.off).stdout.splitlines()[-1] == (
        "daemon: off (PROVGUARD_DAEMON=0): every guard and hook call is judged in its own process")


def test_a_runtime_folder_other_users_can_enter_is_not_used(run: Daemons, project: Path) -> None:
    os.chmod(run.folder, 0o755)

    refused = run.run("daemon")
    deny(run, project)

    assert refused.returncode == 1
    assert refused.stderr == (f"provguard daemon: the runtime folder cannot be used: {run.folder} is open to other "
                              "users (mode 0755; 0700 is required)\n")
    assert list(run.folder.iterdir()) == []  # no socket, no lock, no attempt to start one
    assert isinstance(control.status(run.place), str)


def test_the_client_path_imports_nothing_of_the_analysis_core(run: Daemons, project: Path) -> None:
    run.start()
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "provguard", "guard", "claude-code",
                           "--timeout", "60"],  # about imports, not speed: a loaded CI machine must not matter
                          input=payload("claude-code-write-test-file.json", project), capture_output=True,
                          cwd=project, env=run.env, timeout=WAIT, check=False)
    assert b'"deny"' in done.stdout
    imported = {line.split("|")[-1].strip() for line in done.stderr.decode().splitlines()
                if line.startswith("import time:") and "|" in line} - {"imported package"}

    assert run.served() == 1
    assert sorted(m for m in imported if m.startswith("provguard")) == [
        "provguard", "provguard.cli", "provguard.daemon", "provguard.daemon.client", "provguard.daemon.peer",
        "provguard.daemon.place", "provguard.daemon.wire", "provguard.guard", "provguard.stdin_payload"]
    assert imported.isdisjoint({"typing", "json", "socket", "argparse", "dataclasses", "re", "yaml", "sqlite3"})


def test_a_call_from_another_provguard_is_refused_not_answered(run: Daemons) -> None:
    run.start()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(WAIT)
        sock.connect(run.place.socket)
        sock.sendall(wire.encode("status", "0.0.1-0badc0de", []))
        sock.shutdown(socket.SHUT_WR)
        word, _, fields = wire.decode(b"".join(iter(lambda: sock.recv(65536), b"")))

    assert (word, wire.untext(fields[0])) == ("refused", f"this daemon serves provguard {identity()}, not "
                                                         "0.0.1-0badc0de")


def test_a_runtime_folder_too_deep_for_a_socket_path_leaves_calls_in_process(run: Daemons, project: Path) -> None:
    deep = run.folder / ("d" * 100)
    deep.mkdir(mode=0o700)
    run.env["PROVGUARD_RUNTIME_DIR"] = str(deep)

    deny(run, project)
    refused = run.run("daemon")

    assert refused.returncode == 1
    assert refused.stderr == f"provguard daemon: cannot listen on {run.place.socket}: AF_UNIX path too long\n"
    assert sorted(p.suffix for p in deep.iterdir()) == [".lock"]  # no socket, no start attempted by the call
