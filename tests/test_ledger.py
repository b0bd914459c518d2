"""The SQLite ledger on real files: round trips, several processes on one file, migrations, and falling back
to memory (with a warning that names the file and the reason) when the file cannot be used."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

import pytest

from provguard.ledger import sqlite as ledger_sqlite
from provguard.ledger.location import LedgerOpen, open_ledger
from provguard.ledger.model import AgentEdit, Declaration, Fingerprint, ImportCursor, StoredSpan
from provguard.ledger.sqlite import SCHEMA_VERSION, SqliteLedger
from provguard.ledger.store import Ledger, LedgerError, origin_from_json, origin_to_json
from provguard.provenance.origin import Evidence, Kind, Origin

FULL_ORIGIN = Origin(
    kind=Kind.AI_AGENT, evidence=Evidence.HOOK, tool="claude-code", vendor="anthropic", model="claude-sonnet-4",
    confidence=0.75, reviewed_by="ana@example.com", declared_by="bo@example.com", date="2025-01-02",
    extra=(("session", "abc"), ("ticket", "ÜBER-1"), ("session", "repeated keys kept")),
)


def span(n: int, path: str = "a.py", origin: Origin = FULL_ORIGIN) -> StoredSpan:
    fp = Fingerprint(length=10 + n, digest=f"{n:032x}", head=f"{n + 1:032x}", before=f"{n + 2:032x}",
                     after=f"{n + 3:032x}", line=n, column=4, offset=100 * n)
    return StoredSpan(id=f"span-{n}", path=path, origin=origin, original_length=10 + n,
                      original=((0, 3), (5, 10 + n)), created_at="2025-01-02T03:04:05+00:00", fingerprint=fp)


def declaration(n: int, path: str = "src/app.py", note: str | None = None) -> Declaration:
    origin = Origin(Kind.EXTERNAL, Evidence.MARKER, declared_by=f"dev{n}@example.com", date="2025-02-03")
    return Declaration(span_id=f"span-{n}", path=path, origin=origin, declared_at=f"2025-02-03T00:00:0{n}Z",
                       note=note)


def opened(result: LedgerOpen) -> SqliteLedger:
    assert isinstance(result.ledger, SqliteLedger)
    return result.ledger


# -- round trips ---------------------------------------------------------------------------------------


def test_spans_and_declarations_round_trip(tmp_path: Path) -> None:
    db = tmp_path / "ledger.sqlite3"
    ledger: Ledger = SqliteLedger(db)
    app = "src/app.py"
    spans = [span(1, app), span(2, app, origin=Origin(Kind.HUMAN, Evidence.EDITOR_EVENT)), span(3, app)]
    ledger.save_spans("src/app.py", spans)
    ledger.save_spans("lib/ü.py", [span(4, path="lib/ü.py")])
    decls = [declaration(1, note="https://example.com/snippet (MIT)"), declaration(2), declaration(3, "lib/ü.py")]
    for decl in decls:
        ledger.add_declaration(decl)
    ledger.close()

    again = SqliteLedger(db)
    assert again.load_spans("src/app.py") == spans  # order kept, every Origin field incl. extra
    assert again.load_spans("lib/ü.py") == [span(4, path="lib/ü.py")]
    assert again.load_spans("missing.py") == []
    assert again.all_paths() == ["lib/ü.py", "src/app.py"]
    assert again.declarations() == decls
    assert again.declarations(span_id="span-2") == [decls[1]]
    assert again.declarations(path="src/app.py") == decls[:2]
    assert again.declarations(span_id="span-3", path="src/app.py") == []
    assert (again.location, again.persistent) == (str(db), True)
    again.close()


def test_save_spans_replaces_only_that_path(tmp_path: Path) -> None:
    ledger = SqliteLedger(tmp_path / "l.sqlite3")
    ledger.save_spans("a.py", [span(1), span(2)])
    ledger.save_spans("b.py", [span(3, "b.py")])
    ledger.save_spans("a.py", [span(5)])
    assert ledger.load_spans("a.py") == [span(5)]
    assert ledger.load_spans("b.py") == [span(3, "b.py")]
    ledger.save_spans("a.py", [])
    assert ledger.all_paths() == ["b.py"]


def test_one_record_split_in_two_spans_keeps_both(tmp_path: Path) -> None:
    ledger = SqliteLedger(tmp_path / "l.sqlite3")
    first, second = span(1, "src/app.py"), span(2, "src/app.py")
    second = StoredSpan(first.id, second.path, second.origin, second.original_length, second.original,
                        second.created_at, second.fingerprint)
    ledger.save_spans("src/app.py", [first, second])
    assert ledger.load_spans("src/app.py") == [first, second]


def test_failed_save_leaves_the_old_spans(tmp_path: Path) -> None:
    ledger = SqliteLedger(tmp_path / "l.sqlite3")
    ledger.save_spans("a.py", [span(1)])
    good = span(2)
    unbindable = Fingerprint(1, "d", "h", "b", "a", [1], 0, 0)  # type: ignore[arg-type]
    bad = StoredSpan("x", "a.py", FULL_ORIGIN, 1, (), "now", unbindable)
    with pytest.raises(LedgerError):  # fails inside the transaction, after the old rows were deleted
        ledger.save_spans("a.py", [good, bad])
    assert ledger.load_spans("a.py") == [span(1)]


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


WRITER = textwrap.dedent("""
    import sys
    from provguard.ledger.model import Declaration
    from provguard.ledger.location import open_ledger
    from provguard.provenance.origin import Evidence, Kind, Origin
    from pathlib import Path

    root, name = Path(sys.argv[1]), sys.argv[2]
    result = open_ledger(root, None)
    assert result.warning is None, result.warning
    origin = Origin(Kind.HUMAN, Evidence.MARKER, declared_by=name)
    for i in range(30):
        result.ledger.add_declaration(Declaration(f"s{i}", name + ".py", origin, "2025-01-01"))
        result.ledger.save_spans(name + ".py", [])
    result.ledger.close()
