"""`provguard guard cursor` and `provguard guard copilot` (Copilot CLI and VS Code agent mode), run as the
agents run them, their answers checked against the agents' documented output."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from guard_support import allowed, answer, guard, payload

LOGO = Path("tests", "fixtures", "logo.png")


@pytest.fixture
def project(project: Path) -> Path:
    """The shared git project (conftest.py), with this module's files."""
    root = project
    (root / "src").mkdir()
    (root / "src" / "tax.py").write_text("def vat(amount):\n    return amount * 0.2\n", encoding="utf-8")
    (root / "training_data").mkdir()
    (root / "training_data" / "prompts.py").write_text("EXAMPLES = []\n", encoding="utf-8")
    (root / "evals").mkdir()
    (root / "evals" / "tax_cases.py").write_text("CASES = []\n", encoding="utf-8")
    (root / LOGO).parent.mkdir(parents=True)
    (root / LOGO).write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR")
    return root


def use_pack(project: Path, pack: str) -> None:
    (project / "team.yaml").write_text(pack, encoding="utf-8")
    (project / "provguard.toml").write_text('packs = ["team.yaml"]\n', encoding="utf-8")


ASK_FOR_TEST_FILES = "pack: team\nextends: default\noverrides:\n  ai-output-in-test-task-file: {agent-write: ask}\n"
FAIL_CLOSED = "pack: closed\nextends: default\nagent-write-on-error: deny\n"


def refused_unjudged(problem: str) -> str:
    """The reason given when a pack fails closed and the guard cannot judge the call."""
    return (f"provguard could not judge this call ({problem}), and this project's rule pack refuses what it cannot "
            "judge (agent-write-on-error: deny). Instead: tell the user what you were about to write and where, and "
            "let them decide.")


# -- Cursor --------------------------------------------------------------------------------------------------


def test_cursor_is_refused_a_test_file_with_a_message_for_the_agent_and_one_for_the_person(project: Path) -> None:
    found = answer("cursor", guard("cursor", payload("cursor-write-test-file.json", project)))

    assert found["permission"] == "deny"
    assert found["agent_message"].startswith("provguard refused this write to tests/test_coupon.py: Code "
                                             "written by Cursor must not be used to create test tasks")
    assert found["user_message"] == ("provguard refused a write to tests/test_coupon.py "
                                     "(ai-output-in-test-task-file): Code written by Cursor must not be "
                                     "used to create test tasks: tests/test_coupon.py is a test or evaluation file")


def test_cursor_string_replacement_given_as_a_json_string_is_judged_with_the_models_vendor(project: Path) -> None:
    found = answer("cursor", guard("cursor", payload("cursor-strreplace-training-data.json", project)))

    assert found["permission"] == "deny"
    assert "Code written by Cursor (openai) must not be in training data" in found["agent_message"]


@pytest.mark.parametrize("name", ["cursor-write-source.json", "cursor-read.json"])
def test_cursor_calls_no_rule_refuses_get_no_answer(project: Path, name: str) -> None:
    assert allowed(guard("cursor", payload(name, project))) == ""


def test_cursor_ask_lets_the_person_decide(project: Path) -> None:
    use_pack(project, ASK_FOR_TEST_FILES)

    found = answer("cursor", guard("cursor", payload("cursor-write-test-file.json", project)))

    assert found["permission"] == "ask"
    assert found["user_message"].startswith("provguard asks before this write to tests/test_coupon.py: ")


def test_cursor_multi_edit_is_applied_edit_after_edit_and_judged_as_a_whole(project: Path) -> None:
    assert allowed(guard("cursor", payload("cursor-multiedit-test-function.json", project))) == ""

    use_pack(project, "pack: team\nextends: default\noverrides:\n  ai-output-in-test-function: {agent-write: deny}\n")
    found = answer("cursor", guard("cursor", payload("cursor-multiedit-test-function.json", project)))

    assert found["permission"] == "deny"
    assert found["user_message"] == ("provguard refused a write to src/tax.py (ai-output-in-test-function): Code "
                                     "written by Cursor inside a test function: test tasks must be "
                                     "written by people")


def test_cursor_write_outside_the_workspace_is_judged_by_the_project_holding_it(project: Path,
                                                                                tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / ".git").mkdir(parents=True)

    found = answer("cursor", guard("cursor", payload("cursor-write-outside.json", project, elsewhere)))

    assert found["permission"] == "deny"
    assert found["user_message"] == ("provguard refused a write to corpus/sample.py (rival-ai-output-in-training-"
                                     "data): Code written by Cursor (anthropic) must not be in training data: "
                                     "corpus/sample.py is a training-data path")


def test_cursor_replacement_in_a_binary_file_is_not_judged_and_the_reason_goes_to_stderr(project: Path) -> None:
    stderr = allowed(guard("cursor", payload("cursor-strreplace-binary.json", project)))

    assert stderr == f"provguard guard: {project / LOGO}: not judged: binary file; the call is let through\n"


