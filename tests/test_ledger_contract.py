"""What every ledger backend promises, run once on a real SQLite file and once on a real PostgreSQL server.

A behaviour belongs here, not in a backend's own tests, when the rest of provguard relies on it: callers
see one `Ledger`, so the backends must not differ in anything a caller could notice.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path
from types import ModuleType

import pytest

from ledger_support import FULL_ORIGIN, Store, agent_edit, declaration, span
from provguard.ledger import postgres_schema
from provguard.ledger import sqlite_schema as ledger_sqlite
from provguard.ledger.location import open_ledger
from provguard.ledger.model import Fingerprint, ImportCursor, StoredSpan
from provguard.ledger.store import LedgerError
from provguard.provenance.fingerprint_index import MAX_EDITS_PER_PRINT
from provguard.provenance.origin import Evidence, Kind, Origin
from provguard.session import Session
from provguard.settings import Settings

BACKENDS: dict[str, ModuleType] = {"sqlite": ledger_sqlite, "postgres": postgres_schema}

# -- spans and declarations ----------------------------------------------------------------------------


def test_spans_and_declarations_round_trip(store: Store) -> None:
    ledger = store.open()
    app = "src/app.py"
    spans = [span(1, app), span(2, app, origin=Origin(Kind.HUMAN, Evidence.EDITOR_EVENT)), span(3, app)]
    ledger.save_spans(app, spans)
    ledger.save_spans("lib/ü.py", [span(4, path="lib/ü.py")])
    ledger.save_spans("Z.py", [span(5, path="Z.py")])
    decls = [declaration(1, note="https://example.com/snippet (MIT)"), declaration(2), declaration(3, "lib/ü.py")]
    for decl in decls:
        ledger.add_declaration(decl)
    ledger.close()

    again = store.open()
    assert again.load_spans(app) == spans  # order kept, every Origin field incl. extra
    assert again.load_spans("lib/ü.py") == [span(4, path="lib/ü.py")]
    assert again.load_spans("missing.py") == []
    assert again.all_paths() == ["Z.py", "lib/ü.py", "src/app.py"]  # byte order, whatever the locale
    assert again.declarations() == decls
    assert again.declarations(span_id="span-2") == [decls[1]]
    assert again.declarations(path="src/app.py") == decls[:2]
    assert again.declarations(span_id="span-3", path="src/app.py") == []
    assert again.persistent is True
    again.close()


def test_save_spans_replaces_only_that_path(store: Store) -> None:
    ledger = store.open()
    ledger.save_spans("a.py", [span(1), span(2)])
    ledger.save_spans("b.py", [span(3, "b.py")])
    ledger.save_spans("a.py", [span(5)])
    assert ledger.load_spans("a.py") == [span(5)]
    assert ledger.load_spans("b.py") == [span(3, "b.py")]
    ledger.save_spans("a.py", [])
    assert ledger.all_paths() == ["b.py"]


def test_one_record_split_in_two_spans_keeps_both(store: Store) -> None:
    ledger = store.open()
    first, second = span(1, "src/app.py"), span(2, "src/app.py")
    second = replace(second, id=first.id)
    ledger.save_spans("src/app.py", [first, second])
    assert ledger.load_spans("src/app.py") == [first, second]


def test_failed_save_leaves_the_old_spans(store: Store) -> None:
    ledger = store.open()
    ledger.save_spans("a.py", [span(1)])
    unbindable = Fingerprint(1, "d", "h", "b", "a", [1], 0, 0)  # type: ignore[arg-type]
    bad = StoredSpan("x", "a.py", FULL_ORIGIN, 1, (), "now", unbindable)
    with pytest.raises(LedgerError):  # fails inside the transaction, after the old rows were deleted
        ledger.save_spans("a.py", [span(2), bad])
    assert ledger.load_spans("a.py") == [span(1)]
    ledger.save_spans("a.py", [span(3)])  # and the ledger is usable again
    assert ledger.load_spans("a.py") == [span(3)]


def test_unknown_origin_value_is_an_error_not_a_guess(store: Store) -> None:
    ledger = store.open()
    ledger.save_spans("a.py", [span(1)])
    store.query("UPDATE spans SET origin = replace(origin, 'ai-agent', 'ai-future')")
    with pytest.raises(LedgerError, match="ai-future"):
        ledger.load_spans("a.py")


# -- agent edits -----------------------------------------------------------------------------------------


def test_agent_edits_are_stored_once_and_read_back_with_their_fingerprints(store: Store) -> None:
    ledger = store.open()
    first = agent_edit("e1", prints=(7, -3, 2**62, -(2**63), 7))
    second = agent_edit("e2", "src/b.py", (7, 8), time="2026-11-25T09:00:00Z")
    assert ledger.add_agent_edits([first, second]) == 2
    assert ledger.add_agent_edits([first, agent_edit("e3", "src/b.py", ())]) == 1  # the hook and a later
    assert ledger.add_agent_edits([]) == 0  # transcript import agree on the id: stored once
    ledger.close()

    again = store.open()
    assert again.agent_edits(path="src/a.py") == [replace(first, fingerprints=(-(2**63), -3, 7, 2**62))]
    assert [e.id for e in again.agent_edits()] == ["e2", "e1", "e3"]  # by time, then id
    assert [e.id for e in again.agent_edits(ids=["e2", "missing"])] == ["e2"]
    assert [e.id for e in again.agent_edits(path="src/b.py", ids=["e1", "e3"])] == ["e3"]
    assert again.agent_edits(ids=[]) == []
    assert again.agent_edits(path="nowhere.py") == []


def test_an_imported_claim_keeps_its_evidence_and_confidence(store: Store) -> None:
    ledger = store.open()
    claim = replace(agent_edit("trace-1"), evidence=Evidence.AGENT_TRACE, confidence=0.7,
                    source="agent-trace .agent-trace/traces.jsonl:4")
    ledger.add_agent_edits([claim, replace(agent_edit("note-1"), evidence=Evidence.GIT_AI, confidence=0.9)])
    ledger.close()
    again = store.open()
    [read] = again.agent_edits(ids=["trace-1"])
    assert (read.evidence, read.confidence, read.source) == (Evidence.AGENT_TRACE, 0.7,
                                                             "agent-trace .agent-trace/traces.jsonl:4")
    assert read.origin().confidence == 0.7  # what rules with `min-confidence` weigh
    assert [e.evidence for e in again.agent_edits(ids=["note-1"])] == [Evidence.GIT_AI]


def test_a_later_record_of_a_known_edit_fills_in_the_model_it_lacks_and_replaces_nothing(store: Store) -> None:
    """A hook that could not tell the model records the edit without one; a transcript imported later names it.
    The ledger keeps the first record and gives it what it lacked, and only that."""
    ledger = store.open()
    blind = replace(agent_edit("e1"), model=None, vendor=None, source="hook")
    told = replace(agent_edit("e1", prints=(9,)), path="src/elsewhere.py", source="transcript /t/a.jsonl:3")
    kept = replace(agent_edit("e2"), model="claude-opus-4-1", vendor=None)
    ledger.add_agent_edits([blind, kept])
    before = ledger.generation()

    assert ledger.add_agent_edits([told, replace(told, id="e2", vendor="anthropic", model="claude-sonnet-4-5")]) == 0
    assert ledger.generation() > before, "checks must see the model"
    ledger.close()

    again = store.open()
    [filled, other] = again.agent_edits(ids=["e1", "e2"])
    assert filled == replace(blind, model="claude-sonnet-4-5", vendor="anthropic"), "only model and vendor"
    assert (other.model, other.vendor) == ("claude-opus-4-1", None), "another model's vendor is not taken"
    again.add_agent_edits([replace(blind, model="gpt-5", vendor="openai"), replace(agent_edit("e3"), model=None)])
    assert [(e.id, e.model, e.vendor) for e in again.agent_edits(ids=["e1", "e3"])] == [
        ("e1", "claude-sonnet-4-5", "anthropic"), ("e3", None, "anthropic")], "a model there is never replaced"
    again.add_agent_edits([replace(agent_edit("e3"), model="claude-haiku-4-5", vendor="other")])
    assert [(e.model, e.vendor) for e in again.agent_edits(ids=["e3"])] == [("claude-haiku-4-5", "anthropic")]
    again.close()


def test_edits_stored_before_confidence_existed_read_as_fully_believed(store: Store,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    module = BACKENDS[store.backend]
    older = next(module.MIGRATIONS[:n] for n, m in enumerate(module.MIGRATIONS) if "confidence" in m[0])
    monkeypatch.setattr(module, "MIGRATIONS", tuple(older))
    monkeypatch.setattr(module, "SCHEMA_VERSION", len(older))
    store.open().close()  # a ledger as the previous release left it
    empty = "X''" if store.backend == "sqlite" else "'{}'"
    store.query("INSERT INTO agent_edits (id, tool, path, time, evidence, lines, print_count, line_hashes) "
                f"VALUES ('old', 'codex', 'a.py', '2026-01-01T00:00:00Z', 'transcript', 3, 0, {empty})")
    monkeypatch.undo()
    [edit] = store.open().agent_edits()
    assert (edit.id, edit.evidence, edit.confidence) == ("old", Evidence.TRANSCRIPT, 1.0)


def test_the_generation_moves_on_with_every_change_a_check_reads_and_only_then(store: Store) -> None:
    """Cached check results are valid while the generation stays: every write of spans, declarations or agent
    edits must move it, in every process, and reading must not."""
    ledger = store.open()
    seen = [ledger.generation()]
    assert not ledger.has_agent_edits()
    ledger.save_spans("a.py", [span(1)])
    seen.append(ledger.generation())
    ledger.add_declaration(declaration(1))
    seen.append(ledger.generation())
    ledger.add_agent_edits([agent_edit("e1")])
    seen.append(ledger.generation())
    ledger.save_spans("a.py", [])
    seen.append(ledger.generation())
    assert seen == sorted(set(seen)), "each change moved the generation on"
    ledger.load_spans("a.py")
    ledger.agent_edits()
    ledger.save_import_cursor("t.jsonl", ImportCursor(10, "x"))
    assert ledger.generation() == seen[-1]
    assert ledger.has_agent_edits()
    ledger.close()
    again = store.open()
    assert again.generation() == seen[-1]
    again.close()


def test_fingerprints_match_the_edits_that_contain_them(store: Store) -> None:
    ledger = store.open()
    ledger.add_agent_edits([agent_edit("e1", prints=(7, -3, 2**63 - 1)), agent_edit("e2", prints=(7, 8)),
                            agent_edit("e3", prints=(100,))])
    assert ledger.match_fingerprints([7, 8, 99, 8, -3, 2**63 - 1]) == {"e1": 3, "e2": 2}
    assert ledger.match_fingerprints([99]) == {}
    assert ledger.match_fingerprints([]) == {}
    many = list(range(1000, 3000))  # more than one statement's worth of parameters in SQLite
    ledger.add_agent_edits([agent_edit("big", prints=tuple(many))])
    assert ledger.match_fingerprints([*many, 7]) == {"big": 2000, "e1": 1, "e2": 1}


def test_a_fingerprint_in_more_edits_than_the_cut_is_boilerplate_and_ignored(store: Store) -> None:
    ledger = store.open()
    ledger.add_agent_edits([agent_edit(f"common-{n}", prints=(5, 1000 + n)) for n in range(MAX_EDITS_PER_PRINT)])
    assert len(ledger.match_fingerprints([5])) == MAX_EDITS_PER_PRINT  # at the cut: still evidence
    ledger.add_agent_edits([agent_edit("one-more", prints=(5, 6, 7))])
    assert ledger.match_fingerprints([5, 6, 7, 1000]) == {"one-more": 2, "common-0": 1}


def test_agent_edit_text_is_not_stored_unless_the_user_opts_in(store: Store, tmp_path: Path) -> None:
    """A shared ledger must not become a copy of everyone's code: the ledger itself drops the text, so no
    caller can leak it by forgetting the setting."""
    default = store.open()
    default.add_agent_edits([agent_edit("e1", text="def secret(): return 42\n")])
    assert default.agent_edits()[0].text is None
    assert store.query("SELECT count(*) FROM agent_edits WHERE text IS NOT NULL") == [(0,)]

    via_settings = open_ledger(tmp_path, store.setting)
    assert via_settings.warning is None
    via_settings.ledger.add_agent_edits([agent_edit("e2", text="def also_secret(): pass\n")])
    assert store.query("SELECT count(*) FROM agent_edits WHERE text IS NOT NULL") == [(0,)]

    opted_in = open_ledger(tmp_path, store.setting, store_text=True).ledger
    opted_in.add_agent_edits([agent_edit("e3", text="print('shared on purpose')\n")])
    assert [e.text for e in store.open().agent_edits()] == [None, None, "print('shared on purpose')\n"]


def test_the_editors_store_text_setting_reaches_its_ledger(store: Store, tmp_path: Path) -> None:
    session = Session([tmp_path])
    session.configure(Settings(ledger=store.setting))
    assert session.open_ledger() is None
    session.ledger.add_agent_edits([agent_edit("e1", text="kept private\n")])
    session.configure(Settings(ledger=store.setting, store_text=True))
    assert session.ledger_outdated  # turning the opt-in on reopens the ledger
    assert session.open_ledger() is None
    session.ledger.add_agent_edits([agent_edit("e2", text="shared on purpose\n")])
    assert [e.text for e in store.open().agent_edits()] == [None, "shared on purpose\n"]


def test_import_cursors_remember_where_a_transcript_stopped(store: Store) -> None:
    ledger = store.open()
    assert ledger.import_cursor("/t/a.jsonl") is None
    ledger.save_import_cursor("/t/a.jsonl", ImportCursor(120, "abc"))
    ledger.save_import_cursor("/t/a.jsonl", ImportCursor(2**40, "abc"))
    ledger.save_import_cursor("/t/b.jsonl", ImportCursor(7, "def"))
    assert store.open().import_cursor("/t/a.jsonl") == ImportCursor(2**40, "abc")
    assert ledger.import_cursor("/t/b.jsonl") == ImportCursor(7, "def")


# -- schema versions -------------------------------------------------------------------------------------


def test_fresh_store_gets_the_current_schema_once(store: Store) -> None:
    store.open().close()
    store.open().close()  # reopening applies nothing twice
    assert store.query("SELECT version FROM schema_version") == [(BACKENDS[store.backend].SCHEMA_VERSION,)]


def test_appended_migration_is_applied_to_an_existing_store(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    module = BACKENDS[store.backend]
    old = store.open()
    old.save_spans("a.py", [span(1)])
    old.close()
    migrations = (*module.MIGRATIONS, ("CREATE TABLE known_output (digest TEXT PRIMARY KEY)",))
    monkeypatch.setattr(module, "MIGRATIONS", migrations)
    monkeypatch.setattr(module, "SCHEMA_VERSION", len(migrations))
    assert store.open().load_spans("a.py") == [span(1)]
    assert store.query("SELECT version FROM schema_version") == [(len(migrations),)]
    assert store.query("SELECT count(*) FROM known_output") == [(0,)]


def test_newer_schema_is_refused_with_a_clear_error(store: Store, tmp_path: Path) -> None:
    newer = BACKENDS[store.backend].SCHEMA_VERSION + 1
    store.open().close()
    store.query(f"UPDATE schema_version SET version = {newer}")
    with pytest.raises(LedgerError, match=f"schema version {newer} is newer than this provguard knows"):
        store.open()
    fallback = open_ledger(tmp_path, store.setting)
    assert fallback.ledger.persistent is False
    assert fallback.warning is not None and "upgrade provguard" in fallback.warning
    assert store.query("SELECT version FROM schema_version") == [(newer,)]  # left as it was


# -- several processes at once ---------------------------------------------------------------------------

WRITER = textwrap.dedent("""
    import sys
    from provguard.ledger.location import open_ledger
    from provguard.ledger.model import AgentEdit, Declaration, Fingerprint, ImportCursor, StoredSpan
    from provguard.provenance.origin import Evidence, Kind, Origin

    setting, name, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
    result = open_ledger(None, setting)  # every writer migrates an empty store at once
    assert result.warning is None, result.warning
    ledger = result.ledger
    origin = Origin(Kind.HUMAN, Evidence.MARKER, declared_by=name)

    def spans(path, i, count):
        return [StoredSpan(f"{name}-{i}-{n}", path, origin, 1, (), "now", Fingerprint(1, "d", "h", "b", "a", n, 0, n))
                for n in range(count)]

    def edit(edit_id, prints):
        return AgentEdit(edit_id, "codex", "x.py", "2026-01-01T00:00:00Z", Evidence.TRANSCRIPT, fingerprints=prints)

    for i in range(rounds):
        ledger.add_declaration(Declaration(f"s{i}", name + ".py", origin, "2026-01-01"))
        ledger.save_spans(name + ".py", spans(name + ".py", i, 2))
        ledger.save_spans("shared.py", spans("shared.py", i, 3))
        ledger.add_agent_edits([edit(f"{name}-{i}", (i, -i - 1)), edit(f"shared-{i}", (10_000 + i, 20_000 + i))])
        ledger.save_import_cursor("shared.jsonl", ImportCursor(i, name))
    ledger.close()
