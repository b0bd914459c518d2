"""The team ledger on a real PostgreSQL server: what only it does, how it is chosen, and how it fails.

Tests that need the server skip without PROVGUARD_TEST_POSTGRES_URL (except in CI, where they fail); the
choice of backend and the fallback from an unreachable server need none.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import psycopg
import pytest

from ledger_support import POSTGRES_ENV, agent_edit, postgres_schema, postgres_server, span
from provguard.ledger.location import URL_ENV, open_ledger
from provguard.ledger.postgres import MATCH_SQL, PostgresLedger
from provguard.ledger.sqlite import SqliteLedger
from provguard.ledger.store import LedgerError
from provguard.provenance.fingerprint_index import MAX_EDITS_PER_PRINT

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def url() -> Iterator[str]:
    with postgres_schema() as made:
        yield made


def unreachable(user: str = "alice", password: str = "s3cret", db: str = "teamdb") -> str:
    """A URL on a loopback port where nothing listens (a port the kernel just handed out and took back)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"postgresql://{user}:{password}@127.0.0.1:{port}/{db}?password={password}x&sslmode=prefer"


# -- two processes, one ledger ---------------------------------------------------------------------------

PEER = textwrap.dedent("""
    import json, sys
    from provguard.ledger.location import open_ledger
    from provguard.ledger.model import AgentEdit, Declaration
    from provguard.provenance.origin import Evidence, Kind, Origin

    opened = open_ledger(None, None)  # PROVGUARD_LEDGER_URL chooses the team ledger
    ledger = opened.ledger
    print(json.dumps({"warning": opened.warning, "location": ledger.location, "persistent": ledger.persistent}),
          flush=True)
    for line in sys.stdin:
        verb, _, arg = line.strip().partition(" ")
        if verb == "edit":
            ledger.add_agent_edits([AgentEdit(arg, "codex", "app.py", "2026-11-25T10:00:00Z", Evidence.HOOK,
                                              session_id="s-" + arg, fingerprints=(len(arg), 99))])
            ledger.add_declaration(Declaration("span-" + arg, "app.py", Origin(Kind.HUMAN, Evidence.MARKER),
                                               "2026-11-25T10:00:01Z"))
        reply = {"edits": [e.id for e in ledger.agent_edits()],
                 "declared": [d.span_id for d in ledger.declarations()],
                 "matches": ledger.match_fingerprints([99])}
        print(json.dumps(reply), flush=True)
""")