CURSOR_MALFORMED = "the payload on stdin is not JSON (line 2, column 1: Expecting value)"


def test_cursor_malformed_payload_is_let_through_saying_why_and_where(project: Path) -> None:
    stderr = allowed(guard("cursor", payload("cursor-malformed.json", project)))

    assert stderr == f"provguard guard: {CURSOR_MALFORMED}; the call is let through\n"


@pytest.mark.parametrize(("name", "problem"), [
    ("cursor-malformed.json", CURSOR_MALFORMED),
    ("cursor-strreplace-binary.json", f"{{project}}/{LOGO}: not judged: binary file"),
])
def test_cursor_pack_that_fails_closed_refuses_what_the_guard_cannot_judge(project: Path, name: str,
                                                                           problem: str) -> None:
    use_pack(project, FAIL_CLOSED)
    reason = refused_unjudged(problem.format(project=project))

    found = answer("cursor", guard("cursor", payload(name, project), cwd=project))

    assert found == {"permission": "deny", "user_message": reason, "agent_message": reason}


# -- Copilot -------------------------------------------------------------------------------------------------


def copilot_decision(done: subprocess.CompletedProcess[str]) -> tuple[str, str]:
    found = answer("copilot", done)
    top = (found["permissionDecision"], found["permissionDecisionReason"])
    vscode = found["hookSpecificOutput"]
    assert (vscode["permissionDecision"], vscode["permissionDecisionReason"]) == top  # both readers agree
    return top


def test_copilot_cli_create_of_a_test_file_is_refused(project: Path) -> None:
    verdict, reason = copilot_decision(guard("copilot", payload("copilot-cli-create-test-file.json", project)))

    assert verdict == "deny"
    assert reason.startswith("provguard refused this write to tests/test_refund.py: Code written by "
                             "Copilot must not be used to create test tasks")


def test_copilot_cli_edit_into_training_data_is_refused_naming_github(project: Path) -> None:
    verdict, reason = copilot_decision(guard("copilot", payload("copilot-cli-edit-training-data.json", project)))

    assert verdict == "deny"
    assert "Code written by Copilot (github) must not be in training data" in reason


def test_copilot_cli_shell_command_is_let_through_silently(project: Path) -> None:
    assert allowed(guard("copilot", payload("copilot-cli-bash.json", project))) == ""


def test_vscode_create_file_in_source_gets_no_answer(project: Path) -> None:
    assert allowed(guard("copilot", payload("copilot-vscode-create-file.json", project))) == ""


def test_vscode_multi_replace_names_the_file_a_rule_refuses(project: Path) -> None:
    verdict, reason = copilot_decision(guard("copilot", payload("copilot-vscode-multi-replace.json", project)))

    assert verdict == "deny"
    assert reason.startswith("provguard refused this write to evals/tax_cases.py:")


def test_vscode_apply_patch_is_read_with_the_same_patch_parser_as_codex(project: Path) -> None:
    verdict, reason = copilot_decision(guard("copilot", payload("copilot-vscode-apply-patch.json", project)))

    assert verdict == "deny"
    assert reason.startswith("provguard refused this write to tests/test_rate.py:")


def test_vscode_insert_edit_sketch_is_judged_by_its_code_at_the_path(project: Path) -> None:
    done = guard("copilot", payload("copilot-vscode-insert-edit.json", project))

    verdict, reason = copilot_decision(done)
    assert verdict == "deny"
    assert "datasets/load.py is a training-data path" in reason
    assert done.stderr == (f"provguard guard: {project}/datasets/load.py: an insert_edit_into_file sketch; judged "
                           "its code alone\n")


def test_copilot_arguments_that_are_not_json_are_let_through_saying_why(project: Path) -> None:
    broken = json.loads(payload("copilot-cli-create-test-file.json", project))
    broken["toolArgs"] = "{path: tests/x.py"

    stderr = allowed(guard("copilot", json.dumps(broken).encode()))

    assert stderr == "provguard guard: the tool arguments are a string but not JSON; the call is let through\n"


def test_copilot_ask_rule_lets_the_person_decide_in_both_readers_answers(project: Path) -> None:
    use_pack(project, ASK_FOR_TEST_FILES)

    verdict, reason = copilot_decision(guard("copilot", payload("copilot-cli-create-test-file.json", project)))

    assert verdict == "ask"
    assert reason.startswith("provguard asks before this write to tests/test_refund.py: Code written by "
                             "Copilot must not be used to create test tasks: tests/test_refund.py is a test or "
                             "evaluation file (provguard rule ai-output-in-test-task-file).")


