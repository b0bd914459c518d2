"""The language server imports agent transcripts itself: at start and then periodically (a setting)."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from lsp_support import SERVER, open_file, published_until, pushed, record_registrations, start
from provguard.ledger.sqlite import SqliteLedger
from transcript_support import CODEX_FIXTURE, moved

FINISHED_OUTPUT = b'ated the following files:\\\\nM README.md\\\\n\\",\\"metadata\\":{\\"exit_code\\":0}}"}}\n'


async def recorded(ledger_file: Path, count: int, path: str | None = None) -> None:
    """Returns once the server's ledger holds `count` agent edits, and one for `path` when given (the caller's
    timeout bounds the wait)."""
    while not ledger_file.exists() or len(SqliteLedger(ledger_file).agent_edits()) < count \
            or (path is not None and not SqliteLedger(ledger_file).agent_edits(path=path)):
        await asyncio.sleep(0.05)


async def test_the_server_imports_codex_sessions_of_its_workspace_and_refreshes_diagnostics(tmp_path: Path) -> None:
    root = tmp_path / "shop"
    root.mkdir()
    home = tmp_path / "codex-home"
    rollout = moved(CODEX_FIXTURE, home / "sessions" / "2026" / "11" / "20" / CODEX_FIXTURE.name, root)
    env = {**os.environ, "CODEX_HOME": str(home)}
    config = ClientServerConfig(server_command=SERVER.server_command, server_env=env)
    client = await config.start()
    assert isinstance(client, LanguageClient)
    record_registrations(client)
    await start(client, root, pull=False, options={"importAgents": ["codex"], "importIntervalSeconds": 0.2})
    try:
        uri = open_file(client, root / "src" / "cart.py", "def total(items):\n    return 0\n")
        await pushed(client, uri, 1)
        ledger_file = root / ".provguard" / "ledger.sqlite3"
        await asyncio.wait_for(recorded(ledger_file, 6), 60)

        published: list[str] = []

        async def collect() -> None:
            while True:
                published.append((await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)).uri)

        collector = asyncio.get_running_loop().create_task(collect())  # listening before the edit can land
        with rollout.open("ab") as file:  # Codex finishes the call it was making
            file.write(FINISHED_OUTPUT)
        await asyncio.wait_for(recorded(ledger_file, 6, "README.md"), 60)
        async with asyncio.timeout(60):
            while uri not in published:
                await asyncio.sleep(0.05)
        collector.cancel()

        (readme,) = SqliteLedger(ledger_file).agent_edits(path="README.md")
        assert (readme.tool, readme.model) == ("codex", "gpt-5.1-codex-max")
    finally:
        await client.shutdown_session()
        await client.stop()


async def test_an_unknown_agent_in_the_settings_is_named_to_the_user(tmp_path: Path) -> None:
    client = await SERVER.start()
    assert isinstance(client, LanguageClient)
    record_registrations(client)
    await start(client, tmp_path, pull=False, options={"importAgents": ["cursor"]})
    try:
        assert any("unknown agent 'cursor'" in m.message for m in client.messages)
    finally:
        await client.shutdown_session()
        await client.stop()


async def test_the_server_reads_the_projects_agent_trace_records_and_flags_their_lines(tmp_path: Path) -> None:
    root = tmp_path / "shop"
    (root / "src").mkdir(parents=True)
    code = "def total(items):\n    subtotal = sum(i.price for i in items)\n    return round(subtotal * 1.2, 2)\n"
    (root / "src" / "cart.py").write_text(code, encoding="utf-8")
    client = await SERVER.start()
    assert isinstance(client, LanguageClient)
    record_registrations(client)
    await start(client, root, pull=False, options={"importAgents": ["agent-trace"], "importIntervalSeconds": 0.2})
    try:
        uri = open_file(client, root / "src" / "cart.py", code)
        await pushed(client, uri, 1)
        assert not client.diagnostics.get(uri)  # nothing known about the file yet
        record = {"version": "0.1.0", "id": "3f2b8a9e-4c1d-4e5f-9a6b-7c8d9e0f1a2b", "timestamp": "2026-11-25T09:00:00Z",
                  "tool": {"name": "cursor"},
                  "files": [{"path": "src/cart.py", "conversations": [
                      {"contributor": {"type": "ai", "model_id": "anthropic/claude-sonnet-4-5"},
                       "ranges": [{"start_line": 1, "end_line": 3}]}]}]}
        (root / ".agent-trace").mkdir()
        (root / ".agent-trace" / "traces.jsonl").write_text(json.dumps(record) + "\n", encoding="utf-8")
        found = await published_until(client, uri, lambda ds: any(d.code == "ai-output-unmarked" for d in ds))
        (unmarked,) = [d for d in found if d.code == "ai-output-unmarked"]
        assert (unmarked.range.start.line, unmarked.range.end.line) == (0, 2)
        assert "Cursor" in unmarked.message
    finally:
        await client.shutdown_session()
        await client.stop()
