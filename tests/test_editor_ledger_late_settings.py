"""A session that ends before the client answered for its folders: a file opened, pasted into and saved at once,
then the editor closed while it was still being asked for the folder's settings. `shutdown` waits for that answer
(a few seconds at most), so what was recorded goes to the ledger the folder's settings choose, and no default
ledger is made in the folder."""

from __future__ import annotations

import asyncio
from pathlib import Path

from lsprotocol import types
from pytest_lsp import LanguageClient

from lsp_support import SERVER, capabilities, record_registrations
from test_editor_ledger_place import paste_and_save, recorded
from test_multi_root import default_project


async def test_a_shutdown_before_the_folders_settings_came_keeps_the_recording_in_their_ledger(
        tmp_path: Path) -> None:
    folder = default_project(tmp_path / "app")
    chosen = tmp_path / "chosen.sqlite3"
    answer = asyncio.Event()
    client = await SERVER.start()
    assert isinstance(client, LanguageClient)
    record_registrations(client)

    async def configuration(params: types.ConfigurationParams) -> list[object]:
        """The editor's own settings at once; a folder's only once the test lets it answer."""
        if any(item.scope_uri for item in params.items):
            await answer.wait()
        return [{"ledger": str(chosen)} if item.scope_uri else None for item in params.items]

    client.protocol.fm.features[types.WORKSPACE_CONFIGURATION] = configuration
    try:
        await client.initialize_session(types.InitializeParams(
            capabilities=capabilities(pull=False), root_uri=folder.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=folder.as_uri(), name=folder.name)],
            initialization_options={"reviewer": "tester@example.com"}))
        await paste_and_save(client, folder / "f.py")

        shutdown = client.protocol.send_request_async(types.SHUTDOWN, None)  # sent before the folder's answer
        answer.set()
        await asyncio.wait_for(shutdown, 60)  # bounds a hang only
        client.protocol.notify(types.EXIT, None)
    finally:
        await client.stop()

    assert recorded(chosen) == ["f.py"]
    assert not (folder / ".provguard").exists()
