"""The default ledger: one SQLite file per project, shared by every provguard process on the machine.

Editors' servers, CLI runs and agent hooks may all write at once, so the file is in WAL mode (readers never
wait for writers), every write is one short `BEGIN IMMEDIATE` transaction (it takes the write lock up
front, so two writers queue on the busy timeout instead of failing on a lock upgrade), and the busy
timeout is several seconds.

The schema is versioned (sqlite_schema.py).

A ledger that cannot be used must not stop provguard from working: `provguard.ledger.location.open_ledger`
falls back to an in-memory ledger and returns a warning saying which file and why, for the caller to show.
"""

from __future__ import annotations

import json
import random
import sqlite3
import threading
import time
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from provguard.private_files import create_private
from provguard.provenance.fingerprint_index import MAX_EDITS_PER_PRINT, PRINT_SCHEME

from .model import AgentEdit, Declaration, ImportCursor, StoredSpan
from .rows import (
    SPAN_COLUMNS,
    evidence,
    pack_hashes,
    pack_names,
    span_from_row,
    span_to_row,
    stored_text,
    unpack_hashes,
    unpack_names,
)
from .sqlite_schema import migrate, transaction
from .store import LedgerError, origin_from_json, origin_to_json
from .write_key import write_key

DEFAULT_BUSY_TIMEOUT = 5.0
"""Seconds a write waits for another process's transaction before giving up."""

OPEN_WAITS = 6
"""An open waits this many busy timeouts (30 s by default) for other processes opening or writing the file. Longer
than a write's wait: an open that gives up leaves the whole session on a memory ledger, and several processes
starting at once (an editor's servers, an agent's hooks) migrate one new file together while a busy disk may
stall the first one's commits."""

MEMORY = ":memory:"



