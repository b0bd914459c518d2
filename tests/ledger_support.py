"""Records to store, and the stores to put them in: a SQLite file, or a fresh schema on the PostgreSQL server
that `.ci/run` starts (PROVGUARD_TEST_POSTGRES_URL)."""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from provguard.ledger.model import AgentEdit, Declaration, Fingerprint, StoredSpan
from provguard.ledger.postgres import PostgresLedger
from provguard.ledger.sqlite import DEFAULT_BUSY_TIMEOUT, SqliteLedger
from provguard.ledger.store import Ledger
from provguard.provenance.origin import Evidence, Kind, Origin

POSTGRES_ENV = "PROVGUARD_TEST_POSTGRES_URL"

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


def agent_edit(edit_id: str, path: str = "src/a.py", prints: tuple[int, ...] = (1, 2, 3),
               time: str = "2026-11-25T10:00:00Z", text: str | None = None) -> AgentEdit:
    return AgentEdit(id=edit_id, tool="claude-code", path=path, time=time, evidence=Evidence.HOOK,
                     vendor="anthropic", model="claude-sonnet-4-5", session_id="s1", tool_call_id="toolu_1",
                     lines=9, fingerprints=prints, line_hashes=(-5, 2**63 - 1, -(2**63)), names=(1, 7, 2**32 - 1),
                     text=text, source="transcript /t/a.jsonl:3")


# -- PostgreSQL --------------------------------------------------------------------------------------------


def postgres_server() -> str:
    """The test server's URL; skips the test without one, except in CI, where a missing server is a failure."""
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{POSTGRES_ENV} is not set: .ci/services/10-postgres.sh should have started PostgreSQL")
        pytest.skip(f"no PostgreSQL server: set {POSTGRES_ENV} to a postgresql:// URL (bash .ci/run starts one)")
    return url


def with_search_path(url: str, schema: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A URL whose ledger tables go into a new, empty schema, dropped afterwards: each test its own ledger."""
    import psycopg

    server = postgres_server()
    name = f"test_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {name}")
    try:
        yield with_search_path(server, name)
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {name} CASCADE")


# -- one store, either backend -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Store:
    """Where one ledger lives, with a way to open it and to change its tables behind its back."""

    backend: str
    """"sqlite" or "postgres"."""
    setting: str
    """What the `ledger` setting would say: an absolute file path or a URL."""

    def open(self, store_text: bool = False, busy_timeout: float = DEFAULT_BUSY_TIMEOUT) -> Ledger:
        if self.backend == "sqlite":
            return SqliteLedger(self.setting, busy_timeout, store_text)
        return PostgresLedger(self.setting, busy_timeout, store_text)

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        """Runs `sql` on a connection of its own (committed) and returns its rows, if any."""
        if self.backend == "sqlite":
            with sqlite3.connect(self.setting) as conn:
                return conn.execute(sql).fetchall()
        import psycopg

        with psycopg.connect(self.setting, autocommit=True) as conn:
            cursor = conn.execute(sql)  # type: ignore[call-overload]
            return cursor.fetchall() if cursor.description else []


@contextmanager
def make_store(backend: str, tmp_path: Path) -> Iterator[Store]:
    if backend == "sqlite":
        yield Store("sqlite", str(tmp_path / "ledger.sqlite3"))
        return
    with postgres_schema() as url:
        yield Store("postgres", url)
