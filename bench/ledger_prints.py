"""The check prefilter's start on a large ledger: reading every fingerprint hash a ledger holds.

    python bench/ledger_prints.py                    # a SQLite ledger of 10^5 agent edits (about a minute)
    python bench/ledger_prints.py --edits 20000      # another size
    python bench/ledger_prints.py --keep DIR         # keep (and reuse) the built ledgers in DIR
    python bench/ledger_prints.py --postgres URL     # the same in PostgreSQL too (two schemas made, then dropped)

Two ledgers of N edits, each edit with 30 fingerprints, 20 line hashes and 12 names (text not stored, the
default): "shared", whose edits draw their prints from a pool of 400,000 hashes (under `MAX_LEDGER_PRINTS`: the
prefilter holds them), and "distinct", every print its own (3,000,000 for 10^5 edits: over the cap, the
prefilter gives up). Each load runs in a fresh process, one after the other, so its time and peak resident set
are its own: the anchor reads every edit whole (`agent_edits()`, as `LedgerPrints.load` did before
`fingerprint_hashes`), the new one asks the ledger for the hashes alone and stops past the cap.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from provguard.ledger.model import AgentEdit
from provguard.ledger.postgres import PostgresLedger
from provguard.ledger.sqlite import SqliteLedger
from provguard.ledger.store import Ledger
from provguard.provenance.origin import Evidence

POOL = 400_000
PRINTS, LINES, NAMES = 30, 20, 12

_LOAD = """
import json, resource, sys, time
from provguard.check_prefilter import MAX_LEDGER_PRINTS, LedgerPrints
from provguard.ledger.postgres import PostgresLedger
from provguard.ledger.sqlite import SqliteLedger

def whole(ledger):  # the anchor: LedgerPrints.load before fingerprint_hashes
    hashes = set()
    for edit in ledger.agent_edits():
        hashes.update(edit.fingerprints)
        if len(hashes) > MAX_LEDGER_PRINTS:
            return None
    return frozenset(hashes)

def new(ledger):
    loaded = LedgerPrints.load(ledger)
    return None if loaded is None else loaded.hashes

place = sys.argv[2]
ledger = PostgresLedger(place) if place.startswith("postgresql:") else SqliteLedger(place)
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
got = {"whole": whole, "new": new}[sys.argv[1]](ledger)
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": seconds, "peak_mb": peak / 1024, "grown_mb": (peak - base) / 1024,
                  "hashes": None if got is None else len(got)}))
"""


def build(ledger: Ledger, edits: int, shared: bool) -> None:
    """Records `edits` edits; prints from the pool when `shared`, else each its own."""
    rng = random.Random(17)
    batch: list[AgentEdit] = []
    for n in range(edits):
        if shared:
            prints = tuple(rng.randrange(POOL) - POOL // 2 for _ in range(PRINTS))
        else:
            prints = tuple(range(n * PRINTS + 1, (n + 1) * PRINTS + 1))
        batch.append(AgentEdit(
            id=f"edit-{n}", tool="claude-code", path=f"src/m{n % 997}.py", time=f"2026-12-07T10:{n % 60:02d}:00Z",
            evidence=Evidence.HOOK, vendor="anthropic", model="claude-sonnet-4-5", session_id=f"s{n // 50}",
            tool_call_id=f"toolu_{n}", lines=LINES, fingerprints=prints,
            line_hashes=tuple(rng.getrandbits(63) for _ in range(LINES)),
            names=tuple(sorted(rng.getrandbits(32) for _ in range(NAMES))), source="transcript /t/a.jsonl:3"))
        if len(batch) == 5_000:
            ledger.add_agent_edits(batch)
            batch = []
    ledger.add_agent_edits(batch)


def load(how: str, place: str) -> dict[str, float | None]:
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1] / "server"))
    out = subprocess.run([sys.executable, "-c", _LOAD, how, place], env=env, capture_output=True, text=True,
                         check=True)
    result: dict[str, float | None] = json.loads(out.stdout)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--edits", type=int, default=100_000)
    parser.add_argument("--keep", type=Path, help="keep the built SQLite ledgers here and reuse them")
    parser.add_argument("--postgres", help="a PostgreSQL server's URL: measure that backend too")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch, ExitStack() as stack:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        print(f"load average at start: {Path('/proc/loadavg').read_text().split()[:3]}")
        print(f"{'ledger':<50} {'how':<34} {'seconds':>8} {'peak RSS':>9} {'grown':>8} {'hashes':>8}")
        for backend in ("sqlite", "postgres") if args.postgres else ("sqlite",):
            for shared in (True, False):
                kind = "shared" if shared else "distinct"
                if backend == "sqlite":
                    place = str(folder / f"ledger-{args.edits}-{kind}.sqlite3")
                    fresh = not Path(place).exists()
                    opened: Ledger = SqliteLedger(place)
                else:
                    place = stack.enter_context(_schema(args.postgres))
                    fresh, opened = True, PostgresLedger(place)
                if fresh:
                    build(opened, args.edits, shared)
                opened.close()
                name = f"{backend}: {args.edits:,} edits, {'pooled' if shared else 'distinct'} prints"
                for how, label in (("whole", "every edit read whole (before)"),
                                   ("new", "fingerprint_hashes (after)")):
                    r = load(how, place)
                    hashes = "gave up" if r["hashes"] is None else f"{r['hashes']:,}"
                    print(f"{name:<50} {label:<34} {r['seconds']:>8.2f} {r['peak_mb']:>6.0f} MB "
                          f"{r['grown_mb']:>5.0f} MB {hashes:>8}")
        print(f"load average at end: {Path('/proc/loadavg').read_text().split()[:3]}")


@contextmanager
def _schema(server: str) -> Iterator[str]:
    """A URL whose ledger goes into a new schema of `server`, dropped afterwards."""
    import psycopg

    name = f"bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {name}")
    try:
        yield f"{server}{'&' if '?' in server else '?'}options=-csearch_path%3D{name}"
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {name} CASCADE")


if __name__ == "__main__":
    main()
