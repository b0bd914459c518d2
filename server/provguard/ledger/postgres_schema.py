"""The PostgreSQL ledger's schema: its migrations, applied once under an advisory lock, and the time limits
every transaction runs under.

The schema is versioned like SQLite's (`MIGRATIONS`, `schema_version`), with its own list: the two backends'
DDL differs. Migrations run in one transaction under a transaction-scoped advisory lock, so processes opening
an empty database at once apply each migration exactly once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg

from provguard.provenance.name_prints import prints_to_add

from .rows import unpack_names
from .store import LedgerError

STATEMENT_TIMEOUT = 60.0
"""Seconds one statement may run before the server cancels it: a stuck ledger must not hang an editor."""

LOCK_CLASS = 0x70726F76
"""First key of provguard's advisory locks ("prov"), so they do not collide with other applications'."""

# Text columns that are sorted or compared use the "C" collation: the same byte order as SQLite, whatever
# the database's locale, and b-tree indexes usable for prefix searches.
def _index_names(cur: psycopg.Cursor[Any]) -> None:
    """Migration 7: the name prints (`provenance.name_prints`) of edits recorded before, as SQLite's migration 8."""
    cur.execute("SELECT seq, names, cardinality(line_hashes), "
                "ARRAY(SELECT hash FROM edit_prints AS p WHERE p.edit = e.seq) FROM agent_edits AS e "
                "WHERE length(names) > 0")
    for seq, names, lines, prints in cur.fetchall():
        added = prints_to_add(prints, unpack_names(bytes(names)), lines or 0)
        if added:
            cur.executemany("INSERT INTO edit_prints (hash, edit) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                            [(h, seq) for h in added])
            cur.execute("UPDATE agent_edits SET print_count = %s WHERE seq = %s", (len(set(prints)) + len(added), seq))


MIGRATIONS: tuple[tuple[str | Callable[[psycopg.Cursor[Any]], None], ...], ...] = (
    # 1: spans, declarations, agent edits with their fingerprint index, import cursors.
    (
        """CREATE TABLE spans (
            path text COLLATE "C" NOT NULL,
            seq integer NOT NULL,
            id text COLLATE "C" NOT NULL,
            origin text NOT NULL,
            original_length integer NOT NULL,
            original text NOT NULL,
            created_at text NOT NULL,
            fp_length integer NOT NULL,
            fp_digest text COLLATE "C" NOT NULL,
            fp_head text NOT NULL,
            fp_before text NOT NULL,
            fp_after text NOT NULL,
            fp_line integer NOT NULL,
            fp_column integer NOT NULL,
            fp_offset bigint NOT NULL,
            PRIMARY KEY (path, seq)
        )""",
        "CREATE INDEX spans_id ON spans (id)",
        "CREATE INDEX spans_digest ON spans (fp_digest)",
        """CREATE TABLE declarations (
            seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            span_id text COLLATE "C" NOT NULL,
            path text COLLATE "C" NOT NULL,
            origin text NOT NULL,
            declared_at text NOT NULL,
            note text
        )""",
        "CREATE INDEX declarations_span ON declarations (span_id)",
        "CREATE INDEX declarations_path ON declarations (path)",
        """CREATE TABLE agent_edits (
            seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            id text COLLATE "C" NOT NULL UNIQUE,
            tool text NOT NULL,
            path text COLLATE "C" NOT NULL,
            time text COLLATE "C" NOT NULL,
            evidence text NOT NULL,
            vendor text,
            model text,
            session_id text,
            tool_call_id text,
            lines integer NOT NULL,
            print_count integer NOT NULL,
            line_hashes bigint[] NOT NULL,
            text text,
            source text
        )""",
        "CREATE INDEX agent_edits_path ON agent_edits (path)",
        # One row per (fingerprint, edit). Matching reads only the primary key's b-tree: `hash = ANY(...)`
        # becomes an index-only scan on (hash, edit); see test_match_fingerprints_uses_the_index.
        """CREATE TABLE edit_prints (
            hash bigint NOT NULL,
            edit bigint NOT NULL REFERENCES agent_edits (seq) ON DELETE CASCADE,
            PRIMARY KEY (hash, edit)
        )""",
        # The foreign key's own side: reading an edit's prints back, and cascading deletes.
        "CREATE INDEX edit_prints_edit ON edit_prints (edit)",
        """CREATE TABLE import_cursors (
            key text COLLATE "C" PRIMARY KEY,
            byte_offset bigint NOT NULL,
            identity text NOT NULL
        )""",
    ),
    # 3: how far an edit's source is to be believed (imported records from other tools are claims).
    ("ALTER TABLE agent_edits ADD COLUMN confidence double precision NOT NULL DEFAULT 1.0",),
    # 4: which fingerprint scheme an edit's prints are of, as SQLite's migration 5 (import cursors rewound
    # where edits exist, so the next import refreshes the older edits' prints).
    ("ALTER TABLE agent_edits ADD COLUMN scheme integer NOT NULL DEFAULT 1",
     "DELETE FROM import_cursors WHERE EXISTS (SELECT 1 FROM agent_edits)"),
    # 5: an edit's names (fingerprint scheme 3), as SQLite's migration 6.
    ("ALTER TABLE agent_edits ADD COLUMN names bytea NOT NULL DEFAULT ''::bytea",
     "DELETE FROM import_cursors WHERE EXISTS (SELECT 1 FROM agent_edits)"),
    # 6: a generation every change to spans, declarations or agent edits moves on, as SQLite's migration 7 (one
    # update per statement, not per row).
    ("CREATE TABLE generation (n bigint NOT NULL)",
     "INSERT INTO generation (n) VALUES (0)",
     """CREATE FUNCTION provguard_next_generation() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN UPDATE generation SET n = n + 1; RETURN NULL; END $$""",
     "CREATE TRIGGER spans_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON spans "
     "FOR EACH STATEMENT EXECUTE FUNCTION provguard_next_generation()",
     "CREATE TRIGGER declarations_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON declarations "
     "FOR EACH STATEMENT EXECUTE FUNCTION provguard_next_generation()",
     "CREATE TRIGGER agent_edits_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON agent_edits "
     "FOR EACH STATEMENT EXECUTE FUNCTION provguard_next_generation()",),
    # 7: name prints for edits whose shape is mostly common code, recorded before they existed (computed here).
    (_index_names,),
    # 8: one record per Claude Code write whether its hook or a transcript import writes first, as SQLite's
    # migration 9 (write_key.py).
    ("ALTER TABLE agent_edits ADD COLUMN write_key text COLLATE \"C\"",
     "CREATE UNIQUE INDEX agent_edits_write_key ON agent_edits (write_key) WHERE write_key IS NOT NULL"),
    # 9: fingerprint scheme 4, as SQLite's migration 10 (import cursors rewound where edits exist).
    ("DELETE FROM import_cursors WHERE EXISTS (SELECT 1 FROM agent_edits)",),
)
SCHEMA_VERSION = len(MIGRATIONS)


def limit(cur: psycopg.Cursor[Any], busy_timeout: float) -> None:
    """Bounds how long this transaction waits for a lock and runs a statement.

    Set per transaction (`set_config(..., true)` is SET LOCAL) rather than once per connection: behind a
    pooler in transaction mode (pgbouncer) consecutive transactions run on different server sessions, so a
    session-level SET would be lost, or leak into another client's session. Not libpq `options` either:
    poolers refuse unknown startup parameters, and it would replace any `options` the URL gives.
    """
    cur.execute("SELECT set_config('lock_timeout', %s, true), set_config('statement_timeout', %s, true)",
                (f"{int(busy_timeout * 1000)}ms", f"{int(STATEMENT_TIMEOUT * 1000)}ms"))


def migrate(conn: psycopg.Connection[Any], busy_timeout: float) -> None:
    """Brings the schema to SCHEMA_VERSION in one transaction, under an advisory lock on the schema.

    PostgreSQL's DDL is transactional, so a failed migration leaves nothing behind. The version row is
    updated even when nothing is due: the write probe, so a read-only role or standby fails here, when
    the ledger is opened, and not in the middle of a session.
    """
    with conn.transaction(), conn.cursor() as cur:
        limit(cur, busy_timeout)
        cur.execute("SELECT pg_advisory_xact_lock(%s, hashtext(coalesce(current_schema(), '')))", (LOCK_CLASS,))
        cur.execute("CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)")
        cur.execute("SELECT max(version), count(*) FROM schema_version")
        found = cur.fetchone()
        assert found is not None  # an aggregate always returns a row
        if found[1] == 0:
            cur.execute("INSERT INTO schema_version (version) VALUES (0)")
        version: int = found[0] or 0
        cur.execute("UPDATE schema_version SET version = version")
        if version > SCHEMA_VERSION:
            raise LedgerError(f"schema version {version} is newer than this provguard knows "
                              f"({SCHEMA_VERSION}); upgrade provguard to use it")
        for number in range(version, SCHEMA_VERSION):
            for statement in MIGRATIONS[number]:
                if callable(statement):
                    statement(cur)
                else:
                    cur.execute(statement)
            cur.execute("UPDATE schema_version SET version = %s", (number + 1,))
