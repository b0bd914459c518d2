"""`provguard guard codex`: Codex's PreToolUse hook for `apply_patch`, run as Codex runs it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from guard_support import allowed, decision, guard, payload
from provguard.guard.codex import apply_hunks
from provguard.provenance.transcripts.apply_patch import Hunk, parse_patch

TAX = "def vat(amount):\n    return amount * 0.2\n"


@pytest.fixture
def project(project: Path) -> Path:
    """The shared git project (conftest.py), with this module's files."""
    root = project
    (root / "src").mkdir()
    (root / "src" / "tax.py").write_text(TAX, encoding="utf-8")
    return root


def test_a_patch_adding_a_test_file_is_refused_naming_the_rule(project: Path) -> None:
    verdict, reason = decision("codex", guard("codex", payload("codex-patch-add-test.json", project)))

    assert verdict == "deny"
    assert reason.startswith("provguard refused this write to tests/test_tax.py: Code written by Codex "
                             "must not be used to create test tasks")
    assert "(provguard rule ai-output-in-test-task-file)" in reason


def test_a_patch_updating_source_is_let_through_without_a_word(project: Path) -> None:
    assert allowed(guard("codex", payload("codex-patch-update-source.json", project))) == ""


def test_a_patch_deleting_a_file_writes_nothing_to_judge(project: Path) -> None:
    (project / "tests" / "test_old.py").write_text("def test_old():\n    pass\n", encoding="utf-8")

    assert allowed(guard("codex", payload("codex-patch-delete.json", project))) == ""


def test_a_patch_moving_a_changed_file_into_training_data_is_refused_at_the_new_path(project: Path) -> None:
    verdict, reason = decision("codex", guard("codex", payload("codex-patch-move-into-data.json", project)))

    assert verdict == "deny"
    assert reason.startswith("provguard refused this write to corpus/tax.py: Code written by Codex (openai) must not "
                             "be in training data")


def test_in_a_patch_of_several_files_the_one_a_rule_refuses_is_named(project: Path) -> None:
    verdict, reason = decision("codex", guard("codex", payload("codex-patch-several.json", project)))

    assert verdict == "deny"
    assert reason.startswith("provguard refused this write to evals/tax_cases.py:")


def test_codex_cannot_ask_so_an_ask_rule_refuses_and_tells_the_agent_to_ask(project: Path) -> None:
    (project / "team.yaml").write_text("pack: team\nextends: default\n"
                                       "overrides:\n  ai-output-in-test-task-file: {agent-write: ask}\n",
                                       encoding="utf-8")
    (project / "provguard.toml").write_text('packs = ["team.yaml"]\n', encoding="utf-8")

    verdict, reason = decision("codex", guard("codex", payload("codex-patch-add-test.json", project)))

    assert verdict == "deny"
    assert reason.startswith("provguard needs a person's approval for this write to tests/test_tax.py: ")
    assert reason.endswith("Instead: stop and ask the user; do not make this change unless they approve it and "
                           "review it.")


def test_a_patch_inside_a_shell_command_is_judged_too(project: Path) -> None:
    patch = json.loads(payload("codex-patch-add-test.json", project))["tool_input"]["command"]
    shell = payload("codex-patch-add-test.json", project, tool_name="Bash",
                    tool_input={"command": f"apply_patch <<'EOF'\n{patch}EOF\n"})

    assert decision("codex", guard("codex", shell))[0] == "deny"


def test_a_shell_command_without_a_patch_is_let_through_silently(project: Path) -> None:
    shell = payload("codex-patch-add-test.json", project, tool_name="Bash", tool_input={"command": "ls"})

    assert allowed(guard("codex", shell)) == ""


def test_a_hunk_that_does_not_fit_is_judged_by_its_added_lines_at_the_target(project: Path) -> None:
    (project / "src" / "tax.py").write_text("RATE = 0.2\n", encoding="utf-8")

    done = guard("codex", payload("codex-patch-move-into-data.json", project))

    assert decision("codex", done)[0] == "deny"
    assert done.stderr == ("provguard guard: src/tax.py: the patch's hunks do not fit the file; judged its added "
                           "lines alone\n")


