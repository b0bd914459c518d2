"""A team ledger on PostgreSQL: the same `Ledger` as the SQLite file, shared by everyone's editors, CLI runs
and agent hooks through one server.

Chosen by a `postgresql://` URL (see `provguard.ledger.location`). Tables live in the connection's current
schema, so one database can hold several ledgers (`?options=-csearch_path%3Dteam_a`).

Every operation is one short transaction on an autocommit connection: nothing holds a snapshot or a lock
between calls, so a session left open all day blocks nobody. Lock waits give up after the busy timeout,
like SQLite's. Replacing a file's spans first takes a transaction-scoped advisory lock on the path: two
concurrent replacements of one file then queue, where READ COMMITTED alone would let the second one's
DELETE miss the first one's new rows and its INSERT collide with them.

The schema and its migrations are in `postgres_schema`.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import psycopg
from psycopg import errors
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from provguard.provenance.fingerprint_index import MAX_EDITS_PER_PRINT, PRINT_SCHEME

from .model import AgentEdit, Declaration, ImportCursor, StoredSpan
from .postgres_schema import LOCK_CLASS, limit, migrate
from .rows import SPAN_COLUMNS, SpanRow, evidence, pack_names, span_from_row, span_to_row, stored_text, unpack_names
from .sqlite import DEFAULT_BUSY_TIMEOUT
from .store import LedgerError, origin_from_json, origin_to_json
from .write_key import write_key

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 5
"""Seconds to wait for the server when connecting (libpq's minimum is 2)."""

ANALYZE_AFTER_PRINTS = 10_000
"""Fingerprint rows this connection writes before it refreshes the planner's statistics itself (once the
table has also doubled since): right after a bulk import the planner still sees the small table autovacuum
last measured, and a lookup took 3-7x longer until autovacuum came by (10^5 edits: 201 ms just loaded,
69 ms after ANALYZE, 62 ms after VACUUM as well; README, "Index and lookup")."""

_EDIT_COLUMNS = ("id, tool, path, time, evidence, vendor, model, session_id, tool_call_id, lines, print_count, "
                 "line_hashes, text, source, confidence, names")

MATCH_SQL = """WITH hits AS (
        SELECT h.hash, p.edit FROM unnest(%(hashes)s::bigint[]) AS h(hash)
        CROSS JOIN LATERAL (SELECT edit FROM edit_prints WHERE edit_prints.hash = h.hash LIMIT %(limit)s) AS p),
    common AS (SELECT hash FROM hits GROUP BY hash HAVING count(*) > %(most)s)
    SELECT e.id, count(*) FROM hits JOIN agent_edits AS e ON e.seq = hits.edit
    WHERE hits.hash NOT IN (SELECT hash FROM common) GROUP BY e.id"""
"""Edit id and how many of the given hashes it has, in one round trip whatever the number of hashes; a hash
in more than MAX_EDITS_PER_PRINT edits is left out after reading at most one posting past the cut."""


class PostgresLedger:
    """A `Ledger` in a PostgreSQL database, addressed by a libpq URL or connection string.

    The constructor raises `LedgerError` when the database cannot be used: unreachable, authentication
    refused, no right to create or write the tables, or a schema written by a newer provguard. Messages
    name the server as `location` does, never the password.
    """

    persistent = True

    def __init__(self, conninfo: str, busy_timeout: float = DEFAULT_BUSY_TIMEOUT, store_text: bool = False) -> None:
        self.store_text = store_text
        self.location = describe(conninfo)
        self._conninfo = conninfo
        self._busy_timeout = busy_timeout
        self._lock = threading.Lock()  # one connection, possibly used from the server's worker threads
        self._unanalyzed = 0
        """Fingerprint rows written by this ledger since it last refreshed the statistics."""
        try:
            self._conn = self._connect()
        except psycopg.Error as exc:
            raise LedgerError(self._reason(exc)) from exc
        try:
            migrate(self._conn, busy_timeout)
        except (psycopg.Error, LedgerError) as exc:
            self._conn.close()
            if isinstance(exc, LedgerError):
                raise
            raise LedgerError(self._reason(exc)) from exc

    def __repr__(self) -> str:
        return f"PostgresLedger({self.location!r})"

    # -- Ledger ------------------------------------------------------------------------------------------

    def load_spans(self, path: str) -> list[StoredSpan]:
        with self._transaction() as cur:
            cur.execute(f"SELECT {SPAN_COLUMNS} FROM spans WHERE path = %s ORDER BY seq", (path,))
            rows: list[SpanRow] = cur.fetchall()
        return [span_from_row(row) for row in rows]

    def save_spans(self, path: str, spans: Sequence[StoredSpan]) -> None:
        rows = [span_to_row(path, seq, span) for seq, span in enumerate(spans)]
        with self._transaction() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s, hashtext(current_schema() || '/' || %s))",
                        (LOCK_CLASS + 1, path))
            cur.execute("DELETE FROM spans WHERE path = %s", (path,))
            if rows:
                cur.executemany(f"INSERT INTO spans ({SPAN_COLUMNS}) VALUES ({', '.join(['%s'] * 15)})", rows)

    def all_paths(self) -> list[str]:
        with self._transaction() as cur:
            cur.execute("SELECT DISTINCT path FROM spans ORDER BY path")
            return [row[0] for row in cur.fetchall()]

    def add_declaration(self, decl: Declaration) -> None:
        with self._transaction() as cur:
            cur.execute(
                "INSERT INTO declarations (span_id, path, origin, declared_at, note) VALUES (%s, %s, %s, %s, %s)",
                (decl.span_id, decl.path, origin_to_json(decl.origin), decl.declared_at, decl.note),
            )

    def declarations(self, span_id: str | None = None, path: str | None = None) -> list[Declaration]:
        where, args = [], []
        for column, value in (("span_id", span_id), ("path", path)):
            if value is not None:
                where.append(f"{column} = %s")
                args.append(value)
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        with self._transaction() as cur:
            cur.execute(f"SELECT span_id, path, origin, declared_at, note FROM declarations{clause} ORDER BY seq",
                        args)
            rows = cur.fetchall()
        return [Declaration(row[0], row[1], origin_from_json(row[2]), row[3], row[4]) for row in rows]

    def add_agent_edits(self, edits: Sequence[AgentEdit]) -> int:
        if not edits:
            return 0
        keys = [write_key(edit) for edit in edits]
        keyed = any(key is not None for key in keys)
        rows = [(*self._edit_to_row(edit), PRINT_SCHEME, *((key,) if keyed else ()))
                for edit, key in zip(edits, keys, strict=True)]
        new: list[tuple[int, AgentEdit]] = []
        with self._transaction() as cur:
            # An id, or a write key (the same write under another id), already stored by this or a concurrent
            # writer returns no row: it is not new. Without a conflict target, every unique index counts.
            cur.executemany(f"INSERT INTO agent_edits ({_EDIT_COLUMNS}, scheme{', write_key' if keyed else ''}) "
                            f"VALUES ({', '.join(['%s'] * len(rows[0]))}) ON CONFLICT DO NOTHING RETURNING seq", rows,
                            returning=True)
            seen: list[tuple[AgentEdit, str | None]] = []
            for edit, key in zip(edits, keys, strict=True):
                row = cur.fetchone()
                if row is not None:
                    new.append((row[0], edit))
                else:
                    seen.append((edit, key))
                cur.nextset()
            known = [edit if key is None else replace(edit, id=_stored_id(cur, edit.id, key)) for edit, key in seen]
            cur.executemany(  # what a known edit lacks filled in from this record of it, nothing replaced
                "UPDATE agent_edits SET model = coalesce(model, %s), vendor = coalesce(vendor, %s) "
                "WHERE id = %s AND (model IS NULL OR vendor IS NULL) AND (model IS NULL OR model = %s)",
                [(edit.model, edit.vendor, edit.id, edit.model) for edit in known if edit.model or edit.vendor])
            for edit in known:  # refreshed only when its prints are of an older scheme
                cur.execute("UPDATE agent_edits SET lines = %s, print_count = %s, line_hashes = %s, names = %s, "
                            "scheme = %s WHERE id = %s AND scheme < %s RETURNING seq",
                            (edit.lines, len(set(edit.fingerprints)), list(edit.line_hashes),
                             pack_names(edit.names), PRINT_SCHEME, edit.id, PRINT_SCHEME))
                row = cur.fetchone()
                if row is not None:
                    cur.execute("DELETE FROM edit_prints WHERE edit = %s", (row[0],))
                    new.append((row[0], edit))
            if new:
                with cur.copy("COPY edit_prints (hash, edit) FROM STDIN") as copy:
                    for seq, edit in new:
                        for hash_ in set(edit.fingerprints):
                            copy.write_row((hash_, seq))
        self._unanalyzed += sum(len(set(edit.fingerprints)) for _, edit in new)
        if self._unanalyzed >= ANALYZE_AFTER_PRINTS:
            self._analyze_if_grown()
        return len(new)

    def agent_edits(self, path: str | None = None, ids: Sequence[str] | None = None) -> list[AgentEdit]:
        where: list[str] = []
        args: list[Any] = []
        if path is not None:
            where.append("path = %s")
            args.append(path)
        if ids is not None:
            if not ids:
                return []
            where.append("id = ANY(%s::text[])")
            args.append(list(ids))
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        with self._transaction() as cur:
            cur.execute(f"SELECT {_EDIT_COLUMNS}, "
                        "ARRAY(SELECT hash FROM edit_prints AS p WHERE p.edit = e.seq ORDER BY hash) "
                        f"FROM agent_edits AS e{clause} ORDER BY time, id", args)
            rows = cur.fetchall()
        return [_edit_from_row(row) for row in rows]

    def stale_edits(self) -> int:
        with self._transaction() as cur:
            cur.execute("SELECT count(*) FROM agent_edits WHERE scheme < %s", (PRINT_SCHEME,))
            row = cur.fetchone()
        return int(row[0]) if row else 0

    def match_fingerprints(self, hashes: Collection[int]) -> dict[str, int]:
        unique = list(set(hashes))
        if not unique:
            return {}
        with self._transaction() as cur:
            cur.execute(MATCH_SQL, {"hashes": unique, "limit": MAX_EDITS_PER_PRINT + 1,
                                    "most": MAX_EDITS_PER_PRINT})
            return {edit_id: count for edit_id, count in cur.fetchall()}

    def has_agent_edits(self) -> bool:
        with self._transaction() as cur:
            cur.execute("SELECT EXISTS (SELECT 1 FROM agent_edits)")
            row = cur.fetchone()
        return bool(row and row[0])

    def fingerprint_hashes(self, most: int) -> frozenset[int] | None:
        with self._transaction() as cur:
            cur.execute("SELECT DISTINCT hash FROM edit_prints LIMIT %s", (most + 1,))
            rows = cur.fetchall()
        return frozenset(h for h, in rows) if len(rows) <= most else None

    def generation(self) -> int:
        with self._transaction() as cur:
            cur.execute("SELECT n FROM generation")
            row = cur.fetchone()
        return int(row[0]) if row else 0

    def import_cursor(self, key: str) -> ImportCursor | None:
        with self._transaction() as cur:
            cur.execute("SELECT byte_offset, identity FROM import_cursors WHERE key = %s", (key,))
            row = cur.fetchone()
        return ImportCursor(row[0], row[1]) if row else None

    def save_import_cursor(self, key: str, cursor: ImportCursor) -> None:
        with self._transaction() as cur:
            cur.execute("INSERT INTO import_cursors (key, byte_offset, identity) VALUES (%s, %s, %s) "
                        "ON CONFLICT (key) DO UPDATE "
                        "SET byte_offset = excluded.byte_offset, identity = excluded.identity",
                        (key, cursor.offset, cursor.identity))

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # -- connection and transactions ---------------------------------------------------------------------

    def _connect(self) -> psycopg.Connection[Any]:
        # Named "provguard" in pg_stat_activity unless the URL names it (a team may tag its hosts).
        conninfo = self._conninfo
        if "application_name" not in conninfo_to_dict(conninfo):
            conninfo = make_conninfo(conninfo, application_name="provguard")
        return psycopg.connect(conninfo, autocommit=True, connect_timeout=CONNECT_TIMEOUT)

    @contextmanager
    def _transaction(self) -> Iterator[psycopg.Cursor[Any]]:
        """One transaction, committed on success and rolled back on any exception.

        A connection the server dropped (restart, idle timeout, network) is replaced before the next
        operation, so a long editor session survives a database restart; the operation that met the
        broken connection itself fails with `LedgerError`.
        """
        with self._lock:
            try:
                if self._conn.closed or self._conn.broken:
                    self._conn = self._connect()
                with self._conn.transaction(), self._conn.cursor() as cur:
                    limit(cur, self._busy_timeout)
                    yield cur
            except psycopg.Error as exc:
                raise LedgerError(f"{self.location}: {self._reason(exc)}") from exc

    def _analyze_if_grown(self) -> None:
        """ANALYZE the edit tables when this ledger's writes since its last ANALYZE at least doubled them.

        Doubling bounds the cost of a bulk import to a logarithmic number of ANALYZEs (each samples a fixed
        number of rows). A role that does not own the tables gets PostgreSQL's warning and no ANALYZE, and a
        lock that cannot be had in time leaves it to autovacuum: neither fails the write that already landed.
        """
        try:
            with self._transaction() as cur:
                cur.execute("SELECT greatest(reltuples, 0) FROM pg_class WHERE oid = 'edit_prints'::regclass")
                row = cur.fetchone()
                if row is None or self._unanalyzed < float(row[0]):
                    return
                cur.execute("ANALYZE agent_edits, edit_prints")
            self._unanalyzed = 0
        except LedgerError:
            log.info("statistics of %s not refreshed after a bulk write; autovacuum will", self.location)

    def _edit_to_row(self, edit: AgentEdit) -> tuple[object, ...]:
        return (edit.id, edit.tool, edit.path, edit.time, edit.evidence.value, edit.vendor, edit.model,
                edit.session_id, edit.tool_call_id, edit.lines, len(set(edit.fingerprints)), list(edit.line_hashes),
                stored_text(edit, self.store_text), edit.source, edit.confidence, pack_names(edit.names))

    def _reason(self, exc: psycopg.Error) -> str:
        return reason(exc, self._busy_timeout, self._conninfo)


