"""provguard benchmark: the real server over stdio beside tree-sitter and the in-process core.

    python bench/run.py             # every section at full size (several minutes)
    python bench/run.py --quick     # a smoke run in seconds
    python bench/run.py --only spans,memory --json out.json --profile

Sections (`--only`, comma-separated; all by default):
  latency  10,000 lines, 200 marked regions, 300 edits: didChange -> diagnostics, push and pull clients
  startup  cold starts of the server, and the interpreter and imports they are made of
  spans    the same kind of edits in a 10,000-line file holding 1,000 tracked spans, made by bulk
           insertions over the protocol (half named by provguard/didInsert hints); then the file is saved,
           closed and reopened in a new server, its spans coming back from the ledger
  memory   the server's resident memory after opening 200 distinct 5,000-line files (Python, TypeScript, Go)
  corpus   `provguard filter` over a generated 1 GB JSONL corpus (MB/s, resident memory over time), and
           `check` over 300 files beside tree-sitter parse-only (see bench/corpus.py)
  git      git history of a 5,000-line file last changed by 200 commits: provguard beside `git blame` alone
  imports  transcript import throughput (MB/s) per agent, and one `provguard hook` call beside `python -c pass`
           (bench/imports.py, also runnable alone)
  guard    `provguard guard claude-code` deciding on a 200-line Write (allowed and denied) and `provguard hook
           claude-code` recording one, p50/p99 spawn to exit, answered by a running daemon and in-process
           (PROVGUARD_DAEMON=0) beside `python -c pass`, and the decision in-process once warm (bench/guard.py,
           also runnable alone)
  fingerprints  index bytes per recorded line; lookup of a 1,000-line file against ledgers of 10^4, 10^5 and
           10^6 recorded snippets (bench/fingerprints.py; --quick: 10^4 only)

Run alone, not as sections: bench/many_files.py (50 restored 10,000-line files and 200 open 5,000-line files,
beside ruff server) and bench/check_gate.py (`provguard check` over the standard library beside ast-grep and
ruff).

Targets (reported as PASS/MISS, never a failing exit status): protocol p50 <= 5 ms, protocol
p99 <= 2 x tree-sitter reparse p99 (same edits, same text) + 5 ms, with and without tracked spans; cold
start to first diagnostics <= 400 ms, and the same for the reopened file with its spans; resident memory
with the 200 files open <= 200 MB; filter memory flat over the corpus; check >= half of parse-only speed;
a hook call < 100 ms; a guard decision < 100 ms.
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

import corpus
import fingerprints
import git_history
import guard
import imports
import local
import lsp_timing
import polyglot
import profiling
import spans
import startup
from workload import Edit, Source, generate, make_edits

P50_TARGET_MS = 5.0
P99_SLACK_MS = 5.0
COLD_START_TARGET_MS = 400.0
MEMORY_TARGET_MB = 200.0
RELATIVE_PATH = "src/generated_module.py"
SPANS_PATH = "src/tracked_module.py"
SECTIONS = ("latency", "startup", "spans", "memory", "corpus", "git", "imports", "guard", "fingerprints")
MEMORY_CHECKPOINTS = (1, 10, 25, 50, 100, 150, 200, 300, 500)
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
    sections: tuple[str, ...] = SECTIONS
    spans: int = 1000
    hinted_share: float = 0.5
    files: int = 200
    file_lines: int = 5000
    corpus_mb: int = 1000
    corpus_files: int = 300
    snippet_sizes: tuple[int, ...] = fingerprints.SIZES

    def runs(self, section: str) -> bool:
        return section in self.sections


def parse_options(argv: Sequence[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 1,000 lines, 20 regions, 30 edits, 2 cold starts, 100 tracked spans, "
                             "20 files of 1,000 lines")
    parser.add_argument("--lines", type=int, help="lines of the latency and spans sections' files (default 10000)")
    parser.add_argument("--regions", type=int,
                        help="marked regions in the latency file (default 200; the spans file's base gets as many, "
                        "at most one per 50 lines)")
    parser.add_argument("--edits", type=int, help="measured edits, in the latency and spans sections (default 300)")
    parser.add_argument("--warmup", type=int, help="edits applied first and not measured (default 10)")
    parser.add_argument("--cold-runs", type=int,
                        help="cold starts (and spans-section reopens) to take the median of (default 5)")
    parser.add_argument("--import-runs", type=int, help="fresh interpreters per start-up figure (default 5)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--marked-share", type=float, default=0.4,
                        help="share of edits placed inside marked regions or tracked spans (default 0.4)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for any one answer")
    parser.add_argument("--json", type=Path, dest="json_path", help="also write the figures to this file")
    parser.add_argument("--profile", type=int, nargs="?", const=25, default=0, metavar="TOP",
                        help="print cProfiles of the in-process pipelines and of the server, and where the "
                        "memory section's memory goes (tracemalloc); top 25 lines unless given")
    parser.add_argument("--keep", action="store_true", help="keep the temporary workspace and say where")
    parser.add_argument("--only", type=_sections, default=SECTIONS, dest="sections", metavar="SECTIONS",
                        help=f"comma-separated sections to run, of {','.join(SECTIONS)} (default all)")
    parser.add_argument("--spans", type=int, help="tracked spans in the spans section's file (default 1000)")
    parser.add_argument("--hinted-share", type=float, default=0.5,
                        help="share of the bulk insertions named by a provguard/didInsert hint (default 0.5)")
    parser.add_argument("--files", type=int, help="files the memory section opens (default 200)")
    parser.add_argument("--file-lines", type=int, help="lines of each of those files (default 5000)")
    parser.add_argument("--corpus-mb", type=int, help="size of the corpus section's JSONL corpus (default 1000)")
    parser.add_argument("--corpus-files", type=int, help="files of the corpus section's check tree (default 300)")
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
        sections=args.sections,
        spans=args.spans or (100 if quick else 1000),
        hinted_share=args.hinted_share,
        files=args.files or (20 if quick else 200),
        file_lines=args.file_lines or (1000 if quick else 5000),
        corpus_mb=args.corpus_mb or (50 if quick else 1000),
        corpus_files=args.corpus_files or (60 if quick else 300),
        snippet_sizes=(10_000,) if quick else fingerprints.SIZES,
    )


def _sections(value: str) -> tuple[str, ...]:
    chosen = [part.strip() for part in value.split(",") if part.strip()]
    unknown = [part for part in chosen if part not in SECTIONS]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(f"unknown section {', '.join(unknown) or value!r}; "
                                         f"choose from {', '.join(SECTIONS)}")
    return tuple(section for section in SECTIONS if section in chosen)


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
class LatencyWorkload:
    source: Source
    all_edits: list[Edit]
    """Warm-up edits, then the measured ones."""
    edits: list[Edit]


@dataclass
class SpanResults:
    plan: spans.SpanPlan
    protocol: lsp_timing.SpanRun
    stages: spans.StageTimes
    reopened: list[lsp_timing.ColdStart]
    """New server processes opening the saved file, its spans in the ledger."""
    reopened_empty: list[lsp_timing.ColdStart]
    """The same with an empty (in-memory) ledger."""
    ledger_rows: int
    ledger_spans: int

    def counts(self) -> dict[str, int]:
        p, s = self.plan, self.stages
        return {
            "base_lines": p.base_text.count("\n"),
            "lines_after_insertions": p.text_after_insertions.count("\n"),
            "insertions": len(p.insertions),
            "hints": sum(i.hint is not None for i in p.insertions),
            "tracked_records": s.records,
            "tracked_intervals": s.spans,
            "diagnostics_after_insertions": self.protocol.after_insertions,
            "diagnostics_after_edits_in_process": s.findings,
            "diagnostics_after_edits": self.protocol.edits.final_diagnostics,
            "diagnostics_reopened": self.reopened[0].diagnostics if self.reopened else 0,
            "diagnostics_reopened_empty_ledger": self.reopened_empty[0].diagnostics if self.reopened_empty else 0,
            "ledger_rows": self.ledger_rows,
            "ledger_spans": self.ledger_spans,
        }


@dataclass
class MemoryResults:
    files: list[polyglot.File]
    protocol: lsp_timing.MemoryRun

    def figures(self) -> dict[str, float]:
        """MB unless named otherwise."""
        run = self.protocol
        final = run.checkpoints[-1][1] if run.checkpoints else run.baseline
        lines = sum(f.lines for f in self.files)
        grown = final.get("VmRSS", 0) - run.baseline.get("VmRSS", 0)
        return {
            "files": len(self.files),
            "lines": lines,
            "text_mb": sum(len(f.text) for f in self.files) / 1e6,
            "baseline_rss_mb": run.baseline.get("VmRSS", 0) / 1024,
            "baseline_hwm_mb": run.baseline.get("VmHWM", 0) / 1024,
            "rss_mb": final.get("VmRSS", 0) / 1024,
            "hwm_mb": final.get("VmHWM", 0) / 1024,
            "per_file_kb": grown / max(1, len(self.files)),
            "per_1000_lines_kb": grown / max(1, lines) * 1000,
        }


@dataclass
class Results:
    options: Options
    latency: LatencyWorkload | None = None
    findings_before: dict[str, int] = field(default_factory=dict)
    series: dict[str, Summary] = field(default_factory=dict)
    figures: dict[str, float] = field(default_factory=dict)
    """Milliseconds."""
    final_diagnostics: dict[str, int] = field(default_factory=dict)
    spans: SpanResults | None = None
    memory: MemoryResults | None = None
    corpus: corpus.CorpusResults | None = None
    git: git_history.GitFigures | None = None
    imports: imports.Figures | None = None
    guard: guard.Figures | None = None
    fingerprints: list[str] = field(default_factory=list)
    """The fingerprint section's report lines."""
    targets: list[tuple[str, bool, str]] = field(default_factory=list)
    load: dict[str, float] = field(default_factory=dict)
    """The 1-minute load average when each section started: other work on the machine skews the figures."""