""")


def test_concurrent_writers_in_processes_lose_nothing(store: Store) -> None:
    """Servers, CLI runs and hooks are separate processes writing one ledger at once."""
    writers, rounds = [f"p{n}" for n in range(4)], 25
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, store.setting, name, str(rounds)],
                              stderr=subprocess.PIPE) for name in writers]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()

    ledger = store.open()
    decls = {(d.origin.declared_by, d.span_id) for d in ledger.declarations()}
    assert decls == {(name, f"s{i}") for name in writers for i in range(rounds)}
    assert len(ledger.declarations()) == len(writers) * rounds
    for name in writers:
        assert [s.id for s in ledger.load_spans(f"{name}.py")] == [f"{name}-{rounds - 1}-{n}" for n in range(2)]
    shared = [s.id.rsplit("-", 1)[0] for s in ledger.load_spans("shared.py")]
    assert len(shared) == 3 and len(set(shared)) == 1  # one writer's whole list, never a mix
    edits = ledger.agent_edits()
    assert len(edits) == len({e.id for e in edits}) == len(writers) * rounds + rounds
    assert ledger.match_fingerprints([10_000 + i for i in range(rounds)]) == {f"shared-{i}": 1 for i in range(rounds)}
    cursor = ledger.import_cursor("shared.jsonl")
    assert cursor is not None and cursor.offset == rounds - 1 and cursor.identity in writers


KILLED_WRITER = textwrap.dedent("""
    import sys
    from provguard.ledger.location import open_ledger
    from provguard.ledger.model import AgentEdit
    from provguard.provenance.origin import Evidence

    setting, name = sys.argv[1], sys.argv[2]
    ledger = open_ledger(None, setting).ledger
    for i in range(10_000):
        prints = tuple(range(i * 50, i * 50 + 50))
        ledger.add_agent_edits([AgentEdit(f"{name}-{i}", "codex", "x.py", "2026-01-01T00:00:00Z",
                                          Evidence.HOOK, fingerprints=prints)])
        print(i, flush=True)  # said only once the edit is committed
