"""initialize, settings changes and pack reloading; a bad pack keeps the last good one in force.

Settings come from initializationOptions and workspace/didChangeConfiguration (the editor's), and, when the
client answers workspace/configuration, from each workspace folder (its `scopeUri`): a folder that has its own
replaces the editor's for the documents in it. A folder answered with null keeps the editor's. After a change the
packs load in a worker, as after a pack file's (pack_reload.py); a pull waits for them.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from pathlib import Path
from typing import Any

from lsprotocol import types

from provguard.editor_project import local_folder
from provguard.lsp import diagnostics, history, imports, matches, pack_reload, workspace_diagnostics
from provguard.lsp.server import ProvguardServer, roots_of
from provguard.session import EditorProject, LedgersOpened, PolicyUpdate, Session
from provguard.settings import Settings, SettingsResult, parse_settings

PACK_WATCH_ID = "provguard-pack-files"
ASK_TIMEOUT = 30.0
"""Seconds a client has to answer workspace/configuration: pulls wait meanwhile (a reload may follow)."""
SHUTDOWN_WAIT = 5.0
"""Seconds `shutdown` waits for that answer, when it has not come, before the session's records are saved."""

log = logging.getLogger(__name__)

_settings_came: weakref.WeakKeyDictionary[ProvguardServer, asyncio.Event] = weakref.WeakKeyDictionary()
"""Set each time some workspace folders' settings become known (`pull_folder_settings`), for `shutdown`."""


def _settings_signal(ls: ProvguardServer) -> asyncio.Event:
    if (came := _settings_came.get(ls)) is None:
        came = _settings_came[ls] = asyncio.Event()
    return came


def register(server: ProvguardServer) -> None:
    @server.feature(types.INITIALIZE)
    def initialize(ls: ProvguardServer, params: types.InitializeParams) -> None:
        ls.session = Session([root for root in map(local_folder, roots_of(params)) if root is not None])
        ls.session.on_notice = lambda notice: (
            ls.notify_user(notice) if isinstance(notice, str) else report(ls, notice))
        if asks_folders(params.capabilities):
            ls.session.await_folder_settings(ls.session.roots)
        ls.pull_diagnostics = pulls(params.capabilities)
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
    async def shutdown(ls: ProvguardServer, params: None) -> None:
        imports.stop(ls)
        workspace_diagnostics.stop(ls)
        await _folder_settings_came(ls)
        ls.session.shutdown()

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(ls: ProvguardServer, params: types.DidChangeConfigurationParams) -> None:
        async def change() -> list[EditorProject]:
            raw: Any = params.settings
            workspace = ls.client_capabilities.workspace
            if raw is None and workspace is not None and workspace.configuration:
                async with asyncio.timeout(ASK_TIMEOUT):
                    found = await ls.workspace_configuration_async(types.ConfigurationParams(
                        items=[types.ConfigurationItem(section="provguard")]))
                raw = found[0] if found else None
            answers = await _ask_folders(ls, ls.session.roots)
            projects = _editor_settings(ls, _parsed(ls, raw))
            return list(dict.fromkeys([*projects, *_folder_settings_in_force(ls, answers)[1]]))

        report(ls, await pack_reload.reload(ls, change))
        diagnostics.refresh_all(ls)

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    async def did_change_watched_files(ls: ProvguardServer, params: types.DidChangeWatchedFilesParams) -> None:
        if any(ls.session.is_pack_file(Path(ls.uri_path(change.uri))) for change in params.changes):
            await reload_packs(ls)


async def _folder_settings_came(ls: ProvguardServer) -> None:
    """Before the last spans are saved: a short session (a file opened, pasted into and saved at once) may end
    before the client answered for its folders, and what it recorded waits in memory for the ledger those
    settings choose. Waits SHUTDOWN_WAIT seconds at most; then what stays in memory is said in the log."""
    came = _settings_signal(ls)
    try:
        async with asyncio.timeout(SHUTDOWN_WAIT):
            while ls.session.awaiting_settings:  # other folders' may still be on their way after a signal
                came.clear()
                await came.wait()
    except TimeoutError:
        log.warning("the client did not give its folders' settings: what was recorded in them ends with the session")


def apply_settings(ls: ProvguardServer, raw: object) -> None:
    """initializationOptions: the packs load at once, before the server answers initialize."""
    report(ls, ls.session.reload_policy(_editor_settings(ls, _parsed(ls, raw))))


def _parsed(ls: ProvguardServer, raw: object) -> SettingsResult:
    parsed = parse_settings(raw)
    for problem in parsed.problems:
        ls.notify_user(problem)
    return parsed


