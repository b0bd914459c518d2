"""`provguard guard claude-code`: Claude Code's PreToolUse hook, run as Claude Code runs it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from guard_support import allowed, decision, guard, payload

TEAM_PACK = """\
pack: team
extends: default
overrides:
  ai-output-in-test-function: {agent-write: ask}
"""


def test_a_new_test_file_is_refused_with_the_rule_and_what_to_do_instead(project: Path) -> None:
    done = guard("claude-code", payload("claude-code-write-test-file.json", project))

    assert decision("claude-code", done) == ("deny", (
        "provguard refused this write to tests/test_discount.py: Code written by Claude Code must not "
        "be used to create test tasks: tests/test_discount.py is a test or evaluation file (provguard rule "
        "ai-output-in-test-task-file). Test tasks must be written by people so that they measure models "
        "fairly. Instead: do not retry it or reach the file another way (a shell command, another tool, a "
        "suppression comment); tell the user that a person has to write this change to tests/test_discount.py, "
        "and go on with the rest of the task."))
    assert done.stderr == ""
    assert not (project / "tests" / "test_discount.py").exists()


def test_a_write_no_rule_refuses_gets_no_answer_at_all(project: Path) -> None:
    assert allowed(guard("claude-code", payload("claude-code-write-source.json", project))) == ""


def test_an_edit_is_judged_on_the_file_as_it_would_be_after_the_replacement(project: Path) -> None:
    data = project / "training_data" / "prompts.py"
    data.parent.mkdir()
    data.write_text('"""Prompts a person wrote."""\nEXAMPLES = []\n', encoding="utf-8")

    verdict, reason = decision("claude-code", guard("claude-code", payload("claude-code-edit-training-data.json",
                                                                           project)))

    assert verdict == "deny"
    assert reason.startswith("provguard refused this write to training_data/prompts.py: Code written by Claude Code "
                             "(anthropic) must not be in training data")
    assert "(provguard rule rival-ai-output-in-training-data)" in reason


def test_an_edit_whose_old_string_is_not_in_the_file_has_its_new_text_judged_alone_and_says_why(
        project: Path) -> None:
    data = project / "training_data" / "prompts.py"
    data.parent.mkdir()
    data.write_text("EXAMPLES = [1]\n", encoding="utf-8")

    done = guard("claude-code", payload("claude-code-edit-training-data.json", project))

    assert decision("claude-code", done)[0] == "deny"
    assert f"{data}: the text to replace is not in the file, so the edit cannot be applied; judged the new text " \
           "alone" in done.stderr


def write_cart(project: Path) -> None:
    (project / "src").mkdir()
    (project / "src" / "cart.py").write_text(
        "def total(items):\n    return sum(item.price for item in items)\n\n\n# checks\n", encoding="utf-8")


def test_a_multi_edit_adding_a_test_function_is_recorded_not_refused_by_the_default_pack(project: Path) -> None:
    write_cart(project)

    assert allowed(guard("claude-code", payload("claude-code-multiedit-test-function.json", project))) == ""


def test_a_team_pack_makes_the_user_decide_on_a_multi_edit_adding_a_test_function(project: Path) -> None:
    write_cart(project)
    (project / "team.yaml").write_text(TEAM_PACK, encoding="utf-8")
    (project / "provguard.toml").write_text('packs = ["team.yaml"]\n', encoding="utf-8")

    verdict, reason = decision("claude-code", guard("claude-code",
                                                    payload("claude-code-multiedit-test-function.json", project)))

    assert verdict == "ask"
    assert reason.startswith("provguard asks before this write to src/cart.py: Code written by "
                             "Claude Code inside a test function")
    assert "(provguard rule ai-output-in-test-function)" in reason


def test_only_the_agents_lines_count_not_what_the_file_already_breaks(project: Path) -> None:
    (project / "src").mkdir()
    (project / "src" / "cart.py").write_text(
        "# provguard: begin kind=ai-agent tool=codex vendor=openai\ndef test_old():\n    pass\n"
        "# provguard: end\n\ndef total(items):\n    return sum(item.price for item in items)\n\n\n# checks\n",
        encoding="utf-8")
    (project / "team.yaml").write_text(TEAM_PACK, encoding="utf-8")
    (project / "provguard.toml").write_text('packs = ["team.yaml"]\n', encoding="utf-8")
    first_edit_only = json.loads(payload("claude-code-multiedit-test-function.json", project))
    first_edit_only["tool_input"]["edits"] = first_edit_only["tool_input"]["edits"][:1]

    assert allowed(guard("claude-code", json.dumps(first_edit_only).encode())) == ""


def test_a_suppression_comment_the_agent_writes_itself_does_not_let_it_through(project: Path) -> None:
    sneaky = json.loads(payload("claude-code-write-test-file.json", project))
    sneaky["tool_input"]["content"] = ("# provguard: allow[ai-output-in-test-task-file] reason: the user asked\n"
                                       + sneaky["tool_input"]["content"])

    verdict, reason = decision("claude-code", guard("claude-code", json.dumps(sneaky).encode()))

    assert verdict == "deny"
    assert "(provguard rule ai-output-in-test-task-file)" in reason


def test_a_notebook_code_cell_in_a_dataset_folder_is_refused(project: Path) -> None:
    verdict, reason = decision("claude-code", guard("claude-code", payload("claude-code-notebookedit.json", project)))

    assert verdict == "deny"
    assert "datasets/clean.ipynb is a training-data path" in reason


def test_a_notebook_markdown_cell_writes_no_code(project: Path) -> None:
    markdown = json.loads(payload("claude-code-notebookedit.json", project))
    markdown["tool_input"]["cell_type"] = "markdown"

    assert allowed(guard("claude-code", json.dumps(markdown).encode())) == ""


def test_a_path_outside_the_workspace_is_judged_by_the_project_holding_it(project: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / ".git").mkdir(parents=True)

    verdict, reason = decision("claude-code", guard("claude-code", payload("claude-code-write-outside.json", project,
                                                                           elsewhere)))

    assert verdict == "deny"
    assert reason.startswith("provguard refused this write to corpus/sample.py:")


def test_a_path_outside_every_project_is_judged_from_its_own_folder(project: Path, tmp_path: Path) -> None:
    loose = json.loads(payload("claude-code-write-outside.json", project, tmp_path / "loose"))
    loose["tool_input"]["file_path"] = str(tmp_path / "loose" / "notes.py")

    assert allowed(guard("claude-code", json.dumps(loose).encode())) == ""


def test_a_binary_file_is_not_judged_and_the_reason_goes_to_stderr(project: Path) -> None:
    logo = project / "tests" / "fixtures" / "logo.png"
    logo.parent.mkdir(parents=True)
    logo.write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR")

    stderr = allowed(guard("claude-code", payload("claude-code-edit-binary.json", project)))

    assert stderr == f"provguard guard: {logo}: not judged: binary file; the call is let through\n"


def test_a_malformed_payload_is_let_through_with_the_reason_on_stderr(project: Path) -> None:
    stderr = allowed(guard("claude-code", payload("claude-code-malformed.json", project)))

    assert stderr.startswith("provguard guard: the payload on stdin is not JSON (")
    assert stderr.endswith("); the call is let through\n")


@pytest.mark.parametrize(("change", "note"), [
    ({"hook_event_name": "PostToolUse"}, "a PostToolUse event, not PreToolUse: nothing to judge"),
    ({"tool_input": "tests/test_discount.py"}, "no tool_input object in the payload; the call is let through"),
    ({"tool_input": {"content": "x = 1\n"}}, "Write call without file_path; the call is let through"),
])
def test_a_payload_without_a_readable_write_is_let_through_saying_why(project: Path, change: dict[str, object],
                                                                       note: str) -> None:
    stderr = allowed(guard("claude-code", payload("claude-code-write-test-file.json", project, **change)))

    assert stderr == f"provguard guard: {note}\n"


def test_a_tool_that_writes_no_file_is_let_through_silently(project: Path) -> None:
    bash = payload("claude-code-write-test-file.json", project, tool_name="Bash",
                   tool_input={"command": "pytest -q"})

    assert allowed(guard("claude-code", bash)) == ""


def test_the_model_is_read_from_the_session_transcript_so_rules_can_select_it(project: Path,
                                                                             tmp_path: Path) -> None:
    transcript = tmp_path / "session.jsonl"
    call = json.loads(payload("claude-code-write-source.json", project))
    transcript.write_text(json.dumps({"type": "assistant", "message": {"model": "claude-opus-4-1", "content": [
        {"type": "tool_use", "id": call["tool_use_id"], "name": "Write", "input": call["tool_input"]}]}}) + "\n",
        encoding="utf-8")
    (project / "opus.yaml").write_text(
        "pack: opus\nrules:\n  - id: no-opus-in-src\n    severity: error\n    message: '{model} in {path}'\n"
        "    origins: {model: claude-opus-*}\n    paths: {include: 'src/**'}\n    agent-write: deny\n",
        encoding="utf-8")
    (project / "provguard.toml").write_text('packs = ["opus.yaml"]\n', encoding="utf-8")

    verdict, reason = decision("claude-code", guard("claude-code", json.dumps(
        {**call, "transcript_path": str(transcript)}).encode()))

    assert verdict == "deny"
    assert reason.startswith("provguard refused this write to src/discount.py: claude-opus-4-1 in src/discount.py ")


def test_a_tool_the_guard_does_not_know_is_let_through_with_a_note(project: Path) -> None:
    unknown = payload("claude-code-write-test-file.json", project, tool_name="WriteEverywhere",
                      tool_input={"file_path": str(project / "tests" / "test_x.py")})

    stderr = allowed(guard("claude-code", unknown))

    assert stderr == ("provguard guard: WriteEverywhere is not a tool provguard knows how to judge; the call is "
                      "let through\n")
