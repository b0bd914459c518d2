"""Fingerprint index size and lookup time, through the `Ledger` interface.

    python bench/fingerprints.py                      # ledgers of 10^4, 10^5 and 10^6 snippets (minutes)
    python bench/fingerprints.py --sizes 10000        # one size
    python bench/fingerprints.py --keep DIR           # keep (and reuse) the built SQLite ledgers in DIR

Index size: real snippets (functions of 5 to 60 lines from the Python packages installed beside provguard)
are fingerprinted and recorded as agent edits in a fresh SQLite ledger; SQLite's dbstat table gives the bytes
each table and index takes, divided by the snippets' lines.

Lookup: ledgers of N snippets. Fingerprinting a million real snippets would take an hour, so the N edits are
made from a pool of real snippets' fingerprint sets: fingerprints shared by two or more snippets of the pool
(common structure) are kept as they are, so they recur in the big ledger as often as in real code, and the
others (a snippet's own content) are replaced by fresh random values, so they stay unique. The query is a real
1,000-line file holding one copy of a recorded snippet; the time is `fingerprint_regions` (the ledger query,
the candidate edits' fingerprints, the regions), with the file's fingerprints computed beforehand (that cost is
reported on its own line). PostgreSQL is measured beside SQLite when PROVGUARD_TEST_POSTGRES_URL is set and
`provguard.ledger.postgres` exists.
"""

from __future__ import annotations

import argparse
import importlib
import os
import random
import statistics
import sys
import sysconfig
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from provguard.documents import Document
from provguard.languages import detect
from provguard.ledger.model import AgentEdit
from provguard.ledger.sqlite import SqliteLedger
from provguard.ledger.store import Ledger
from provguard.provenance import matching
from provguard.provenance.fingerprints import InsertionPrints, document_prints, document_tokens, insertion_prints
from provguard.provenance.origin import Evidence

SIZES = (10_000, 100_000, 1_000_000)
LOOKUP_TARGET_MS = 20.0
INDEX_TARGET_BYTES = 64.0
QUERY_LINES = 1000
MIN_QUERY_DENSITY = 0.6
"""Fingerprints per line a query file must have to stand for real code (modules have about one a line)."""
BATCH = 5000


@dataclass(frozen=True)
class Pool:
    prints: list[InsertionPrints]
    query: str
    """A real file of about QUERY_LINES lines with one pooled snippet pasted into its middle."""
    query_name: str


def real_snippets(count: int, rng: random.Random) -> Iterator[str]:
    base = Path(sysconfig.get_paths()["purelib"])
    files = sorted(p for p in base.rglob("*.py") if "provguard" not in p.parts)
    rng.shuffle(files)
    made = 0
    for path in files:
        try:
            doc = Document(path.name, detect(path.name), path.read_bytes())
        except OSError:
            continue
        assert doc.tree is not None
        for node in doc.tree.root_node.children:
            target = node.child_by_field_name("definition") if node.type == "decorated_definition" else node
            if target is not None and target.type in ("function_definition", "class_definition") and \
                    5 <= node.end_point[0] - node.start_point[0] + 1 <= 60:
                yield doc.slice(doc.lines.line_bounds(node.start_point[0])[0], node.end_byte) + "\n"
                made += 1
                if made >= count:
                    return


def build_pool(count: int, rng: random.Random) -> Pool:
    texts: list[str] = []
    prints: list[InsertionPrints] = []
    seen: set[tuple[int, ...]] = set()
    for text in real_snippets(count * 2, rng):  # vendored copies (pip's and setuptools' tomli) only once
        made = insertion_prints(text, "pool.py")
        key = tuple(sorted(made.fingerprints))
        if key not in seen and len(texts) < count:
            seen.add(key)
            texts.append(text)
            prints.append(made)
    base = Path(sysconfig.get_paths()["stdlib"])
    sized = sorted(p for p in base.glob("*.py") if 900 <= len(p.read_text(errors="replace").splitlines()) <= 1100)
    # Real code only: a generated table (`_sysconfigdata_*`) has a handful of fingerprints and would make the
    # lookup look several times cheaper than it is for a module a person or an agent wrote.
    candidates = [p for p in sized if len(insertion_prints(p.read_text(errors="replace"), p.name).fingerprints)
                  >= MIN_QUERY_DENSITY * len(p.read_text(errors="replace").splitlines())]
    host = rng.choice(candidates)
    lines = host.read_text(errors="replace").splitlines()
    middle = len(lines) // 2
    while middle < len(lines) and lines[middle][:1].isspace():
        middle += 1
    best = max(range(len(texts)), key=lambda i: (len(prints[i].fingerprints), -i))
    query = "\n".join([*lines[:middle], "", texts[best], *lines[middle:]]) + "\n"
    return Pool(prints, query, f"{host.name} + 1 snippet")


