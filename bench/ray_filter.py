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

CPU per MB, the figure a loaded machine bends least: the CPU time (user + system) of the single process
against that of the Ray run's driver and its judging actors (the `FileStage` processes of this bench's own
cluster, read from /proc every 50 ms while they live, less what an idle worker had used before the run took
it), and the same less the CPU of the fixed cost (the one-line run with one actor). Ray's own daemons (raylet,
GCS, log monitor, idle workers) are printed apart, with the largest by name, and in a third ratio. The actors
run this checkout's provguard, as the single process does (PYTHONPATH is set before the cluster starts).
Then `--pairs` times (default 3) the single process and a one-actor run started together, so that both meet
the same machine: on a shared machine the CPU a unit of work costs moves with what runs beside it; each pair's
ratios are printed, then their medians.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
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
    driver_cpu: float = 0.0
    """CPU seconds (user + system) of the command itself and the children it waited for."""
    workers_cpu: float = 0.0
    """CPU seconds of the Ray actors judging the files, spent during the run."""
    daemons_cpu: float = 0.0
    """CPU seconds of the cluster's other processes (raylet, GCS, idle workers) during the run."""
    daemons: tuple[tuple[str, float], ...] = ()
    """The largest parts of `daemons_cpu`, by process title."""

    def mb_per_s(self, corpus: Corpus) -> float:
        return corpus.bytes / 1e6 / self.seconds

    @property
    def cpu(self) -> float:
        """The run's CPU: the command's and its actors'."""
        return self.driver_cpu + self.workers_cpu


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


TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU of a live process (/proc/PID/stat), None once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / TICK  # utime, stime: fields 14 and 15 of stat(5)


def title(pid: int) -> str:
    """A process's name as `ps` shows it: Ray's workers set theirs (`ray::IDLE`, `ray::FileStage.filter`)."""
    try:
        words = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return "?"
    name = words[0].decode(errors="replace").strip().rsplit("/", 1)[-1]
    if name.startswith("python"):  # Ray's agents and monitors: named by their script
        name = next((w.decode(errors="replace").rsplit("/", 1)[-1] for w in words if w.endswith(b".py")), name)
    return name.split(".", 1)[0] if name.startswith("ray::") else name


def cluster_processes() -> dict[int, bool]:
    """The processes of this bench's own Ray cluster (started by this process: other Ray runs on a shared
    machine are not counted), each with whether it runs provguard's actor (its title names the stage)."""
    parents: dict[int, int] = {}
    titles: dict[int, bytes] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                parents[int(entry)] = int(Path(f"/proc/{entry}/stat").read_text().rpartition(")")[2].split()[1])
                titles[int(entry)] = Path(f"/proc/{entry}/cmdline").read_bytes()
            except (OSError, IndexError, ValueError):
                continue
    me, found = os.getpid(), {}
    for pid in parents:
        top, step, seen = pid, parents[pid], 0
        while step > 1 and step != me and seen < 64:
            top, step, seen = step, parents.get(step, 0), seen + 1
        if step == me and b"provguard" not in titles.get(top, b""):  # not a command this bench ran
            found[pid] = b"FileStage" in titles.get(pid, b"")
    return found


SERVER_PATH = os.pathsep.join(filter(None, [str(REPO / "server"), os.environ.get("PYTHONPATH")]))
"""This checkout's provguard first, for the commands and (set before the cluster starts) for Ray's workers."""
TICK_S = 0.05
"""How often the known processes' CPU is read: an actor killed at the end loses at most this much of it."""
SCAN_EVERY = 10
"""Ticks between scans of /proc for new processes of the cluster (a scan reads every process's files)."""


