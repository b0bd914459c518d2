"""`provguard filter` on one process beside the Ray stage (`--engine ray`), on the same generated corpus.

    python bench/ray_filter.py            # 1 GB (several minutes on 2 cores)
    python bench/ray_filter.py --mb 200   # a smaller corpus
    python bench/ray_filter.py --quick    # 30 MB, to see it work

The corpus is bench/corpus.py's (generated Python, TypeScript and Go; half the samples hold a provenance
marker and are parsed; one line in 1,000 malformed), written as one JSONL file for the single process and
cut into shards for Ray, whose unit of parallel work is a file. Every run is the real command in a
subprocess, side report on, on a local cluster started beforehand (its start-up is printed apart): a
one-line corpus for the stage's fixed cost, then the corpus with one actor and with one actor per CPU.
Printed: MB/s of each, the ratios, peak resident memory of the single process and of each Ray worker, and
the cores needed to filter 10 TB in one hour at one actor's steady rate (its run less the fixed cost): the
per-core figure that does not depend on what else the machine is running.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from corpus import REPO, Corpus, write_corpus

TEN_TB_PER_HOUR_MB_S = 10e12 / 1e6 / 3600


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_mb: float
    """Peak resident memory: of the single process, or of the largest Ray worker."""
    workers: int
    driver_mb: float = 0.0
    """Peak resident memory of the command itself (on Ray: the driver, which writes the side report)."""

    def mb_per_s(self, corpus: Corpus) -> float:
        return corpus.bytes / 1e6 / self.seconds


def shard(corpus: Corpus, folder: Path, shards: int) -> None:
    """The corpus cut at line boundaries into `shards` files of about equal size."""
    folder.mkdir()
    target = corpus.bytes // shards + 1
    index, written = 0, 0
    out = (folder / f"part-{index:04d}.jsonl").open("wb")
    with corpus.path.open("rb") as source:
        for line in source:
            if written >= target and index < shards - 1:
                out.close()
                index, written = index + 1, 0
                out = (folder / f"part-{index:04d}.jsonl").open("wb")
            out.write(line)
            written += len(line)
    out.close()


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def ray_workers() -> list[int]:
    """Processes running provguard's Ray actors (their title names the stage)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                title = Path(f"/proc/{entry}/cmdline").read_bytes()
            except OSError:
                continue
            if b"FileStage" in title:
                found.append(int(entry))
    return found


