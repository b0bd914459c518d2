"""initialize, settings changes and pack reloading; a bad pack keeps the last good one in force."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from lsprotocol import types

from provguard.lsp import diagnostics, history, imports
from provguard.lsp.server import ProvguardServer, roots_of
from provguard.session import PolicyUpdate, Session
from provguard.settings import parse_settings

PACK_WATCH_ID = "provguard-pack-files"

log = logging.getLogger(__name__)


def register(server: ProvguardServer) -> None:
    @server.feature(types.INITIALIZE)
    def initialize(ls: ProvguardServer, params: types.InitializeParams) -> None:
        ls.session = Session(roots_of(params))
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

    @server.feature(types.SHUTDOWN)
    def shutdown(ls: ProvguardServer, params: None) -> None:
        imports.stop(ls)
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
        diagnostics.refresh_all(ls)

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def did_change_watched_files(ls: ProvguardServer, params: types.DidChangeWatchedFilesParams) -> None:
        if any(ls.session.is_pack_file(Path(ls.uri_path(change.uri))) for change in params.changes):
            reload_packs(ls)


def apply_settings(ls: ProvguardServer, raw: object) -> None:
    parsed = parse_settings(raw)
    for problem in parsed.problems:
        ls.notify_user(problem)
    git_turned_on = parsed.settings.git and not ls.session.settings.git
    update = ls.session.configure(parsed.settings, parsed.explicit)
    if git_turned_on:
        history.schedule_all(ls)
    if ls.session.ledger_outdated or not ls.session.ledger.persistent:
        warning = ls.session.open_ledger()
        if warning is not None:
            ls.notify_user(warning)
    imports.configure(ls)
    report(ls, update)


def reload_packs(ls: ProvguardServer) -> None:
    report(ls, ls.session.reload_policy())
    diagnostics.refresh_all(ls)


def report(ls: ProvguardServer, update: PolicyUpdate) -> None:
    if not update.errors:
        return
    kept = "the previous rules stay in force" if ls.session.policy.packs else "no pack rules are active"
    first = update.errors[0]
    more = f" (and {len(update.errors) - 1} more)" if len(update.errors) > 1 else ""
    ls.notify_user(f"rule pack error at {first}{more}; {kept}", types.MessageType.Error)
    for error in update.errors[1:]:
        ls.window_log_message(types.LogMessageParams(type=types.MessageType.Error, message=str(error)))