def run(options: Options, workspace: Path, out: Callable[[str], None]) -> Results:
    results = Results(options)

    def startup_section(results: Results, workspace: Path, out: Callable[[str], None]) -> None:
        _measure_cold_starts(results, workspace, out)
        _measure_start_up(results, out)

    def imports_section(results: Results, workspace: Path, out: Callable[[str], None]) -> None:
        quick = results.options.lines < 10_000
        out("imports: transcript import throughput and hook calls ...")
        workspace.mkdir(parents=True, exist_ok=True)
        results.imports = imports.run(8 if quick else 64, 10 if quick else 30, workspace)

    def guard_section(results: Results, workspace: Path, out: Callable[[str], None]) -> None:
        out("guard: decisions on a 200-line Write ...")
        workspace.mkdir(parents=True, exist_ok=True)
        results.guard = guard.run(10 if results.options.lines < 10_000 else 40, workspace)

    measures = {"latency": (_measure_latency, workspace), "startup": (startup_section, workspace),
                "spans": (_measure_spans, workspace / "spans"), "memory": (_measure_memory, workspace / "memory"),
                "corpus": (_measure_corpus, workspace / "corpus"),
                "git": (_measure_git, workspace / "git"),
                "imports": (imports_section, workspace / "imports"),
                "guard": (guard_section, workspace / "guard"),
                "fingerprints": (_measure_fingerprints, workspace / "fingerprints")}
    for section in options.sections:
        results.load[section] = os.getloadavg()[0]
        measure, root = measures[section]
        measure(results, root, out)
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


