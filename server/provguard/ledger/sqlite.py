"""The default ledger: one SQLite file per project, shared by every provguard process on the machine.

Editors' servers, CLI runs and agent hooks may all write at once, so the file is in WAL mode (readers never
wait for writers), every write is one short `BEGIN IMMEDIATE` transaction (it takes the write lock up
front, so two writers queue on the busy timeout instead of failing on a lock upgrade), and the busy
timeout is several seconds.

The schema is versioned: `MIGRATIONS` is an ordered list, each applied in its own transaction and
recorded in `schema_version`. A later feature adds tables by appending a migration, never by editing one.

A ledger that cannot be used must not stop provguard from working: `open_ledger` falls back to an
in-memory ledger and returns a warning saying which file and why, for the caller to show.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .model import Declaration, Fingerprint, StoredSpan
from .store import Ledger, LedgerError, origin_from_json, origin_to_json

DEFAULT_BUSY_TIMEOUT = 5.0
"""Seconds a write waits for another process's transaction before giving up."""

LEDGER_DIR = ".provguard"
LEDGER_FILE = "ledger.sqlite3"
MEMORY = ":memory:"

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 1: spans and declarations.
    (
        """CREATE TABLE spans (
            path TEXT NOT NULL,
            seq INTEGER NOT NULL,
            id TEXT NOT NULL,
            origin TEXT NOT NULL,
            original_length INTEGER NOT NULL,
            original TEXT NOT NULL,
            created_at TEXT NOT NULL,
            fp_length INTEGER NOT NULL,
            fp_digest TEXT NOT NULL,
            fp_head TEXT NOT NULL,
            fp_before TEXT NOT NULL,
            fp_after TEXT NOT NULL,
            fp_line INTEGER NOT NULL,
            fp_column INTEGER NOT NULL,
            fp_offset INTEGER NOT NULL,
            PRIMARY KEY (path, seq)
        )""",
        # A record split by an insertion is saved as several spans with one id: ids are not unique.
        "CREATE INDEX spans_id ON spans (id)",
        "CREATE INDEX spans_digest ON spans (fp_digest)",
        """CREATE TABLE declarations (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            span_id TEXT NOT NULL,
            path TEXT NOT NULL,
            origin TEXT NOT NULL,
            declared_at TEXT NOT NULL,
            note TEXT
        )""",
        "CREATE INDEX declarations_span ON declarations (span_id)",
        "CREATE INDEX declarations_path ON declarations (path)",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)

_SPAN_COLUMNS = ("path, seq, id, origin, original_length, original, created_at, fp_length, fp_digest, fp_head, "
                 "fp_before, fp_after, fp_line, fp_column, fp_offset")