def _stored_id(cur: psycopg.Cursor[Any], edit_id: str, key: str) -> str:
    """The id the ledger holds the edit under: its own, else that of the record of the same write (write_key)."""
    cur.execute("SELECT id FROM agent_edits WHERE id = %s OR write_key = %s ORDER BY id = %s DESC LIMIT 1",
                (edit_id, key, edit_id))
    row = cur.fetchone()
    return str(row[0]) if row is not None else edit_id


def _edit_from_row(row: Sequence[Any]) -> AgentEdit:
    (edit_id, tool, path, time, kind, vendor, model, session_id, tool_call_id, lines, _count,
     line_hashes, text, source, confidence, names, prints) = row
    return AgentEdit(id=edit_id, tool=tool, path=path, time=time, evidence=evidence(edit_id, kind), vendor=vendor,
                     model=model, session_id=session_id, tool_call_id=tool_call_id, lines=lines,
                     fingerprints=tuple(prints), line_hashes=tuple(line_hashes), text=text, source=source,
                     confidence=float(confidence), names=unpack_names(bytes(names)))


def describe(conninfo: str) -> str:
    """The server and database as a URL without password or options, for messages and `location`."""
    try:
        params = conninfo_to_dict(conninfo)
    except psycopg.Error:
        return "postgresql://(unparsable connection URL)"
    user = f"{params['user']}@" if params.get("user") else ""
    host = str(params.get("host") or params.get("hostaddr") or "localhost")
    if "/" in host:  # a Unix socket folder
        host = f"[{host}]"
    port = f":{params['port']}" if params.get("port") else ""
    return f"postgresql://{user}{host}{port}/{params.get('dbname') or ''}"


