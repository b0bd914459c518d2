"""What only the SQLite ledger does: WAL, its file's location, locks, migrating an empty file, and falling back
to memory (with a warning that names the file and the reason) when the file cannot be used. What every
backend does is in test_ledger_contract.py."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest

from ledger_support import FULL_ORIGIN, declaration, span
from provguard.ledger import sqlite as ledger_sqlite
from provguard.ledger.location import LedgerOpen, open_ledger
from provguard.ledger.sqlite import SqliteLedger
from provguard.ledger.sqlite_schema import SCHEMA_VERSION
from provguard.ledger.store import LedgerError, origin_from_json, origin_to_json
from provguard.provenance.origin import Origin


def opened(result: LedgerOpen) -> SqliteLedger:
    assert isinstance(result.ledger, SqliteLedger)
    return result.ledger


# -- round trips ---------------------------------------------------------------------------------------


def test_in_memory_ledger(tmp_path: Path) -> None:
    result = open_ledger(None, None)
    assert result.warning is None
    ledger = result.ledger
    assert (ledger.persistent, ledger.location) == (False, "memory")
    ledger.save_spans("a.py", [span(1)])
    ledger.add_declaration(declaration(1))
    assert (ledger.load_spans("a.py"), ledger.declarations()) == ([span(1)], [declaration(1)])
    assert open_ledger(tmp_path, ":memory:").ledger.persistent is False
    assert not (tmp_path / ".provguard").exists()


# -- sharing one file ----------------------------------------------------------------------------------


def test_two_ledgers_on_one_file_see_each_others_writes(tmp_path: Path) -> None:
    db = tmp_path / "l.sqlite3"
    one, two = SqliteLedger(db), SqliteLedger(db)
    one.save_spans("a.py", [span(1)])
    assert two.load_spans("a.py") == [span(1)]
    two.save_spans("a.py", [span(2)])
    two.add_declaration(declaration(2))
    assert one.load_spans("a.py") == [span(2)]
    assert one.declarations() == [declaration(2)]
    assert sqlite3.connect(db).execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_concurrent_writers_in_threads(tmp_path: Path) -> None:
    db = tmp_path / "l.sqlite3"
    SqliteLedger(db).close()
    errors: list[BaseException] = []

    def writer(name: str) -> None:
        try:
            ledger = SqliteLedger(db)
            for i in range(40):
                ledger.save_spans(f"{name}.py", [span(i, f"{name}.py"), span(i + 1, f"{name}.py")])
                ledger.save_spans("shared.py", [span(i, "shared.py")])
                ledger.add_declaration(declaration(i % 10, f"{name}.py"))
            ledger.close()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(f"t{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    ledger = SqliteLedger(db)
    assert ledger.all_paths() == ["shared.py", "t0.py", "t1.py", "t2.py", "t3.py"]
    assert ledger.load_spans("t2.py") == [span(39, "t2.py"), span(40, "t2.py")]
    assert len(ledger.declarations()) == 160




# -- location and migrations ---------------------------------------------------------------------------


def test_default_location_with_gitignore(tmp_path: Path) -> None:
    result = open_ledger(tmp_path, None)
    db = tmp_path / ".provguard" / "ledger.sqlite3"
    assert result.warning is None
    assert (result.ledger.location, result.ledger.persistent) == (str(db), True)
    assert db.is_file()
    assert (tmp_path / ".provguard" / ".gitignore").read_text() == "*\n"


def test_setting_names_another_file(tmp_path: Path) -> None:
    assert open_ledger(tmp_path, "custom/l.db").warning is not None  # folder missing: not created for a setting
    (tmp_path / "custom").mkdir()
    assert opened(open_ledger(tmp_path, "custom/l.db")).location == str(tmp_path / "custom" / "l.db")
    absolute = tmp_path / "abs.sqlite3"
    assert opened(open_ledger(None, str(absolute))).location == str(absolute)
    assert not (tmp_path / ".provguard").exists()
    relative = open_ledger(None, "rel.db")
    assert relative.ledger.persistent is False
    assert relative.warning is not None and "rel.db" in relative.warning


def schema_version(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        value: int = conn.execute("SELECT version FROM schema_version").fetchone()[0]
    return value


def test_empty_database_file_is_migrated(tmp_path: Path) -> None:
    db = tmp_path / "l.sqlite3"
    sqlite3.connect(db).close()
    db.touch()
    ledger = SqliteLedger(db)
    ledger.save_spans("a.py", [span(1)])
    assert schema_version(db) == SCHEMA_VERSION


# -- falling back to memory ----------------------------------------------------------------------------


def assert_fallback(result: LedgerOpen, where: Path, *reason: str) -> None:
    assert result.ledger.persistent is False
    assert result.warning is not None
    assert str(where) in result.warning
    for part in reason:
        assert part in result.warning, result.warning
    result.ledger.save_spans("a.py", [span(1)])  # the fallback works
    assert result.ledger.load_spans("a.py") == [span(1)]


def test_corrupt_file_falls_back_and_is_left_alone(tmp_path: Path) -> None:
    db = tmp_path / ".provguard" / "ledger.sqlite3"
    db.parent.mkdir()
    garbage = b"this is not a database\x00\xff" * 200
    db.write_bytes(garbage)
    assert_fallback(open_ledger(tmp_path, None), db, "not a valid SQLite database")
    assert db.read_bytes() == garbage


def test_unwritable_location_falls_back(tmp_path: Path) -> None:
    """Root ignores permission bits, so this uses a path no user can create: its parent is a regular file."""
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a folder")
    target = blocker / "ledger.sqlite3"
    assert_fallback(open_ledger(tmp_path, str(target)), target, "cannot be opened")


def test_workspace_where_the_ledger_folder_cannot_be_made(tmp_path: Path) -> None:
    (tmp_path / ".provguard").write_text("a file where the folder should be")
    assert_fallback(open_ledger(tmp_path, None), tmp_path / ".provguard", "cannot create")


def test_read_only_database_falls_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLite opens a write-protected file read-only without complaint; the write probe must catch it.

    Root can write any file, so SQLite's own `mode=ro` stands in for the permission bits: it refuses
    writes the same way, for every user.
    """
    db = tmp_path / "l.sqlite3"
    SqliteLedger(db).close()
    real_connect = sqlite3.connect

    def read_only(path: Any, **kwargs: Any) -> sqlite3.Connection:
        if str(path) != str(db):  # the in-memory fallback
            return real_connect(path, **kwargs)
        return real_connect(f"file:{path}?mode=ro", uri=True, **kwargs)

    monkeypatch.setattr(ledger_sqlite.sqlite3, "connect", read_only)
    assert_fallback(open_ledger(tmp_path, str(db)), db, "read-only")


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root ignores permission bits")
def test_write_protected_file_falls_back(tmp_path: Path) -> None:
    db = tmp_path / "l.sqlite3"
    SqliteLedger(db).close()
    db.chmod(0o444)
    try:
        assert_fallback(open_ledger(tmp_path, str(db)), db)
    finally:
        db.chmod(0o644)


