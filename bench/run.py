"""provguard latency benchmark: the real server over stdio beside tree-sitter and the in-process core.

    python bench/run.py             # 10,000 lines, 200 marked regions, 300 edits (a few minutes at most)
    python bench/run.py --quick     # a smoke run in seconds
    python bench/run.py --json out.json --profile

Targets (reported as PASS/MISS, never a failing exit status): protocol p50 <= 5 ms, protocol
p99 <= 2 x tree-sitter reparse p99 + 5 ms, cold start to first diagnostics <= 400 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import math
import os
import platform
import shutil
import statistics
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from time import perf_counter
from typing import Any

import local
import lsp_timing
import startup
from workload import Edit, Source, generate, make_edits

P50_TARGET_MS = 5.0
P99_SLACK_MS = 5.0
COLD_START_TARGET_MS = 400.0
RELATIVE_PATH = "src/generated_module.py"
SMALL_FILE = """\
def helper():
    return 0


# provguard: begin kind=ai-agent tool=claude-code vendor=anthropic
def generated():
    return 42
# provguard: end
"""


# ------------------------------------------------------------------------------------------ options


@dataclass(frozen=True)
class Options:
    lines: int
    regions: int
    edits: int
    warmup: int
    cold_runs: int
    import_runs: int
    seed: int
    marked_share: float
    timeout: float
    json_path: Path | None
    profile: int
    keep: bool


def parse_options(argv: Sequence[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 1,000 lines, 20 regions, 30 edits, 2 cold starts")
    parser.add_argument("--lines", type=int, help="lines of the generated file (default 10000)")
    parser.add_argument("--regions", type=int, help="marked regions in it (default 200)")
    parser.add_argument("--edits", type=int, help="measured edits (default 300)")
    parser.add_argument("--warmup", type=int, help="edits applied first and not measured (default 10)")
    parser.add_argument("--cold-runs", type=int, help="cold starts to take the median of (default 5)")
    parser.add_argument("--import-runs", type=int, help="fresh interpreters per start-up figure (default 5)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--marked-share", type=float, default=0.4,
                        help="share of edits placed inside marked regions (default 0.4)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for any one answer")
    parser.add_argument("--json", type=Path, dest="json_path", help="also write the figures to this file")
    parser.add_argument("--profile", type=int, nargs="?", const=25, default=0, metavar="TOP",
                        help="print cProfiles of the in-process pipeline and of the server (top 25 lines unless given)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary workspace and say where")
    args = parser.parse_args(argv)
    quick = args.quick
    return Options(
        lines=args.lines or (1000 if quick else 10_000),
        regions=args.regions if args.regions is not None else (20 if quick else 200),
        edits=args.edits or (30 if quick else 300),
        warmup=args.warmup if args.warmup is not None else (3 if quick else 10),
        cold_runs=args.cold_runs or (2 if quick else 5),
        import_runs=args.import_runs or (2 if quick else 5),
        seed=args.seed,
        marked_share=args.marked_share,
        timeout=args.timeout,
        json_path=args.json_path,
        profile=args.profile,
        keep=args.keep,
    )


# ---------------------------------------------------------------------------------------- statistics


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    if not sorted_values:
        return math.nan
    k = (len(sorted_values) - 1) * q / 100
    low = math.floor(k)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (k - low)


@dataclass(frozen=True)
class Summary:
    n: int
    p50: float
    p90: float
    p99: float
    max: float
    mean: float

    @classmethod
    def of_seconds(cls, seconds: Sequence[float]) -> Summary:
        ms = sorted(s * 1000 for s in seconds)
        return cls(len(ms), percentile(ms, 50), percentile(ms, 90), percentile(ms, 99),
                   ms[-1] if ms else math.nan, statistics.fmean(ms) if ms else math.nan)


def median_ms(seconds: Sequence[float]) -> float:
    return statistics.median(seconds) * 1000


# ------------------------------------------------------------------------------------------ the run


@dataclass
class Results:
    options: Options
    source: Source
    all_edits: list[Edit]
    """Warm-up edits, then the measured ones."""
    edits: list[Edit]
    findings_before: dict[str, int] = field(default_factory=dict)
    series: dict[str, Summary] = field(default_factory=dict)
    figures: dict[str, float] = field(default_factory=dict)
    final_diagnostics: dict[str, int] = field(default_factory=dict)
    targets: list[tuple[str, bool, str]] = field(default_factory=list)


def run(options: Options, workspace: Path, out: Callable[[str], None]) -> Results:
    source = generate(options.lines, options.regions, options.seed)
    all_edits, final_text = make_edits(source, options.warmup + options.edits, options.seed,
                                       options.marked_share)
    path = workspace / RELATIVE_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    text = source.text
    path.write_text(text)
    results = Results(options, source, all_edits, all_edits[options.warmup:])
    results.findings_before = local.initial_findings(str(path), RELATIVE_PATH, text)
    out(f"workspace {workspace}: {len(source.lines)} lines, {len(source.regions)} regions, "
        f"{len(all_edits)} edits; measuring ...")

    _measure_in_process(results, path, text, all_edits, final_text, out)
    with _client_gc_frozen():
        asyncio.run(_measure_protocol(results, workspace, path, text, all_edits, out))
    _measure_start_up(results, out)
    _check_targets(results)
    return results


@contextmanager
def _client_gc_frozen() -> Iterator[None]:
    """Keeps the client's full collections (over pytest, pygls, lsprotocol) out of the server's figures."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _timed(label: str, out: Callable[[str], None]) -> Callable[[], None]:
    started = perf_counter()
    return lambda: out(f"  {label}: {perf_counter() - started:.1f} s")


