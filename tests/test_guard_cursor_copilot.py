"""`provguard guard cursor` and `provguard guard copilot` (Copilot CLI and VS Code agent mode), run as the
agents run them, their answers checked against the agents' documented output."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from guard_support import allowed, answer, guard, payload


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "shop"
    (root / ".git").mkdir(parents=True)
    (root / "src").mkdir()
    (root / "src" / "tax.py").write_text("def vat(amount):\n    return amount * 0.2\n", encoding="utf-8")
    (root / "training_data").mkdir()
    (root / "training_data" / "prompts.py").write_text("EXAMPLES = []\n", encoding="utf-8")
    (root / "evals").mkdir()
    (root / "evals" / "tax_cases.py").write_text("CASES = []\n", encoding="utf-8")
    return root


# -- Cursor --------------------------------------------------------------------------------------------------


def test_cursor_is_refused_a_test_file_with_a_message_for_the_agent_and_one_for_the_person(project: Path) -> None:
    found = answer("cursor", guard("cursor", payload("cursor-write-test-file.json", project)))

    assert found["permission"] == "deny"
    assert found["agent_message"].startswith("provguard refused this write to tests/test_coupon.py: AI output "
                                             "(ai-agent from cursor) must not be used to create test tasks")
    assert found["user_message"] == ("provguard refused a write to tests/test_coupon.py "
                                     "(ai-output-in-test-task-file): AI output (ai-agent from cursor) must not be "
                                     "used to create test tasks: tests/test_coupon.py is a test or evaluation file")


def test_cursor_string_replacement_given_as_a_json_string_is_judged_with_the_models_vendor(project: Path) -> None:
    found = answer("cursor", guard("cursor", payload("cursor-strreplace-training-data.json", project)))

    assert found["permission"] == "deny"
    assert "Output of cursor (openai) must not be in training data" in found["agent_message"]


@pytest.mark.parametrize("name", ["cursor-write-source.json", "cursor-read.json"])
def test_cursor_calls_no_rule_refuses_get_no_answer(project: Path, name: str) -> None:
    assert allowed(guard("cursor", payload(name, project))) == ""


def test_cursor_ask_lets_the_person_decide(project: Path) -> None:
    (project / "team.yaml").write_text("pack: team\nextends: default\n"
                                       "overrides:\n  ai-output-in-test-task-file: {agent-write: ask}\n",
                                       encoding="utf-8")
    (project / "provguard.toml").write_text('packs = ["team.yaml"]\n', encoding="utf-8")

    found = answer("cursor", guard("cursor", payload("cursor-write-test-file.json", project)))

    assert found["permission"] == "ask"
    assert found["user_message"].startswith("provguard asks before this write to tests/test_coupon.py: ")


def test_cursor_malformed_payload_is_let_through_saying_why(project: Path) -> None:
    stderr = allowed(guard("cursor", b'{"hook_event_name": "preToolUse", "tool_input": '))

    assert stderr.startswith("provguard guard: the payload on stdin is not JSON (")


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
    assert reason.startswith("provguard refused this write to tests/test_refund.py: AI output (ai-agent from "
                             "copilot) must not be used to create test tasks")


def test_copilot_cli_edit_into_training_data_is_refused_naming_github(project: Path) -> None:
    verdict, reason = copilot_decision(guard("copilot", payload("copilot-cli-edit-training-data.json", project)))

    assert verdict == "deny"
    assert "Output of copilot (github) must not be in training data" in reason


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