def _measure_fingerprints(results: Results, workspace: Path, out: Callable[[str], None]) -> None:
    o = results.options
    results.fingerprints = fingerprints.run(o.snippet_sizes, 2000, 15, workspace, o.seed, out)


def _measure_latency(results: Results, workspace: Path, out: Callable[[str], None]) -> None:
    options = results.options
    source = generate(options.lines, options.regions, options.seed)
    all_edits, final_text = make_edits(source, options.warmup + options.edits, options.seed,
                                       options.marked_share)
    path = workspace / RELATIVE_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    text = source.text
    path.write_text(text)
    results.latency = LatencyWorkload(source, all_edits, all_edits[options.warmup:])
    results.findings_before = local.initial_findings(str(path), RELATIVE_PATH, text)
    out(f"latency: workspace {workspace}: {len(source.lines)} lines, {len(source.regions)} regions, "
        f"{len(all_edits)} edits; measuring ...")
    _measure_in_process(results, path, text, all_edits, final_text, out)
    with _client_gc_frozen():
        asyncio.run(_measure_protocol(results, workspace, path, text, all_edits, out))


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
        results.figures[f"{mode}.server_cpu_ms"] = latencies.server_cpu_seconds * 1000
        results.final_diagnostics[mode] = latencies.final_diagnostics


async def _cold_starts(root: Path, path: Path, text: str, runs: int, timeout: float,
                       *variants: dict[str, object]) -> list[list[lsp_timing.ColdStart]]:
    """`runs` cold starts per variant (initialization options), the variants taking turns."""
    starts: list[list[lsp_timing.ColdStart]] = [[] for _ in variants]
    for _ in range(runs):
        for i, settings in enumerate(variants):
            starts[i].append(await lsp_timing.cold_start(root, path, text, timeout, **settings))
    return starts


def _starts_figures(prefix: str, starts: list[lsp_timing.ColdStart]) -> dict[str, float]:
    return {
        f"{prefix}.initialized_ms": median_ms([c.initialized for c in starts]),
        f"{prefix}.open_ms": median_ms([c.open for c in starts]),
        f"{prefix}.first_diagnostics_ms": median_ms([c.first_diagnostics for c in starts]),
        f"{prefix}.first_diagnostics_max_ms": max(c.first_diagnostics for c in starts) * 1000,
    }


