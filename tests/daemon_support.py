"""Daemons for the tests: each in a runtime folder of its own (never the user's), every one stopped at the end.

A daemon a test starts on purpose, and one a guard or hook call starts by itself, both write their pid into the
lock file of the test's runtime folder; the fixture's finalizer ends each of those processes (SIGTERM, then
SIGKILL) and waits until it is gone, so no test leaves a daemon behind, and CI never waits on one.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from provguard.daemon import control
from provguard.daemon.place import Place, locate

WAIT = 60.0
"""Upper bound for a daemon to come up or go away: a limit against hanging, not a timing check."""


@dataclass
class Daemons:
    """A test's runtime folder and the environment its guard and hook calls run with."""

    folder: Path
    env: dict[str, str]
    started: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def place(self) -> Place:
        return locate(self.env)

    def raw(self, *args: str, stdin: bytes = b"", cwd: Path | None = None,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
        """`provguard ARGS` as an agent runs it: stdin a pipe, stdout and stderr captured as bytes."""
        return subprocess.run([sys.executable, "-m", "provguard", *args], input=stdin, capture_output=True,
                              timeout=WAIT, check=False, cwd=cwd, env=self.env if env is None else env)

    def run(self, *args: str, stdin: bytes = b"", cwd: Path | None = None,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        done = self.raw(*args, stdin=stdin, cwd=cwd, env=env)
        return subprocess.CompletedProcess(done.args, done.returncode, done.stdout.decode(), done.stderr.decode())

    @property
    def off(self) -> dict[str, str]:
        """The same environment with the daemon switched off: the in-process path."""
        return {**self.env, "PROVGUARD_DAEMON": "0"}

    def start(self, *args: str) -> subprocess.Popen[bytes]:
        """`provguard daemon ARGS` in the foreground, once it answers its status."""
        log = (self.folder / "foreground.log").open("ab")
        process = subprocess.Popen([sys.executable, "-m", "provguard", "daemon", *args], env=self.env,
                                   stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        log.close()
        self.started.append(process)
        self.wait_until_running()
        return process

    def status(self) -> control.Status | str:
        return control.status(self.place)

    def served(self) -> int:
        found = self.status()
        assert isinstance(found, control.Status), found
        return found.served

    def wait_until_running(self) -> control.Status:
        deadline = time.monotonic() + WAIT
        while not isinstance(found := self.status(), control.Status):
            assert time.monotonic() < deadline, f"no daemon came up: {found}; log: {self.log()}"
            time.sleep(0.02)
        return found

    def log(self) -> str:
        return "".join(p.read_text(errors="replace") for p in sorted(self.folder.glob("*.log")))

    def pids(self) -> list[int]:
        """Daemons whose pid is in a lock file of this folder and that are still alive."""
        found: list[int] = []
        for lock in self.folder.glob("*.lock"):
            text = lock.read_text().strip()
            if text.isdigit() and _is_daemon(int(text)):
                found.append(int(text))
        return found

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                process.terminate()
        for pid in self.pids():
            _end(pid)
        for process in self.started:
            try:
                process.wait(timeout=WAIT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=WAIT)


def _is_daemon(pid: int) -> bool:
    """A live provguard daemon process (the pid in a stale lock file may belong to another process by now)."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return b"provguard" in command and b"daemon" in command and state != "Z"


def _end(pid: int) -> None:
    for sig, patience in ((signal.SIGTERM, 10.0), (signal.SIGKILL, WAIT)):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + patience
        while _is_daemon(pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        if not _is_daemon(pid):
            return


def descendants(pid: int) -> list[int]:
    """The processes below `pid`, parents before their children (a session's watcher, then its child)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue
        for child in map(int, children):
            found += [child, *descendants(child)]
    return found


def gone(pid: int) -> bool:
    """Waits (up to WAIT) until `pid` has exited; whether it has."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return True
        if state in ("Z", "X"):
            return True
        time.sleep(0.02)
    return False


def daemons(cache: Path, idle: float = 120.0) -> Iterator[Daemons]:
    """A fresh runtime folder (short: socket paths are limited to 107 bytes) and a finalizer for its daemons.
    A daemon nobody stops still leaves after `idle` seconds."""
    folder = Path(tempfile.mkdtemp(prefix="pgd-", dir="/tmp"))
    env = {**os.environ, "PROVGUARD_RUNTIME_DIR": str(folder), "XDG_CACHE_HOME": str(cache),
           "PROVGUARD_DAEMON_IDLE": f"{idle:g}"}
    for name in ("PROVGUARD_DAEMON", "PROVGUARD_GUARD_CACHE", "PROVGUARD_LEDGER_URL"):
        env.pop(name, None)
    made = Daemons(folder, env)
    try:
        yield made
    finally:
        made.stop_all()
        shutil.rmtree(folder, ignore_errors=True)