def _editor_settings(ls: ProvguardServer, parsed: SettingsResult) -> list[EditorProject]:
    """The editor's settings in force, with the ledgers, git reads and imports they name; returns the projects
    whose packs must load again."""
    git_turned_on = parsed.settings.git and not ls.session.settings.git
    projects = ls.session.set_settings(parsed.settings, parsed.explicit)
    if git_turned_on:
        history.schedule_all(ls)
    _reopen_ledgers(ls)
    imports.configure(ls)
    return projects


async def pull_folder_settings(ls: ProvguardServer, folders: list[Path]) -> bool:
    """Asks the client for each folder's own settings (workspace/configuration with its scopeUri) and loads
    the packs they change in a worker; returns whether any folder's changed. Nothing is asked of a client that
    does not answer workspace/configuration."""
    changed = False

    async def change() -> list[EditorProject]:
        nonlocal changed
        changed, projects = _folder_settings_in_force(ls, await _ask_folders(ls, folders))
        return projects

    try:
        report(ls, await pack_reload.reload(ls, change))
    finally:  # the folders' ledgers open now, chosen by their settings (or the editor's, when none came)
        known = ls.session.folder_settings_known(folders)
        _settings_signal(ls).set()  # a waiting shutdown goes on once this block has run
        _told(ls, known)
        imports.configure(ls)  # the ledger agent sessions go to may have opened only now
    return changed


def asks_folders(client: types.ClientCapabilities) -> bool:
    """Whether each workspace folder's settings are asked of this client (`_ask_folders`): until they come, its
    folders' ledgers are provisional (Session.await_folder_settings: no `.provguard/` is made where the folder's
    settings name another ledger). The light start (first_answer.py) asks the same of the raw capabilities."""
    return client.workspace is not None and bool(client.workspace.configuration)


def pulls(client: types.ClientCapabilities) -> bool:
    """Whether the client pulls diagnostics (textDocument/diagnostic) rather than waits for them to be pushed.
    The light start (first_answer.py) asks the same of the raw capabilities."""
    return client.text_document is not None and client.text_document.diagnostic is not None


async def _ask_folders(ls: ProvguardServer, folders: list[Path]) -> list[tuple[Path, SettingsResult | None]]:
    """Each folder's answer, parsed (None: the folder has none); no answers from a client that refused."""
    workspace = ls.client_capabilities.workspace
    if not folders or workspace is None or not workspace.configuration:
        return []
    items = [types.ConfigurationItem(scope_uri=folder.as_uri(), section="provguard") for folder in folders]
    try:
        async with asyncio.timeout(ASK_TIMEOUT):
            found = await ls.workspace_configuration_async(types.ConfigurationParams(items=items))
    except Exception as exc:  # the client refused: the editor's settings apply in every folder
        log.info("no per-folder settings: %s", exc)
        return []
    return [(folder, parse_settings(raw) if raw is not None else None)
            for folder, raw in zip(folders, found or [], strict=False)]


def _folder_settings_in_force(ls: ProvguardServer, answers: list[tuple[Path, SettingsResult | None]]
                              ) -> tuple[bool, list[EditorProject]]:
    """Puts the folders' answers in force; returns whether any folder's settings changed, and the projects
    whose packs must load again."""
    changed = False
    projects: dict[EditorProject, None] = {}
    current = set(ls.session.roots)  # a set: a client may have thousands of folders
    for folder, parsed in answers:
        if folder not in current:  # removed while the client answered
            continue
        for problem in parsed.problems if parsed is not None else ():
            ls.notify_user(f"{folder.name}: {problem}")
        wanted = _folder_settings(parsed)
        if wanted == (ls.session.settings, ls.session.explicit):
            wanted = None  # the same as the editor's (VS Code answers with what the folder inherits)
        if ls.session.folder_settings.get(folder) == wanted:
            continue
        changed = True
        projects.update(dict.fromkeys(ls.session.set_folder_settings(folder, wanted)))
    if changed:
        _reopen_ledgers(ls)
    return changed, list(projects)


def _folder_settings(parsed: SettingsResult | None) -> tuple[Settings, frozenset[str]] | None:
    """A folder's answer as the session keeps it: None (or an empty object) leaves the editor's settings."""
    if parsed is None or not parsed.explicit:
        return None
    return parsed.settings, parsed.explicit


def _reopen_ledgers(ls: ProvguardServer) -> None:
    _told(ls, ls.session.open_ledgers())


def _told(ls: ProvguardServer, opened: LedgersOpened) -> None:
    """The person told of ledgers kept in memory, and documents whose ledger opened only now judged again with
    the spans it holds for them and looked up in its agent edits."""
    for warning in opened.warnings:
        ls.notify_user(warning)
    for uri in opened.documents:
        diagnostics.refresh(ls, uri)
        matches.later(ls, uri)


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
