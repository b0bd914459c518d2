"""`provguard check` as a CI gate, beside ast-grep and ruff on the same tree in the same run.

    python bench/check_gate.py            # the CPython standard library as a project (about 2 minutes)
    python bench/check_gate.py --quick    # 200 of its files
    python bench/check_gate.py --one-file # only the one-file start-up figures (nothing written to results/)
    python bench/check_gate.py --source DIR --json out.json
    python bench/check_gate.py --phases   # also where one core's CPU goes, phase by phase (bench/gate_phases.py)

The tree: every .py file of the running interpreter's standard library (site-packages left out), copied into
a scratch project with a provguard.toml selecting the default pack, and a ledger holding 40 agent edits
recorded through the real Claude Code hook (functions of 20 to 60 lines taken from the same tree, so markers,
the ledger's spans and fingerprint matching all run on every file, and some files really hold copies).

Measured, each the real command in a subprocess, wall clock from spawn to exit, CPU time of the command and
its workers (user + system: what waiting for a core on a shared machine does not inflate), peak memory of the
process and its workers (proportional set size summed, so pages forked workers share count once; sampled from /proc 20
times a second), and the largest single process's resident set:
- provguard check on one core (`--jobs 1 --no-cache`): what fingerprinting and analysis cost per core;
- provguard check cold (every core, cache empty, cache written) and warm (the same tree again);
- `ast-grep scan` with one rule (every core) and `ruff check --no-cache --isolated` on the same tree;
- one 1,000-line file: provguard check (its project's policy cached), ruff check, `python -c pass`
  (median of 7).
Targets (printed PASS/MISS, never a failing exit status): provguard cold MB/s >= ast-grep's, warm >= 10x
faster than cold, peak memory (PSS) <= 150 MB. Results also go to bench/results/check-gate.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from processes import memory_by_process

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
EDITS = 40
TARGET_RSS_MB = 150
TARGET_WARM_RATIO = 10
AST_GREP_RULE = """\
id: no-print
language: python
rule:
  pattern: print($$$ARGS)
message: print call
severity: warning
"""


@dataclass
class Run:
    name: str
    seconds: float
    peak_pss_mb: float
    """Proportional set size summed over the process and its workers: shared pages counted once."""
    largest_process_mb: float
    """The largest single process's resident set."""
    exit_code: int
    cpu_seconds: float = 0.0
    """User and system time of the command and every process it waited for (its workers)."""

    def mb_per_s(self, size: int) -> float:
        return size / 1e6 / self.seconds if self.seconds else 0.0


def measure(name: str, command: list[str], cwd: Path, env: dict[str, str] | None = None,
            stderr: Path | None = None) -> Run:
    """`stderr`: a file for what the command says there (else it is dropped)."""
    peak, largest = 0.0, 0.0
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    with open(stderr if stderr is not None else os.devnull, "wb") as said:
        process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=said,
                                   env={**os.environ, **(env or {})})
    done = threading.Event()

    def sample() -> None:
        nonlocal peak, largest
        while not done.wait(0.05):
            sizes = memory_by_process(process.pid)
            if sizes:
                peak = max(peak, sum(pss for _, pss in sizes))
                largest = max(largest, max(rss for rss, _ in sizes))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    code = process.wait()
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return Run(name, seconds, peak, largest, code, cpu)


def median_seconds(command: list[str], cwd: Path, rounds: int = 7, env: dict[str, str] | None = None) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
                       env={**os.environ, **(env or {})})
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def build_project(source: Path, folder: Path, limit: int | None, seed: int) -> tuple[Path, int, int]:
    """The scratch project: (root, files, bytes)."""
    root = folder / "stdlib"
    files = sorted(p for p in source.rglob("*.py") if "site-packages" not in p.parts and "dist-packages"
                   not in p.parts and p.is_file() and not p.is_symlink())
    if limit:
        files = random.Random(seed).sample(files, min(limit, len(files)))
    size = 0
    for path in files:
        target = root / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        size += target.stat().st_size
    (root / "provguard.toml").write_text('packs = ["default"]\n')
    record_edits(root, files, source, seed)
    return root, len(files), size


