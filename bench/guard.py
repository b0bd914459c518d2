"""The time an agent waits on `provguard guard` and `provguard hook`, spawn to exit: answered by a running
provguard daemon (the default once one runs), judged in-process (`PROVGUARD_DAEMON=0`), and `python -c pass`,
interleaved in one loop so that load on the machine hits all alike; plus the guard's decision made in-process
once warm (the daemon's share of a call).

    python bench/guard.py            # 40 calls of each kind
    python bench/guard.py --quick    # 10

Payloads as Claude Code sends them, for a 200-line Write: a PreToolUse no rule refuses (src/, no output), one
the default pack denies (tests/, a deny answer), and a PostToolUse the hook records into the project's ledger
(a new tool call each time, so every call writes). The policy comes from the guard's cache after the first
call, as it does for an agent (guard/policy_cache.py). The daemon runs in a runtime folder of the benchmark's
own and is stopped at the end. Target: a typical decision well under 100 ms including process start.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from time import perf_counter

TARGET_MS = 100.0
LINES = 200
KINDS = ("guard, daemon (allow)", "guard, daemon (deny)", "guard, in-process (allow)", "guard, in-process (deny)",
         "hook, daemon", "hook, in-process", "python -c pass")


@dataclass
class Figures:
    spawned_ms: dict[str, list[float]] = field(default_factory=lambda: {kind: [] for kind in KINDS})
    """Spawn-to-exit milliseconds per kind of call."""
    in_process_ms: list[float] = field(default_factory=list)
    """The guard's decision in-process once warm: what the daemon spends on a call."""
    served: int = 0
    """Calls the daemon answered (all the daemon rows' calls, else the figures would not be the daemon's)."""


def source(lines: int) -> str:
    """A plausible module of `lines` lines: functions of five lines each."""
    out: list[str] = []
    for i in range(lines // 5):
        out += [f"def step_{i}(value):", f"    scaled = value * {i + 1}", "    if scaled > 1000:",
                "        return scaled // 2", "    return scaled"]
    return "\n".join(out) + "\n"


def payload(root: Path, relative: str, call: int) -> bytes:
    return json.dumps({
        "session_id": "bench", "transcript_path": None, "cwd": str(root), "permission_mode": "default",
        "hook_event_name": "PreToolUse", "tool_name": "Write", "tool_use_id": f"toolu_bench_{call}",
        "tool_input": {"file_path": str(root / relative), "content": source(LINES)}}).encode()


def recorded(root: Path, relative: str, call: int) -> bytes:
    """The PostToolUse payload of a 200-line Write that created the file."""
    path, content = str(root / relative), source(LINES)
    return json.dumps({
        "session_id": "bench", "transcript_path": None, "cwd": str(root), "permission_mode": "default",
        "hook_event_name": "PostToolUse", "tool_name": "Write", "tool_use_id": f"toolu_bench_hook_{call}",
        "tool_input": {"file_path": path, "content": content},
        "tool_response": {"type": "create", "filePath": path, "content": content, "structuredPatch": [],
                          "originalFile": None}}).encode()


def _spawn(arguments: list[str], data: bytes, env: dict[str, str]) -> tuple[float, subprocess.CompletedProcess[bytes]]:
    started = perf_counter()
    done = subprocess.run(arguments, input=data, capture_output=True, check=False, env=env)
    return (perf_counter() - started) * 1000, done


def run(runs: int, workspace: Path) -> Figures:
    root = workspace / "shop"
    (root / ".git").mkdir(parents=True, exist_ok=True)
    runtime = Path(tempfile.mkdtemp(prefix="pgd-bench-", dir="/tmp"))  # short: socket paths are limited
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PROVGUARD_GUARD_CACHE")}
    env.update({"XDG_CACHE_HOME": str(workspace / "cache"),  # the guard's policy cache, not the user's
                "PYTHONPYCACHEPREFIX": str(workspace / "pycache"),  # as installed: modules compiled once
                "PROVGUARD_RUNTIME_DIR": str(runtime), "PROVGUARD_DAEMON": "1"})
    off = {**env, "PROVGUARD_DAEMON": "0"}
    daemon = _start_daemon(env, runtime)
    try:
        figures = _measure(runs, root, env, off)
        figures.served = _served(env)
    finally:
        daemon.terminate()
        daemon.wait(timeout=30)
        shutil.rmtree(runtime, ignore_errors=True)
    figures.in_process_ms = _warm(runs, root, env["XDG_CACHE_HOME"])
    if figures.served != 3 * (runs + 1):
        raise SystemExit(f"bench: the daemon served {figures.served} calls, not {3 * (runs + 1)}")
    return figures


def _measure(runs: int, root: Path, env: dict[str, str], off: dict[str, str]) -> Figures:
    guard = [sys.executable, "-m", "provguard", "guard", "claude-code"]
    hook = [sys.executable, "-m", "provguard", "hook", "claude-code"]
    figures = Figures()
    for call in range(runs + 1):  # the first round fills the policy and file caches and is dropped
        allow, deny = payload(root, "src/module.py", call), payload(root, "tests/test_module.py", call)
        timed = {"guard, daemon (allow)": _spawn(guard, allow, env), "guard, daemon (deny)": _spawn(guard, deny, env),
                 "guard, in-process (allow)": _spawn(guard, allow, off),
                 "guard, in-process (deny)": _spawn(guard, deny, off),
                 "hook, daemon": _spawn(hook, recorded(root, f"src/made_{call}.py", call), env),
                 "hook, in-process": _spawn(hook, recorded(root, f"src/kept_{call}.py", call), off),
                 "python -c pass": _spawn([sys.executable, "-c", "pass"], b"", env)}
        for kind, (ms, done) in timed.items():
            denies = "(deny)" in kind
            if done.stderr or (b'"deny"' in done.stdout) != denies or (not denies and done.stdout):
                raise SystemExit(f"bench: unexpected answer for {kind}: {done!r}")
            if call:
                figures.spawned_ms[kind].append(ms)
    return figures


def _warm(runs: int, root: Path, cache: str) -> list[float]:
    from provguard.guard.outcome import Outcome
    from provguard.guard.run import decide

    saved = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = cache
    out: list[float] = []
    try:
        for call in range(runs + 1):
            data = payload(root, "tests/test_module.py", call)
            started = perf_counter()
            decide("claude-code", data, Outcome())
            if call:
                out.append((perf_counter() - started) * 1000)
    finally:
        if saved is None:
            del os.environ["XDG_CACHE_HOME"]
        else:
            os.environ["XDG_CACHE_HOME"] = saved
    return out


def _start_daemon(env: dict[str, str], runtime: Path) -> subprocess.Popen[bytes]:
    daemon = subprocess.Popen([sys.executable, "-m", "provguard", "daemon"], env=env, stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while not any(runtime.glob("*.sock")):
        if daemon.poll() is not None or time.monotonic() > deadline:
            daemon.kill()
            raise SystemExit("bench: the daemon did not start")
        time.sleep(0.02)
    return daemon


def _served(env: dict[str, str]) -> int:
    from provguard.daemon import control
    from provguard.daemon.place import locate

    status = control.status(locate(env))
    if isinstance(status, str):
        raise SystemExit(f"bench: the daemon is {status}")
    return status.served


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))]


