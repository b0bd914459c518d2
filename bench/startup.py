"""Start-up costs measured in fresh interpreters: the bare interpreter and the imports a server needs; run as a
script, spawn -> first diagnostics with and without a running daemon, beside ruff server (see main)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from time import perf_counter

from lsp_wire import FrameReader, cpu_seconds, frame

DEPENDENCY_IMPORTS = (
    "import time; t=time.perf_counter(); import pygls.lsp.server, tree_sitter, lsprotocol.types; "
    "print(time.perf_counter()-t)"
)
PROVGUARD_ON_TOP = (
    "import time; import pygls.lsp.server, tree_sitter, lsprotocol.types; t=time.perf_counter(); "
    "from provguard.lsp.server import build; from provguard.session import Session; "
    "from provguard.settings import Settings; build(); Session([]).configure(Settings()); "
    "print(time.perf_counter()-t)"
)
"""provguard's own share: its modules, the server's features and the default pack, on top of the deps."""


def interpreter_start() -> float:
    """Wall seconds of `python -c pass`, spawn to exit."""
    start = perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    return perf_counter() - start


def timed_snippet(code: str) -> float:
    """The seconds a snippet prints about itself, run in a fresh interpreter."""
    done = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return float(done.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------ spawn -> first diagnostics, warm and cold
# python bench/startup.py [--runs N] [--baseline DIR] [--cpu N]: provguard serve with no daemon (PROVGUARD_DAEMON=0),
# provguard serve forked by a running daemon (its own runtime folder, started with --preload), provguard serve
# finding none and starting one as an editor's first session does (a fresh runtime folder each run; the daemon is
# stopped after it), the same three of a baseline source tree, and ruff server, taking turns on the same small
# file. Targets (PASS/MISS, never a failing exit status): <= 100 ms with a daemon running, <= 500 ms without.

WARM_TARGET_MS = 100.0
COLD_TARGET_MS = 500.0
RUFF = (str(Path(sys.executable).with_name("ruff")), "server")
PROVGUARD = (sys.executable, "-m", "provguard", "serve")
DOCUMENT = """\
import os


# provguard: begin kind=ai-agent tool=claude-code vendor=anthropic
def generated():
    return 42
# provguard: end
"""
"""One unused import (ruff's F401) and one unreviewed agent region in a test file (provguard's rule)."""


def first_diagnostics(command: tuple[str, ...], root: str, env: dict[str, str], timeout: float = 60.0,
                      cpu: list[float] | None = None, then: list[float] | None = None) -> float:
    """Seconds from spawning `command` to the publishDiagnostics for a file opened right after initialize;
    `cpu` gets the CPU seconds the spawned process had used by then (on a loaded machine, steadier than wall);
    `then` gets the seconds from spawning to the answer of a hover sent once those diagnostics came (a server
    that defers work past its first diagnostics shows it there)."""
    import os

    uri = f"file://{root}/tests/test_start.py"
    started = perf_counter()
    deadline = started + timeout
    process = subprocess.Popen(command, cwd=root, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL)
    assert process.stdin is not None and process.stdout is not None
    reader = FrameReader(process.stdout.fileno())
    try:
        process.stdin.write(frame({"id": 1, "method": "initialize", "params": {
            "processId": os.getpid(), "rootUri": f"file://{root}", "capabilities": {},
            "workspaceFolders": [{"uri": f"file://{root}", "name": "start"}]}}))
        process.stdin.flush()
        while reader.next(deadline).get("id") != 1:
            continue
        process.stdin.write(frame({"method": "initialized", "params": {}}) + frame({
            "method": "textDocument/didOpen", "params": {"textDocument": {
                "uri": uri, "languageId": "python", "version": 1, "text": DOCUMENT}}}))
        process.stdin.flush()
        while True:
            message = reader.next(deadline)
            params = message.get("params")
            if message.get("method") == "textDocument/publishDiagnostics" and isinstance(params, dict) \
                    and params.get("uri") == uri and params.get("diagnostics"):
                seconds = perf_counter() - started
                if cpu is not None:
                    cpu.append(cpu_seconds(process.pid))
                if then is not None:
                    then.append(_hover_answered(process, reader, uri, deadline) - started)
                return seconds
            if "id" in message and "method" in message:  # a request of the server's: answer null
                process.stdin.write(frame({"id": message["id"], "result": None}))
                process.stdin.flush()
    finally:
        try:
            process.stdin.write(frame({"id": 2, "method": "shutdown"})
                                + frame({"method": "exit"}))
            process.stdin.close()
        except OSError:
            pass
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _hover_answered(process: subprocess.Popen[bytes], reader: FrameReader, uri: str, deadline: float) -> float:
    """perf_counter when the server answered a hover on the opened file's agent region."""
    assert process.stdin is not None
    process.stdin.write(frame({"id": 3, "method": "textDocument/hover", "params": {
        "textDocument": {"uri": uri}, "position": {"line": 4, "character": 4}}}))
    process.stdin.flush()
    while True:
        message = reader.next(deadline)
        if message.get("id") == 3 and "method" not in message:
            return perf_counter()
        if "id" in message and "method" in message:  # a request of the server's: answer null
            process.stdin.write(frame({"id": message["id"], "result": None}))
            process.stdin.flush()