def _measure_cold_starts(results: Results, workspace: Path, out: Callable[[str], None]) -> None:
    options = results.options
    small = workspace / "src" / "small.py"
    small.parent.mkdir(parents=True, exist_ok=True)
    small.write_text(SMALL_FILE)
    done = _timed(f"{options.cold_runs} cold starts", out)
    with _client_gc_frozen():
        [starts] = asyncio.run(_cold_starts(workspace, small, SMALL_FILE, options.cold_runs, options.timeout, {}))
    done()
    results.figures.update(_starts_figures("cold", starts))


def _measure_start_up(results: Results, out: Callable[[str], None]) -> None:
    runs = results.options.import_runs
    done = _timed(f"start-up figures ({runs} interpreters each)", out)
    f = results.figures
    f["interpreter_ms"] = median_ms([startup.interpreter_start() for _ in range(runs)])
    f["imports_ms"] = median_ms([startup.timed_snippet(startup.DEPENDENCY_IMPORTS) for _ in range(runs)])
    f["provguard_on_top_ms"] = median_ms([startup.timed_snippet(startup.PROVGUARD_ON_TOP) for _ in range(runs)])
    done()


def span_plan(options: Options) -> spans.SpanPlan:
    o = options
    return spans.plan(o.lines, o.spans, o.regions, o.warmup + o.edits, o.seed, o.marked_share, o.hinted_share)


def _measure_spans(results: Results, root: Path, out: Callable[[str], None]) -> None:
    o = results.options
    plan = span_plan(o)
    path = root / SPANS_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(plan.base_text)
    out(f"spans: workspace {root}: {plan.base_text.count(chr(10)):,} lines + {len(plan.insertions)} bulk "
        f"insertions = {plan.text_after_insertions.count(chr(10)):,} lines, {len(plan.edits)} edits; measuring ...")
    done = _timed("in-process tree-sitter and Session", out)
    reparse = local.reparse_times(plan.text_after_insertions, plan.edits, o.warmup)
    stages = spans.session_times(root, path, plan, o.warmup)
    done()
    if stages.final_source != plan.final_text.encode():
        raise SystemExit("bench: the session's text diverged from the expected text; the span workload is wrong")
    done = _timed("LSP push client: insertions, hints, edits, didSave + didClose", out)
    with _client_gc_frozen():
        protocol = asyncio.run(lsp_timing.span_latencies(root, path, plan, o.warmup, o.timeout))
    done()
    rows, ids = _ledger_count(root, SPANS_PATH)
    done = _timed(f"{o.cold_runs} reopens with the spans in the ledger, {o.cold_runs} with an empty ledger", out)
    with _client_gc_frozen():
        reopened, empty = asyncio.run(_cold_starts(root, path, plan.final_text, o.cold_runs, o.timeout,
                                                   {}, {"ledger": ":memory:"}))
    done()
    results.spans = SpanResults(plan, protocol, stages, reopened, empty, rows, ids)
    s = results.series
    for key, seconds in (
        ("spans.received", protocol.edits.received),
        ("spans.on_wire", protocol.edits.on_wire),
        ("spans.reparse", reparse),
        ("spans.core.replace", stages.replace),
        ("spans.core.tracking", stages.tracking),
        ("spans.core.analyze", stages.analyze),
        ("spans.core.convert", stages.convert),
        ("spans.core.serialize", stages.serialize),
        ("spans.core.total", stages.total()),
        ("spans.insert.received", protocol.insertions.received),
        ("spans.insert.on_wire", protocol.insertions.on_wire),
        ("spans.hint.received", protocol.hints.received),
        ("spans.hint.on_wire", protocol.hints.on_wire),
    ):
        s[key] = Summary.of_seconds(seconds)
    f = results.figures
    f["spans.open_ms"] = protocol.edits.open_seconds * 1000
    f["spans.close_ms"] = protocol.close_seconds * 1000
    f["spans.server_cpu_ms"] = protocol.edits.server_cpu_seconds * 1000
    f.update(_starts_figures("spans.reopen", reopened))
    f.update(_starts_figures("spans.reopen_empty", empty))


def _ledger_count(root: Path, relative: str) -> tuple[int, int]:
    """Rows and distinct span ids the ledger holds for a path (read-only, after the servers are gone)."""
    import sqlite3

    location = root / ".provguard" / "ledger.sqlite3"
    if not location.exists():
        return 0, 0
    conn = sqlite3.connect(f"{location.as_uri()}?mode=ro", uri=True)
    try:
        rows, ids = conn.execute("SELECT count(*), count(DISTINCT id) FROM spans WHERE path = ?",
                                 (relative,)).fetchone()
    finally:
        conn.close()
    return int(rows), int(ids)