def test_a_patch_adding_a_file_outside_the_workspace_is_judged_by_the_project_holding_it(project: Path,
                                                                                        tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / ".git").mkdir(parents=True)

    verdict, reason = decision("codex", guard("codex", payload("codex-patch-add-outside.json", project)))

    assert verdict == "deny"
    assert reason.startswith("provguard refused this write to corpus/sample.py: Code written by Codex (openai) must "
                             "not be in training data: corpus/sample.py is a training-data path (provguard rule "
                             "rival-ai-output-in-training-data).")


def write_logo(project: Path) -> Path:
    logo = project / "tests" / "fixtures" / "logo.png"
    logo.parent.mkdir(parents=True)
    logo.write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR")
    return logo


def test_a_patch_updating_a_binary_file_is_not_judged_and_the_reason_goes_to_stderr(project: Path) -> None:
    logo = write_logo(project)

    stderr = allowed(guard("codex", payload("codex-patch-update-binary.json", project)))

    assert stderr == f"provguard guard: {logo}: not judged: binary file; the call is let through\n"


MALFORMED = "the payload on stdin is not JSON (line 1, column 231: Invalid control character)"


def test_a_malformed_payload_is_let_through_with_the_reason_and_where_on_stderr(project: Path) -> None:
    stderr = allowed(guard("codex", payload("codex-malformed.json", project)))

    assert stderr == f"provguard guard: {MALFORMED}; the call is let through\n"


@pytest.mark.parametrize("name", ["codex-malformed.json", "codex-patch-update-binary.json"])
def test_a_pack_that_fails_closed_refuses_what_the_guard_cannot_judge(project: Path, name: str) -> None:
    logo = write_logo(project)
    (project / "closed.yaml").write_text("pack: closed\nextends: default\nagent-write-on-error: deny\n",
                                         encoding="utf-8")
    (project / "provguard.toml").write_text('packs = ["closed.yaml"]\n', encoding="utf-8")
    problem = MALFORMED if name == "codex-malformed.json" else f"{logo}: not judged: binary file"

    verdict, reason = decision("codex", guard("codex", payload(name, project), cwd=project))

    assert verdict == "deny"
    assert reason == (f"provguard could not judge this call ({problem}), and this project's rule pack refuses "
                      "what it cannot judge (agent-write-on-error: deny). Instead: tell the user what you were "
                      "about to write and where, and let them decide.")


def test_a_patch_without_its_end_line_is_still_judged_and_the_problem_reported(project: Path) -> None:
    cut = payload("codex-patch-add-test.json", project, tool_input={"command": (
        "*** Begin Patch\n*** Add File: tests/test_tax.py\n+def test_vat():\n+    pass\n")})

    done = guard("codex", cut)

    assert decision("codex", done)[0] == "deny"
    assert done.stderr == "provguard guard: patch line 4: no '*** End Patch' line\n"


# -- applying hunks the way Codex places them ------------------------------------------------------------


def hunks(patch_body: str) -> tuple[Hunk, ...]:
    (file,) = parse_patch(f"*** Begin Patch\n*** Update File: a.py\n{patch_body}*** End Patch\n").files
    return file.hunks


def test_hunks_are_placed_after_their_context_line_in_order() -> None:
    text = "def a():\n    return 1\n\n\ndef b():\n    return 1\n"
    body = "@@ def b():\n-    return 1\n+    return 2\n"

    assert apply_hunks(text, hunks(body)) == "def a():\n    return 1\n\n\ndef b():\n    return 2\n"


def test_hunks_match_ignoring_trailing_white_space_and_pure_additions_go_at_the_end() -> None:
    text = "x = 1   \ny = 2\n"
    body = "@@\n-x = 1\n+x = 10\n@@\n+z = 3\n"

    assert apply_hunks(text, hunks(body)) == "x = 10\ny = 2\nz = 3\n"


def test_a_hunk_whose_lines_are_not_in_the_file_does_not_apply() -> None:
    assert apply_hunks("x = 1\n", hunks("@@\n-y = 2\n+y = 3\n")) is None