def test_copilot_cli_edit_with_a_relative_path_is_judged_at_the_file_in_cwd(project: Path) -> None:
    assert allowed(guard("copilot", payload("copilot-cli-edit-source.json", project))) == ""

    use_pack(project, "pack: team\nextends: default\nrules:\n  - id: no-agents-in-src\n    severity: error\n"
                      "    message: '{tool} may not write {path}'\n    origins: {kind: ai-agent}\n"
                      "    paths: {include: 'src/**'}\n    agent-write: deny\n")
    verdict, reason = copilot_decision(guard("copilot", payload("copilot-cli-edit-source.json", project)))

    assert verdict == "deny"
    assert reason.startswith("provguard refused this write to src/tax.py: Copilot may not write src/tax.py "
                             "(provguard rule no-agents-in-src).")


def test_copilot_cli_edit_in_the_vscode_compatible_payload_is_refused_naming_the_rule(project: Path) -> None:
    verdict, reason = copilot_decision(guard("copilot", payload("copilot-cli-pretooluse-edit.json", project)))

    assert verdict == "deny"
    assert reason.startswith("provguard refused this write to evals/tax_cases.py: Code written by "
                             "Copilot must not be used to create test tasks: evals/tax_cases.py is a test or "
                             "evaluation file (provguard rule ai-output-in-test-task-file).")


def test_vscode_replace_string_into_training_data_is_refused_naming_the_rule(project: Path) -> None:
    verdict, reason = copilot_decision(guard("copilot", payload("copilot-vscode-replace-string.json", project)))

    assert verdict == "deny"
    assert reason.startswith("provguard refused this write to training_data/prompts.py: Code written by Copilot "
                             "(github) must not be in training data: training_data/prompts.py is a training-data path "
                             "(provguard rule rival-ai-output-in-training-data).")


def test_vscode_replace_string_whose_old_string_is_not_in_the_file_has_its_new_text_judged_alone(
        project: Path) -> None:
    (project / "training_data" / "prompts.py").write_text("EXAMPLES = [1]\n", encoding="utf-8")

    done = guard("copilot", payload("copilot-vscode-replace-string.json", project))

    assert copilot_decision(done)[0] == "deny"
    assert "prompts.py: the text to replace is not in the file, so the edit cannot be applied" in done.stderr


@pytest.mark.parametrize(("name", "refused"), [
    ("copilot-vscode-apply-patch-update.json", None),
    ("copilot-vscode-apply-patch-delete.json", None),
    ("copilot-vscode-apply-patch-move.json", "datasets/tax.py: Code written by Copilot (github) must not be in "
                                             "training data: datasets/tax.py is a training-data path (provguard rule "
                                             "rival-ai-output-in-training-data)."),
])
def test_vscode_apply_patch_updates_deletes_and_moves_are_judged_at_their_target(project: Path, name: str,
                                                                                 refused: str | None) -> None:
    done = guard("copilot", payload(name, project))

    if refused is None:
        assert allowed(done) == ""  # the update's hunk fits the file; a deletion writes no code
    else:
        verdict, reason = copilot_decision(done)
        assert verdict == "deny"
        assert reason.startswith(f"provguard refused this write to {refused}")


def test_vscode_create_file_outside_the_workspace_is_judged_by_the_project_holding_it(project: Path,
                                                                                      tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / ".git").mkdir(parents=True)

    verdict, reason = copilot_decision(guard("copilot", payload("copilot-vscode-create-outside.json", project,
                                                                elsewhere)))

    assert verdict == "deny"
    assert reason.startswith("provguard refused this write to corpus/sample.py: Code written by Copilot (github) must "
                             "not be in training data: corpus/sample.py is a training-data path (provguard rule "
                             "rival-ai-output-in-training-data).")


def test_copilot_cli_edit_of_a_binary_file_is_not_judged_and_the_reason_goes_to_stderr(project: Path) -> None:
    stderr = allowed(guard("copilot", payload("copilot-cli-edit-binary.json", project)))

    assert stderr == f"provguard guard: {project / LOGO}: not judged: binary file; the call is let through\n"


COPILOT_MALFORMED = "the payload on stdin is not JSON (line 1, column 1: Expecting value)"


def test_copilot_payload_that_is_not_json_at_all_is_let_through_saying_why_and_where(project: Path) -> None:
    stderr = allowed(guard("copilot", payload("copilot-malformed.json", project)))

    assert stderr == f"provguard guard: {COPILOT_MALFORMED}; the call is let through\n"


@pytest.mark.parametrize(("name", "problem"), [
    ("copilot-malformed.json", COPILOT_MALFORMED),
    ("copilot-cli-edit-binary.json", f"{{project}}/{LOGO}: not judged: binary file"),
])
def test_copilot_pack_that_fails_closed_refuses_what_the_guard_cannot_judge(project: Path, name: str,
                                                                            problem: str) -> None:
    use_pack(project, FAIL_CLOSED)

    verdict, reason = copilot_decision(guard("copilot", payload(name, project), cwd=project))

    assert (verdict, reason) == ("deny", refused_unjudged(problem.format(project=project)))