""")


def test_concurrent_writers_in_processes(tmp_path: Path) -> None:
    """Servers, CLI runs and hooks are separate processes opening one file (and migrating it) at once."""
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), f"p{n}"], stderr=subprocess.PIPE)
             for n in range(3)]
    for proc in procs:
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err.decode()
    ledger = opened(open_ledger(tmp_path, None))
    assert len(ledger.declarations()) == 90
    assert {d.origin.declared_by for d in ledger.declarations()} == {"p0", "p1", "p2"}


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


def test_fresh_file_gets_the_current_schema(tmp_path: Path) -> None:
    db = tmp_path / "l.sqlite3"
    SqliteLedger(db).close()
    assert schema_version(db) == SCHEMA_VERSION
    SqliteLedger(db).close()  # reopening applies nothing twice
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM schema_version").fetchone() == (1,)


def test_empty_database_file_is_migrated(tmp_path: Path) -> None:
    db = tmp_path / "l.sqlite3"
    sqlite3.connect(db).close()
    db.touch()
    ledger = SqliteLedger(db)
    ledger.save_spans("a.py", [span(1)])
    assert schema_version(db) == SCHEMA_VERSION


def test_appended_migration_is_applied_to_an_existing_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "l.sqlite3"
    old = SqliteLedger(db)
    old.save_spans("a.py", [span(1)])
    old.close()
    migrations = (*ledger_sqlite.MIGRATIONS, ("CREATE TABLE known_output (digest TEXT PRIMARY KEY)",))
    monkeypatch.setattr(ledger_sqlite, "MIGRATIONS", migrations)
    monkeypatch.setattr(ledger_sqlite, "SCHEMA_VERSION", len(migrations))
    assert SqliteLedger(db).load_spans("a.py") == [span(1)]
    assert schema_version(db) == len(migrations)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM known_output").fetchone() == (0,)


# -- falling back to memory ----------------------------------------------------------------------------


def assert_fallback(result: LedgerOpen, where: Path, *reason: str) -> None:
    assert result.ledger.persistent is False
    assert result.warning is not None
    assert str(where) in result.warning
    for part in reason:
        assert part in result.warning, result.warning
    result.ledger.save_spans("a.py", [span(1)])  # the fallback works
    assert result.ledger.load_spans("a.py") == [span(1)]


def test_newer_schema_falls_back(tmp_path: Path) -> None:
    db = tmp_path / ".provguard" / "ledger.sqlite3"
    SqliteLedger(opened(open_ledger(tmp_path, None)).location).close()
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 1,))
    assert_fallback(open_ledger(tmp_path, None), db, f"schema version {SCHEMA_VERSION + 1}", "newer")
    assert schema_version(db) == SCHEMA_VERSION + 1  # left as it was


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
    assert 0.15 < waited < 5
    assert_fallback(result, db, "locked", "0.2 s")


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


def test_unknown_origin_value_is_an_error_not_a_guess(tmp_path: Path) -> None:
    db = tmp_path / "l.sqlite3"
    ledger = SqliteLedger(db)
    ledger.save_spans("a.py", [span(1)])
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE spans SET origin = replace(origin, 'ai-agent', 'ai-future')")
    with pytest.raises(LedgerError, match="ai-future"):
        ledger.load_spans("a.py")


def test_origin_json_covers_every_origin_field() -> None:
    """A field added to Origin later must be added to the JSON too, or the ledger would silently drop it."""
    assert set(json.loads(origin_to_json(FULL_ORIGIN))) == {f.name for f in fields(Origin)}
    assert origin_from_json(origin_to_json(FULL_ORIGIN)) == FULL_ORIGIN


def agent_edit(edit_id: str, path: str = "src/a.py", prints: tuple[int, ...] = (1, 2, 3)) -> AgentEdit:
    return AgentEdit(id=edit_id, tool="claude-code", path=path, time="2026-11-25T10:00:00Z",
                     evidence=Evidence.HOOK, vendor="anthropic", model="claude-sonnet-4-5", session_id="s1",
                     tool_call_id="toolu_1", lines=9, fingerprints=prints, line_hashes=(-5, 2**63 - 1, -(2**63)))


def test_agent_edits_are_stored_once_and_read_back_with_their_fingerprints(tmp_path: Path) -> None:
    ledger = SqliteLedger(tmp_path / "l.db")
    first = agent_edit("e1", prints=(7, -3, 2**62))
    assert ledger.add_agent_edits([first, agent_edit("e2", "src/b.py", (7, 8))]) == 2
    assert ledger.add_agent_edits([first]) == 0  # the hook and a later transcript import agree on the id
    ledger.close()
    reopened = SqliteLedger(tmp_path / "l.db")
    (stored,) = reopened.agent_edits(path="src/a.py")
    assert stored == replace(first, fingerprints=tuple(sorted(first.fingerprints)))
    assert [e.id for e in reopened.agent_edits(ids=["e2", "missing"])] == ["e2"]
    assert reopened.match_fingerprints([7, 8, 99]) == {"e1": 1, "e2": 2}


def test_import_cursors_remember_where_a_transcript_stopped(tmp_path: Path) -> None:
    ledger = SqliteLedger(tmp_path / "l.db")
    assert ledger.import_cursor("/t/a.jsonl") is None
    ledger.save_import_cursor("/t/a.jsonl", ImportCursor(120, "abc"))
    ledger.save_import_cursor("/t/a.jsonl", ImportCursor(360, "abc"))
    assert ledger.import_cursor("/t/a.jsonl") == ImportCursor(360, "abc")