def _daemon(env: dict[str, str]) -> subprocess.Popen[bytes]:
    """`provguard daemon --preload` in the foreground, once it answers (its imports done at the first idle).
    Asked through `provguard daemon --status` in `env`: a baseline's daemon answers only its own provguard."""
    import time

    daemon = subprocess.Popen([sys.executable, "-m", "provguard", "daemon", "--preload"], env=env,
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while subprocess.run([*PROVGUARD[:-1], "daemon", "--status"], env=env, capture_output=True).returncode:
        if time.monotonic() > deadline:
            daemon.kill()
            raise RuntimeError("the daemon did not come up")
        time.sleep(0.05)
    return daemon


def _stop_started_daemon(env: dict[str, str], timeout: float = 60.0) -> None:
    """Stops the daemon a `serve` started in `env`'s runtime folder, once it answers: a run must not leave it
    competing with the next one."""
    import time

    deadline = time.monotonic() + timeout
    while subprocess.run([*PROVGUARD[:-1], "daemon", "--status"], env=env, capture_output=True).returncode:
        if time.monotonic() > deadline:
            return
        time.sleep(0.1)
    subprocess.run([*PROVGUARD[:-1], "daemon", "--stop"], env=env, capture_output=True)


def spawn_to_first_diagnostics(runs: int, baseline: str | None = None
                               ) -> tuple[dict[str, list[float]], dict[str, list[float]], dict[str, list[float]]]:
    """Seconds per run for each server, the servers taking turns; a warm-up run of each is not counted. Also the
    CPU seconds of the servers that run in the spawned process (not the daemon's: its forked child does the work),
    and the seconds from spawning to the answer of a hover sent right after the first diagnostics.
    `baseline`: a provguard source folder measured beside the installed one (its own daemon and runtime folder)."""
    import os
    import shutil
    import tempfile

    root = Path(tempfile.mkdtemp(prefix="pg-start-"))
    runtimes = [tempfile.mkdtemp(prefix="pgs-", dir="/tmp")]
    bytecode = Path(tempfile.mkdtemp(prefix="pg-bytecode-"))
    (root / ".git").mkdir()
    (root / "tests").mkdir()
    (root / "tests" / "test_start.py").write_text(DOCUMENT)
    # Bytecode cached as an installed package has it (the warm-up run writes it), in a folder of the bench's own:
    # with PYTHONDONTWRITEBYTECODE set, a source tree without __pycache__ (a baseline) would compile every run.
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    # Each tree its own user cache: the guard's policy cache is told apart by version, not by the code (a baseline
    # of the same version would read the policy the other tree pickled, from the other tree's packs).
    base = {**environment, "HOME": str(root), "PROVGUARD_RUNTIME_DIR": runtimes[0],
            "PYTHONPYCACHEPREFIX": str(bytecode), "XDG_CACHE_HOME": str(bytecode / "cache")}
    variants: dict[str, tuple[tuple[str, ...], dict[str, str]]] = {
        "provguard, no daemon": (PROVGUARD, {**base, "PROVGUARD_DAEMON": "0"}),
        "provguard, daemon running": (PROVGUARD, {**base, "PROVGUARD_DAEMON": "1"}),
        "provguard, starts a daemon": (PROVGUARD, {**base, "PROVGUARD_DAEMON": "1"}),
    }
    if baseline:
        runtimes.append(tempfile.mkdtemp(prefix="pgs-", dir="/tmp"))
        old = {**base, "PROVGUARD_RUNTIME_DIR": runtimes[1], "PYTHONPATH": baseline,
               "XDG_CACHE_HOME": str(bytecode / "baseline-cache")}
        variants["baseline, no daemon"] = (PROVGUARD, {**old, "PROVGUARD_DAEMON": "0"})
        variants["baseline, daemon running"] = (PROVGUARD, {**old, "PROVGUARD_DAEMON": "1"})
        variants["baseline, starts a daemon"] = (PROVGUARD, {**old, "PROVGUARD_DAEMON": "1"})
    if os.path.exists(RUFF[0]):
        variants["ruff server"] = (RUFF, base)
    daemons = [_daemon(env) for name, (_, env) in variants.items() if name.endswith("daemon running")]
    try:
        times: dict[str, list[float]] = {name: [] for name in variants}
        cpus: dict[str, list[float]] = {name: [] for name in variants if not name.endswith("daemon running")}
        hovers: dict[str, list[float]] = {name: [] for name in variants}
        for run in range(runs + 1):
            for name, (command, env) in variants.items():
                cpu: list[float] = []
                hover: list[float] = []
                if name.endswith("starts a daemon"):  # a runtime folder of its own: none runs, none was tried
                    env = {**env, "PROVGUARD_RUNTIME_DIR": tempfile.mkdtemp(prefix="pgs-", dir="/tmp")}
                    runtimes.append(env["PROVGUARD_RUNTIME_DIR"])
                seconds = first_diagnostics(command, str(root), env, cpu=cpu, then=hover)
                if name.endswith("starts a daemon"):
                    _stop_started_daemon(env)
                if run:
                    times[name].append(seconds)
                    hovers[name].extend(hover)
                    if name in cpus:
                        cpus[name].extend(cpu)
        return times, cpus, hovers
    finally:
        for daemon in daemons:
            daemon.terminate()
            daemon.wait(timeout=60)
        for runtime in runtimes:
            shutil.rmtree(runtime, ignore_errors=True)
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(bytecode, ignore_errors=True)


def main() -> None:
    import argparse
    import os
    import statistics

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--baseline", help="a provguard source folder (e.g. `git archive` of a commit's server/) "
                                           "measured beside the installed one, with a daemon of its own")
    parser.add_argument("--cpu", type=int, help="run the bench and every process it starts on this one CPU (the "
                                                    "affinity is inherited): a session and a daemon it starts then "
                                                    "compete as they do on a machine whose cores are busy")
    args = parser.parse_args()
    if args.cpu is not None:
        os.sched_setaffinity(0, {args.cpu})
    load = os.getloadavg()[0]
    times, cpus, hovers = spawn_to_first_diagnostics(args.runs, args.baseline)
    targets = {"provguard, no daemon": COLD_TARGET_MS, "provguard, starts a daemon": COLD_TARGET_MS,
               "provguard, daemon running": WARM_TARGET_MS}
    pinned = "" if args.cpu is None else f", all on CPU {args.cpu}"
    print(f"spawn -> first diagnostics, {args.runs} runs each, taking turns (median / min / max ms; CPU ms of the "
          f"spawned process by then, median; spawn -> answer to a hover sent right after them, median), load "
          f"{load:.2f} before, {os.getloadavg()[0]:.2f} after{pinned}:")
    for name, seconds in times.items():
        ms = sorted(s * 1000 for s in seconds)
        target = targets.get(name)
        verdict = "" if target is None else \
            f"  target <= {target:g} ms: {'PASS' if statistics.median(ms) <= target else 'MISS'}"
        cpu = f"{statistics.median(cpus[name]) * 1000:7.0f}" if cpus.get(name) else "      -"
        hover = f"{statistics.median(hovers[name]) * 1000:7.0f}" if hovers.get(name) else "      -"
        print(f"  {name:28} {statistics.median(ms):7.1f} / {ms[0]:7.1f} / {ms[-1]:7.1f}  CPU {cpu}  hover {hover}"
              f"{verdict}")
    print(f"  python -c pass               {interpreter_start() * 1000:7.1f}")


if __name__ == "__main__":
    main()
