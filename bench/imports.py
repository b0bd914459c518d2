"""Transcript import throughput and the cost of one hook call, measured side by side.

    python bench/imports.py            # 64 MB of transcripts per agent, 30 hook calls
    python bench/imports.py --quick    # 8 MB, 10 calls

Transcripts are the test fixtures' sessions repeated (each repetition with its own tool-call ids) into one
large file per agent; they are imported into a fresh SQLite ledger in this process, then imported again
(nothing new: the cost of a periodic import that finds nothing). The hook runs as agents run it, a fresh
`python -m provguard hook claude-code` with a real payload on stdin, timed in the same loop as
`python -c pass` and as an interpreter importing just the standard library the hook needs. Target: a hook
call well under 100 ms (reported as PASS/MISS, never as an exit status).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from time import perf_counter

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from provguard.ledger.sqlite import SqliteLedger  # noqa: E402
from provguard.provenance.transcripts.importer import import_agent  # noqa: E402
from transcript_support import CLAUDE_FIXTURE, CODEX_FIXTURE, SAMPLE_ROOT, payload  # noqa: E402

HOOK_TARGET_MS = 100.0
STDLIB_FLOOR = "import argparse, dataclasses, enum, hashlib, json, pathlib, sqlite3"
"""The standard library a hook call cannot do without: what an interpreter pays before provguard's own code."""
_IDS = re.compile(rb'"(toolu_01[A-Za-z0-9]{10,}|call_[A-Za-z0-9]{10,})"')


@dataclass
class ImportFigures:
    agent: str
    megabytes: float
    seconds: float
    edits: int
    again_ms: float

    @property
    def mb_per_s(self) -> float:
        return self.megabytes / self.seconds


@dataclass
class Figures:
    imports: list[ImportFigures] = field(default_factory=list)
    hook_ms: list[float] = field(default_factory=list)
    python_ms: list[float] = field(default_factory=list)
    stdlib_ms: list[float] = field(default_factory=list)


def big_transcript(fixture: Path, target: Path, megabytes: float) -> float:
    """The fixture's complete, well-formed lines repeated to about `megabytes`, ids made unique per copy."""
    lines = [line for line in fixture.read_bytes().split(b"\n")[:-1] if _well_formed(line)]
    head, body = (lines[:1], lines[1:]) if b'"session_meta"' in lines[0] else ([], lines)
    block = b"\n".join(body) + b"\n"
    copies = max(1, int(megabytes * 1e6 / len(block)))
    with target.open("wb") as file:
        file.writelines(line + b"\n" for line in head)
        for copy in range(copies):
            file.write(_IDS.sub(b'"\\1_' + str(copy).encode() + b'"', block))
    return target.stat().st_size / 1e6


def _well_formed(line: bytes) -> bool:
    try:
        record = json.loads(line)
    except ValueError:
        return False
    return isinstance(record, dict) and record.get("type") not in ("telemetry-beacon", "ghost_commit")


def measure_import(agent: str, fixture: Path, workspace: Path, megabytes: float) -> ImportFigures:
    transcript = workspace / f"{agent}.jsonl"
    size = big_transcript(fixture, transcript, megabytes)
    ledger = SqliteLedger(workspace / f"{agent}.sqlite3")
    try:
        started = perf_counter()
        report = import_agent(ledger, agent, Path(SAMPLE_ROOT), [transcript])
        seconds = perf_counter() - started
        started = perf_counter()
        again = import_agent(ledger, agent, Path(SAMPLE_ROOT), [transcript])
        again_ms = (perf_counter() - started) * 1000
    finally:
        ledger.close()
    if report.problems or again.edits_new:
        raise SystemExit(f"bench: unexpected import result for {agent}: {report.problems[:3]}, {again.edits_new}")
    return ImportFigures(agent, size, seconds, report.edits_new, again_ms)