def reason(exc: psycopg.Error, busy_timeout: float, conninfo: str) -> str:
    """A sentence for a person from the server's or libpq's message, with no password in it.

    libpq quotes a URL it cannot parse, password included: the URL is replaced by its description, and
    anything else that looks like a password is blanked too.
    """
    text = " ".join(str(exc).replace(conninfo, describe(conninfo)).split())
    text = re.sub(r"(://[^\s:/@\[]*):[^\s@]*@", r"\1@", text)
    text = re.sub(r"(password\s*=\s*)\S+", r"\1***", text, flags=re.IGNORECASE)
    if isinstance(exc, errors.LockNotAvailable):
        return f"the ledger stayed locked by another process for more than {busy_timeout:g} s ({text})"
    if isinstance(exc, errors.QueryCanceled):
        return f"the server cancelled a statement that ran too long ({text})"
    if isinstance(exc, errors.ReadOnlySqlTransaction):
        return f"the database is read-only ({text})"
    if isinstance(exc, errors.InsufficientPrivilege):
        return f"the database user may not create or write the ledger's tables ({text})"
    if isinstance(exc, errors.InvalidSchemaName) or "no schema has been selected" in text:
        return f"the schema named by search_path does not exist ({text})"
    if isinstance(exc, psycopg.OperationalError):
        return f"the connection to the server failed ({text})"
    return text