def _measure_in_process(results: Results, path: Path, text: str, edits: list[Edit], final_text: str,
                        out: Callable[[str], None]) -> None:
    warmup = results.options.warmup
    done = _timed("in-process tree-sitter and core", out)
    reparse = local.reparse_times(text, edits, warmup)
    core = local.core_times(str(path), RELATIVE_PATH, text, edits, warmup)
    done()
    if core.final_source != final_text.encode():
        raise SystemExit("bench: Document.replace diverged from the expected text; the edits are wrong")
    s = results.series
    s["reparse"] = Summary.of_seconds(reparse)
    s["core.replace"] = Summary.of_seconds(core.replace)
    s["core.analyze"] = Summary.of_seconds(core.analyze)
    s["core"] = Summary.of_seconds(core.core())
    s["core.convert"] = Summary.of_seconds(core.convert)
    s["core.serialize"] = Summary.of_seconds(core.serialize)
    s["core.through_serialize"] = Summary.of_seconds(core.through_serialize())
    results.final_diagnostics["in-process"] = core.findings


async def _measure_protocol(results: Results, workspace: Path, path: Path, text: str, edits: list[Edit],
                            out: Callable[[str], None]) -> None:
    options = results.options
    for mode, measure in (("push", lsp_timing.push_latencies), ("pull", lsp_timing.pull_latencies)):
        done = _timed(f"LSP {mode} client", out)
        latencies = await measure(workspace, path, text, edits, options.warmup, options.timeout)
        done()
        results.series[f"{mode}.received"] = Summary.of_seconds(latencies.received)
        results.series[f"{mode}.on_wire"] = Summary.of_seconds(latencies.on_wire)
        results.figures[f"{mode}.open_ms"] = latencies.open_seconds * 1000
        results.final_diagnostics[mode] = latencies.final_diagnostics
    small = workspace / "src" / "small.py"
    small.write_text(SMALL_FILE)
    done = _timed(f"{options.cold_runs} cold starts", out)
    starts = [await lsp_timing.cold_start(workspace, small, SMALL_FILE, options.timeout)
              for _ in range(options.cold_runs)]
    done()
    results.figures["cold.initialized_ms"] = median_ms([c.initialized for c in starts])
    results.figures["cold.first_diagnostics_ms"] = median_ms([c.first_diagnostics for c in starts])
    results.figures["cold.first_diagnostics_max_ms"] = max(c.first_diagnostics for c in starts) * 1000