def synthetic_edits(pool: Pool, total: int, rng: random.Random) -> Iterator[AgentEdit]:
    """`total` edits whose fingerprints follow the pool's: shared ones kept, unique ones made fresh."""
    frequency = Counter(h for p in pool.prints for h in set(p.fingerprints))
    for i in range(total):
        source = pool.prints[i % len(pool.prints)]
        if i < len(pool.prints):
            prints = source.fingerprints  # the pool itself, unchanged: the query's snippet is among them
        else:
            prints = tuple(h if frequency[h] > 1 else rng.getrandbits(64) - (1 << 63) for h in source.fingerprints)
        yield AgentEdit(id=f"edit-{i:07d}", tool="claude-code", path=f"src/module_{i % 997}.py",
                        time="2026-11-25T00:00:00+00:00", evidence=Evidence.HOOK, vendor="anthropic",
                        session_id=f"session-{i // 50}", lines=source.lines, fingerprints=prints,
                        line_hashes=source.line_hashes, names=source.names)


def fill(ledger: Ledger, pool: Pool, total: int, rng: random.Random, out: Callable[[str], None]) -> float:
    started = time.perf_counter()
    batch: list[AgentEdit] = []
    for edit in synthetic_edits(pool, total, rng):
        batch.append(edit)
        if len(batch) == BATCH:
            ledger.add_agent_edits(batch)
            batch = []
    if batch:
        ledger.add_agent_edits(batch)
    return time.perf_counter() - started


def time_lookup(ledger: Ledger, pool: Pool, runs: int) -> tuple[float, float, int]:
    """(median ms, max ms, places found) of `fingerprint_regions` for the query file (a place matched by several
    edits counts once)."""
    doc = Document.from_text("query.py", detect("query.py"), pool.query)
    tokens = document_tokens(doc)
    tokens.prints()
    times: list[float] = []
    found = 0
    for _ in range(runs + 1):
        started = time.perf_counter()
        found = len({(r.first_line, r.last_line) for r in matching.fingerprint_regions(ledger, doc, tokens)})
        times.append((time.perf_counter() - started) * 1000)
    times = times[1:]  # the first run warms the page cache
    return statistics.median(times), max(times), found