def _measure_memory(results: Results, root: Path, out: Callable[[str], None]) -> None:
    o = results.options
    files = polyglot.files(o.files, o.file_lines, o.seed)
    checkpoints = {c for c in MEMORY_CHECKPOINTS if c < o.files} | {o.files}
    out(f"memory: workspace {root}: {len(files)} files of {o.file_lines:,} lines; opening them ...")
    done = _timed(f"LSP push client, {len(files)} didOpen", out)
    root.mkdir(parents=True, exist_ok=True)
    with _client_gc_frozen():
        protocol = asyncio.run(lsp_timing.memory_profile(root, files, checkpoints, o.timeout))
    done()
    results.memory = MemoryResults(files, protocol)
    results.series["memory.open"] = Summary.of_seconds(protocol.open_seconds)


def _measure_corpus(results: Results, root: Path, out: Callable[[str], None]) -> None:
    o = results.options
    results.corpus = corpus.measure(root, o.corpus_mb, o.corpus_files, len(os.sched_getaffinity(0)), out, o.seed)


def _measure_git(results: Results, root: Path, out: Callable[[str], None]) -> None:
    o = results.options
    lines, commits = o.file_lines, (30 if o.file_lines < 5000 else 200)
    out(f"git: workspace {root}: a {lines:,}-line file over {commits} commits; blaming it ...")
    done = _timed("git history", out)
    results.git = git_history.measure(root, lines, commits, runs=max(3, o.cold_runs), seed=o.seed)
    done()


def _check_targets(results: Results) -> None:
    s, f, add = results.series, results.figures, results.targets.append
    if results.latency is not None:
        for mode in ("push", "pull"):
            _latency_targets(results, mode, s[f"{mode}.received"], s["reparse"])
    if "cold.first_diagnostics_ms" in f:
        cold = f["cold.first_diagnostics_ms"]
        add((f"cold start <= {COLD_START_TARGET_MS:g} ms", cold <= COLD_START_TARGET_MS, f"median {cold:.0f} ms"))
    if results.spans is not None:
        _latency_targets(results, "spans", s["spans.received"], s["spans.reparse"])
        reopen = f["spans.reopen.first_diagnostics_ms"]
        add((f"spans: reopen, spawn -> diagnostics <= {COLD_START_TARGET_MS:g} ms", reopen <= COLD_START_TARGET_MS,
             f"median {reopen:.0f} ms"))
    if results.memory is not None:
        m = results.memory.figures()
        add((f"memory: VmRSS with {m['files']:.0f} files open <= {MEMORY_TARGET_MB:g} MB",
             m["rss_mb"] <= MEMORY_TARGET_MB, f"{m['rss_mb']:.1f} MB (peak {m['hwm_mb']:.1f})"))
    if results.corpus is not None:
        results.targets += results.corpus.targets()
    if results.imports is not None:
        add(imports.hook_target(results.imports))
    if results.guard is not None:
        add(guard.target(results.guard))


def _latency_targets(results: Results, name: str, got: Summary, reparse: Summary) -> None:
    p99_limit = 2 * reparse.p99 + P99_SLACK_MS
    results.targets.append((f"{name} p50 <= {P50_TARGET_MS:g} ms", got.p50 <= P50_TARGET_MS, f"p50 {got.p50:.2f} ms"))
    results.targets.append((f"{name} p99 <= 2 x reparse p99 + {P99_SLACK_MS:g} ms = {p99_limit:.2f} ms",
                            got.p99 <= p99_limit, f"p99 {got.p99:.2f} ms"))


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
    ("core.convert", "lsp: findings -> encoded diagnostics (kept text reused)"),
    ("core.serialize", "lsp: the notification joined from them"),
    ("core.through_serialize", "in-process total: core + convert + serialize"),
)
SPAN_ROWS = (
    ("spans.received", "LSP push: didChange -> publishDiagnostics (decoded)"),
    ("spans.on_wire", "LSP push:   same, bytes read (before client decode)"),
    ("spans.reparse", "tree-sitter: tree.edit + parse, same text and edits"),
    ("spans.core.replace", "Session: Document.replace (bytes, LineIndex, reparse)"),
    ("spans.core.tracking", "Session: span tracking (capture.edit + finish)"),
    ("spans.core.analyze", "Session: analysis (markers, tracked spans, rules)"),
    ("spans.core.convert", "lsp: findings -> encoded diagnostics (kept text reused)"),
    ("spans.core.serialize", "lsp: the notification joined from them"),
    ("spans.core.total", "in-process total: Session + convert + serialize"),
)
GROWTH_ROWS = (
    ("spans.insert.received", "LSP push: bulk insertion didChange -> diagnostics"),
    ("spans.insert.on_wire", "LSP push:   same, bytes read (before client decode)"),
    ("spans.hint.received", "LSP push: didInsert hint -> republished diagnostics"),
    ("spans.hint.on_wire", "LSP push:   same, bytes read (before client decode)"),
)
HEADER = f"{'n':>5}{'p50':>8}{'p90':>8}{'p99':>8}{'max':>8}{'mean':>8}"


