"""The time an agent waits on `provguard guard`: one decision for a 200-line Write, spawn to exit, beside
`python -c pass` measured in the same loop, and the same decision made in-process once warm (what a resident
server answering over a socket would cost, without the interpreter start and imports). The policy comes from
the guard's cache after the first call, as it does for an agent (guard/policy_cache.py).

    python bench/guard.py            # 40 calls of each kind
    python bench/guard.py --quick    # 10

Two payloads, as Claude Code sends them: a Write no rule refuses (src/, no output) and one the default pack
denies (tests/, a deny answer). Target: a typical decision well under 100 ms including process start.
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
from dataclasses import dataclass, field
from pathlib import Path
from time import perf_counter

TARGET_MS = 100.0
LINES = 200


@dataclass
class Figures:
    allow_ms: list[float] = field(default_factory=list)
    deny_ms: list[float] = field(default_factory=list)
    python_ms: list[float] = field(default_factory=list)
    in_process_ms: list[float] = field(default_factory=list)


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


def _spawn(arguments: list[str], data: bytes = b"",
           env: dict[str, str] | None = None) -> tuple[float, subprocess.CompletedProcess[bytes]]:
    started = perf_counter()
    done = subprocess.run(arguments, input=data, capture_output=True, check=False, env=env)
    return (perf_counter() - started) * 1000, done


def run(runs: int, workspace: Path) -> Figures:
    root = workspace / "shop"
    (root / ".git").mkdir(parents=True, exist_ok=True)
    guard = [sys.executable, "-m", "provguard", "guard", "claude-code"]
    env = {**os.environ, "XDG_CACHE_HOME": str(workspace / "cache")}  # the guard's policy cache, not the user's
    figures = Figures()
    for call in range(runs + 1):  # the first round fills the policy and file caches and is dropped
        allow_ms, allowed = _spawn(guard, payload(root, "src/module.py", call), env)
        deny_ms, denied = _spawn(guard, payload(root, "tests/test_module.py", call), env)
        python_ms, _ = _spawn([sys.executable, "-c", "pass"])
        if allowed.stdout or allowed.stderr or b'"deny"' not in denied.stdout:
            raise SystemExit(f"bench: unexpected guard answers: {allowed!r} {denied!r}")
        if call:
            figures.allow_ms.append(allow_ms)
            figures.deny_ms.append(deny_ms)
            figures.python_ms.append(python_ms)
    from provguard.guard.outcome import Outcome
    from provguard.guard.run import decide

    saved = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = env["XDG_CACHE_HOME"]
    try:
        for call in range(runs + 1):
            data = payload(root, "tests/test_module.py", call)
            started = perf_counter()
            decide("claude-code", data, Outcome())
            if call:
                figures.in_process_ms.append((perf_counter() - started) * 1000)
    finally:
        if saved is None:
            del os.environ["XDG_CACHE_HOME"]
        else:
            os.environ["XDG_CACHE_HOME"] = saved
    return figures


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))]


def render(figures: Figures) -> list[str]:
    python = statistics.median(figures.python_ms)
    lines = [f"guard decision for a {LINES}-line Write, spawn to exit ({len(figures.allow_ms)} calls each, "
             "interleaved with python -c pass)",
             f"  {'':<36} {'p50':>8} {'p99':>8}  p50 / python -c pass"]
    for name, values in (("provguard guard claude-code (allow)", figures.allow_ms),
                         ("provguard guard claude-code (deny)", figures.deny_ms),
                         ("python -c pass", figures.python_ms),
                         ("in-process, warm (a resident server)", figures.in_process_ms)):
        p50 = statistics.median(values)
        lines.append(f"  {name:<36} {p50:6.1f} ms {percentile(values, 0.99):6.1f} ms  {p50 / python:5.1f} x")
    return lines


def target(figures: Figures) -> tuple[str, bool, str]:
    p50 = statistics.median(figures.deny_ms + figures.allow_ms)
    return (f"guard: a decision, spawn to exit < {TARGET_MS:g} ms", p50 < TARGET_MS, f"median {p50:.0f} ms")


def to_json(figures: Figures) -> dict[str, float]:
    return {"allow_ms_p50": statistics.median(figures.allow_ms), "allow_ms_p99": percentile(figures.allow_ms, .99),
            "deny_ms_p50": statistics.median(figures.deny_ms), "deny_ms_p99": percentile(figures.deny_ms, .99),
            "python_pass_ms_p50": statistics.median(figures.python_ms),
            "in_process_ms_p50": statistics.median(figures.in_process_ms),
            "in_process_ms_p99": percentile(figures.in_process_ms, .99)}


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