def record_edits(root: Path, files: list[Path], source: Path, seed: int) -> None:
    """EDITS functions of the tree, written by a Claude Code session as the real hook records them."""
    from provguard.commands.hook import record

    chosen = 0
    rng = random.Random(seed)
    for path in rng.sample(files, min(len(files), EDITS * 4)):
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines(keepends=True)
        starts = [i for i, line in enumerate(lines) if line.startswith("def ")]
        for start in starts:
            end = next((i for i in range(start + 1, len(lines)) if lines[i][:1] not in (" ", "\t", "\n", "#")),
                       len(lines))
            if 20 <= end - start <= 60:
                target = f"agent/{chosen}_{path.stem}.py"
                payload = {"session_id": "bench", "hook_event_name": "PostToolUse", "tool_name": "Write",
                           "tool_use_id": f"toolu_{chosen}", "cwd": str(root),
                           "tool_input": {"file_path": str(root / target), "content": "".join(lines[start:end])},
                           "tool_response": {"filePath": str(root / target), "success": True}}
                problem = record("claude-code", json.dumps(payload).encode(), root, None, False)[0]
                if problem:
                    raise SystemExit(f"recording an edit failed: {problem}")
                chosen += 1
                break
        if chosen >= EDITS:
            return


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source", type=Path, default=Path(sysconfig.get_paths()["stdlib"]))
    parser.add_argument("--quick", action="store_true", help="200 files of the tree")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path, default=REPO / "bench" / "results" / "check-gate.json")
    parser.add_argument("--one-file", action="store_true", help="only the one-file figures (start-up time)")
    parser.add_argument("--phases", action="store_true", help="also one core's CPU per MB, phase by phase")
    args = parser.parse_args(argv)
    provguard = [str(BIN / "provguard")]
    ruff, ast_grep = shutil.which("ruff", path=str(BIN)), shutil.which("ast-grep", path=str(BIN)) or \
        shutil.which("ast-grep")
    # No progress display; and each command in its own process, as in CI: a resident daemon (an editor's) would
    # answer `check` from a fork of itself, with the code it imported when it started and out of this process's
    # sight.
    env = {"CI": "1", "PROVGUARD_DAEMON": "0"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)  # as installed: byte code cached
    with tempfile.TemporaryDirectory(prefix="provguard-gate-") as scratch:
        folder = Path(scratch)
        env["XDG_CACHE_HOME"] = str(folder / "xdg")
        root, files, size = build_project(args.source, folder, 200 if args.quick else None, args.seed)
        print(f"tree: {files} files, {size / 1e6:.1f} MB of Python ({args.source}), {EDITS} agent edits recorded; "
              f"load average {os.getloadavg()[0]:.1f}")
        subprocess.run([*provguard, "check", "--no-cache", "agent"], cwd=root, capture_output=True, check=False,
                       env={**os.environ, **env})  # warms byte code, not the result cache
        said = folder / "one-core.err"
        runs = [] if args.one_file else [measure("provguard, 1 core, no cache",
                                                 [*provguard, "check", "--jobs", "1", "--no-cache", "--verbose", "."],
                                                 root, env, stderr=said)]
        unmatched = next((line.split(": ", 1)[1] for line in said.read_text().splitlines()
                          if "not fingerprinted" in line), "") if said.exists() else ""
        shutil.rmtree(root / ".provguard" / "cache", ignore_errors=True)
        if args.phases:
            from gate_phases import phases

            spent = phases(root)
        if not args.one_file:
            runs.append(measure("provguard, all cores, cold", [*provguard, "check", "."], root, env))
            runs.append(measure("provguard, all cores, warm", [*provguard, "check", "."], root, env))
        if ast_grep and not args.one_file:
            rule = folder / "rule.yml"
            rule.write_text(AST_GREP_RULE)
            runs.append(measure("ast-grep scan (1 rule)", [ast_grep, "scan", "--rule", str(rule), "."], root))
        if ruff and not args.one_file:
            runs.append(measure("ruff check", [ruff, "check", "--no-cache", "--isolated", "--exit-zero", "."],
                                root))
        big = max((p for p in root.rglob("*.py") if "agent" not in p.parts),
                  key=lambda p: -abs(p.read_text(errors="replace").count("\n") - 1000))
        single = {"provguard check": median_seconds([*provguard, "check", str(big.relative_to(root))], root,
                                                    env=env),
                  "python -c pass": median_seconds([sys.executable, "-c", "pass"], root)}
        if ruff:
            single["ruff check"] = median_seconds([ruff, "check", "--no-cache", "--isolated", str(big)], root)
    if unmatched:
        print(f"prefilter (1-core run, --verbose): {unmatched}")
    if runs:
        print(f"\n{'run':34} {'seconds':>8} {'MB/s':>7} {'CPU s':>7} {'peak PSS MB':>12} {'largest MB':>11}")
    for run in runs:
        print(f"{run.name:34} {run.seconds:8.2f} {run.mb_per_s(size):7.1f} {run.cpu_seconds:7.1f} "
              f"{run.peak_pss_mb:12.0f} {run.largest_process_mb:11.0f}")
    if args.phases:
        print("\none core's CPU per MB of source, phase by phase (bench/gate_phases.py):")
        for phase, seconds in spent:
            print(f"  {phase:58} {seconds:6.3f} s/MB")
    lines = big.read_text(errors="replace").count("\n") if big.exists() else 1000
    print(f"\none file ({big.name}, about {lines} lines), median of 7:")
    for name, seconds in single.items():
        print(f"  {name:20} {seconds * 1000:7.1f} ms")
    if args.one_file:
        return 0
    by_name = {run.name: run for run in runs}
    cold, warm = by_name["provguard, all cores, cold"], by_name["provguard, all cores, warm"]
    targets = [("warm re-scan >= 10x faster than cold", cold.seconds / warm.seconds >= TARGET_WARM_RATIO,
                f"{cold.seconds / warm.seconds:.1f}x"),
               ("peak memory <= 150 MB (cold, PSS of all processes)", cold.peak_pss_mb <= TARGET_RSS_MB,
                f"{cold.peak_pss_mb:.0f} MB")]
    if "ast-grep scan (1 rule)" in by_name:
        anchor = by_name["ast-grep scan (1 rule)"]
        targets.append(("cold MB/s >= ast-grep's", cold.mb_per_s(size) >= anchor.mb_per_s(size),
                        f"{cold.mb_per_s(size):.1f} vs {anchor.mb_per_s(size):.1f} MB/s"))
    print(f"\nload average at the end: {os.getloadavg()[0]:.1f} (2 cores shared: figures above ~1 are slowed)")
    for label, ok, figure in targets:
        print(f"{'PASS' if ok else 'MISS'}  {label}: {figure}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"files": files, "bytes": size, "cores": len(os.sched_getaffinity(0)),
                                     "not_fingerprinted": unmatched,
                                     "load_average": os.getloadavg()[0],
                                     "runs": [asdict(r) for r in runs], "one_file_seconds": single,
                                     "phases_cpu_s_per_mb": dict(spent) if args.phases else None,
                                     "targets": [{"target": t, "met": ok, "figure": f} for t, ok, f in targets]},
                                    indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