def timed(command: list[str], watch: str) -> Run:
    env = {**os.environ, "PYTHONPATH": SERVER_PATH}
    before = {pid: cpu_seconds(pid) or 0.0 for pid in cluster_processes()}  # idle workers' CPU so far
    last: dict[int, float] = {}
    actors: set[int] = set()
    known: dict[int, bool] = {}
    titles: dict[int, str] = {}
    started = time.perf_counter()
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=errors)
        peak, driver, tick = 0.0, 0.0, 0
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid == process.pid:
                break
            if watch == "self":
                peak = max(peak, rss_mb(process.pid))
            else:
                if tick % SCAN_EVERY == 0:
                    known.update(cluster_processes())
                    titles.update((pid, title(pid)) for pid in known if pid not in titles)
                for child, actor in known.items():
                    used = cpu_seconds(child)
                    if used is not None:
                        last[child] = used
                    if actor and used is not None:
                        actors.add(child)
                        if tick % SCAN_EVERY == 0:
                            peak = max(peak, rss_mb(child))
            if tick % SCAN_EVERY == 0:
                driver = max(driver, rss_mb(process.pid))
            tick += 1
            time.sleep(TICK_S)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        errors.seek(0)
        stderr = errors.read().decode(errors="replace")
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:4])} failed ({process.returncode}): {stderr[-2000:]}")
    spent = {pid: used - before.get(pid, 0.0) for pid, used in last.items()}
    by_title: dict[str, float] = {}
    for pid, used in spent.items():
        if pid not in actors:
            by_title[titles.get(pid, "?")] = by_title.get(titles.get(pid, "?"), 0.0) + used
    largest = tuple(sorted(by_title.items(), key=lambda item: -item[1])[:3])
    return Run(seconds, peak, len(actors) if watch != "self" else 1, driver, usage.ru_utime + usage.ru_stime,
               sum(spent[pid] for pid in actors if pid in spent),
               sum(used for pid, used in spent.items() if pid not in actors), largest)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=int, default=1000, help="corpus size in MB (default: 1000)")
    parser.add_argument("--quick", action="store_true", help="a 30 MB corpus")
    parser.add_argument("--cpus", type=int, default=len(os.sched_getaffinity(0)), help="CPUs for Ray")
    parser.add_argument("--shards", type=int, default=16)
    parser.add_argument("--pairs", type=int, default=3, help="side-by-side runs of one process and one actor")
    args = parser.parse_args(argv)
    size = (30 if args.quick else args.mb) * 1_000_000

    import ray

    from provguard.corpus.ray_loopback import LOOPBACK, LOOPBACK_ENVIRONMENT, loopback_only

    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    os.environ.update(LOOPBACK_ENVIRONMENT)  # as `filter --engine ray` starts one: nothing beyond loopback
    os.environ["PYTHONPATH"] = SERVER_PATH  # the actors run the same provguard as the single process
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
        overhead_run = on_ray(work / "tiny", args.cpus, "tiny")
        overhead = overhead_run.seconds
        fixed_one = on_ray(work / "tiny", 1, "tiny-1").cpu  # the fixed CPU of a run with one actor
        alone = on_ray(work / "shards", 1, "alone")
        staged = on_ray(work / "shards", args.cpus, "ray")
        # The same two side by side, started together: on a shared machine the CPU a unit of work costs moves
        # with what runs beside it (caches, the core's other thread), so runs at other moments compare poorly.
        def side_by_side() -> dict[str, Run]:
            paired: dict[str, Run] = {}
            pair = [threading.Thread(target=lambda: paired.__setitem__("single", timed([
                        sys.executable, "-m", "provguard", "filter", str(corpus.path), str(work / "out-pair.jsonl"),
                        "--report", str(work / "single-pair.jsonl"), "--workers", "1", *common], "self"))),
                    threading.Thread(target=lambda: paired.__setitem__("ray", on_ray(work / "shards", 1, "pair")))]
            for thread in pair:
                thread.start()
            for thread in pair:
                thread.join()
            return paired

        pairs = [side_by_side() for _ in range(args.pairs)]
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
        mb = corpus.bytes / 1e6
        print(f"CPU per MB (user + system; load average {os.getloadavg()[0]:.1f}, not a factor in CPU time): one "
              f"process {1000 * single.cpu / mb:.1f} ms/MB ({single.cpu:.1f} s)")
        for name, run, tiny in (("1 actor", alone, fixed_one), (f"{args.cpus} actors", staged, overhead_run.cpu)):
            print(f"  Ray, {name}: {1000 * run.cpu / mb:.1f} ms/MB ({run.cpu / single.cpu:.3f} x one process; "
                  f"driver {run.driver_cpu:.1f} s, actors {run.workers_cpu:.1f} s); less the fixed cost's "
                  f"{tiny:.1f} s: {1000 * (run.cpu - tiny) / mb:.1f} ms/MB ({(run.cpu - tiny) / single.cpu:.3f} x); "
                  f"Ray's daemons meanwhile {run.daemons_cpu:.1f} s")
        ratios: list[tuple[float, float, float]] = []
        for paired in pairs:
            one_cpu, ray_cpu = paired["single"].cpu, paired["ray"].cpu
            ratios.append((ray_cpu / one_cpu, (ray_cpu - fixed_one) / one_cpu,
                           (ray_cpu + paired["ray"].daemons_cpu) / one_cpu))
            print(f"  side by side (started together, same machine state): one process {1000 * one_cpu / mb:.1f} "
                  f"ms/MB; Ray 1 actor {1000 * ray_cpu / mb:.1f} ms/MB ({ratios[-1][0]:.3f} x; driver "
                  f"{paired['ray'].driver_cpu:.1f} s, actor {paired['ray'].workers_cpu:.1f} s), less its fixed cost "
                  f"{ratios[-1][1]:.3f} x, with Ray's daemons ({paired['ray'].daemons_cpu:.1f} s: "
                  f"{', '.join(f'{name} {used:.1f} s' for name, used in paired['ray'].daemons)}) "
                  f"{ratios[-1][2]:.3f} x (load average {os.getloadavg()[0]:.1f})")
        if len(ratios) > 1:
            print("  side by side, median of {}: {:.3f} x; less the fixed cost {:.3f} x; with Ray's daemons {:.3f} x"
                  .format(len(ratios), *(statistics.median(r[i] for r in ratios) for i in range(3))))
        cores = TEN_TB_PER_HOUR_MB_S / steady
        print(f"10 TB in one hour = {TEN_TB_PER_HOUR_MB_S:.0f} MB/s: {cores:,.0f} cores at {steady:.2f} MB/s per "
              f"core (one actor's steady rate), e.g. {cores / 64:,.0f} machines of 64 cores")
        return 0 if same else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