class Peer:
    """A provguard process with the team ledger open, answering one command per line."""

    def __init__(self, url: str) -> None:
        env = {**_env(), URL_ENV: url}
        self.proc = subprocess.Popen([sys.executable, "-c", PEER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, env=env)
        self.opened = self._reply()

    def ask(self, command: str) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return self._reply()

    def _reply(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise AssertionError(f"peer exited: {self.proc.communicate(timeout=30)[1]}")
        reply: dict[str, Any] = json.loads(line)
        return reply

    def close(self) -> None:
        _, err = self.proc.communicate(timeout=30)
        assert self.proc.returncode == 0, err


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != URL_ENV}


def test_two_processes_on_one_postgres_ledger_see_each_others_records(url: str) -> None:
    one, two = Peer(url), Peer(url)  # both connected before either writes
    try:
        for peer in (one, two):
            assert peer.opened == {"warning": None, "location": PostgresLedger(url).location, "persistent": True}
        assert one.ask("edit from-one") == {"edits": ["from-one"], "declared": ["span-from-one"],
                                            "matches": {"from-one": 1}}
        assert two.ask("read") == {"edits": ["from-one"], "declared": ["span-from-one"], "matches": {"from-one": 1}}
        two.ask("edit from-two")
        assert one.ask("read") == {"edits": ["from-one", "from-two"], "declared": ["span-from-one", "span-from-two"],
                                   "matches": {"from-one": 1, "from-two": 1}}
    finally:
        one.close()
        two.close()


# -- speed by design -------------------------------------------------------------------------------------


def plan_nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", ()):
        yield from plan_nodes(child)


def test_match_fingerprints_uses_the_index(url: str) -> None:
    """With many edits, matching reads the (hash, edit) primary key for just the hashes asked, never the table.

    The plan on this test's data (PostgreSQL 15, 100,000 prints, 5 hashes asked): for each hash asked, an
    Index Only Scan using edit_prints_pkey (Index Cond: hash = h.hash) under a Limit of MAX_EDITS_PER_PRINT + 1
    postings, so a fingerprint common to thousands of edits costs one short read; then the edits by
    agent_edits_pkey.
    """
    ledger = PostgresLedger(url)
    edits = [agent_edit(f"e{n}", prints=tuple(range(n * 40, n * 40 + 40))) for n in range(2500)]
    assert ledger.add_agent_edits(edits) == 2500
    asked = [7, 41, 80_000, 99_999, 5_000_000]
    assert ledger.match_fingerprints(asked) == {"e0": 1, "e1": 1, "e2000": 1, "e2499": 1}
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE edit_prints")
        conn.execute("VACUUM ANALYZE agent_edits")
        [(plan,)] = conn.execute(f"EXPLAIN (FORMAT JSON) {MATCH_SQL}",  # type: ignore[call-overload]
                                 {"hashes": asked, "limit": MAX_EDITS_PER_PRINT + 1,
                                  "most": MAX_EDITS_PER_PRINT}).fetchall()
    nodes = list(plan_nodes(plan[0]["Plan"]))
    on_prints = [node for node in nodes if node.get("Relation Name") == "edit_prints"]
    assert on_prints, nodes
    assert all(node["Node Type"] != "Seq Scan" for node in on_prints), on_prints
    assert any(node.get("Index Name") == "edit_prints_pkey" for node in on_prints), on_prints


def table_rows(url: str) -> float:
    """The planner's idea of the fingerprint table's size (pg_class.reltuples: -1 until first measured)."""
    with psycopg.connect(url, autocommit=True) as conn:
        [(rows,)] = conn.execute("SELECT reltuples FROM pg_class WHERE oid = 'edit_prints'::regclass").fetchall()
    return float(rows)


def test_a_bulk_import_leaves_the_planner_statistics_of_the_tables_it_grew(url: str) -> None:
    """Lookups right after an import must not wait for autovacuum to learn the table's new size."""
    ledger = PostgresLedger(url)
    ledger.add_agent_edits([agent_edit(f"small{n}", prints=tuple(range(n * 40, n * 40 + 40))) for n in range(20)])
    assert table_rows(url) < 0  # 800 rows: not worth an ANALYZE, never measured yet

    ledger.add_agent_edits([agent_edit(f"e{n}", prints=tuple(range(n * 40, n * 40 + 40))) for n in range(20, 2520)])
    assert 50_000 < table_rows(url) < 200_000  # 100,800 rows, measured from a sample

    ledger.add_agent_edits([agent_edit(f"more{n}", prints=tuple(range(10**7 + n * 40, 10**7 + n * 40 + 40)))
                            for n in range(500)])
    assert table_rows(url) < 110_000  # 20% more: left to autovacuum, as PostgreSQL would
    ledger.close()


# -- choosing the backend --------------------------------------------------------------------------------


def test_unreachable_server_falls_back_to_memory_naming_host_and_database(tmp_path: Path) -> None:
    result = open_ledger(tmp_path, unreachable())
    assert result.ledger.persistent is False
    assert result.warning is not None
    assert "postgresql://alice@127.0.0.1:" in result.warning and "/teamdb:" in result.warning
    assert "the connection to the server failed" in result.warning and "Connection refused" in result.warning
    assert "s3cret" not in result.warning
    result.ledger.save_spans("a.py", [span(1)])  # the fallback works
    assert result.ledger.load_spans("a.py") == [span(1)]
    assert not (tmp_path / ".provguard").exists()  # no file ledger created behind the team's back


@pytest.mark.parametrize("url", [
    "postgresql://alice:s3cret@[::1/teamdb",  # libpq quotes a URL it cannot parse
    "postgresql://alice:s3cret@127.0.0.1:1/teamdb?no_such_option=1",
    "postgresql://alice:s3cret@127.0.0.1:not-a-port/teamdb",
])
def test_a_malformed_url_is_refused_without_showing_its_password(url: str, tmp_path: Path) -> None:
    result = open_ledger(tmp_path, url)
    assert result.ledger.persistent is False
    assert result.warning is not None and "alice@" in result.warning and "teamdb" in result.warning
    assert "s3cret" not in result.warning


def test_the_environment_names_the_ledger_unless_the_setting_does(tmp_path: Path) -> None:
    env = {URL_ENV: unreachable(db="from_env")}
    from_env = open_ledger(tmp_path, None, environ=env)
    assert from_env.warning is not None and "/from_env:" in from_env.warning

    setting_url = open_ledger(tmp_path, unreachable(db="from_setting").replace("postgresql:", "postgres:"),
                              environ=env)
    assert setting_url.warning is not None and "postgres://alice@" in setting_url.warning
    assert "/from_setting:" in setting_url.warning

    setting_file = open_ledger(tmp_path, "team.sqlite3", environ=env)
    assert (setting_file.warning, setting_file.ledger.location) == (None, str(tmp_path / "team.sqlite3"))
    assert isinstance(setting_file.ledger, SqliteLedger)


def test_an_environment_value_that_is_not_a_url_is_refused_without_showing_it(tmp_path: Path) -> None:
    result = open_ledger(tmp_path, None, environ={URL_ENV: "host=db.example password=hunter2"})
    assert result.ledger.persistent is False
    assert result.warning is not None and f"{URL_ENV} must be a postgresql:// or postgres:// URL" in result.warning
    assert "hunter2" not in result.warning


def test_without_psycopg_the_warning_says_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # import psycopg now raises ImportError
    monkeypatch.delitem(sys.modules, "provguard.ledger.postgres")
    result = open_ledger(tmp_path, unreachable())
    assert result.warning is not None and "pip install 'provguard[postgres]'" in result.warning


def test_postgres_tests_skip_without_a_server_but_fail_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(POSTGRES_ENV, raising=False)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=POSTGRES_ENV):
        postgres_server()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=POSTGRES_ENV):
        postgres_server()


