"""Edits the guard cannot apply to the file (a text to replace that is not there, a file that does not exist, a
patch whose hunks do not fit): the agent's tool would refuse them, but the agent meant the new text for that
path, so the guard judges the new text alone there and says on stderr why. Run as the agents run them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from guard_support import allowed, answer, guard, payload

DATA = "training_data/prompts.py"


@pytest.fixture
def project(project: Path) -> Path:
    """The shared git project (conftest.py), with this module's files."""
    root = project
    (root / "training_data").mkdir()
    (root / "src").mkdir()
    return root


def refused(agent: str, stdin: bytes) -> str:
    """The guard's stderr, after checking that it refused the call."""
    done = guard(agent, stdin)
    found = answer(agent, done)
    if agent == "cursor":
        assert found["permission"] == "deny"
    else:
        assert found["hookSpecificOutput"]["permissionDecision"] == "deny"
    return done.stderr


def changed(stdin: bytes, **tool_input: object) -> bytes:
    data = json.loads(stdin)
    data["tool_input"].update(tool_input)
    return json.dumps(data).encode()


def test_a_codex_patch_updating_a_file_that_does_not_exist_says_so_and_judges_its_added_lines(
        project: Path) -> None:
    patch = ("*** Begin Patch\n*** Update File: training_data/prompts.py\n@@\n-EXAMPLES = []\n"
             "+EXAMPLES = [\"vat(100) == 20\"]\n*** End Patch\n")
    stdin = changed(payload("codex-patch-update-source.json", project), command=patch)

    stderr = refused("codex", stdin)

    assert stderr == (f"provguard guard: {DATA}: the file does not exist, so the patch cannot be applied; judged "
                      "its added lines alone\n")


def test_a_cursor_multiedit_whose_second_edit_does_not_fit_names_that_edit(project: Path) -> None:
    (project / DATA).write_text("EXAMPLES = []\n", encoding="utf-8")
    stdin = changed(payload("cursor-multiedit-test-function.json", project), path=str(project / DATA), edits=[
        {"old_string": "EXAMPLES = []", "new_string": "EXAMPLES = [1]"},
        {"old_string": "EXAMPLES = [2]", "new_string": "EXAMPLES = [\"vat(100) == 20\"]"}])

    stderr = refused("cursor", stdin)

    assert (f"{project / DATA}: the text to replace (edit 2) is not in the file, so the edit cannot be applied; "
            "judged the new text alone") in stderr


def test_a_copilot_editor_insert_into_a_file_that_does_not_exist_judges_the_inserted_text(project: Path) -> None:
    stdin = changed(payload("copilot-vscode-str-replace-editor.json", project), command="insert", insert_line=3,
                    new_str="EXAMPLES = [\"vat(100) == 20\"]\n")

    stderr = refused("copilot", stdin)

    assert (f"{project / DATA}: the file does not exist, so the insert cannot be applied; judged the new text "
            "alone") in stderr


def test_an_edit_that_fits_is_judged_in_its_file_without_a_note(project: Path) -> None:
    (project / "src" / "prompts.py").write_text("EXAMPLES = []\n", encoding="utf-8")
    stdin = payload("copilot-vscode-str-replace-editor.json", project).replace(b"training_data/", b"src/")

    assert allowed(guard("copilot", stdin)) == ""


def test_an_edit_of_a_missing_file_outside_any_rule_is_let_through_saying_why(project: Path) -> None:
    stdin = payload("claude-code-edit-training-data.json", project).replace(b"training_data/", b"src/")

    stderr = allowed(guard("claude-code", stdin))

    assert stderr == (f"provguard guard: {project / 'src' / 'prompts.py'}: the file does not exist, so the edit "
                      "cannot be applied; judged the new text alone\n")


# -- a pure deletion that cannot be applied ---------------------------------------------------------------------

CLOSED = "pack: closed\nextends: default\nagent-write-on-error: deny\n"


@pytest.fixture
def closed(project: Path) -> Path:
    """The project's pack refuses what the guard cannot judge (`agent-write-on-error: deny`)."""
    (project / "closed.yaml").write_text(CLOSED, encoding="utf-8")
    (project / "provguard.toml").write_text('packs = ["closed.yaml"]\n', encoding="utf-8")
    return project


def test_a_deletion_whose_text_is_not_in_the_file_is_let_through_with_a_note_even_where_errors_are_refused(
        closed: Path) -> None:
    """Not refused under `agent-write-on-error: deny`: the agent's own tool refuses the edit, so it writes
    nothing, and a deletion adds no text a rule could judge; nothing about it is an error of the guard's."""
    (closed / DATA).write_text("EXAMPLES = [1]\n", encoding="utf-8")
    stdin = changed(payload("claude-code-edit-training-data.json", closed), old_string="EXAMPLES = []",
                    new_string="")

    stderr = allowed(guard("claude-code", stdin, cwd=closed))

    assert stderr == (f"provguard guard: {closed / DATA}: the text to replace is not in the file, so the edit "
                      "cannot be applied; it adds no text, so there is nothing to judge\n")


def test_a_deletion_from_a_file_that_does_not_exist_is_let_through_with_a_note(closed: Path) -> None:
    stdin = changed(payload("cursor-multiedit-test-function.json", closed), path=str(closed / DATA),
                    edits=[{"old_string": "EXAMPLES = []\n", "new_string": ""}])

    stderr = allowed(guard("cursor", stdin, cwd=closed))

    assert (f"{closed / DATA}: the file does not exist, so the edit cannot be applied; it adds no text, so there "
            "is nothing to judge") in stderr


def test_a_codex_patch_that_only_removes_lines_that_are_not_there_is_let_through_with_a_note(
        closed: Path) -> None:
    (closed / DATA).write_text("EXAMPLES = [1]\n", encoding="utf-8")
    patch = "*** Begin Patch\n*** Update File: training_data/prompts.py\n@@\n-EXAMPLES = []\n*** End Patch\n"
    stdin = changed(payload("codex-patch-update-source.json", closed), command=patch)

    stderr = allowed(guard("codex", stdin, cwd=closed))

    assert stderr == (f"provguard guard: {DATA}: the patch's hunks do not fit the file; it adds no lines, so "
                      "there is nothing to judge\n")


def test_an_unapplied_edit_that_adds_text_is_still_refused_where_errors_are_refused(closed: Path) -> None:
    """The other side of the choice above: new text meant for training data is judged, and refused."""
    (closed / DATA).write_text("EXAMPLES = [1]\n", encoding="utf-8")

    stderr = refused("claude-code", payload("claude-code-edit-training-data.json", closed))

    assert "the text to replace is not in the file, so the edit cannot be applied; judged the new text" in stderr
