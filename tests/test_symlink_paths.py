"""A document or a recorded edit reached through a symbolic link has the path of the file it lands in: the
editor shows the rules of the real folder, and the recording hook stores the edit where it was made."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from lsp_support import open_file, pulled, start
from provguard.ledger.sqlite import SqliteLedger
from transcript_support import payload

MARKED = "# provguard: begin kind=ai-completion tool=codex vendor=openai reviewed-by=me\nx = 1\n# provguard: end\n"
ANCHORED = "pack: team\nextends: default\nparameters:\n  training_data_paths: [data/train/**]\n"
"""Training data only at the project's own data/train: a path that is not relative to the root misses it."""


def codes(diagnostics: list[types.Diagnostic]) -> list[str]:
    return sorted(str(d.code) for d in diagnostics)


async def test_a_document_opened_through_a_linked_folder_gets_the_rules_of_the_real_folder(
        client: LanguageClient, tmp_path: Path) -> None:
    (tmp_path / "data" / "train").mkdir(parents=True)
    (tmp_path / "notes").symlink_to("data/train")
    await start(client, tmp_path, pull=True)

    linked = open_file(client, tmp_path / "notes" / "rows.py", MARKED)

    assert codes(await pulled(client, linked)) == ["rival-ai-output-in-training-data"]


async def test_a_workspace_opened_through_a_link_judges_a_document_opened_by_its_real_path_alike(
        client: LanguageClient, tmp_path: Path) -> None:
    real = tmp_path / "real"
    (real / "data" / "train").mkdir(parents=True)
    (real / "team.yaml").write_text(ANCHORED, encoding="utf-8")
    (real / "provguard.toml").write_text('packs = ["team.yaml"]\n', encoding="utf-8")
    (tmp_path / "workspace").symlink_to(real)
    await start(client, tmp_path / "workspace", pull=True)

    by_real_path = open_file(client, real / "data" / "train" / "rows.py", MARKED)
    by_link = open_file(client, tmp_path / "workspace" / "data" / "train" / "more.py", MARKED)

    assert codes(await pulled(client, by_real_path)) == ["rival-ai-output-in-training-data"]
    assert codes(await pulled(client, by_link)) == ["rival-ai-output-in-training-data"]


async def test_a_document_a_link_takes_out_of_the_workspace_is_not_judged_as_inside_it(
        client: LanguageClient, tmp_path: Path) -> None:
    workspace = tmp_path / "workspace"
    (workspace / "team.yaml").parent.mkdir(parents=True)
    (workspace / "team.yaml").write_text(ANCHORED, encoding="utf-8")
    (workspace / "provguard.toml").write_text('packs = ["team.yaml"]\n', encoding="utf-8")
    (tmp_path / "outside" / "train").mkdir(parents=True)
    (workspace / "data").symlink_to(tmp_path / "outside")
    await start(client, workspace, pull=True)

    left = open_file(client, workspace / "data" / "train" / "rows.py", MARKED)

    assert await pulled(client, left) == []


@pytest.fixture
def project(project: Path) -> Path:
    """The shared project (conftest.py), with the training-data folder the default pack guards."""
    (project / "data" / "train").mkdir(parents=True)
    return project


def record_write(project: Path, file_path: Path) -> str:
    """`provguard hook claude-code` for a Write to `file_path`; the path the ledger keeps for it."""
    data = payload("claude-code-write.json", project).replace(str(project / "src" / "discount.py").encode(),
                                                              str(file_path).encode())
    done = subprocess.run([sys.executable, "-m", "provguard", "hook", "claude-code"], input=data, timeout=60,
                          capture_output=True, check=False, cwd=project)
    assert (done.returncode, done.stderr) == (0, b"")
    ledger = SqliteLedger(project / ".provguard" / "ledger.sqlite3")
    try:
        (edit,) = ledger.agent_edits()
    finally:
        ledger.close()
    return edit.path


def test_the_hook_records_a_write_through_a_linked_folder_where_it_landed(project: Path) -> None:
    (project / "notes").symlink_to("data/train")

    assert record_write(project, project / "notes" / "discount.py") == "data/train/discount.py"


def test_the_hook_records_a_write_a_link_takes_out_of_the_project_by_where_it_landed(project: Path,
                                                                                   tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    (project / "notes").symlink_to(tmp_path / "elsewhere")

    assert record_write(project, project / "notes" / "discount.py") == (tmp_path / "elsewhere" / "discount.py"
                                                                         ).resolve().as_posix()