def _table(results: Results, title: str, rows: Sequence[tuple[str, str]]) -> list[str]:
    lines = [f"{title:<56}{HEADER}"]
    for key, label in rows:
        s = results.series[key]
        lines.append(f"{label:<56}{s.n:>5}{s.p50:>8.2f}{s.p90:>8.2f}{s.p99:>8.2f}{s.max:>8.2f}{s.mean:>8.2f}")
    return lines


def _edit_mix(edits: Sequence[Edit], warmup: int, seed: int, inside: str) -> str:
    kinds = Counter(e.kind for e in edits)
    marked = sum(e.marked for e in edits)
    return (f"edits     {len(edits)} measured after {warmup} warm-up, seed {seed}: "
            + ", ".join(f"{k} {v}" for k, v in kinds.most_common())
            + f"; {marked} ({marked / max(1, len(edits)):.0%}) {inside}")


def _mix_lines(results: Results) -> list[str]:
    assert results.latency is not None
    mix = results.latency.source.mix()
    shapes = mix.shapes
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
        _edit_mix(results.latency.edits, o.warmup, o.seed, "inside marked regions"),
    ]


def render(results: Results) -> str:
    o = results.options
    lines = [f"provguard benchmark: Python {platform.python_version()}, {os.cpu_count()} CPUs; "
             f"sections: {', '.join(o.sections)}",
             "load average (1 min) as each section started: "
             + ", ".join(f"{k} {v:.2f}" for k, v in results.load.items())
             + "  (a trailing average: the previous section counts in it)"]
    if results.latency is not None:
        lines += ["", "== latency", *_mix_lines(results), ""]
        lines += _table(results, "latency per edit (ms)", ROWS)
        f = results.figures
        lines += ["", f"didOpen of the whole file -> diagnostics: push {f['push.open_ms']:.1f} ms, "
                  f"pull {f['pull.open_ms']:.1f} ms", _cpu_line(results, "push"), _cpu_line(results, "pull")]
    if "cold.first_diagnostics_ms" in results.figures:
        lines += ["", "== startup", *_start_up_lines(results)]
    if results.spans is not None:
        lines += ["", "== tracked spans", *_span_lines(results)]
    if results.memory is not None:
        lines += ["", "== memory", *_memory_lines(results)]
    if results.corpus is not None:
        lines += ["", "== corpus", *results.corpus.lines()]
    if results.git is not None:
        lines += ["", "== git history", *results.git.render()]
    if results.imports is not None:
        lines += ["", "== imports", *imports.render(results.imports)]
    if results.guard is not None:
        lines += ["", "== guard", *guard.render(results.guard)]
    if results.fingerprints:
        lines += ["", "== fingerprints", *results.fingerprints]
    lines += ["", "targets (protocol = decoded latency as the client sees it)"]
    lines += [f"  {'PASS' if ok else 'MISS'}  {name:<62} {got}" for name, ok, got in results.targets]
    if results.latency is not None:
        lines += _ratios(results)
    return "\n".join(lines)


def _cpu_line(results: Results, name: str) -> str:
    """The server's CPU time per measured edit beside the wall-clock time: equal when it had a CPU to itself."""
    on_wire = results.series[f"{name}.on_wire"]
    cpu = results.figures[f"{name}.server_cpu_ms"] / max(1, on_wire.n)
    waited = cpu < 0.8 * on_wire.mean
    return (f"{name}: server CPU per measured edit {cpu:.1f} ms, wall-clock to the last byte {on_wire.mean:.1f} ms "
            "(means)" + ("  (the server waited for a CPU: other load skews these)" if waited else ""))


def _start_up_lines(results: Results) -> list[str]:
    f = results.figures
    o = results.options
    return [
        f"start-up (ms, median of {o.import_runs} fresh interpreters; cold starts: {o.cold_runs})",
        f"  bare interpreter, spawn to exit (python -c pass)     {f['interpreter_ms']:>8.1f}",
        f"  import pygls.lsp.server, tree_sitter, lsprotocol      {f['imports_ms']:>8.1f}",
        f"  provguard on top: modules, build(), default pack     {f['provguard_on_top_ms']:>8.1f}",
        f"  cold start: spawn -> initialize response              {f['cold.initialized_ms']:>8.1f}",
        f"  cold start: spawn -> first diagnostics (small file)   {f['cold.first_diagnostics_ms']:>8.1f}"
        f"   (max {f['cold.first_diagnostics_max_ms']:.1f})",
    ]


