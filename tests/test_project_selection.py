"""The project's configuration file selects packs for the CLI and the editor alike; flags and explicit editor
settings override it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient

from lsp_support import SERVER, open_file, pulled, record_registrations, start

TEAM_PACK = """\
pack: team
version: 1.0.0
rules:
  - id: no-codex
    severity: error
    message: "no {tool} in this project"
    origins:
      - tool: codex
"""
CODE = "# provguard: kind=ai-agent tool=codex vendor=openai reviewed-by=me\ndef f():\n    pass\n"


def project(root: Path, config: str = '[tool.provguard]\npacks = ["team.yaml"]\n') -> Path:
    (root / "team.yaml").write_text(TEAM_PACK)
    (root / "pyproject.toml").write_text('[project]\nname = "demo"\n\n' + config)
    (root / "src").mkdir()
    (root / "src" / "f.py").write_text(CODE)
    return root


def check(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "provguard", "check", "src", *args], cwd=root,
                          capture_output=True, text=True, check=False)


def test_check_uses_the_packs_the_project_selects(tmp_path: Path) -> None:
    done = check(project(tmp_path))
    assert "src/f.py:1:1: error no-codex no Codex in this project" in done.stdout
    assert done.returncode == 1


def test_a_pack_flag_overrides_the_project_file(tmp_path: Path) -> None:
    done = check(project(tmp_path), "--pack", "default")
    assert "no-codex" not in done.stdout and done.returncode == 0


def test_a_broken_project_file_is_a_configuration_error_with_its_position(tmp_path: Path) -> None:
    done = check(project(tmp_path, '[tool.provguard]\npacks = "team.yaml"\n'))
    assert done.returncode == 2
    assert "pyproject.toml:5:" in done.stderr


@pytest_lsp.fixture(config=SERVER)
async def client(lsp_client: LanguageClient) -> object:
    record_registrations(lsp_client)
    yield
    await lsp_client.shutdown_session()


async def test_the_editor_follows_the_project_file_and_its_changes(client: LanguageClient, tmp_path: Path) -> None:
    root = project(tmp_path)
    await start(client, root, pull=True, options={})
    uri = open_file(client, root / "src" / "f.py", CODE)
    assert [d.code for d in await pulled(client, uri)] == ["no-codex"]

    (root / "pyproject.toml").write_text('[tool.provguard]\nseverity = {"no-codex" = "off"}\npacks = ["team.yaml"]\n')
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[types.FileEvent(
        uri=(root / "pyproject.toml").as_uri(), type=types.FileChangeType.Changed)]))
    assert await pulled(client, uri) == []


async def test_explicit_editor_packs_override_the_project_file(client: LanguageClient, tmp_path: Path) -> None:
    root = project(tmp_path)
    await start(client, root, pull=True, options={"packs": ["default"]})
    uri = open_file(client, root / "src" / "f.py", CODE)
    assert await pulled(client, uri) == []