# -- failures on a live server ---------------------------------------------------------------------------


def test_a_dropped_connection_is_replaced(url: str) -> None:
    """A database restart must not leave a day-long editor session without its ledger."""
    name = f"provguard_{uuid.uuid4().hex[:8]}"
    ledger = PostgresLedger(f"{url}&application_name={name}")
    ledger.save_spans("a.py", [span(1)])
    with psycopg.connect(postgres_server(), autocommit=True) as admin:
        [(killed,)] = admin.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                    "WHERE application_name = %s", (name,)).fetchall()
    assert killed == 1
    with pytest.raises(LedgerError, match="postgresql://"):  # the operation that met the dead connection
        ledger.load_spans("a.py")
    assert ledger.load_spans("a.py") == [span(1)]  # the next one reconnects


def test_a_write_waits_for_a_lock_only_as_long_as_the_busy_timeout(url: str) -> None:
    ledger = PostgresLedger(url, busy_timeout=0.2)
    ledger.save_spans("a.py", [span(1)])
    with psycopg.connect(url) as holder:  # not autocommit: the lock is held until rollback
        holder.execute("LOCK TABLE spans IN EXCLUSIVE MODE")
        with pytest.raises(LedgerError, match=r"locked by another process for more than 0.2 s"):
            ledger.save_spans("a.py", [span(2)])
        assert ledger.load_spans("a.py") == [span(1)]  # readers are not blocked
        holder.rollback()
    ledger.save_spans("a.py", [span(2)])
    assert ledger.load_spans("a.py") == [span(2)]


