"""initialize, settings changes and pack reloading; a bad pack keeps the last good one in force.

Settings come from initializationOptions and workspace/didChangeConfiguration (the editor's), and, when the
client answers workspace/configuration, from each workspace folder (its `scopeUri`): a folder that has its own
replaces the editor's for the documents in it. A folder answered with null keeps the editor's.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from lsprotocol import types

from provguard.lsp import diagnostics, history, imports, pack_reload, workspace_diagnostics
from provguard.lsp.server import ProvguardServer, roots_of
from provguard.lsp.workspace_folders import local_folder
from provguard.session import PolicyUpdate, Session
from provguard.settings import Settings, SettingsResult, parse_settings

PACK_WATCH_ID = "provguard-pack-files"

log = logging.getLogger(__name__)


def register(server: ProvguardServer) -> None:
    @server.feature(types.INITIALIZE)
    def initialize(ls: ProvguardServer, params: types.InitializeParams) -> None:
        ls.session = Session([root for root in map(local_folder, roots_of(params)) if root is not None])
        ls.session.on_notice = lambda notice: (
            ls.notify_user(notice) if isinstance(notice, str) else report(ls, notice))
        caps = params.capabilities.text_document
        ls.pull_diagnostics = caps is not None and caps.diagnostic is not None
        apply_settings(ls, params.initialization_options)

    @server.feature(types.INITIALIZED)
    async def initialized(ls: ProvguardServer, params: types.InitializedParams) -> None:
        workspace = ls.client_capabilities.workspace
        watched = workspace.did_change_watched_files if workspace else None
        if watched is not None and watched.dynamic_registration:
            options = types.DidChangeWatchedFilesRegistrationOptions(watchers=[
                types.FileSystemWatcher(glob_pattern="**/*.{yaml,yml}"),
                types.FileSystemWatcher(glob_pattern="**/{pyproject,provguard}.toml")])
            try:
                await ls.client_register_capability_async(types.RegistrationParams(registrations=[
                    types.Registration(PACK_WATCH_ID, types.WORKSPACE_DID_CHANGE_WATCHED_FILES, options)]))
            except Exception as exc:  # a client that offers dynamic registration but refuses it
                log.warning("could not watch rule pack files (%s); save them in the editor to reload", exc)
        if await pull_folder_settings(ls, ls.session.roots):
            diagnostics.refresh_all(ls)

    @server.feature(types.SHUTDOWN)
    def shutdown(ls: ProvguardServer, params: None) -> None:
        imports.stop(ls)
        workspace_diagnostics.stop(ls)
        ls.session.shutdown()

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(ls: ProvguardServer, params: types.DidChangeConfigurationParams) -> None:
        raw: Any = params.settings
        workspace = ls.client_capabilities.workspace
        if raw is None and workspace is not None and workspace.configuration:
            found = await ls.workspace_configuration_async(types.ConfigurationParams(
                items=[types.ConfigurationItem(section="provguard")]))
            raw = found[0] if found else None
        apply_settings(ls, raw)
        await pull_folder_settings(ls, ls.session.roots)
        diagnostics.refresh_all(ls)

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    async def did_change_watched_files(ls: ProvguardServer, params: types.DidChangeWatchedFilesParams) -> None:
        if any(ls.session.is_pack_file(Path(ls.uri_path(change.uri))) for change in params.changes):
            await reload_packs(ls)


def apply_settings(ls: ProvguardServer, raw: object) -> None:
    parsed = parse_settings(raw)
    for problem in parsed.problems:
        ls.notify_user(problem)
    git_turned_on = parsed.settings.git and not ls.session.settings.git
    update = ls.session.configure(parsed.settings, parsed.explicit)
    if git_turned_on:
        history.schedule_all(ls)
    _reopen_ledgers(ls)
    imports.configure(ls)
    report(ls, update)


async def pull_folder_settings(ls: ProvguardServer, folders: list[Path]) -> bool:
    """Asks the client for each folder's own settings (workspace/configuration with its scopeUri); returns
    whether any folder's changed. Nothing is asked of a client that does not answer workspace/configuration."""
    workspace = ls.client_capabilities.workspace
    if not folders or workspace is None or not workspace.configuration:
        return False
    items = [types.ConfigurationItem(scope_uri=folder.as_uri(), section="provguard") for folder in folders]
    try:
        found = await ls.workspace_configuration_async(types.ConfigurationParams(items=items))
    except Exception as exc:  # the client refused: the editor's settings apply in every folder
        log.info("no per-folder settings: %s", exc)
        return False
    changed = False
    current = set(ls.session.roots)  # a set: a client may have thousands of folders
    for folder, raw in zip(folders, found or [], strict=False):
        if folder not in current:  # removed while the client answered
            continue
        parsed = parse_settings(raw) if raw is not None else None
        for problem in parsed.problems if parsed is not None else ():
            ls.notify_user(f"{folder.name}: {problem}")
        wanted = _folder_settings(parsed)
        if wanted == (ls.session.settings, ls.session.explicit):
            wanted = None  # the same as the editor's (VS Code answers with what the folder inherits)
        if ls.session.folder_settings.get(folder) == wanted:
            continue
        changed = True
        report(ls, ls.session.configure_folder(folder, wanted))
    if changed:
        _reopen_ledgers(ls)
    return changed


def _folder_settings(parsed: SettingsResult | None) -> tuple[Settings, frozenset[str]] | None:
    """A folder's answer as the session keeps it: None (or an empty object) leaves the editor's settings."""
    if parsed is None or not parsed.explicit:
        return None
    return parsed.settings, parsed.explicit


def _reopen_ledgers(ls: ProvguardServer) -> None:
    warning = ls.session.open_ledger()
    if warning is not None:
        ls.notify_user(warning)


async def reload_packs(ls: ProvguardServer) -> None:
    report(ls, await pack_reload.reload(ls))
    diagnostics.refresh_all(ls)


def report(ls: ProvguardServer, update: PolicyUpdate) -> None:
    if not update.errors:
        return
    kept = "the previous rules stay in force" if update.rules_active else "no pack rules are active"
    first = update.errors[0]
    more = f" (and {len(update.errors) - 1} more)" if len(update.errors) > 1 else ""
    ls.notify_user(f"rule pack error at {first}{more}; {kept}", types.MessageType.Error)
    for error in update.errors[1:]:
        ls.window_log_message(types.LogMessageParams(type=types.MessageType.Error, message=str(error)))