""")


def test_writers_killed_mid_write_lose_nothing_they_committed(store: Store) -> None:
    """kill -9 in the middle of a write (an agent's hook cut off, a laptop lid shut): what a writer had committed
    is all there, once, and the store still opens and takes writes."""
    store.open().close()  # the schema exists before the writers race
    writers = [subprocess.Popen([sys.executable, "-c", KILLED_WRITER, store.setting, f"w{n}"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for n in range(3)]
    committed: dict[str, int] = {}
    for n, proc in enumerate(writers):
        assert proc.stdout is not None
        for _ in range(5 + 7 * n):  # each is killed at its own point, while it keeps writing
            line = proc.stdout.readline()
            assert line, proc.stderr.read() if proc.stderr else ""
        proc.kill()
        out, _ = proc.communicate(timeout=60)
        lines = [int(x) for x in (line, *out.split()) if x.strip()]
        committed[f"w{n}"] = max(lines)
    if store.backend == "sqlite":
        assert store.query("PRAGMA integrity_check") == [("ok",)]
    ledger = store.open()
    ids = [e.id for e in ledger.agent_edits()]
    assert len(ids) == len(set(ids))
    for name, last in committed.items():
        assert {f"{name}-{i}" for i in range(last + 1)} <= set(ids)
        assert ledger.match_fingerprints(list(range(last * 50, last * 50 + 50))).get(f"{name}-{last}") == 50
    ledger.add_agent_edits([agent_edit("after-the-kills")])
    assert "after-the-kills" in {e.id for e in ledger.agent_edits()}


def test_records_are_plain_json_in_both_backends(store: Store) -> None:
    """An origin is stored as the same JSON everywhere, so a ledger can be exported from one and read by the other."""
    ledger = store.open()
    ledger.save_spans("a.py", [span(1)])
    [(origin,)] = store.query("SELECT origin FROM spans")
    assert json.loads(origin)["extra"] == [["session", "abc"], ["ticket", "ÜBER-1"], ["session", "repeated keys kept"]]


def test_edits_fingerprinted_by_an_older_scheme_are_reported_and_refreshed_by_importing_again(
        store: Store, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    module = BACKENDS[store.backend]
    older = next(module.MIGRATIONS[:n] for n, m in enumerate(module.MIGRATIONS) if "scheme" in m[0])
    monkeypatch.setattr(module, "MIGRATIONS", tuple(older))
    monkeypatch.setattr(module, "SCHEMA_VERSION", len(older))
    previous = store.open()  # a ledger as the previous release left it: an edit with its prints, a cursor
    previous.save_import_cursor("/t/a.jsonl", ImportCursor(120, "inode-7"))
    previous.close()
    empty = "X''" if store.backend == "sqlite" else "'{}'"
    store.query("INSERT INTO agent_edits (id, tool, path, time, evidence, lines, print_count, line_hashes) "
                f"VALUES ('old', 'claude-code', 'src/a.py', '2026-01-01T00:00:00Z', 'hook', 9, 2, {empty})")
    store.query("INSERT INTO edit_prints (hash, edit) SELECT 11, seq FROM agent_edits "
                "UNION ALL SELECT 12, seq FROM agent_edits")
    monkeypatch.undo()

    ledger = store.open()
    assert ledger.stale_edits() == 1
    assert ledger.import_cursor("/t/a.jsonl") is None, "the next import reads the transcript again"
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1] / "server"))
    done = subprocess.run([sys.executable, "-m", "provguard", "health", "--root", str(tmp_path), "--ledger",
                           store.setting], capture_output=True, text=True, timeout=120, check=False, env=env)
    assert "ledger: 1 edit was fingerprinted by an older scheme; run provguard import again to refresh" in done.stdout

    assert ledger.add_agent_edits([agent_edit("old", prints=(21, 22, 23)), agent_edit("new")]) == 2
    assert ledger.stale_edits() == 0
    assert ledger.agent_edits(ids=["old"])[0].fingerprints == (21, 22, 23)
    assert ledger.match_fingerprints({11, 12, 21}) == {"old": 1}, "the older prints are gone"
    assert ledger.add_agent_edits([agent_edit("old", prints=(31,))]) == 0, "a current edit is not replaced"
    ledger.close()


def test_edits_recorded_before_name_prints_existed_are_indexed_by_their_names_on_upgrade(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    from provguard.provenance.fingerprints import insertion_prints
    from provguard.provenance.name_prints import name_prints

    text = ("def smoothen(images, iterations):\n    for image in images:\n"
            "        click.echo(f\"Smoothening {image.filename!r} {iterations}\")\n"
            "        for step in range(iterations):\n"
            "            image = copy_filename(image.filter(ImageFilter.BLUR), image)\n        yield image\n")
    prints = insertion_prints(text, "src/pipeline.py")
    by_name = set(prints.fingerprints) & name_prints(prints.names)
    assert by_name, "a function of common shape indexes its names"
    module = BACKENDS[store.backend]
    older = next(module.MIGRATIONS[:n] for n, m in enumerate(module.MIGRATIONS) if callable(m[0]))
    monkeypatch.setattr(module, "MIGRATIONS", tuple(older))
    monkeypatch.setattr(module, "SCHEMA_VERSION", len(older))
    previous = store.open()  # the previous release recorded the same edit without name prints
    previous.add_agent_edits([replace(agent_edit("old"), path="src/pipeline.py", lines=prints.lines,
                                      fingerprints=tuple(h for h in prints.fingerprints if h not in by_name),
                                      line_hashes=prints.line_hashes, names=prints.names)])
    previous.close()
    monkeypatch.undo()

    ledger = store.open()
    [edit] = ledger.agent_edits()
    assert set(edit.fingerprints) == set(prints.fingerprints), "the same prints a new recording holds"
    assert ledger.match_fingerprints(by_name) == {"old": len(by_name)}


def test_the_fingerprint_hashes_are_every_distinct_print_of_every_edit_or_none_past_the_cap(store: Store) -> None:
    """What a check's prefilter holds in memory: read without reading an edit, and not at all past its cap."""
    ledger = store.open()
    assert ledger.fingerprint_hashes(10) == frozenset()
    ledger.add_agent_edits([agent_edit("e1", prints=(7, -3, 2**63 - 1)), agent_edit("e2", prints=(7, 8, -(2**63))),
                            agent_edit("e3", path="src/b.py", prints=(100,))])
    every = {h for edit in ledger.agent_edits() for h in edit.fingerprints}
    assert every == {7, -3, 2**63 - 1, 8, -(2**63), 100}
    assert ledger.fingerprint_hashes(len(every)) == every, "a print two edits hold is one hash"
    assert ledger.fingerprint_hashes(len(every) - 1) is None
    assert ledger.fingerprint_hashes(0) is None
    ledger.close()
