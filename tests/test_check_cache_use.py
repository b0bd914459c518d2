"""The check cache remembers when each entry was last used, so pruning drops only what no run needs: a run over an
unchanged tree refreshes an entry's time only when it is a day old (a warm run then writes nothing), and every
entry a run used survives the next pruning. Real SQLite files in a scratch project."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from provguard.check_cache import CACHE_FILE, CACHE_FOLDER, STALE_SECONDS, TOUCH_SECONDS, CheckCache

KEY = b"k" * 32


def used_times(root: Path) -> dict[bytes, int]:
    with sqlite3.connect(root / CACHE_FOLDER / CACHE_FILE) as conn:
        return dict(conn.execute("SELECT key, used FROM results").fetchall())


def age(root: Path, key: bytes, seconds: int) -> None:
    with sqlite3.connect(root / CACHE_FOLDER / CACHE_FILE) as conn:
        conn.execute("UPDATE results SET used = ? WHERE key = ?", (int(time.time()) - seconds, key))


def test_entries_used_recently_are_not_written_again(tmp_path: Path) -> None:
    cache = CheckCache(tmp_path, KEY)
    cache.put([(b"a", b"{}"), (b"b", b"{}")])
    cache.close()
    age(tmp_path, b"a", 3600)
    before = used_times(tmp_path)
    cache = CheckCache(tmp_path, KEY)
    cache.touch([b"a", b"b"])
    cache.close()
    assert used_times(tmp_path) == before


def test_entries_used_after_a_day_are_refreshed_and_survive_pruning(tmp_path: Path) -> None:
    cache = CheckCache(tmp_path, KEY)
    cache.put([(b"used", b"{}"), (b"forgotten", b"{}")])
    cache.close()
    age(tmp_path, b"used", STALE_SECONDS + TOUCH_SECONDS)
    age(tmp_path, b"forgotten", STALE_SECONDS + TOUCH_SECONDS)
    cache = CheckCache(tmp_path, KEY)
    cache.touch([b"used"])
    cache.prune()
    cache.close()
    times = used_times(tmp_path)
    assert list(times) == [b"used"]
    assert times[b"used"] >= int(time.time()) - 60


def test_many_entries_are_stored_in_one_transaction_and_read_back(tmp_path: Path) -> None:
    cache = CheckCache(tmp_path, KEY)
    entries = [(i.to_bytes(4, "big"), CheckCache.value([], [], [f"note {i}"], None)) for i in range(2000)]
    cache.put(entries)
    assert cache.get(entries[1234][0]) == ((), (), ("note 1234",), None)
    cache.close()
    assert len(used_times(tmp_path)) == 2000
