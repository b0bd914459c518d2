"""A hostile or broken editor: workspace folders that name no local folder, given at start or added later.

The language server judges only absolute local folders. A folder uri of another scheme, a relative `file:` path
(which would be taken from the server's own working folder) or one holding a NUL (which no system call takes) is
left out: the other folders keep their projects and settings, and the server keeps serving without an error.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from lsp_support import capabilities, open_file, pulled, session
from test_multi_root import MARKED, codes, default_project, pulled_until

NOT_LOCAL_FOLDERS = ["file:relative/folder", "file:///tmp/pg%00folder", "untitled:Untitled-1",
                     "https://example.com/shop", "file:"]
QUIET = {"provguard": {"severity": {"ai-output-unreviewed": "off"}}}


@asynccontextmanager
async def server(*uris: str) -> AsyncIterator[LanguageClient]:
    """A pulling client that answers workspace/configuration, with the folders `uris` open."""
    async with session(capabilities(pull=True), *uris) as client:
        yield client


def server_errors(client: LanguageClient) -> list[str]:
    return [m.message for m in client.messages if m.type == types.MessageType.Error]


@pytest.mark.parametrize("uri", NOT_LOCAL_FOLDERS)
async def test_a_folder_naming_no_local_folder_at_start_is_left_out_and_settings_changes_still_apply(
        tmp_path: Path, uri: str) -> None:
    shop = default_project(tmp_path / "shop")
    async with server(shop.as_uri(), uri) as client:
        document = open_file(client, shop / "src" / "f.py", MARKED)
        assert codes(await pulled(client, document)) == {"ai-output-unreviewed"}

        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=QUIET))

        assert await pulled_until(client, document, lambda found: not found) == set()
        assert server_errors(client) == []


@pytest.mark.parametrize("uri", NOT_LOCAL_FOLDERS)
async def test_a_folder_naming_no_local_folder_added_later_is_left_out_and_the_server_keeps_serving(
        tmp_path: Path, uri: str) -> None:
    shop = default_project(tmp_path / "shop")
    async with server(shop.as_uri()) as client:
        document = open_file(client, shop / "src" / "f.py", MARKED)

        client.workspace_did_change_workspace_folders(types.DidChangeWorkspaceFoldersParams(
            event=types.WorkspaceFoldersChangeEvent(added=[types.WorkspaceFolder(uri=uri, name="odd")], removed=[])))
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=QUIET))

        assert await pulled_until(client, document, lambda found: not found) == set()
        client.workspace_did_change_workspace_folders(types.DidChangeWorkspaceFoldersParams(
            event=types.WorkspaceFoldersChangeEvent(added=[], removed=[types.WorkspaceFolder(uri=uri, name="odd")])))
        assert codes(await pulled(client, document)) == set()
        assert server_errors(client) == []


@pytest.mark.timeout(120)
async def test_twenty_thousand_folders_at_start_and_as_many_added_leave_settings_and_diagnostics_working(
        tmp_path: Path) -> None:
    """Folders are compared as sets, never each against the list of all the others (minutes at this count)."""
    shop = default_project(tmp_path / "shop")
    others = [(tmp_path / f"folder-{n}").as_uri() for n in range(20_000)]
    async with server(shop.as_uri(), *others) as client:
        document = open_file(client, shop / "src" / "f.py", MARKED)
        assert codes(await pulled(client, document)) == {"ai-output-unreviewed"}

        client.workspace_did_change_workspace_folders(types.DidChangeWorkspaceFoldersParams(
            event=types.WorkspaceFoldersChangeEvent(removed=[], added=[
                types.WorkspaceFolder(uri=(tmp_path / f"added-{n}").as_uri(), name=f"added {n}")
                for n in range(20_000)])))
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=QUIET))

        assert await pulled_until(client, document, lambda found: not found) == set()
        assert server_errors(client) == []


def test_a_ledger_folder_a_repository_links_out_of_the_project_is_not_written_through(tmp_path: Path) -> None:
    """A cloned repository's `.provguard` may be a link anywhere; the default ledger must not be made there."""
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    shop = default_project(tmp_path / "shop")
    (shop / ".git").mkdir()
    (shop / ".provguard").symlink_to(outside)

    done = subprocess.run([sys.executable, "-m", "provguard", "import", "agent-trace", "--root", str(shop)],
                          cwd=shop, capture_output=True, text=True, timeout=120, check=False)

    assert sorted(p.name for p in outside.iterdir()) == [], done.stdout + done.stderr
    assert "symbolic link" in done.stderr


@pytest.mark.parametrize("planted", ["ledger.sqlite3", ".gitignore"])
def test_a_linked_file_in_the_ledger_folder_is_not_written_through(tmp_path: Path, planted: str) -> None:
    """A real `.provguard` folder whose ledger or .gitignore is a link (dangling or not) sends no write out."""
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    shop = default_project(tmp_path / "shop")
    (shop / ".git").mkdir()
    (shop / ".provguard").mkdir()
    (shop / ".provguard" / planted).symlink_to(outside / "target")  # dangling: opening it would create it

    done = subprocess.run([sys.executable, "-m", "provguard", "import", "agent-trace", "--root", str(shop)],
                          cwd=shop, capture_output=True, text=True, timeout=120, check=False)

    assert sorted(p.name for p in outside.iterdir()) == [], done.stdout + done.stderr
    assert "symbolic link" in done.stderr