def test_locked_database_falls_back(tmp_path: Path) -> None:
    db = tmp_path / ".provguard" / "ledger.sqlite3"
    opened(open_ledger(tmp_path, None)).close()
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        began = time.monotonic()
        result = open_ledger(tmp_path, None, busy_timeout=0.2)
        waited = time.monotonic() - began
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert 6 * 0.2 - 0.05 < waited < 6 * 0.2 + 5  # an open waits six times a write's wait, then gives up
    assert_fallback(result, db, "locked", "1.2 s")


def test_an_open_outwaits_another_process_holding_the_file_longer_than_a_write_would_wait(tmp_path: Path) -> None:
    """Processes starting together migrate one new file at once; the last must not end up on a memory ledger."""
    db = tmp_path / ".provguard" / "ledger.sqlite3"
    opened(open_ledger(tmp_path, None)).close()
    holder = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN EXCLUSIVE")
    release = threading.Timer(0.6, lambda: (holder.execute("ROLLBACK"), holder.close()))
    release.start()
    try:
        result = open_ledger(tmp_path, None, busy_timeout=0.2)
    finally:
        release.join()
    assert result.warning is None
    opened(result).close()


def test_write_on_a_locked_database_raises_ledger_error(tmp_path: Path) -> None:
    db = tmp_path / "l.sqlite3"
    ledger = SqliteLedger(db, busy_timeout=0.1)
    ledger.save_spans("a.py", [span(1)])
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(LedgerError, match="locked"):
            ledger.save_spans("a.py", [span(2)])
        assert ledger.load_spans("a.py") == [span(1)]  # readers are not blocked by a writer in WAL
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    ledger.save_spans("a.py", [span(2)])  # and the connection is usable again
    assert ledger.load_spans("a.py") == [span(2)]


def test_origin_json_covers_every_origin_field() -> None:
    """A field added to Origin later must be added to the JSON too, or the ledger would silently drop it."""
    assert set(json.loads(origin_to_json(FULL_ORIGIN))) == {f.name for f in fields(Origin)}
    assert origin_from_json(origin_to_json(FULL_ORIGIN)) == FULL_ORIGIN