def render(figures: Figures) -> list[str]:
    python = statistics.median(figures.spawned_ms["python -c pass"])
    calls = len(figures.spawned_ms["python -c pass"])
    lines = [f"guard and hook calls on a {LINES}-line Write, spawn to exit ({calls} calls of each kind, interleaved)",
             f"  {'':<34} {'p50':>8} {'p99':>8}  p50 / python -c pass"]
    rows = [*figures.spawned_ms.items(), ("guard decision in-process, warm", figures.in_process_ms)]
    for name, values in rows:
        p50 = statistics.median(values)
        lines.append(f"  {name:<34} {p50:6.1f} ms {percentile(values, 0.99):6.1f} ms  {p50 / python:5.1f} x")
    guard_gain = _p50(figures, "guard, in-process (deny)") / _p50(figures, "guard, daemon (deny)")
    hook_gain = _p50(figures, "hook, in-process") / _p50(figures, "hook, daemon")
    lines.append(f"  the daemon answers {guard_gain:.1f} x faster for the guard, {hook_gain:.1f} x for the hook "
                 f"({figures.served} calls served)")
    return lines


def _p50(figures: Figures, kind: str) -> float:
    return statistics.median(figures.spawned_ms[kind])


def target(figures: Figures) -> tuple[str, bool, str]:
    p50 = statistics.median(figures.spawned_ms["guard, daemon (allow)"] + figures.spawned_ms["guard, daemon (deny)"])
    return (f"guard: a decision, spawn to exit < {TARGET_MS:g} ms (daemon running)", p50 < TARGET_MS,
            f"median {p50:.0f} ms")


def to_json(figures: Figures) -> dict[str, float]:
    out: dict[str, float] = {}
    for kind, values in figures.spawned_ms.items():
        key = kind.replace("python -c pass", "python pass").replace(", ", "_").replace(" ", "_").replace(
            "(", "").replace(")", "").replace("-", "_")
        out[f"{key}_ms_p50"] = statistics.median(values)
        out[f"{key}_ms_p99"] = percentile(values, .99)
    out["in_process_warm_ms_p50"] = statistics.median(figures.in_process_ms)
    out["in_process_warm_ms_p99"] = percentile(figures.in_process_ms, .99)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="10 calls of each kind")
    parser.add_argument("--runs", type=int, help="calls of each kind (default 40)")
    args = parser.parse_args(argv)
    workspace = Path(tempfile.mkdtemp(prefix="provguard-bench-guard-"))
    try:
        figures = run(args.runs or (10 if args.quick else 40), workspace)
    finally:
        shutil.rmtree(workspace, ignore_errors=True)
    name, met, measured = target(figures)
    print("\n".join([*render(figures), f"  {'PASS' if met else 'MISS'}  {name}  ({measured})"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
