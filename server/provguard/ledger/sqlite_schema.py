"""The SQLite ledger's schema: `MIGRATIONS` is an ordered list, each applied in its own transaction and recorded
in `schema_version`. A later feature adds tables by appending a migration, never by editing one."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from provguard.provenance.name_prints import prints_to_add

from .rows import unpack_names
from .store import LedgerError

_NEXT_GENERATION = "BEGIN UPDATE generation SET n = n + 1; END"
def _index_names(conn: sqlite3.Connection) -> None:
    """Migration 8: the name prints (`provenance.name_prints`) of edits recorded before, from their names and prints."""
    rows = conn.execute("SELECT seq, names, length(line_hashes) / 8 FROM agent_edits "
                        "WHERE length(names) > 0").fetchall()
    for seq, names, lines in rows:
        prints = [h for h, in conn.execute("SELECT hash FROM edit_prints WHERE edit = ?", (seq,))]
        added = prints_to_add(prints, unpack_names(names), lines)
        if added:
            conn.executemany("INSERT OR IGNORE INTO edit_prints (hash, edit) VALUES (?, ?)", [(h, seq) for h in added])
            conn.execute("UPDATE agent_edits SET print_count = ? WHERE seq = ?", (len(set(prints)) + len(added), seq))


MIGRATIONS: tuple[tuple[str | Callable[[sqlite3.Connection], None], ...], ...] = (
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
    # 2: agent edits, their fingerprint index, and how far each transcript was imported.
    (
        """CREATE TABLE agent_edits (
            seq INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            tool TEXT NOT NULL,
            path TEXT NOT NULL,
            time TEXT NOT NULL,
            evidence TEXT NOT NULL,
            vendor TEXT,
            model TEXT,
            session_id TEXT,
            tool_call_id TEXT,
            lines INTEGER NOT NULL,
            print_count INTEGER NOT NULL,
            line_hashes BLOB NOT NULL,
            text TEXT,
            source TEXT
        )""",
        "CREATE INDEX agent_edits_path ON agent_edits (path)",
        # One row per (fingerprint, edit): the lookup reads only this b-tree.
        """CREATE TABLE edit_prints (
            hash INTEGER NOT NULL,
            edit INTEGER NOT NULL,
            PRIMARY KEY (hash, edit)
        ) WITHOUT ROWID""",
        """CREATE TABLE import_cursors (
            key TEXT PRIMARY KEY,
            offset INTEGER NOT NULL,
            identity TEXT NOT NULL
        )""",
    ),
    # 3: an edit's fingerprints by edit, so reading a few matched edits does not scan every fingerprint.
    ("CREATE INDEX edit_prints_edit ON edit_prints (edit)",),
    # 4: how far an edit's source is to be believed (imported records from other tools are claims).
    ("ALTER TABLE agent_edits ADD COLUMN confidence REAL NOT NULL DEFAULT 1.0",),
    # 5: which fingerprint scheme an edit's prints are of (PRINT_SCHEME; edits stored before are scheme 1). The
    # import cursors are rewound where edits exist, so the next import reads every transcript again and
    # refreshes the older edits' prints (add_agent_edits replaces an older scheme's prints).
    ("ALTER TABLE agent_edits ADD COLUMN scheme INTEGER NOT NULL DEFAULT 1",
     "DELETE FROM import_cursors WHERE EXISTS (SELECT 1 FROM agent_edits)"),
    # 6: an edit's names (fingerprint scheme 3), 32-bit little-endian; refreshed with its prints.
    ("ALTER TABLE agent_edits ADD COLUMN names BLOB NOT NULL DEFAULT x''",
     "DELETE FROM import_cursors WHERE EXISTS (SELECT 1 FROM agent_edits)"),
    # 7: a generation that every change to what checks read (spans, declarations, agent edits) moves on, so a
    # cache of results can tell whether the ledger changed without reading it.
    ("CREATE TABLE generation (n INTEGER NOT NULL)",
     "INSERT INTO generation (n) VALUES (0)",
     f"CREATE TRIGGER spans_insert_generation AFTER INSERT ON spans {_NEXT_GENERATION}",
     f"CREATE TRIGGER spans_update_generation AFTER UPDATE ON spans {_NEXT_GENERATION}",
     f"CREATE TRIGGER spans_delete_generation AFTER DELETE ON spans {_NEXT_GENERATION}",
     f"CREATE TRIGGER declarations_insert_generation AFTER INSERT ON declarations {_NEXT_GENERATION}",
     f"CREATE TRIGGER declarations_update_generation AFTER UPDATE ON declarations {_NEXT_GENERATION}",
     f"CREATE TRIGGER declarations_delete_generation AFTER DELETE ON declarations {_NEXT_GENERATION}",
     f"CREATE TRIGGER agent_edits_insert_generation AFTER INSERT ON agent_edits {_NEXT_GENERATION}",
     f"CREATE TRIGGER agent_edits_update_generation AFTER UPDATE ON agent_edits {_NEXT_GENERATION}",
     f"CREATE TRIGGER agent_edits_delete_generation AFTER DELETE ON agent_edits {_NEXT_GENERATION}",),
    # 8: name prints for edits whose shape is mostly common code, recorded before they existed (computed here).
    (_index_names,),
    # 9: one record per Claude Code write whether its hook or a transcript import writes first (write_key.py);
    # edits stored before have none, as the recorders' own look-up kept them apart.
    ("ALTER TABLE agent_edits ADD COLUMN write_key TEXT",
     "CREATE UNIQUE INDEX agent_edits_write_key ON agent_edits (write_key) WHERE write_key IS NOT NULL"),
    # 10: fingerprint scheme 4 (JavaScript and TypeScript class members read inside a class body): import cursors
    # rewound where edits exist, so the next import refreshes the older edits' prints, as migrations 5 and 6 did.
    ("DELETE FROM import_cursors WHERE EXISTS (SELECT 1 FROM agent_edits)",),
)
SCHEMA_VERSION = len(MIGRATIONS)


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[None]:
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


def migrate(conn: sqlite3.Connection) -> None:
    """Brings the file to SCHEMA_VERSION, one migration per transaction.

    Each transaction re-reads the version, so two processes opening a new file at once do not both apply
    a migration. The first one also proves the file is writable: SQLite opens a read-only file without
    complaint and only fails on the first write, which must happen here and not in the middle of a session.
    """
    while True:
        try:
            with transaction(conn):
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
                    if callable(statement):
                        statement(conn)
                    else:
                        conn.execute(statement)
                conn.execute("UPDATE schema_version SET version = ?", (version + 1,))
        except _UpToDate:
            return