def timed(command: list[str], watch: str) -> Run:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO / "server"),
                                                                     os.environ.get("PYTHONPATH")]))}
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak, driver, workers = 0.0, 0.0, set()
    while process.poll() is None:
        pids = [process.pid] if watch == "self" else ray_workers()
        workers.update(pids)
        peak = max([peak, *(rss_mb(pid) for pid in pids)])
        driver = max(driver, rss_mb(process.pid))
        time.sleep(0.2)
    seconds = time.perf_counter() - started
    stderr = process.stderr.read().decode() if process.stderr else ""
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:4])} failed ({process.returncode}): {stderr[-2000:]}")
    return Run(seconds, peak, len(workers), driver)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=int, default=1000, help="corpus size in MB (default: 1000)")
    parser.add_argument("--quick", action="store_true", help="a 30 MB corpus")
    parser.add_argument("--cpus", type=int, default=len(os.sched_getaffinity(0)), help="CPUs for Ray")
    parser.add_argument("--shards", type=int, default=16)
    args = parser.parse_args(argv)
    size = (30 if args.quick else args.mb) * 1_000_000

    import ray

    from provguard.corpus.ray_loopback import LOOPBACK, LOOPBACK_ENVIRONMENT, loopback_only

    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    os.environ.update(LOOPBACK_ENVIRONMENT)  # as `filter --engine ray` starts one: nothing beyond loopback
    work = Path(tempfile.mkdtemp(prefix="pgrb", dir="/tmp"))  # short: Ray's socket paths live in it
    try:
        corpus = write_corpus(work / "corpus.jsonl", size, seed=8)
        shard(corpus, work / "shards", args.shards)
        started = time.perf_counter()
        with loopback_only():
            context = ray.init(num_cpus=args.cpus, include_dashboard=False, _temp_dir=str(work / "ray"),
                               _node_ip_address=LOOPBACK, configure_logging=False, log_to_driver=False)
        ray_start = time.perf_counter() - started
        common = ["--path-field", "path", "--language-field", "language", "--as", "train.jsonl"]
        single = timed([sys.executable, "-m", "provguard", "filter", str(corpus.path), str(work / "out.jsonl"),
                        "--report", str(work / "single.jsonl"), "--workers", "1", *common], "self")
        address = context.address_info["gcs_address"]

        def on_ray(source: Path, actors: int, report: str) -> Run:
            return timed([sys.executable, "-m", "provguard", "filter", str(source), str(work / f"out-{report}"),
                          "--engine", "ray", "--ray-address", address, "--concurrency", str(actors),
                          "--report", str(work / f"{report}.jsonl"), *common], "ray")

        (work / "tiny").mkdir()
        (work / "tiny" / "one.jsonl").write_bytes(corpus.path.open("rb").readline())
        overhead = on_ray(work / "tiny", args.cpus, "tiny").seconds
        alone = on_ray(work / "shards", 1, "alone")
        staged = on_ray(work / "shards", args.cpus, "ray")
        ray.shutdown()
        same = (work / "single.jsonl").read_text().splitlines()[-1] == \
            (work / "ray.jsonl").read_text().splitlines()[-1].replace(f', "files": {args.shards}, "failedFiles": 0', "")
        one, many = single.mb_per_s(corpus), staged.mb_per_s(corpus)
        one_actor = alone.mb_per_s(corpus)
        steady = corpus.bytes / 1e6 / max(alone.seconds - overhead, 1e-9)
        print(f"corpus: {corpus.bytes / 1e6:.0f} MB, {corpus.samples} samples ({corpus.marked} with a marker, "
              f"{corpus.bad} malformed); Ray: {args.shards} shards, {args.cpus} CPUs, cluster start {ray_start:.1f} s")
        print(f"single process (--workers 1): {single.seconds:.1f} s, {one:.2f} MB/s, peak RSS {single.peak_mb:.0f} MB")
        print(f"Ray stage, fixed cost (driver, actors, snapshot; a one-line corpus): {overhead:.1f} s")
        print(f"Ray stage, 1 actor: {alone.seconds:.1f} s, {one_actor:.2f} MB/s ({steady:.2f} MB/s without the "
              f"fixed cost), peak RSS per worker {alone.peak_mb:.0f} MB")
        print(f"Ray stage, {args.cpus} actors: {staged.seconds:.1f} s, {many:.2f} MB/s, peak RSS per worker "
              f"{staged.peak_mb:.0f} MB")
        report_mb = (work / "ray.jsonl").stat().st_size / 1e6
        print(f"Ray driver peak RSS {staged.driver_mb:.0f} MB (1 actor: {alone.driver_mb:.0f} MB) for a side report "
              f"of {report_mb:.0f} MB: report lines are spooled to disk as files finish, not held")
        print(f"ratio Ray / single process: 1 actor {one_actor / one:.2f} x, {args.cpus} actors {many / one:.2f} x "
              f"(load average {os.getloadavg()[0]:.1f} on {len(os.sched_getaffinity(0))} cores: other work "
              "competes for them)")
        print(f"same counts in both side reports: {same}")
        cores = TEN_TB_PER_HOUR_MB_S / steady
        print(f"10 TB in one hour = {TEN_TB_PER_HOUR_MB_S:.0f} MB/s: {cores:,.0f} cores at {steady:.2f} MB/s per "
              f"core (one actor's steady rate), e.g. {cores / 64:,.0f} machines of 64 cores")
        return 0 if same else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