def test_timeouts_hold_per_transaction_so_a_transaction_pooler_keeps_them(url: str) -> None:
    """Behind pgbouncer in transaction mode each transaction may run on another server session: the limits
    must be set inside every transaction, and must not stay behind on the session for the next client."""
    ledger = PostgresLedger(url, busy_timeout=0.25)
    ledger.save_spans("a.py", [span(1)])
    session = ledger._conn  # the server session as a pooler would hand it to the next client
    assert session.execute("SHOW lock_timeout").fetchone() == ("0",)
    assert session.execute("SHOW statement_timeout").fetchone() == ("0",)
    session.execute("SET lock_timeout = 0")  # a pooled session set up by someone else
    with psycopg.connect(url) as holder:
        holder.execute("LOCK TABLE spans IN EXCLUSIVE MODE")
        with pytest.raises(LedgerError, match=r"locked by another process for more than 0.25 s"):
            ledger.save_spans("a.py", [span(2)])
        holder.rollback()


def test_a_user_without_write_rights_falls_back_when_opening(url: str, tmp_path: Path) -> None:
    """The write probe: a read-only role finds out when the ledger is opened, not in the middle of a session."""
    PostgresLedger(url).close()
    role = f"reader_{uuid.uuid4().hex[:8]}"
    schema = url.rpartition("%3D")[2]
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {role} LOGIN")
        admin.execute(f"GRANT USAGE ON SCHEMA {schema} TO {role}")
        admin.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {role}")
    try:
        as_reader = url.replace("://provguard@", f"://{role}@") if "://provguard@" in url else None
        if as_reader is None:
            pytest.skip("the test server's URL does not name the user provguard")
        result = open_ledger(tmp_path, as_reader)
        assert result.ledger.persistent is False
        assert result.warning is not None and "may not create or write the ledger's tables" in result.warning
    finally:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(f"DROP OWNED BY {role}")
            admin.execute(f"DROP ROLE {role}")


# -- the CLI ---------------------------------------------------------------------------------------------


def check(root: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "provguard", "check", "--format", "json", "--fail-on", "never",
                           *args], cwd=root, capture_output=True, text=True, timeout=120, env=env or _env())


def test_check_reads_spans_recorded_in_a_postgres_ledger(url: str, tmp_path: Path) -> None:
    from provguard.ledger.anchor import fingerprint
    from provguard.positions import LineIndex
    from provguard.provenance.origin import Evidence, Kind, Origin

    source = "def add(a, b):\n    return a + b\n\n\ndef generated(x):\n    return x * 2\n"
    (tmp_path / "app.py").write_text(source)
    data = source.encode()
    start = data.index(b"def generated")
    fp = fingerprint(data, start, len(data), LineIndex(data))
    recorded = replace(span(1, "app.py", Origin(Kind.AI_AGENT, Evidence.HOOK, tool="claude-code")),
                       original_length=len(data) - start, original=((0, len(data) - start),), fingerprint=fp)
    PostgresLedger(url).save_spans("app.py", [recorded])
    SqliteLedger(tmp_path / "copy.sqlite3").save_spans("app.py", [recorded])

    bare = check(tmp_path, "app.py")
    from_postgres = check(tmp_path, "--ledger", url, "app.py")
    from_env = check(tmp_path, "app.py", env={**_env(), URL_ENV: url})
    from_file = check(tmp_path, "--ledger", str(tmp_path / "copy.sqlite3"), "app.py")
    assert from_postgres.returncode == 0, from_postgres.stderr
    assert from_postgres.stdout == from_file.stdout == from_env.stdout
    assert from_postgres.stdout != bare.stdout  # the recorded span made a difference
    assert "claude-code" in from_postgres.stdout


def test_check_with_an_unreachable_ledger_url_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text("x = 1\n")
    result = check(tmp_path, "--ledger", unreachable(), "app.py")
    assert result.returncode == 2
    assert "cannot read the ledger postgresql://alice@127.0.0.1:" in result.stderr
    assert "s3cret" not in result.stderr
