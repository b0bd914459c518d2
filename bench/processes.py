"""Memory of a benchmarked command and every process it started, read from /proc (Linux)."""

from __future__ import annotations

import os
from pathlib import Path


def memory_by_process(pid: int) -> list[tuple[float, float]]:
    """(RSS, PSS) in MB of a process and each of its descendants, from /proc. Forked workers share the pages
    they inherited: RSS counts those once per process, PSS divides them among the sharers, so the PSS sum is
    what the run really holds."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            children.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(entry))
    sizes: list[tuple[float, float]] = []
    todo = [pid]
    while todo:
        current = todo.pop()
        todo += children.get(current, [])
        try:
            fields = dict(line.split(":", 1) for line in
                          Path(f"/proc/{current}/smaps_rollup").read_text().splitlines()[1:])
            sizes.append((int(fields["Rss"].split()[0]) / 1024, int(fields["Pss"].split()[0]) / 1024))
        except (OSError, KeyError, ValueError):
            continue
    return sizes