def _span_lines(results: Results) -> list[str]:
    assert results.spans is not None
    r, o, f = results.spans, results.options, results.figures
    plan, c = r.plan, r.counts()
    shapes = plan.shapes
    hinted = plan.hinted
    lines = [
        f"workload  {SPANS_PATH}: {c['base_lines']:,}-line generated file (its marked regions: "
        f"{len(plan.base.regions)}) + {c['insertions']:,} bulk insertions, one didChange each = "
        f"{c['lines_after_insertions']:,} lines",
        f"  insertions: {shapes.get('function', 0)} pasted functions, {shapes.get('one-long-statement', 0)} one "
        f"statement of 40+ characters, {shapes.get('statements', 0)} of 2-3 short statements",
        f"  hints: {c['hints']} provguard/didInsert ({hinted.get('paste', 0)} paste, "
        f"{hinted.get('inline-completion', 0)} inline-completion, with tools); {hinted.get('no hint', 0)} "
        "without (unknown origin)",
        f"  tracked: {c['tracked_records']:,} spans ({c['tracked_intervals']:,} intervals: insertions inside "
        f"earlier ones split them); {c['diagnostics_after_insertions']:,} diagnostics after the insertions",
        _edit_mix(plan.edits[o.warmup:], o.warmup, o.seed, "inside marked regions or tracked spans"),
        "",
        *_table(results, "per edit with the tracked spans (ms)", SPAN_ROWS),
        "",
        *_table(results, "growing the file: per insertion / hint (ms)", GROWTH_ROWS),
        "",
        f"open, close, reopen (ms; reopens: median of {o.cold_runs} new server processes)",
        f"  didOpen of the {c['base_lines']:,}-line base file -> diagnostics        {f['spans.open_ms']:>8.1f}",
        f"  didSave + didClose (both persist the spans) -> cleared    {f['spans.close_ms']:>8.1f}",
        f"  {'':<40}{'ledger with spans':>20}{'empty ledger':>15}",
    ]
    for key, label in (("initialized_ms", "spawn -> initialize response"), ("open_ms", "didOpen -> diagnostics"),
                       ("first_diagnostics_ms", "spawn -> first diagnostics")):
        lines.append(f"  reopen: {label:<32}{f['spans.reopen.' + key]:>20.1f}{f['spans.reopen_empty.' + key]:>15.1f}")
    lines.append(f"  reopen: diagnostics{'':<21}{c['diagnostics_reopened']:>20,}"
                 f"{c['diagnostics_reopened_empty_ledger']:>15,}")
    restored = c["diagnostics_reopened"] == c["diagnostics_after_edits"]
    agree = c["diagnostics_after_edits"] == c["diagnostics_after_edits_in_process"]
    lines += [
        f"  ledger: {c['ledger_rows']:,} rows, {c['ledger_spans']:,} distinct spans for {SPANS_PATH}",
        f"diagnostics after the last edit: in-process {c['diagnostics_after_edits_in_process']:,}, push "
        f"{c['diagnostics_after_edits']:,}" + ("  (consistent)" if agree else "  (INCONSISTENT)")
        + f"; after reopening {c['diagnostics_reopened']:,}"
        + ("  (every span restored)" if restored else "  (DIFFERENT: spans lost or changed on the way)"),
    ]
    lines.append(_cpu_line(results, "spans"))
    core = results.series["spans.core.total"].p50
    got = results.series["spans.received"].p50
    lines.append(f"spans: protocol p50 / reparse p50 = {got / results.series['spans.reparse'].p50:,.0f}x;  "
                 f"protocol p50 - in-process total p50 = {got - core:+.2f} ms")
    if results.latency is not None:
        lines.append(f"spans: protocol p50 with spans / push p50 without = "
                     f"{got / results.series['push.received'].p50:.1f}x")
    return lines


