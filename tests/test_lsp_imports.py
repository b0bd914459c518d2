"""The language server imports agent transcripts itself: at start and then periodically (a setting)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from lsp_support import SERVER, open_file, pushed, record_registrations, start
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
