"""`--profile` for the spans and memory sections: cProfile of edits through `Session` with tracked spans,
and where the memory of many open documents goes (tracemalloc for Python objects, RSS for the rest)."""

from __future__ import annotations

import contextlib
import cProfile
import ctypes
import gc
import io
import pstats
import tracemalloc
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

import spans
from lsp_timing import proc_status
from polyglot import File

from provguard.session import Session
from provguard.settings import Settings

Out = Callable[[str], None]


def profile_session(root: Path, path: Path, plan: spans.SpanPlan, warmup: int, top: int, out: Out) -> None:
    """cProfile of the edits (not the insertions) through `Session`, the tracked spans in place."""
    profiler = cProfile.Profile()
    spans.session_times(root, path, plan, warmup, between=profiler.enable)
    profiler.disable()
    for sort in ("tottime", "cumulative"):
        buffer = io.StringIO()
        pstats.Stats(profiler, stream=buffer).strip_dirs().sort_stats(sort).print_stats(top)
        out(f"\n--- cProfile of {len(plan.edits)} edits through Session with "
            f"{len(plan.insertions)} tracked spans (change + analysis + convert + serialize), by {sort} ---")
        out(buffer.getvalue().split("\n\n", 1)[-1].rstrip())


def _rss_kb() -> int:
    gc.collect()
    _trim()
    return proc_status_self()["VmRSS"]


def proc_status_self() -> dict[str, int]:
    import os

    return proc_status(os.getpid())


def _trim() -> None:
    """Gives freed heap back to the system (glibc), so RSS differences mean what is still held."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def profile_memory(root: Path, files: Sequence[File], top: int, out: Out) -> None:
    """The memory workload opened in this process through `Session`: tracemalloc's holders by provguard
    line, and RSS given back when trees and parsers are dropped (tree-sitter's memory is not Python's)."""
    session = Session([root])
    session.configure(Settings(reviewer="bench@example.com"))
    before = _rss_kb()
    tracemalloc.start(12)
    held: dict[str, list[int]] = {}
    for file in files:
        path = root / file.relative_path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(file.text)
        traced_before = tracemalloc.get_traced_memory()[0]
        opened = session.open(path.as_uri(), str(path), file.language_id, file.text, 1)
        session.analysis(opened)
        held.setdefault(file.language_id, []).append(tracemalloc.get_traced_memory()[0] - traced_before)
    snapshot = tracemalloc.take_snapshot()
    traced = sum(stat.size for stat in snapshot.statistics("filename"))
    after = (tracemalloc.get_traced_memory()[0], _rss_kb())
    docs = [o.document for o in session.documents.values()]
    source_kb = sum(len(d.source) for d in docs) / 1024
    drops: list[tuple[str, Callable[[], None]]] = [
        ("the cached analyses", lambda: [setattr(o, "_analysis", None) for o in session.documents.values()]),
        ("then the trees", lambda: [setattr(d, "tree", None) for d in docs]),
        ("then the per-document parsers", lambda: [setattr(d, "_parser", None) for d in docs]),
    ]
    freed: list[tuple[str, int, int]] = []
    for label, drop in drops:
        drop()
        now = (tracemalloc.get_traced_memory()[0], _rss_kb())
        freed.append((label, (after[0] - now[0]) // 1024, after[1] - now[1]))
        after = now
    tracemalloc.stop()
    n = len(files)
    rss_growth = sum(f[2] for f in freed) + after[1] - before
    out(f"\n--- memory of {n} documents opened in process through Session (kB; tracemalloc frames: 12) ---")
    out(f"  RSS growth {rss_growth:,} kB = {rss_growth / n:,.0f} kB per document (tracemalloc's own bookkeeping "
        "included)")
    out("  traced memory held per document after didOpen + analysis, by language: " + ", ".join(
        f"{language} {sum(sizes) / len(sizes) / 1024:,.0f} kB" for language, sizes in held.items()))
    out(f"  traced by tracemalloc (Python objects, and tree-sitter's trees: it allocates through PyMem) "
        f"{traced / 1024:,.0f} kB; document source bytes {source_kb:,.0f} kB")
    out(f"  {'dropping':<40}{'traced freed':>14}{'RSS given back':>16}")
    for label, traced_kb, rss_kb in freed:
        out(f"  {label:<40}{traced_kb:>14,}{rss_kb:>16,}   ({traced_kb / n:,.0f} kB traced per document)")
    out("\n  top Python holders, by the innermost provguard line on the allocation's stack (kB, blocks):")
    by_line: Counter[str] = Counter()
    blocks: Counter[str] = Counter()
    for trace in snapshot.traces:
        frame = next((f for f in reversed(trace.traceback) if "/provguard/" in f.filename), None)
        key = f"{frame.filename.split('/provguard/', 1)[1]}:{frame.lineno}" if frame else "(outside provguard)"
        by_line[key] += trace.size
        blocks[key] += 1
    for key, size in by_line.most_common(top):
        out(f"  {size / 1024:>10,.0f} {blocks[key]:>9,}  {key}  {_line_text(key)}")


def _line_text(key: str) -> str:
    import linecache

    import provguard

    if ":" not in key or key.startswith("("):
        return ""
    name, _, line = key.rpartition(":")
    package = Path(provguard.__file__).parent
    return linecache.getline(str(package / name), int(line)).strip()[:70]
