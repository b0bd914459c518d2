"""workspace/didChangeWorkspaceFolders: folders added to or removed from the workspace while the server runs.

Open documents move to the project they now belong to at once (a document in a removed folder is judged as one
outside every folder: in its own project, with the editor's settings); an added folder's own settings are asked
of the client after, and its documents judged again when they differ from the editor's.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from lsprotocol import types
from pygls.uris import to_fs_path

from provguard.editor_project import local_folder
from provguard.lsp import diagnostics, imports
from provguard.lsp.configuration import asks_folders, pull_folder_settings
from provguard.lsp.server import ProvguardServer

log = logging.getLogger(__name__)

_running: set[asyncio.Task[None]] = set()
"""Settings requests in flight, kept referenced so they finish."""


def register(server: ProvguardServer) -> None:
    @server.feature(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
    def did_change_workspace_folders(ls: ProvguardServer, params: types.DidChangeWorkspaceFoldersParams) -> None:
        removed = {p for p in map(_path, params.event.removed) if p is not None}
        added = [p for p in map(_path, params.event.added) if p is not None and p not in removed]
        if added and asks_folders(ls.client_capabilities):
            ls.session.await_folder_settings(added)  # their ledgers open once their settings came
        # dict.fromkeys: in order, each once, in time linear in the folders (a client may send thousands)
        ls.session.set_folders(list(dict.fromkeys([*(r for r in ls.session.roots if r not in removed), *added])))
        imports.configure(ls)  # the outermost folder, whose project agent sessions go to, may be another
        diagnostics.refresh_all(ls)
        if added:
            task = asyncio.get_running_loop().create_task(_settings_of(ls, added))
            _running.add(task)
            task.add_done_callback(_running.discard)


async def _settings_of(ls: ProvguardServer, added: list[Path]) -> None:
    try:
        if await pull_folder_settings(ls, added):
            diagnostics.refresh_all(ls)
    except Exception:  # a bug here must not take the server down with it
        log.exception("reading the settings of new workspace folders failed")


def _path(folder: types.WorkspaceFolder) -> Path | None:
    return local_folder(to_fs_path(folder.uri))