class SqliteLedger:
    """A `Ledger` in a SQLite file, or in memory for `":memory:"`.

    The constructor raises `LedgerError` when the file cannot be used for writing: not a database,
    not writable, locked beyond the busy timeout, or written by a newer provguard. `open_ledger` turns
    that into a fallback; code that opens a ledger itself must handle it.
    """

    def __init__(self, path: Path | str, busy_timeout: float = DEFAULT_BUSY_TIMEOUT) -> None:
        self.persistent = str(path) != MEMORY
        self.location = str(path) if self.persistent else "memory"
        self._busy_timeout = busy_timeout
        self._lock = threading.Lock()  # one connection, possibly used from the server's worker threads
        try:
            self._conn = sqlite3.connect(path, timeout=busy_timeout, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise LedgerError(_reason(exc, busy_timeout)) from exc
        try:
            self._conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
            if self.persistent:
                self._conn.execute("PRAGMA journal_mode = WAL")
                self._conn.execute("PRAGMA synchronous = NORMAL")  # durable at checkpoints; safe in WAL
            _migrate(self._conn)
        except (sqlite3.Error, LedgerError) as exc:
            self._conn.close()
            if isinstance(exc, LedgerError):
                raise
            raise LedgerError(_reason(exc, busy_timeout)) from exc

    def __repr__(self) -> str:
        return f"SqliteLedger({self.location!r})"

    # -- Ledger ------------------------------------------------------------------------------------------

    def load_spans(self, path: str) -> list[StoredSpan]:
        with self._read() as conn:
            rows = conn.execute(f"SELECT {_SPAN_COLUMNS} FROM spans WHERE path = ? ORDER BY seq", (path,)).fetchall()
        return [_span_from_row(row) for row in rows]

    def save_spans(self, path: str, spans: Sequence[StoredSpan]) -> None:
        rows = [_span_to_row(path, seq, span) for seq, span in enumerate(spans)]
        with self._write() as conn:
            conn.execute("DELETE FROM spans WHERE path = ?", (path,))
            conn.executemany(f"INSERT INTO spans ({_SPAN_COLUMNS}) VALUES ({', '.join('?' * 15)})", rows)

    def all_paths(self) -> list[str]:
        with self._read() as conn:
            return [row[0] for row in conn.execute("SELECT DISTINCT path FROM spans ORDER BY path")]

    def add_declaration(self, decl: Declaration) -> None:
        with self._write() as conn:
            conn.execute(
                "INSERT INTO declarations (span_id, path, origin, declared_at, note) VALUES (?, ?, ?, ?, ?)",
                (decl.span_id, decl.path, origin_to_json(decl.origin), decl.declared_at, decl.note),
            )

    def declarations(self, span_id: str | None = None, path: str | None = None) -> list[Declaration]:
        where, args = [], []
        for column, value in (("span_id", span_id), ("path", path)):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        with self._read() as conn:
            rows = conn.execute(
                f"SELECT span_id, path, origin, declared_at, note FROM declarations{clause} ORDER BY seq", args
            ).fetchall()
        return [Declaration(row[0], row[1], origin_from_json(row[2]), row[3], row[4]) for row in rows]

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # -- transactions ------------------------------------------------------------------------------------

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """One statement in autocommit mode is its own consistent snapshot in WAL: no transaction needed."""
        with self._lock:
            try:
                yield self._conn
            except sqlite3.Error as exc:
                raise LedgerError(f"{self.location}: {_reason(exc, self._busy_timeout)}") from exc

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                with _transaction(self._conn):
                    yield self._conn
            except sqlite3.Error as exc:
                raise LedgerError(f"{self.location}: {_reason(exc, self._busy_timeout)}") from exc


@contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on any exception."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        if conn.in_transaction:  # some errors (disk full, I/O) have already rolled it back
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


class _UpToDate(Exception):
    """Ends the migration loop from inside a transaction, rolling back the write probe."""


def _migrate(conn: sqlite3.Connection) -> None:
    """Brings the file to SCHEMA_VERSION, one migration per transaction.

    Each transaction re-reads the version, so two processes opening a new file at once do not both apply
    a migration. The first one also proves the file is writable: SQLite opens a read-only file without
    complaint and only fails on the first write, which must happen here and not in the middle of a session.
    """
    while True:
        try:
            with _transaction(conn):
                conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
                if conn.execute("SELECT count(*) FROM schema_version").fetchone()[0] == 0:
                    conn.execute("INSERT INTO schema_version (version) VALUES (0)")
                conn.execute("UPDATE schema_version SET version = version")  # the write probe
                version: int = conn.execute("SELECT max(version) FROM schema_version").fetchone()[0]
                if version > SCHEMA_VERSION:
                    raise LedgerError(f"schema version {version} is newer than this provguard knows "
                                      f"({SCHEMA_VERSION}); upgrade provguard to use it")
                if version == SCHEMA_VERSION:
                    raise _UpToDate
                for statement in MIGRATIONS[version]:
                    conn.execute(statement)
                conn.execute("UPDATE schema_version SET version = ?", (version + 1,))
        except _UpToDate:
            return


# -- rows ------------------------------------------------------------------------------------------------

Row = tuple[str, int, str, str, int, str, str, int, str, str, str, str, int, int, int]


def _span_to_row(path: str, seq: int, span: StoredSpan) -> Row:
    fp = span.fingerprint
    return (path, seq, span.id, origin_to_json(span.origin), span.original_length,
            json.dumps([list(piece) for piece in span.original]), span.created_at,
            fp.length, fp.digest, fp.head, fp.before, fp.after, fp.line, fp.column, fp.offset)


def _span_from_row(row: Row) -> StoredSpan:
    (path, _seq, span_id, origin, original_length, original, created_at,
     length, digest, head, before, after, line, column, offset) = row
    try:
        pieces = tuple((int(s), int(e)) for s, e in json.loads(original))
    except (ValueError, TypeError) as exc:
        raise LedgerError(f"span {span_id} in {path}: unreadable original ranges {original[:200]!r}") from exc
    return StoredSpan(
        id=span_id, path=path, origin=origin_from_json(origin), original_length=original_length,
        original=pieces, created_at=created_at,
        fingerprint=Fingerprint(length, digest, head, before, after, line, column, offset),
    )


# -- opening with a fallback -----------------------------------------------------------------------------


@dataclass(frozen=True)
class LedgerOpen:
    ledger: Ledger
    warning: str | None = None
    """Why the configured file is not used (the caller shows it); None when all is well."""


def default_location(root: Path) -> Path:
    return root / LEDGER_DIR / LEDGER_FILE


def open_ledger(root: Path | None, setting: str | None = None,
                busy_timeout: float = DEFAULT_BUSY_TIMEOUT) -> LedgerOpen:
    """The project's ledger, or an in-memory one with a warning when the file cannot be used.

    `setting` names another file (relative to `root`, `~` expanded) or ":memory:". With no root and no
    absolute setting there is nowhere to keep a file: memory, without a warning, since nothing failed.
    Never raises for a bad file: provenance for this session matters less than the editor working.
    """
    if setting == MEMORY:
        return LedgerOpen(SqliteLedger(MEMORY))
    if setting:
        target = Path(setting).expanduser()
        if not target.is_absolute():
            if root is None:
                return _fallback(target, "a relative ledger path needs a workspace folder")
            target = root / target
    elif root is None:
        return LedgerOpen(SqliteLedger(MEMORY))
    else:
        target = default_location(root)
        try:
            _make_ledger_dir(target.parent)
        except OSError as exc:
            return _fallback(target, f"cannot create {target.parent} ({exc.strerror or exc})")
    try:
        return LedgerOpen(SqliteLedger(target, busy_timeout))
    except LedgerError as exc:
        return _fallback(target, str(exc))


def _make_ledger_dir(folder: Path) -> None:
    """The default folder, with a .gitignore of `*` so the ledger (and itself) is never committed."""
    folder.mkdir(parents=True, exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():
        ignore.write_text("*\n", encoding="utf-8")


def _fallback(target: Path, reason: str) -> LedgerOpen:
    warning = (f"provguard cannot use the ledger {target}: {reason}. "
               "Provenance is kept in memory for this session only.")
    return LedgerOpen(SqliteLedger(MEMORY), warning)


def _reason(exc: sqlite3.Error, busy_timeout: float) -> str:
    """A sentence for a person from SQLite's terse message."""
    text = str(exc)
    lowered = text.lower()
    if "not a database" in lowered or "malformed" in lowered:
        return f"the file is not a valid SQLite database ({text})"
    if "locked" in lowered or "busy" in lowered:
        return f"the database stayed locked by another process for more than {busy_timeout:g} s ({text})"
    if "readonly" in lowered or "read-only" in lowered:
        return f"the database is read-only ({text})"
    if "unable to open" in lowered:
        return f"the file cannot be opened or created ({text})"
    return text
