"""An editor opened on the home folder (or the file system's root): the whole workspace's findings
(workspace/diagnostic, and the push command) would read every file below it, and the check cache would leave a
`.provguard/` there, which makes the folder a project. The server reads and makes nothing there: the Problems
list shows the open documents alone, and the person is told why, once. A folder below the home folder whose
project is the home folder (a dotfiles `.git`) is checked, and no cache is made in the home folder.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from lsp_support import capabilities, open_file

MARKED = "# provguard: kind=ai-agent tool=codex vendor=openai\ndef marked():\n    pass\n"
"""A marked unit nobody reviewed: a finding from the text alone."""
CHECK_WORKSPACE = "provguard.checkWorkspace"


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home folder of its own, set before the `client` fixture starts the server (it inherits HOME), kept
    like a developer's: a dotfiles `.git` (which makes it a project) and a checkout with files below it."""
    folder = tmp_path / "home"
    (folder / ".git").mkdir(parents=True)
    (folder / "notes.py").write_text(MARKED)
    (folder / "code" / "shop" / ".git").mkdir(parents=True)
    (folder / "code" / "shop" / "app.py").write_text(MARKED)
    monkeypatch.setenv("HOME", str(folder))
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    return folder


async def start(client: LanguageClient, folder: Path, pull: bool) -> None:
    await client.initialize_session(types.InitializeParams(
        capabilities=capabilities(pull), root_uri=folder.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=folder.as_uri(), name=folder.name)],
        initialization_options={"reviewer": "tester@example.com"}))


def made_folders(home: Path) -> list[Path]:
    return sorted(home.rglob(".provguard"))


def reasons(client: LanguageClient) -> list[str]:
    return [m.message for m in client.messages if "not checked as a whole" in m.message]


async def pull_workspace(client: LanguageClient) -> dict[str, list[types.Diagnostic]]:
    report = await client.workspace_diagnostic_async(types.WorkspaceDiagnosticParams(previous_result_ids=[]))
    return {item.uri: list(item.items) for item in report.items
            if isinstance(item, types.WorkspaceFullDocumentDiagnosticReport)}


async def test_the_home_folder_as_workspace_reports_open_documents_only_and_makes_nothing(
        client: LanguageClient, home: Path) -> None:
    await start(client, home, pull=True)
    opened = open_file(client, home / "draft.py", MARKED)

    first = await pull_workspace(client)
    again = await pull_workspace(client)

    assert list(first) == list(again) == [opened]
    assert [d.code for d in first[opened]] == ["ai-output-unreviewed"]
    assert made_folders(home) == []
    told = reasons(client)
    assert len(told) == 1 and "your home folder" in told[0]


async def test_the_push_command_in_the_home_folder_publishes_no_unopened_file(
        client: LanguageClient, home: Path) -> None:
    await start(client, home, pull=False)
    opened = open_file(client, home / "draft.py", MARKED)

    counts = await client.workspace_execute_command_async(types.ExecuteCommandParams(CHECK_WORKSPACE))

    assert counts == {"files": 0, "findings": 0}
    assert set(client.diagnostics) <= {opened}
    assert made_folders(home) == []
    assert len(reasons(client)) == 1


async def test_a_folder_in_the_home_folders_project_is_checked_without_a_cache_there(
        client: LanguageClient, home: Path) -> None:
    notes = home / "notes"
    (notes / "todo.py").parent.mkdir()
    (notes / "todo.py").write_text(MARKED)
    await start(client, notes, pull=True)

    found = await pull_workspace(client)

    assert list(found) == [(notes / "todo.py").as_uri()]
    assert made_folders(home) == []
    assert reasons(client) == []
