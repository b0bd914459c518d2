"""Recorded provenance outlives the editor session: restarts, files changed on disk, and the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import LanguageClient

from ledger_support import postgres_schema
from lsp_support import SERVER, insert_at_line, open_file, pushed, quick_fixes, record_registrations, start
from provguard.ledger.postgres import PostgresLedger

BASE = "import os\n\n\ndef existing():\n    return os.sep\n"
PASTE = "def pasted(rows):\n    return sorted(set(rows), key=len)\n"


@asynccontextmanager
async def server(root: Path, options: dict[str, Any] | None = None) -> AsyncIterator[LanguageClient]:
    """One editor session: a fresh server process, shut down cleanly at the end."""
    client = await SERVER.start()
    assert isinstance(client, LanguageClient)
    record_registrations(client)
    await start(client, root, pull=False, options=options)
    try:
        yield client
    finally:
        await client.shutdown_session()
        await client.stop()


def save_and_close(client: LanguageClient, path: Path, text: str) -> None:
    path.write_text(text)
    ident = types.TextDocumentIdentifier(uri=path.as_uri())
    client.text_document_did_save(types.DidSaveTextDocumentParams(text_document=ident))
    client.text_document_did_close(types.DidCloseTextDocumentParams(text_document=ident))


async def declare_from_claude(client: LanguageClient, uri: str, diag: types.Diagnostic) -> None:
    action = next(a for a in await quick_fixes(client, uri, diag) if a.title == "Declare: from Claude Code")
    assert action.command is not None
    await client.workspace_execute_command_async(types.ExecuteCommandParams(
        command=action.command.command, arguments=action.command.arguments))


async def record_a_declared_paste(root: Path, options: dict[str, Any] | None = None) -> Path:
    path = root / "src" / "app.py"
    async with server(root, options) as client:
        uri = open_file(client, path, BASE)
        await pushed(client, uri, 1)
        insert_at_line(client, uri, 2, 3, PASTE)
        [diag] = await pushed(client, uri, 2)
        assert diag.code == "undeclared-insertion"
        await declare_from_claude(client, uri, diag)
        save_and_close(client, path, BASE[:BASE.index("def existing")] + PASTE + BASE[BASE.index("def existing"):])
    return path


async def test_a_declaration_survives_a_restart_and_is_in_the_ledger(tmp_path: Path) -> None:
    path = await record_a_declared_paste(tmp_path)
    assert (tmp_path / ".provguard" / "ledger.sqlite3").is_file()
    assert (tmp_path / ".provguard" / ".gitignore").read_text().strip() == "*"
    async with server(tmp_path) as client:
        uri = open_file(client, path, path.read_text())
        diagnostics = await pushed(client, uri, 1)
        assert sorted(str(d.code) for d in diagnostics) == ["ai-output-unmarked", "ai-output-unreviewed"]
        assert all(d.range.start.line == 3 and d.range.end.line == 5 for d in diagnostics)
        assert all("Claude Code" in d.message for d in diagnostics)


async def test_a_team_ledger_on_postgresql_named_in_the_settings_keeps_the_declaration(tmp_path: Path) -> None:
    with postgres_schema() as url:
        path = await record_a_declared_paste(tmp_path, {"ledger": url})
        assert not (tmp_path / ".provguard" / "ledger.sqlite3").exists()  # nothing went to the local file
        team = PostgresLedger(url)
        try:
            [decl] = team.declarations(path="src/app.py")
            assert decl.origin.tool == "claude-code"
        finally:
            team.close()
        async with server(tmp_path, {"ledger": url}) as client:  # another session, same team ledger
            uri = open_file(client, path, path.read_text())
            diagnostics = await pushed(client, uri, 1)
            assert sorted(str(d.code) for d in diagnostics) == ["ai-output-unmarked", "ai-output-unreviewed"]


async def test_edits_on_disk_while_closed_move_the_span_or_drop_it(tmp_path: Path) -> None:
    path = await record_a_declared_paste(tmp_path)
    path.write_text("# a header line added by someone else\n" + path.read_text())
    async with server(tmp_path) as client:
        uri = open_file(client, path, path.read_text())
        diagnostics = await pushed(client, uri, 1)
        assert {d.range.start.line for d in diagnostics} == {4}, "followed the text down one line"
        save_and_close(client, path, path.read_text())

    path.write_text(path.read_text().replace("key=len", "key=str.lower"))
    async with server(tmp_path) as client:
        uri = open_file(client, path, path.read_text())
        assert await pushed(client, uri, 1) == [], "changed text is dropped, never misplaced"


def test_the_cli_reports_recorded_spans_of_files_on_disk(tmp_path: Path) -> None:
    import asyncio

    asyncio.run(record_a_declared_paste(tmp_path))
    done = subprocess.run([sys.executable, "-m", "provguard", "check", "--format", "json", "src"],
                          cwd=tmp_path, capture_output=True, text=True, check=False)
    report = json.loads(done.stdout)
    found = sorted((f["rule"], f["range"]["start"]["line"]) for f in report["findings"])
    assert found == [("ai-output-unmarked", 4), ("ai-output-unreviewed", 4)]
    assert report["findings"][0]["origin"]["tool"] == "claude-code"


async def test_a_corrupt_ledger_leaves_the_server_working_in_memory_with_a_warning(tmp_path: Path) -> None:
    ledger = tmp_path / ".provguard" / "ledger.sqlite3"
    ledger.parent.mkdir()
    ledger.write_bytes(b"this is not a database" * 100)
    async with server(tmp_path) as client:
        warning = next(m for m in client.messages if "ledger" in m.message)
        assert str(ledger) in warning.message and "memory" in warning.message
        uri = open_file(client, tmp_path / "w.py", BASE)
        await pushed(client, uri, 1)
        insert_at_line(client, uri, 2, 3, PASTE)
        assert [d.code for d in await pushed(client, uri, 2)] == ["undeclared-insertion"]
    assert ledger.read_bytes() == b"this is not a database" * 100, "the damaged file is left for a person to look at"