def _measure_start_up(results: Results, out: Callable[[str], None]) -> None:
    runs = results.options.import_runs
    done = _timed(f"start-up figures ({runs} interpreters each)", out)
    f = results.figures
    f["interpreter_ms"] = median_ms([startup.interpreter_start() for _ in range(runs)])
    f["imports_ms"] = median_ms([startup.timed_snippet(startup.DEPENDENCY_IMPORTS) for _ in range(runs)])
    f["provguard_on_top_ms"] = median_ms([startup.timed_snippet(startup.PROVGUARD_ON_TOP) for _ in range(runs)])
    done()


def _check_targets(results: Results) -> None:
    s = results.series
    p99_limit = 2 * s["reparse"].p99 + P99_SLACK_MS
    for mode in ("push", "pull"):
        got = s[f"{mode}.received"]
        results.targets.append((f"{mode} p50 <= {P50_TARGET_MS:g} ms", got.p50 <= P50_TARGET_MS,
                                f"p50 {got.p50:.2f} ms"))
        results.targets.append((f"{mode} p99 <= 2 x reparse p99 + {P99_SLACK_MS:g} ms = {p99_limit:.2f} ms",
                                got.p99 <= p99_limit, f"p99 {got.p99:.2f} ms"))
    cold = results.figures["cold.first_diagnostics_ms"]
    results.targets.append((f"cold start <= {COLD_START_TARGET_MS:g} ms", cold <= COLD_START_TARGET_MS,
                            f"median {cold:.0f} ms"))


# --------------------------------------------------------------------------------------------- output

ROWS = (
    ("push.received", "LSP push: didChange -> publishDiagnostics (decoded)"),
    ("push.on_wire", "LSP push:   same, bytes read (before client decode)"),
    ("pull.received", "LSP pull: didChange -> diagnostic response (decoded)"),
    ("pull.on_wire", "LSP pull:   same, bytes read (before client decode)"),
    ("reparse", "tree-sitter: tree.edit + parse(new, old_tree)"),
    ("core.replace", "core: Document.replace (bytes, LineIndex, reparse)"),
    ("core.analyze", "core: analyze (markers, rules, findings)"),
    ("core", "core: replace + analyze"),
    ("core.convert", "lsp: fixes + lsprotocol Diagnostics"),
    ("core.serialize", "lsp: cattrs unstructure + json.dumps"),
    ("core.through_serialize", "in-process total: core + convert + serialize"),
)


def _mix_lines(results: Results) -> list[str]:
    mix = results.source.mix()
    shapes = mix.shapes
    edits = Counter(e.kind for e in results.edits)
    inside = sum(e.marked for e in results.edits)
    before = ", ".join(f"{k} {v}" for k, v in results.findings_before.items()) or "none"
    o = results.options
    return [
        f"workload  {RELATIVE_PATH}: {mix.lines:,} lines, {mix.regions} marked regions "
        f"({mix.marked_lines:,} lines inside them)",
        f"  shapes: {shapes.get('block', 0)} begin/end blocks over 1-2 functions, "
        f"{shapes.get('next-function', 0)} next-unit over a function, {shapes.get('next-class', 0)} over a "
        f"class, {shapes.get('next-method', 0)} over a method",
        "  origins: " + ", ".join(f"{k} {v}" for k, v in mix.origins.items()),
        f"  {mix.ai_regions} AI regions ({mix.reviewed} reviewed, {mix.without_vendor} without vendor, "
        f"{mix.over_test_functions} over a test_ function); {mix.non_ai} non-AI (human, external)",
        f"  findings before editing: {before}",
        f"edits     {len(results.edits)} measured after {o.warmup} warm-up, seed {o.seed}: "
        + ", ".join(f"{k} {v}" for k, v in edits.most_common())
        + f"; {inside} ({inside / max(1, len(results.edits)):.0%}) inside marked regions",
    ]


