"""Corpus benchmarks: `provguard filter` on a generated JSONL corpus, and `check` beside tree-sitter.

    python bench/corpus.py            # a 1 GB corpus and a 300-file tree (a few minutes)
    python bench/corpus.py --quick    # 50 MB and 60 files, in seconds
    python bench/run.py --only corpus # the same as a section of the main benchmark

filter: the real command in a subprocess (worker pool, side report) over a corpus generated into a temporary
folder: distinct Python, TypeScript and Go files as samples, some with provenance markers, a few bad lines.
Throughput is input MB per wall-clock second, start-up included; the resident memory of the command and its
workers (summed VmRSS from /proc) is sampled four times a second to show it stays flat as the corpus streams.

check: the same files as a tree, in this process, measured side by side in one run: tree-sitter parse-only
(read each file, parse it with its grammar) and `check_paths` (read, parse, markers, rules). Target: check at
least half as fast as parse-only.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polyglot
from processes import memory_by_process

REPO = Path(__file__).resolve().parents[1]
FLAT_SLACK = 0.10
"""Memory counts as flat when the peak of the run's second half is within 10% of the first half's."""
CHECK_TARGET = 0.5
BAD_LINE_EVERY = 1000


@dataclass(frozen=True)
class Corpus:
    path: Path
    bytes: int
    samples: int
    marked: int
    """Samples holding a provenance marker: the ones the judge parses."""
    bad: int


@dataclass(frozen=True)
class FilterFigures:
    corpus: Corpus
    workers: int
    seconds: float
    rss_mb: list[tuple[float, float]]
    """(seconds since start, summed VmRSS of the command and its workers in MB)."""
    summary: dict[str, object]

    @property
    def mb_per_s(self) -> float:
        return self.corpus.bytes / 1e6 / self.seconds

    def halves(self) -> tuple[float, float]:
        """Peak RSS in the first and the second half of the run (after the first second of start-up)."""
        middle = self.seconds / 2
        first = [mb for t, mb in self.rss_mb if t <= middle] or [0.0]
        second = [mb for t, mb in self.rss_mb if t > middle] or [0.0]
        return max(first), max(second)

    @property
    def flat(self) -> bool:
        first, second = self.halves()
        return second <= first * (1 + FLAT_SLACK)


@dataclass(frozen=True)
class CheckFigures:
    files: int
    bytes: int
    parse_seconds: float
    check_seconds: float
    findings: int

    @property
    def parse_mb_per_s(self) -> float:
        return self.bytes / 1e6 / self.parse_seconds

    @property
    def check_mb_per_s(self) -> float:
        return self.bytes / 1e6 / self.check_seconds

    @property
    def ratio(self) -> float:
        return self.parse_seconds / self.check_seconds


@dataclass(frozen=True)
class CorpusResults:
    filter: FilterFigures
    check: CheckFigures

    def figures(self) -> dict[str, float]:
        f, c = self.filter, self.check
        first, second = f.halves()
        return {"filter_mb": f.corpus.bytes / 1e6, "filter_seconds": f.seconds, "filter_mb_per_s": f.mb_per_s,
                "filter_rss_first_half_mb": first, "filter_rss_second_half_mb": second,
                "check_mb": c.bytes / 1e6, "parse_mb_per_s": c.parse_mb_per_s, "check_mb_per_s": c.check_mb_per_s,
                "check_to_parse": c.ratio}

    def targets(self) -> list[tuple[str, bool, str]]:
        first, second = self.filter.halves()
        return [
            (f"filter: memory flat (second-half peak <= first-half peak + {FLAT_SLACK:.0%})", self.filter.flat,
             f"{first:.0f} MB -> {second:.0f} MB"),
            (f"check throughput >= {CHECK_TARGET:g} x tree-sitter parse-only", self.check.ratio >= CHECK_TARGET,
             f"{self.check.ratio:.2f} x"),
        ]

    def lines(self) -> list[str]:
        f, c = self.filter, self.check
        k = f.corpus
        out = [
            f"filter    {k.bytes / 1e6:,.0f} MB corpus, {k.samples:,} lines ({k.marked:,} samples with a marker, "
            f"{k.bad} bad lines), {f.workers} workers",
            f"  {f.seconds:.1f} s: {f.mb_per_s:.1f} MB/s; " + ", ".join(f"{key} {value}" for key, value in
                                                                      f.summary.items() if key != "rules"),
            "  resident memory (MB, command + workers) at each tenth of the run: "
            + " ".join(f"{mb:.0f}" for mb in _tenths(f.rss_mb, f.seconds)),
            f"check     {c.files} files, {c.bytes / 1e6:.1f} MB, {c.findings} findings",
            f"  tree-sitter parse-only {c.parse_mb_per_s:.2f} MB/s ({c.parse_seconds:.2f} s), "
            f"check {c.check_mb_per_s:.2f} MB/s ({c.check_seconds:.2f} s): check / parse-only = {c.ratio:.2f}",
        ]
        return out


def _tenths(samples: list[tuple[float, float]], seconds: float) -> list[float]:
    out = []
    for tenth in range(1, 11):
        before = [mb for t, mb in samples if t <= seconds * tenth / 10]
        out.append(before[-1] if before else 0.0)
    return out


# -------------------------------------------------------------------------------------------- corpus


def write_corpus(path: Path, size: int, seed: int) -> Corpus:
    """About `size` bytes of JSONL: distinct generated files as samples, cycled with their own ids."""
    files = polyglot.files(90, 250, seed)
    pool = [(f.relative_path, f.language_id, json.dumps(f.text), "provguard:" in f.text) for f in files]
    rng = random.Random(seed)
    written = samples = marked = bad = 0
    with path.open("w", encoding="utf-8", buffering=1 << 20) as out:
        while written < size:
            samples += 1
            if samples % BAD_LINE_EVERY == 0:
                line = f'{{"id": {samples}, "content": "truncated\n'
                bad += 1
            else:
                relative, language, content, has_marker = pool[rng.randrange(len(pool))]
                line = f'{{"id": {samples}, "path": "{relative}", "language": "{language}", "content": {content}}}\n'
                marked += has_marker
            out.write(line)
            written += len(line.encode("utf-8"))
    return Corpus(path, written, samples, marked, bad)


def measure_filter(corpus: Corpus, folder: Path, workers: int) -> FilterFigures:
    report = folder / "report.jsonl"
    command = [sys.executable, "-m", "provguard", "filter", str(corpus.path), str(folder / "out.jsonl"),
               "--path-field", "path", "--language-field", "language", "--report", str(report),
               "--workers", str(workers)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO / "server"),
                                                                     os.environ.get("PYTHONPATH")]))}
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    rss: list[tuple[float, float]] = []
    while process.poll() is None:
        rss.append((time.perf_counter() - started, _tree_rss_mb(process.pid)))
        time.sleep(0.25)
    seconds = time.perf_counter() - started
    stderr = process.stderr.read().decode() if process.stderr else ""
    if process.returncode != 0:
        raise RuntimeError(f"provguard filter failed ({process.returncode}): {stderr[-2000:]}")
    summary = json.loads(report.read_text(encoding="utf-8").splitlines()[-1])["summary"]
    return FilterFigures(corpus, workers, seconds, rss, summary)


def _tree_rss_mb(pid: int) -> float:
    """VmRSS of a process and its descendants."""
    return sum(rss for rss, _ in memory_by_process(pid))


# --------------------------------------------------------------------------------------------- check


def write_tree(root: Path, count: int, lines: int, seed: int) -> int:
    total = 0
    for file in polyglot.files(count, lines, seed):
        path = root / file.relative_path
        path.parent.mkdir(parents=True, exist_ok=True)
        data = file.text.encode("utf-8")
        path.write_bytes(data)
        total += len(data)
    return total


def measure_check(root: Path, size: int, rounds: int) -> CheckFigures:
    """Best of `rounds` for each, alternating, so both see the same machine load and a warm file cache."""
    from provguard.check import check_paths
    from provguard.files import walk
    from provguard.languages import detect
    from provguard.policy.policy import load_policy

    policy = load_policy(["default"], {}).policy
    paths = list(walk([root]))
    parsers = {}
    for path in paths:
        language = detect(str(path))
        if language.has_grammar and language.id not in parsers:
            parsers[language.id] = language.parser()

    def parse_only() -> None:
        for path in paths:
            language = detect(str(path))
            if language.has_grammar:
                parsers[language.id].parse(path.read_bytes())

    parse_times, check_times = [], []
    findings = 0
    for _ in range(rounds):
        start = time.perf_counter()
        parse_only()
        parse_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        run = check_paths([root], root, policy)
        check_times.append(time.perf_counter() - start)
        findings = len(run.findings)
    return CheckFigures(len(paths), size, min(parse_times), min(check_times), findings)


# ------------------------------------------------------------------------------------------ the run


def measure(workspace: Path, corpus_mb: int, files: int, workers: int, out: Callable[[str], None],
            seed: int = 1) -> CorpusResults:
    workspace.mkdir(parents=True, exist_ok=True)
    out(f"corpus: generating {corpus_mb} MB of JSONL ...")
    corpus = write_corpus(workspace / "corpus.jsonl", corpus_mb * 1_000_000, seed)
    out(f"corpus: provguard filter with {workers} workers ...")
    filtered = measure_filter(corpus, workspace, workers)
    (workspace / "out.jsonl").unlink(missing_ok=True)
    corpus.path.unlink()
    tree = workspace / "tree"
    out(f"corpus: {files} files for check beside parse-only ...")
    size = write_tree(tree, files, 2000, seed)
    checked = measure_check(tree, size, rounds=3)
    return CorpusResults(filtered, checked)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="50 MB corpus, 60 files")
    parser.add_argument("--corpus-mb", type=int, help="corpus size in MB (default 1000)")
    parser.add_argument("--files", type=int, help="files in the check tree, 2,000 lines each (default 300)")
    parser.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    workspace = Path(tempfile.mkdtemp(prefix="provguard-corpus-"))
    try:
        results = measure(workspace, args.corpus_mb or (50 if args.quick else 1000),
                          args.files or (60 if args.quick else 300), args.workers,
                          lambda text: print(text, file=sys.stderr))
    finally:
        shutil.rmtree(workspace, ignore_errors=True)
    print("\n".join(results.lines()))
    for name, ok, got in results.targets():
        print(f"  {'PASS' if ok else 'MISS'}  {name:<62} {got}")
    if args.json is not None:
        args.json.write_text(json.dumps(results.figures(), indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