def measure_hook(workspace: Path, runs: int) -> tuple[list[float], list[float], list[float]]:
    """Wall milliseconds per `provguard hook` call, per `python -c pass` and per interpreter importing the
    standard library the hook needs, interleaved so that load on the machine hits all three alike."""
    project = workspace / "project"
    (project / ".git").mkdir(parents=True)
    transcript = workspace / "session.jsonl"
    transcript.write_bytes(CLAUDE_FIXTURE.read_bytes().replace(SAMPLE_ROOT.encode(), str(project).encode()))
    data = payload("claude-code-edit.json", project, transcript)
    # as installed: modules compiled once (the first, dropped, run writes their bytecode to a cache of its own)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(workspace / "pycache")
    env["PROVGUARD_DAEMON"] = "0"  # the call in its own process; bench/guard.py measures the daemon beside it
    hook: list[float] = []
    python: list[float] = []
    stdlib: list[float] = []
    for _ in range(runs + 1):  # the first of each also warms the file cache and is dropped
        started = perf_counter()
        done = subprocess.run([sys.executable, "-m", "provguard", "hook", "claude-code"], input=data,
                              capture_output=True, check=True, env=env)
        hook.append((perf_counter() - started) * 1000)
        if done.stderr:
            raise SystemExit(f"bench: the hook complained: {done.stderr.decode()}")
        started = perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True, env=env)
        python.append((perf_counter() - started) * 1000)
        started = perf_counter()
        subprocess.run([sys.executable, "-c", STDLIB_FLOOR], check=True, env=env)
        stdlib.append((perf_counter() - started) * 1000)
    return hook[1:], python[1:], stdlib[1:]


def run(megabytes: float, hook_runs: int, workspace: Path) -> Figures:
    figures = Figures()
    for agent, fixture in (("claude-code", CLAUDE_FIXTURE), ("codex", CODEX_FIXTURE)):
        figures.imports.append(measure_import(agent, fixture, workspace, megabytes))
    figures.hook_ms, figures.python_ms, figures.stdlib_ms = measure_hook(workspace, hook_runs)
    return figures


def render(figures: Figures) -> list[str]:
    lines = ["transcript import (in process, into a fresh SQLite ledger)"]
    for f in figures.imports:
        lines.append(f"  {f.agent:<12} {f.megabytes:7.1f} MB in {f.seconds:6.2f} s = {f.mb_per_s:6.1f} MB/s, "
                     f"{f.edits} edits ({f.edits / f.seconds:,.0f}/s); again with nothing new: {f.again_ms:.1f} ms")
    hook = statistics.median(figures.hook_ms)
    python = statistics.median(figures.python_ms)
    stdlib = statistics.median(figures.stdlib_ms)
    spread = sorted(figures.hook_ms)
    lines += [f"hook call, spawn to exit (median of {len(figures.hook_ms)}; python -c pass in the same loop)",
              f"  provguard hook claude-code   {hook:7.1f} ms  (p90 {spread[int(0.9 * (len(spread) - 1))]:.1f})",
              f"  python -c pass               {python:7.1f} ms",
              f"  python -c '{STDLIB_FLOOR}'",
              f"                               {stdlib:7.1f} ms",
              f"  hook / bare interpreter      {hook / python:7.1f} x; provguard's own share over that standard "
              f"library {hook - stdlib:.1f} ms"]
    return lines


def hook_target(figures: Figures) -> tuple[str, bool, str]:
    """(target, met, measured), as bench/run.py lists its targets."""
    hook = statistics.median(figures.hook_ms)
    return (f"imports: a hook call, spawn to exit < {HOOK_TARGET_MS:g} ms", hook < HOOK_TARGET_MS,
            f"median {hook:.0f} ms")


def to_json(figures: Figures) -> dict[str, object]:
    return {"imports": [{"agent": f.agent, "megabytes": f.megabytes, "seconds": f.seconds, "mb_per_s": f.mb_per_s,
                         "edits": f.edits, "again_ms": f.again_ms} for f in figures.imports],
            "hook_ms_median": statistics.median(figures.hook_ms),
            "python_pass_ms_median": statistics.median(figures.python_ms),
            "stdlib_floor_ms_median": statistics.median(figures.stdlib_ms)}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="8 MB per agent, 10 hook calls")
    parser.add_argument("--megabytes", type=float, help="transcript size per agent (default 64)")
    parser.add_argument("--hook-runs", type=int, help="hook calls to time (default 30)")
    args = parser.parse_args(argv)
    workspace = Path(tempfile.mkdtemp(prefix="provguard-bench-imports-"))
    try:
        figures = run(args.megabytes or (8 if args.quick else 64), args.hook_runs or (10 if args.quick else 30),
                      workspace)
    finally:
        shutil.rmtree(workspace, ignore_errors=True)
    name, met, measured = hook_target(figures)
    print("\n".join([*render(figures), f"  {'PASS' if met else 'MISS'}  {name}  ({measured})"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
