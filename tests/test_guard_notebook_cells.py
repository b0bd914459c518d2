"""Claude Code's NotebookEdit before it runs: a replaced cell keeps its type, so a call that does not say which
type takes the notebook's cell's own. Markdown and raw cells are prose, judged as no code (as the recording
reads them); a code cell, a new cell, or a cell the guard cannot find in the notebook is judged as code."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from guard_support import allowed, decision, guard, payload

NOTEBOOK = "datasets/clean.ipynb"


def cell(kind: str, source: str, cell_id: str | None) -> dict[str, Any]:
    found: dict[str, Any] = {"cell_type": kind, "metadata": {}, "source": source}
    if cell_id is not None:
        found["id"] = cell_id
    if kind == "code":
        found.update(execution_count=None, outputs=[])
    return found


def notebook(root: Path, with_ids: bool = True) -> None:
    cells = [cell("markdown", "# Cleaning the raw rows\n", "a1b2c3" if with_ids else None),
             cell("code", "rows = []\n", "d4e5f6" if with_ids else None),
             cell("raw", "id,total\n", "r7s8t9" if with_ids else None)]
    (root / NOTEBOOK).write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}),
                                 encoding="utf-8")


@pytest.fixture
def project(project: Path) -> Path:
    """The shared git project (conftest.py), with this module's files."""
    root = project
    (root / "datasets").mkdir()
    return root


def edit(root: Path, **tool_input: Any) -> bytes:
    """The fixture's NotebookEdit of datasets/clean.ipynb, without a cell_type, with these inputs."""
    data = json.loads(payload("claude-code-notebookedit.json", root))
    del data["tool_input"]["cell_type"]
    data["tool_input"].update(tool_input)
    return json.dumps(data).encode()


@pytest.mark.parametrize("cell_id", ["a1b2c3", "r7s8t9"])
def test_replacing_a_markdown_or_raw_cell_without_naming_its_type_writes_no_code(project: Path, cell_id: str) -> None:
    notebook(project)

    assert allowed(guard("claude-code", edit(project, cell_id=cell_id))) == ""


def test_cells_of_a_notebook_without_ids_are_found_by_their_number(project: Path) -> None:
    notebook(project, with_ids=False)

    assert allowed(guard("claude-code", edit(project, cell_id="cell-0"))) == ""
    assert decision("claude-code", guard("claude-code", edit(project, cell_id="cell-1")))[0] == "deny"


@pytest.mark.parametrize("changes", [
    {"cell_id": "d4e5f6"},  # a code cell
    {"cell_id": "a1b2c3", "edit_mode": "insert"},  # a new cell after the markdown one
    {"cell_id": "cell-9"},  # no such cell
    {"cell_id": "a1b2c3", "cell_type": "code"},  # the call turns the cell into code
])
def test_code_new_and_unknown_cells_are_judged_as_code(project: Path, changes: dict[str, str]) -> None:
    notebook(project)

    verdict, reason = decision("claude-code", guard("claude-code", edit(project, **changes)))

    assert verdict == "deny"
    assert f"{NOTEBOOK} is a training-data path" in reason


def test_a_notebook_that_is_not_json_has_its_cell_judged_as_code(project: Path) -> None:
    (project / NOTEBOOK).write_text("{not a notebook", encoding="utf-8")

    assert decision("claude-code", guard("claude-code", edit(project, cell_id="a1b2c3")))[0] == "deny"