def render(results: Results) -> str:
    lines = [f"provguard latency benchmark: Python {platform.python_version()}, {os.cpu_count()} CPUs"]
    lines += _mix_lines(results)
    lines += ["", f"{'latency per edit (ms)':<56}{'n':>5}{'p50':>8}{'p90':>8}{'p99':>8}{'max':>8}{'mean':>8}"]
    for key, label in ROWS:
        s = results.series[key]
        lines.append(f"{label:<56}{s.n:>5}{s.p50:>8.2f}{s.p90:>8.2f}{s.p99:>8.2f}{s.max:>8.2f}{s.mean:>8.2f}")
    f = results.figures
    lines += [
        "",
        f"didOpen of the whole file -> diagnostics: push {f['push.open_ms']:.1f} ms, pull {f['pull.open_ms']:.1f} ms",
        "",
        f"start-up (ms, median of {results.options.import_runs} fresh interpreters; cold starts: "
        f"{results.options.cold_runs})",
        f"  bare interpreter, spawn to exit (python -c pass)     {f['interpreter_ms']:>8.1f}",
        f"  import pygls.lsp.server, tree_sitter, lsprotocol      {f['imports_ms']:>8.1f}",
        f"  provguard on top: modules, build(), default pack     {f['provguard_on_top_ms']:>8.1f}",
        f"  cold start: spawn -> initialize response              {f['cold.initialized_ms']:>8.1f}",
        f"  cold start: spawn -> first diagnostics (small file)   {f['cold.first_diagnostics_ms']:>8.1f}"
        f"   (max {f['cold.first_diagnostics_max_ms']:.1f})",
    ]
    lines += ["", "targets (protocol = decoded latency as the client sees it)"]
    lines += [f"  {'PASS' if ok else 'MISS'}  {name:<58} {got}" for name, ok, got in results.targets]
    lines += _ratios(results)
    return "\n".join(lines)


def _ratios(results: Results) -> list[str]:
    s = results.series
    reparse = s["reparse"].p50
    core = s["core"].p50
    lines = [""]
    for mode in ("push", "pull"):
        got = s[f"{mode}.received"].p50
        lines.append(f"{mode}: protocol p50 / reparse p50 = {got / reparse:,.0f}x;  protocol p50 / core p50 = "
                     f"{got / core:.2f}x;  protocol p50 - in-process total p50 = "
                     f"{got - s['core.through_serialize'].p50:+.2f} ms")
    finals = results.final_diagnostics
    same = len(set(finals.values())) == 1
    lines.append("diagnostics after the last edit: " + ", ".join(f"{k} {v}" for k, v in finals.items())
                 + ("  (consistent)" if same else "  (INCONSISTENT: the server and the core disagree)"))
    return lines


def print_profiles(results: Results, workspace: Path, out: Callable[[str], None]) -> None:
    """cProfile of the in-process pipeline, then of the server process over one more push run."""
    import pstats

    o = results.options
    path = workspace / RELATIVE_PATH
    text = results.source.text
    local.profile_core(str(path), RELATIVE_PATH, text, results.all_edits, o.profile, out)
    stats_file = workspace / "server.prof"
    command = lsp_timing.profiled_server(stats_file)
    asyncio.run(lsp_timing.push_latencies(workspace, path, text, results.all_edits, o.warmup, o.timeout, command))
    out(f"\n--- cProfile of the server process (push client, {len(results.all_edits)} edits, start-up "
        "included), by tottime ---")
    stats = pstats.Stats(str(stats_file), stream=sys.stdout).strip_dirs()
    stats.sort_stats("tottime").print_stats(o.profile)


def to_json(results: Results) -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "options": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(results.options).items()},
        "workload": asdict(results.source.mix()),
        "edits": dict(Counter(e.kind for e in results.edits)),
        "edits_inside_marked_regions": sum(e.marked for e in results.edits),
        "findings_before": results.findings_before,
        "latency_ms": {k: asdict(v) for k, v in results.series.items()},
        "figures_ms": results.figures,
        "final_diagnostics": results.final_diagnostics,
        "targets": [{"target": name, "pass": ok, "measured": got} for name, ok, got in results.targets],
    }


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_options(argv)

    def out(line: str) -> None:
        print(line, flush=True)

    workspace = Path(tempfile.mkdtemp(prefix="provguard-bench-"))
    try:
        results = run(options, workspace, out)
        print()
        print(render(results))
        if options.profile:
            print_profiles(results, workspace, out)
    finally:
        if options.keep:
            print(f"\nworkspace kept at {workspace}")
        else:
            shutil.rmtree(workspace, ignore_errors=True)
    if options.json_path is not None:
        options.json_path.write_text(json.dumps(to_json(results), indent=2) + "\n")
        print(f"figures written to {options.json_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