def _memory_lines(results: Results) -> list[str]:
    assert results.memory is not None
    m = results.memory.figures()
    run = results.memory.protocol
    languages = Counter(file.language_id for file in results.memory.files)
    opened = results.series["memory.open"]
    lines = [
        f"workload  {m['files']:.0f} distinct files over the protocol ("
        + ", ".join(f"{v} {k}" for k, v in languages.items())
        + f"), {m['lines'] / max(1, m['files']):,.0f} lines each: {m['lines']:,.0f} lines, "
        f"{m['text_mb']:.1f} MB of text",
        f"  didOpen -> diagnostics per file: p50 {opened.p50:.1f} ms, p99 {opened.p99:.1f} ms, max {opened.max:.1f} ms;"
        f" {run.diagnostics:,} diagnostics in all",
        "",
        f"server memory (MB, /proc/PID/status)      {'VmRSS':>8}{'VmHWM':>8}",
        f"  after initialize (baseline)              {m['baseline_rss_mb']:>8.1f}{m['baseline_hwm_mb']:>8.1f}",
    ]
    for count, status in run.checkpoints:
        lines.append(f"  {count:>4} files open                         {status.get('VmRSS', 0) / 1024:>8.1f}"
                     f"{status.get('VmHWM', 0) / 1024:>8.1f}")
    lines.append(f"  per file: +{m['per_file_kb']:,.0f} kB VmRSS (+{m['per_1000_lines_kb']:,.0f} kB per 1,000 lines)")
    return lines


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
    """cProfiles of the in-process pipelines and of the server; tracemalloc of the memory workload."""
    o = results.options
    if results.latency is not None:
        path = workspace / RELATIVE_PATH
        text = results.latency.source.text
        local.profile_core(str(path), RELATIVE_PATH, text, results.latency.all_edits, o.profile, out)
        stats_file = workspace / "server.prof"
        command = lsp_timing.profiled_server(stats_file)
        asyncio.run(lsp_timing.push_latencies(workspace, path, text, results.latency.all_edits, o.warmup,
                                              o.timeout, command))
        _print_stats(stats_file, f"push client, {len(results.latency.all_edits)} edits, start-up included",
                     o.profile, out)
    if results.spans is not None:
        plan = results.spans.plan
        root = workspace / "spans-profile"
        path = root / SPANS_PATH
        path.parent.mkdir(parents=True, exist_ok=True)
        profiling.profile_session(root, path, plan, o.warmup, o.profile, out)
        stats_file = root / "server.prof"
        asyncio.run(lsp_timing.span_latencies(root, path, plan, o.warmup, o.timeout,
                                              lsp_timing.profiled_server(stats_file)))
        _print_stats(stats_file, f"spans: {len(plan.insertions)} insertions, their hints, {len(plan.edits)} edits, "
                     "save and close", o.profile, out)
    if results.memory is not None:
        profiling.profile_memory(workspace / "memory-profile", results.memory.files, o.profile, out)


def _print_stats(stats_file: Path, what: str, top: int, out: Callable[[str], None]) -> None:
    import pstats

    out(f"\n--- cProfile of the server process ({what}), by tottime ---")
    stats = pstats.Stats(str(stats_file), stream=sys.stdout).strip_dirs()
    stats.sort_stats("tottime").print_stats(top)


def to_json(results: Results) -> dict[str, Any]:
    o = results.options
    data: dict[str, Any] = {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "sections": list(o.sections),
        "options": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(o).items()},
    }
    if results.latency is not None:
        data["workload"] = asdict(results.latency.source.mix())
        data["edits"] = dict(Counter(e.kind for e in results.latency.edits))
        data["edits_inside_marked_regions"] = sum(e.marked for e in results.latency.edits)
        data["findings_before"] = results.findings_before
        data["final_diagnostics"] = results.final_diagnostics
    data["load_average_at_start"] = results.load
    data["latency_ms"] = {k: asdict(v) for k, v in results.series.items()}
    data["figures_ms"] = results.figures
    if results.corpus is not None:
        data["corpus"] = results.corpus.figures()
    if results.spans is not None:
        plan = results.spans.plan
        data["spans"] = {**results.spans.counts(), "shapes": plan.shapes, "hinted": plan.hinted,
                         "edits": dict(Counter(e.kind for e in plan.edits[o.warmup:]))}
    if results.memory is not None:
        memory = results.memory
        data["memory"] = {
            **memory.figures(),
            "languages": dict(Counter(f.language_id for f in memory.files)),
            "baseline_kb": memory.protocol.baseline,
            "checkpoints_kb": {str(count): status for count, status in memory.protocol.checkpoints},
            "diagnostics": memory.protocol.diagnostics,
        }
    if results.git is not None:
        data["git_ms"] = asdict(results.git)
    if results.imports is not None:
        data["imports"] = imports.to_json(results.imports)
    if results.guard is not None:
        data["guard"] = guard.to_json(results.guard)
    data["targets"] = [{"target": name, "pass": ok, "measured": got} for name, ok, got in results.targets]
    return data


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