def index_size(pool: Pool, workspace: Path) -> list[str]:
    path = workspace / "size.sqlite3"
    ledger = SqliteLedger(path)
    edits = [AgentEdit(id=f"s{i}", tool="claude-code", path=f"src/m{i}.py", time="2026-11-25T00:00:00+00:00",
                       evidence=Evidence.HOOK, vendor="anthropic", model="claude-sonnet-4-5",
                       session_id="0f8e2f1c-5b7a-4a43-9d51-1b1f4c0a9e77", tool_call_id=f"toolu_{i:020d}",
                       lines=p.lines, fingerprints=p.fingerprints, line_hashes=p.line_hashes, names=p.names)
             for i, p in enumerate(pool.prints)]
    ledger.add_agent_edits(edits)
    ledger.close()
    import sqlite3

    conn = sqlite3.connect(path)
    conn.execute("VACUUM")
    sizes = dict(conn.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name").fetchall())
    conn.close()
    lines = sum(p.lines for p in pool.prints)
    prints = sum(len(p.fingerprints) for p in pool.prints)
    hashes = sum(len(p.line_hashes) for p in pool.prints)
    names = sum(len(p.names) for p in pool.prints)
    print_bytes = sum(v for k, v in sizes.items() if k.startswith("edit_prints"))
    index = print_bytes + 8 * hashes + 4 * names
    per_line = index / lines
    return [
        f"{len(pool.prints)} real snippets, {lines} lines: {prints / lines:.2f} fingerprints and "
        f"{hashes / lines:.2f} line hashes per line",
        f"fingerprint index (edit_prints, both ways) {print_bytes / lines:6.1f} bytes per line "
        f"({print_bytes / max(prints, 1):.1f} per fingerprint)",
        f"line hashes (8 bytes each, in agent_edits)   {8 * hashes / lines:6.1f} bytes per line",
        f"names (4 bytes each, in agent_edits)         {4 * names / lines:6.1f} bytes per line",
        f"index per source line                       {per_line:6.1f} bytes   "
        f"{'PASS' if per_line <= INDEX_TARGET_BYTES else 'MISS'} (target <= {INDEX_TARGET_BYTES:.0f})",
        f"whole ledger incl. metadata rows and their indexes: {sum(sizes.values()) / lines:.1f} bytes per line",
    ]


def postgres_ledger() -> tuple[Callable[[], Ledger] | None, str]:
    url = os.environ.get("PROVGUARD_TEST_POSTGRES_URL")
    if not url:
        return None, "PostgreSQL skipped: PROVGUARD_TEST_POSTGRES_URL is not set"
    try:
        module = importlib.import_module("provguard.ledger.postgres")
    except ImportError:
        return None, "PostgreSQL skipped: provguard.ledger.postgres does not exist in this build"
    classes = [getattr(module, n) for n in dir(module) if n.endswith("Ledger") and n != "Ledger"
               and isinstance(getattr(module, n), type)]
    if not classes:
        return None, "PostgreSQL skipped: provguard.ledger.postgres has no *Ledger class"
    factory: Any = classes[0]
    return (lambda: factory(url)), f"PostgreSQL: {factory.__name__} at $PROVGUARD_TEST_POSTGRES_URL"


def settle_postgres() -> None:
    """VACUUM ANALYZE, as autovacuum leaves a table within minutes of a bulk import: the steady state a team
    ledger is looked up in. Right after the import, before autovacuum has passed, a lookup costs several times
    more; the bench prints that figure too."""
    import psycopg

    with psycopg.connect(os.environ["PROVGUARD_TEST_POSTGRES_URL"], autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE agent_edits")
        conn.execute("VACUUM ANALYZE edit_prints")


def run(sizes: tuple[int, ...], pool_size: int, runs: int, keep: Path | None, seed: int,
        out: Callable[[str], None]) -> list[str]:
    rng = random.Random(seed)
    started = time.perf_counter()
    pool = build_pool(pool_size, rng)
    out(f"fingerprints: pool of {len(pool.prints)} real snippets in {time.perf_counter() - started:.1f} s")
    report: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        workspace = keep or Path(tmp)
        workspace.mkdir(parents=True, exist_ok=True)
        report += index_size(pool, Path(tmp))
        doc = Document.from_text("query.py", detect("query.py"), pool.query)
        times = []
        for _ in range(5):
            t = time.perf_counter()
            document_prints(Document.from_text("query.py", detect("query.py"), pool.query))
            times.append((time.perf_counter() - t) * 1000)
        report.append(f"fingerprinting the {doc.lines.line_count}-line query file ({pool.query_name}): "
                      f"{statistics.median(times):.1f} ms (parse, tokens, k-grams, winnowing)")
        make_pg, pg_note = postgres_ledger()
        report.append(pg_note)
        header = f"{'snippets':>10}  {'SQLite ms (median/max)':>24}  {'build s':>8}"
        if make_pg is not None:
            header += f"  {'PostgreSQL ms':>16}"
        report += ["lookup of the query file against ledgers of N snippets:", header]
        for size in sizes:
            path = workspace / f"ledger-{size}-{seed}.sqlite3"
            built = path.exists()
            ledger = SqliteLedger(path)
            build = 0.0 if built else fill(ledger, pool, size, random.Random(seed + size), out)
            median, worst, found = time_lookup(ledger, pool, runs)
            ledger.close()
            row = f"{size:>10,}  {median:>11.1f} / {worst:<10.1f}  {build:>8.1f}"
            if make_pg is not None:
                pg = make_pg()
                fill(pg, pool, size, random.Random(seed + size), out)
                loaded, _, _ = time_lookup(pg, pool, runs)
                settle_postgres()
                pg_median, pg_worst, _ = time_lookup(pg, pool, runs)
                pg.close()
                row += f"  {pg_median:>7.1f} / {pg_worst:<6.1f} ({loaded:.1f} just loaded)"
            if size == max(sizes) and size >= 1_000_000:
                row += f"   {'PASS' if median <= LOOKUP_TARGET_MS else 'MISS'} (target <= {LOOKUP_TARGET_MS:.0f} ms)"
            report.append(row + f"   places found: {found}")
            out(f"  {size:,} snippets: {median:.1f} ms")
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=lambda v: tuple(int(x) for x in v.split(",")), default=SIZES)
    parser.add_argument("--pool", type=int, default=2000, help="real snippets fingerprinted (default 2000)")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--keep", type=Path, help="build the ledgers in DIR and reuse them on the next run")
    args = parser.parse_args(argv)
    report = run(args.sizes, args.pool, args.runs, args.keep, args.seed, lambda line: print(line, flush=True))
    print("\n== fingerprints")
    print("\n".join(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
