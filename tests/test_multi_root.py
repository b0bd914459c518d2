"""Monorepos and multi-root workspaces in the editor: each document is judged in its nearest project (as
`provguard check` judges it), each workspace folder keeps its own packs, ledger and settings, and folders come and
go while the server runs."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from lsprotocol import types
from pytest_lsp import LanguageClient

from lsp_support import capabilities, open_file, pulled, session
from test_project_selection import TEAM_PACK

MARKED = "# provguard: kind=ai-agent tool=codex vendor=openai\ndef marked():\n    pass\n"
"""Codex output nobody reviewed: the default pack says `ai-output-unreviewed`, the team pack `no-codex`."""


def default_project(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "provguard.toml").write_text('packs = ["default"]\n')
    return root


def team_project(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "team.yaml").write_text(TEAM_PACK)
    (root / "provguard.toml").write_text('packs = ["team.yaml"]\n')
    return root


def codes(diagnostics: list[types.Diagnostic]) -> set[str]:
    return {str(d.code) for d in diagnostics}


@asynccontextmanager
async def server(*folders: Path, configuration: dict[str, object] | None = None,
                 options: dict[str, object] | None = None) -> AsyncIterator[LanguageClient]:
    """A pulling client with `folders` open; `configuration`: its answers to workspace/configuration by scope
    uri ("" for the editor's own); `options`: initialization options besides the reviewer."""
    async with session(capabilities(pull=True), *(f.as_uri() for f in folders), options=options,
                       configuration=configuration) as client:
        yield client


async def pulled_until(client: LanguageClient, uri: str,
                       settled: Callable[[set[str]], bool]) -> set[str]:
    """The document's rule ids once `settled` holds: settings asked of the client arrive a moment after the
    notification that made the server ask. Fails after a minute."""
    async with asyncio.timeout(60):
        while not settled(found := codes(await pulled(client, uri))):
            await asyncio.sleep(0.05)
    return found


def cli_codes(root: Path) -> dict[str, set[str]]:
    """`provguard check` from the root: rule ids per file path, as the CLI reports them."""
    done = subprocess.run([sys.executable, "-m", "provguard", "check", "--format", "json", "--no-cache", "."],
                          cwd=root, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode in (0, 1), done.stderr
    found: dict[str, set[str]] = {}
    for finding in json.loads(done.stdout)["findings"]:
        found.setdefault(finding["path"], set()).add(finding["rule"])
    return found


async def test_two_folders_with_different_packs_judge_the_same_text_differently(tmp_path: Path) -> None:
    plain, team = default_project(tmp_path / "plain"), team_project(tmp_path / "team")
    async with server(plain, team) as client:
        in_plain = open_file(client, plain / "src" / "f.py", MARKED)
        in_team = open_file(client, team / "src" / "f.py", MARKED)
        assert codes(await pulled(client, in_plain)) == {"ai-output-unreviewed"}
        assert codes(await pulled(client, in_team)) == {"no-codex"}

        (plain / "lib").mkdir()
        (plain / "lib" / "closed.py").write_text(MARKED)
        (team / "lib").mkdir()
        (team / "lib" / "closed.py").write_text(MARKED)
        report = await client.workspace_diagnostic_async(types.WorkspaceDiagnosticParams(previous_result_ids=[]))
        found = {item.uri: codes(list(item.items)) for item in report.items
                 if isinstance(item, types.WorkspaceFullDocumentDiagnosticReport)}
        assert found[(plain / "lib" / "closed.py").as_uri()] == {"ai-output-unreviewed"}
        assert found[(team / "lib" / "closed.py").as_uri()] == {"no-codex"}
        assert found[in_plain] == {"ai-output-unreviewed"} and found[in_team] == {"no-codex"}
    assert (plain / ".provguard" / "ledger.sqlite3").is_file() and (team / ".provguard" / "ledger.sqlite3").is_file()


async def test_a_nested_project_in_a_monorepo_is_judged_under_its_own_config_and_root(tmp_path: Path) -> None:
    repo = default_project(tmp_path / "repo")
    service = team_project(repo / "services" / "billing")
    (repo / "src").mkdir()
    (repo / "src" / "top.py").write_text(MARKED)
    (service / "tests").mkdir()
    (service / "tests" / "closed.py").write_text(MARKED)
    expected = cli_codes(repo)
    assert expected["services/billing/tests/closed.py"] == {"no-codex"}  # the CLI's verdict, to match
    async with server(repo) as client:
        top = open_file(client, repo / "src" / "top.py", MARKED)
        nested = open_file(client, service / "src" / "f.py", MARKED)
        assert codes(await pulled(client, top)) == expected["src/top.py"] == {"ai-output-unreviewed"}
        assert codes(await pulled(client, nested)) == {"no-codex"}

        report = await client.workspace_diagnostic_async(types.WorkspaceDiagnosticParams(previous_result_ids=[]))
        found = {item.uri: codes(list(item.items)) for item in report.items
                 if isinstance(item, types.WorkspaceFullDocumentDiagnosticReport)}
        assert found[(service / "tests" / "closed.py").as_uri()] == expected["services/billing/tests/closed.py"]
    assert (service / ".provguard" / "ledger.sqlite3").is_file()  # the nested project keeps its own ledger


async def test_folders_added_and_removed_at_run_time_bring_their_settings_and_take_them_away(
        tmp_path: Path) -> None:
    first, second = default_project(tmp_path / "first"), default_project(tmp_path / "second")
    quiet = {"provguard": {"severity": {"ai-output-unreviewed": "off"}}}  # the second folder's own settings
    async with server(first, configuration={second.as_uri(): quiet}) as client:
        uri = open_file(client, second / "src" / "f.py", MARKED)
        assert codes(await pulled(client, uri)) == {"ai-output-unreviewed"}  # outside every folder for now

        client.workspace_did_change_workspace_folders(types.DidChangeWorkspaceFoldersParams(
            event=types.WorkspaceFoldersChangeEvent(
                added=[types.WorkspaceFolder(uri=second.as_uri(), name="second")], removed=[])))
        assert await pulled_until(client, uri, lambda found: "ai-output-unreviewed" not in found) == set()
        (second / "lib").mkdir()
        (second / "lib" / "closed.py").write_text(MARKED)
        (first / "closed.py").write_text(MARKED)
        report = await client.workspace_diagnostic_async(types.WorkspaceDiagnosticParams(previous_result_ids=[]))
        found = {item.uri: codes(list(item.items)) for item in report.items
                 if isinstance(item, types.WorkspaceFullDocumentDiagnosticReport)}
        assert found[(first / "closed.py").as_uri()] == {"ai-output-unreviewed"}
        assert (second / "lib" / "closed.py").as_uri() not in found  # scanned under the folder's settings

        client.workspace_did_change_workspace_folders(types.DidChangeWorkspaceFoldersParams(
            event=types.WorkspaceFoldersChangeEvent(
                added=[], removed=[types.WorkspaceFolder(uri=second.as_uri(), name="second")])))
        assert codes(await pulled(client, uri)) == {"ai-output-unreviewed"}
        report = await client.workspace_diagnostic_async(types.WorkspaceDiagnosticParams(previous_result_ids=[]))
        assert {item.uri for item in report.items} & {(second / "lib" / "closed.py").as_uri()} == set()


async def test_a_document_outside_every_folder_is_judged_in_its_own_folder_and_leaves_no_ledger_there(
        tmp_path: Path) -> None:
    folder = team_project(tmp_path / "workspace")
    stray = tmp_path / "downloads"
    async with server(folder) as client:
        uri = open_file(client, stray / "test_f.py", MARKED)
        # the default pack, not the workspace's team pack
        assert codes(await pulled(client, uri)) == {"ai-output-in-test-task-file", "ai-output-unreviewed"}
        client.text_document_did_save(types.DidSaveTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=uri)))
        client.text_document_did_close(types.DidCloseTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=uri)))
        await pulled(client, (folder / "src.py").as_uri())  # the save and close were handled before this answer
    assert not (stray / ".provguard").exists()