class SqliteLedger:
    """A `Ledger` in a SQLite file, or in memory for `":memory:"`.

    The constructor raises `LedgerError` when the file cannot be used for writing: not a database,
    not writable, locked beyond the busy timeout, or written by a newer provguard. `open_ledger` turns
    that into a fallback; code that opens a ledger itself must handle it. Agent edits keep their text only
    with `store_text` (the user's opt-in).
    """

    def __init__(self, path: Path | str, busy_timeout: float = DEFAULT_BUSY_TIMEOUT, store_text: bool = False) -> None:
        self.store_text = store_text
        self.persistent = str(path) != MEMORY
        self.location = str(path) if self.persistent else "memory"
        self._busy_timeout = busy_timeout
        self._lock = threading.Lock()  # one connection, possibly used from the server's worker threads
        if self.persistent and str(path):
            create_private(str(path))
        try:
            self._conn = sqlite3.connect(path, timeout=busy_timeout, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise LedgerError(_reason(exc, busy_timeout)) from exc
        try:
            self._prepare(busy_timeout * OPEN_WAITS)
            self._conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        except (sqlite3.Error, LedgerError) as exc:
            self._conn.close()
            if isinstance(exc, LedgerError):
                raise
            raise LedgerError(_reason(exc, busy_timeout)) from exc

    def __repr__(self) -> str:
        return f"SqliteLedger({self.location!r})"

    def _prepare(self, wait: float) -> None:
        """WAL mode and the current schema, tried again while another process holds the file within `wait` s.

        SQLite's busy handler covers most waits, but not all: some lock conflicts while a file changes journal
        mode or is checkpointed on another process's close come back at once as "database is locked"."""
        deadline = time.monotonic() + wait
        left = wait
        while True:
            try:
                self._conn.execute(f"PRAGMA busy_timeout = {int(left * 1000)}")
                if self.persistent:
                    self._conn.execute("PRAGMA journal_mode = WAL")
                    self._conn.execute("PRAGMA synchronous = NORMAL")  # durable at checkpoints; safe in WAL
                migrate(self._conn)
                return
            except sqlite3.OperationalError as exc:
                left = deadline - time.monotonic()
                if not _is_busy(exc) or left <= 0:
                    raise LedgerError(_reason(exc, wait)) from exc
                time.sleep(min(left, random.uniform(0.01, 0.05)))  # jittered: openers do not retry in step

    # -- Ledger ------------------------------------------------------------------------------------------

    def load_spans(self, path: str) -> list[StoredSpan]:
        with self._read() as conn:
            rows = conn.execute(f"SELECT {SPAN_COLUMNS} FROM spans WHERE path = ? ORDER BY seq", (path,)).fetchall()
        return [span_from_row(row) for row in rows]

    def save_spans(self, path: str, spans: Sequence[StoredSpan]) -> None:
        rows = [span_to_row(path, seq, span) for seq, span in enumerate(spans)]
        with self._write() as conn:
            conn.execute("DELETE FROM spans WHERE path = ?", (path,))
            conn.executemany(f"INSERT INTO spans ({SPAN_COLUMNS}) VALUES ({', '.join('?' * 15)})", rows)

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

    def add_agent_edits(self, edits: Sequence[AgentEdit]) -> int:
        added = 0
        with self._write() as conn:
            for edit in edits:
                key = write_key(edit)  # the same write under another id (hook and import at once): ignored too
                row_values = (*_edit_to_row(edit, self.store_text), PRINT_SCHEME)
                cursor = conn.execute(
                    f"INSERT OR IGNORE INTO agent_edits ({_EDIT_COLUMNS}, scheme) VALUES ({', '.join('?' * 17)})",
                    row_values,
                ) if key is None else conn.execute(
                    f"INSERT OR IGNORE INTO agent_edits ({_EDIT_COLUMNS}, scheme, write_key) "
                    f"VALUES ({', '.join('?' * 18)})", (*row_values, key))
                seq: int | None = cursor.lastrowid if cursor.rowcount == 1 else None
                stored = edit.id if seq is not None or key is None else _stored_id(conn, edit.id, key)
                if seq is None and (edit.model or edit.vendor):  # known: what it lacks filled in, nothing replaced
                    conn.execute(_FILL_SQL, (edit.model, edit.vendor, stored, edit.model))
                if seq is None:  # known: refreshed only when its prints are of an older scheme
                    row = conn.execute("SELECT seq FROM agent_edits WHERE id = ? AND scheme < ?",
                                       (stored, PRINT_SCHEME)).fetchone()
                    if row is None:
                        continue
                    seq = row[0]
                    conn.execute("DELETE FROM edit_prints WHERE edit = ?", (seq,))
                    conn.execute("UPDATE agent_edits SET lines = ?, print_count = ?, line_hashes = ?, names = ?, "
                                 "scheme = ? WHERE seq = ?", (edit.lines, len(set(edit.fingerprints)),
                                                              pack_hashes(edit.line_hashes), pack_names(edit.names),
                                                              PRINT_SCHEME, seq))
                added += 1
                conn.executemany("INSERT OR IGNORE INTO edit_prints (hash, edit) VALUES (?, ?)",
                                 [(h, seq) for h in set(edit.fingerprints)])
        return added

    def stale_edits(self) -> int:
        with self._read() as conn:
            count: int = conn.execute("SELECT count(*) FROM agent_edits WHERE scheme < ?",
                                      (PRINT_SCHEME,)).fetchone()[0]
        return count

    def agent_edits(self, path: str | None = None, ids: Sequence[str] | None = None) -> list[AgentEdit]:
        where, args = [], []
        if path is not None:
            where.append("path = ?")
            args.append(path)
        if ids is not None:
            if not ids:
                return []
            where.append(f"id IN ({', '.join('?' * len(ids))})")
            args += list(ids)
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        with self._read() as conn:
            rows = conn.execute(f"SELECT seq, {_EDIT_COLUMNS} FROM agent_edits{clause} ORDER BY time, id",
                                args).fetchall()
            prints: dict[int, list[int]] = {row[0]: [] for row in rows}
            if prints:
                for hash_, seq in conn.execute(
                        f"SELECT hash, edit FROM edit_prints WHERE edit IN ({', '.join('?' * len(prints))})",
                        list(prints)):
                    prints[seq].append(hash_)
        return [_edit_from_row(row[1:], tuple(sorted(prints[row[0]]))) for row in rows]

    def match_fingerprints(self, hashes: Collection[int]) -> dict[str, int]:
        counts: dict[int, int] = {}
        with self._read() as conn:
            # One statement for every hash (a round trip each cost more than the lookup): per hash, one seek
            # reading at most one posting past the cut.
            for postings, in conn.execute(_MATCH_SQL, (MAX_EDITS_PER_PRINT + 1, json.dumps(sorted(set(hashes))))):
                if not postings:
                    continue
                seqs = postings.split(",")
                if len(seqs) > MAX_EDITS_PER_PRINT:
                    continue
                for seq in map(int, seqs):
                    counts[seq] = counts.get(seq, 0) + 1
            ids: dict[str, int] = {}
            seqs_found = list(counts)
            for start in range(0, len(seqs_found), _CHUNK):
                chunk = seqs_found[start:start + _CHUNK]
                for seq, edit_id in conn.execute(
                        f"SELECT seq, id FROM agent_edits WHERE seq IN ({', '.join('?' * len(chunk))})", chunk):
                    ids[edit_id] = counts[seq]
        return ids

    def has_agent_edits(self) -> bool:
        with self._read() as conn:
            return bool(conn.execute("SELECT EXISTS (SELECT 1 FROM agent_edits)").fetchone()[0])

    def fingerprint_hashes(self, most: int) -> frozenset[int] | None:
        with self._read() as conn:  # the primary key's b-tree, in hash order: no edit row is read
            rows = conn.execute("SELECT DISTINCT hash FROM edit_prints LIMIT ?", (most + 1,)).fetchall()
        return frozenset(h for h, in rows) if len(rows) <= most else None

    def generation(self) -> int:
        with self._read() as conn:
            return int(conn.execute("SELECT n FROM generation").fetchone()[0])

    def import_cursor(self, key: str) -> ImportCursor | None:
        with self._read() as conn:
            row = conn.execute("SELECT offset, identity FROM import_cursors WHERE key = ?", (key,)).fetchone()
        return ImportCursor(row[0], row[1]) if row else None

    def save_import_cursor(self, key: str, cursor: ImportCursor) -> None:
        with self._write() as conn:
            conn.execute("INSERT INTO import_cursors (key, offset, identity) VALUES (?, ?, ?) "
                         "ON CONFLICT (key) DO UPDATE SET offset = excluded.offset, identity = excluded.identity",
                         (key, cursor.offset, cursor.identity))

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
                with transaction(self._conn):
                    yield self._conn
            except sqlite3.Error as exc:
                raise LedgerError(f"{self.location}: {_reason(exc, self._busy_timeout)}") from exc


# -- rows ------------------------------------------------------------------------------------------------

_EDIT_COLUMNS = ("id, tool, path, time, evidence, vendor, model, session_id, tool_call_id, lines, print_count, "
                 "line_hashes, text, source, confidence, names")
_FILL_SQL = ("UPDATE agent_edits SET model = coalesce(model, ?), vendor = coalesce(vendor, ?) "
             "WHERE id = ? AND (model IS NULL OR vendor IS NULL) AND (model IS NULL OR model = ?)")
"""A known edit's missing model and vendor from another record of it; a vendor only beside no model or the same."""
_MATCH_SQL = ("SELECT (SELECT group_concat(edit) FROM (SELECT edit FROM edit_prints WHERE hash = h.value LIMIT ?)) "
              "FROM json_each(?) AS h")
"""Per hash given (a JSON array), the edits holding it, at most the limit: comma-separated, NULL for none."""
_CHUNK = 500
"""Parameters per IN (...) list: well under SQLite's limit, few round trips."""


def _stored_id(conn: sqlite3.Connection, edit_id: str, key: str | None) -> str:
    """The id the ledger holds the edit under: its own, else that of the record of the same write (write_key)."""
    row = conn.execute("SELECT id FROM agent_edits WHERE id = ? OR write_key = ? ORDER BY id = ? DESC LIMIT 1",
                       (edit_id, key, edit_id)).fetchone()
    return str(row[0]) if row is not None else edit_id


def _edit_to_row(edit: AgentEdit, store_text: bool) -> tuple[object, ...]:
    return (edit.id, edit.tool, edit.path, edit.time, edit.evidence.value, edit.vendor, edit.model, edit.session_id,
            edit.tool_call_id, edit.lines, len(set(edit.fingerprints)), pack_hashes(edit.line_hashes),
            stored_text(edit, store_text), edit.source, edit.confidence, pack_names(edit.names))


def _edit_from_row(row: Sequence[Any], prints: tuple[int, ...]) -> AgentEdit:
    (edit_id, tool, path, time, kind, vendor, model, session_id, tool_call_id, lines, _count,
     line_hashes, text, source, confidence, names) = row
    return AgentEdit(id=edit_id, tool=tool, path=path, time=time, evidence=evidence(edit_id, kind), vendor=vendor,
                     model=model, session_id=session_id, tool_call_id=tool_call_id, lines=lines, fingerprints=prints,
                     line_hashes=unpack_hashes(line_hashes), text=text, source=source, confidence=float(confidence),
                     names=unpack_names(names))


def _is_busy(exc: sqlite3.Error) -> bool:
    lowered = str(exc).lower()
    return "locked" in lowered or "busy" in lowered


def _reason(exc: sqlite3.Error, busy_timeout: float) -> str:
    """A sentence for a person from SQLite's terse message."""
    text = str(exc)
    lowered = text.lower()
    if "not a database" in lowered or "malformed" in lowered:
        return f"the file is not a valid SQLite database ({text})"
    if _is_busy(exc):
        return f"the database stayed locked by another process for more than {busy_timeout:g} s ({text})"
    if "readonly" in lowered or "read-only" in lowered:
        return f"the database is read-only ({text})"
    if "unable to open" in lowered:
        return f"the file cannot be opened or created ({text})"
    return text