async def test_a_project_config_created_inside_a_folder_makes_its_files_a_project_of_their_own(
        tmp_path: Path) -> None:
    repo = default_project(tmp_path / "repo")
    service = repo / "services" / "billing"
    async with server(repo) as client:
        uri = open_file(client, service / "src" / "f.py", MARKED)
        assert codes(await pulled(client, uri)) == {"ai-output-unreviewed"}
        team_project(service)
        client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[types.FileEvent(
            uri=(service / "provguard.toml").as_uri(), type=types.FileChangeType.Created)]))
        assert codes(await pulled(client, uri)) == {"no-codex"}


async def test_a_broken_nested_config_is_said_once_with_its_position(tmp_path: Path) -> None:
    repo = default_project(tmp_path / "repo")
    service = repo / "services" / "billing"
    service.mkdir(parents=True)
    (service / "provguard.toml").write_text('packs = "not-a-list"\n')
    async with server(repo) as client:
        top = open_file(client, repo / "top.py", MARKED)
        first = open_file(client, service / "a.py", MARKED)
        second = open_file(client, service / "b.py", MARKED)
        assert codes(await pulled(client, top)) == {"ai-output-unreviewed"}  # the repo's packs are unharmed
        assert codes(await pulled(client, first)) == codes(await pulled(client, second)) == set()
        said = [m.message for m in client.messages if "rule pack error" in m.message]
        assert len(said) == 1 and "services/billing/provguard.toml:1:9" in said[0], said
        assert "no pack rules are active" in said[0]


async def test_a_folder_in_no_project_judges_a_nested_project_under_its_own_config_in_the_workspace_scan(
        tmp_path: Path) -> None:
    folder = tmp_path / "checkout"  # no provguard config, no pyproject, a ledger elsewhere: in no project
    service = team_project(folder / "services" / "billing")
    (folder / "loose").mkdir()
    (folder / "loose" / "closed.py").write_text(MARKED)
    (service / "tests").mkdir()
    (service / "tests" / "closed.py").write_text(MARKED)
    async with server(folder, options={"ledger": str(tmp_path / "shared.sqlite3")}) as client:
        await pulled(client, (folder / "unsaved.py").as_uri())
        assert not (folder / ".provguard").exists()
        report = await client.workspace_diagnostic_async(types.WorkspaceDiagnosticParams(previous_result_ids=[]))
        scanned = {item.uri: codes(list(item.items)) for item in report.items
                   if isinstance(item, types.WorkspaceFullDocumentDiagnosticReport)}
        nested = open_file(client, service / "tests" / "closed.py", MARKED)
        loose = open_file(client, folder / "loose" / "closed.py", MARKED)
        assert scanned[nested] == codes(await pulled(client, nested)) == {"no-codex"}
        assert scanned[loose] == codes(await pulled(client, loose)) == {"ai-output-unreviewed"}
