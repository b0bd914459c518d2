"""`provguard hook claude-code|codex|cursor|copilot`: run as the agents run it, a process with the payload on
stdin."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from provguard.ledger.sqlite import SqliteLedger
from provguard.provenance.origin import Evidence
from provguard.provenance.transcripts.importer import import_agent
from transcript_support import CLAUDE_FIXTURE, CLAUDE_SESSION, CODEX_FIXTURE, CODEX_SESSION, moved, payload


def hook(agent: str, stdin: bytes, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "provguard", "hook", agent, *args], input=stdin.decode(),
                          capture_output=True, text=True, cwd=cwd, timeout=60, check=False)


def ledger_of(project: Path) -> SqliteLedger:
    return SqliteLedger(project / ".provguard" / "ledger.sqlite3")


@pytest.fixture
def transcript(tmp_path: Path, project: Path) -> Path:
    return moved(CLAUDE_FIXTURE, tmp_path / "claude" / f"{CLAUDE_SESSION}.jsonl", project)


@pytest.mark.parametrize(("name", "call", "path", "lines"), [
    ("claude-code-write.json", "toolu_01WriteDiscount7Qk", "src/discount.py", 5),
    ("claude-code-edit.json", "toolu_01EditCartTotal2Hm", "src/cart.py", 2),
    ("claude-code-multiedit.json", "toolu_01MultiEditTests9Zp", "tests/test_cart.py", 4),
])
def test_a_claude_code_edit_is_recorded_at_once_with_the_model_from_the_transcript(
        project: Path, transcript: Path, name: str, call: str, path: str, lines: int) -> None:
    done = hook("claude-code", payload(name, project, transcript))

    assert (done.returncode, done.stderr, done.stdout) == (0, "", "")
    (edit,) = ledger_of(project).agent_edits()
    assert (edit.tool_call_id, edit.path, edit.lines, edit.evidence, edit.source) == (call, path, lines,
                                                                                     Evidence.HOOK, "hook")
    assert (edit.session_id, edit.model, edit.vendor) == (CLAUDE_SESSION, "claude-sonnet-4-5-20250929", "anthropic")


def test_importing_the_transcript_after_the_hook_adds_only_the_calls_the_hook_did_not_see(
        project: Path, transcript: Path) -> None:
    hook("claude-code", payload("claude-code-edit.json", project, transcript))
    ledger = ledger_of(project)

    report = import_agent(ledger, "claude-code", project, [transcript])

    assert (report.edits_found, report.edits_new) == (4, 3)
    (edit,) = ledger.agent_edits(path="src/cart.py")
    assert edit.evidence is Evidence.HOOK  # the first record of the call stays


def test_without_a_tool_use_id_the_call_is_found_in_the_transcript(project: Path, transcript: Path) -> None:
    data = json.loads(payload("claude-code-write.json", project, transcript))
    del data["tool_use_id"]  # older Claude Code versions do not send it

    assert hook("claude-code", json.dumps(data).encode()).returncode == 0

    assert [e.tool_call_id for e in ledger_of(project).agent_edits()] == ["toolu_01WriteDiscount7Qk"]


def test_a_tool_that_writes_no_file_is_ignored_quietly(project: Path, transcript: Path) -> None:
    done = hook("claude-code", payload("claude-code-bash.json", project, transcript))

    assert (done.returncode, done.stderr) == (0, "")
    assert not (project / ".provguard").exists()


@pytest.mark.parametrize("stdin", [b"", b"{not json", b"[1, 2]", b"\xff\xfe"])
def test_bad_input_never_blocks_the_agent(project: Path, stdin: bytes) -> None:
    done = subprocess.run([sys.executable, "-m", "provguard", "hook", "claude-code"], input=stdin,
                          capture_output=True, timeout=60, check=False, cwd=project)

    assert done.returncode == 0
    assert done.stderr.decode().startswith("provguard hook: the hook input is not")


def test_a_ledger_that_cannot_be_written_is_reported_and_the_agent_goes_on(project: Path, transcript: Path) -> None:
    (project / "blocker").write_text("a file, not a folder")

    done = hook("claude-code", payload("claude-code-write.json", project, transcript),
                "--ledger", str(project / "blocker" / "ledger.sqlite3"))

    assert done.returncode == 0
    assert "provguard hook: provguard cannot use the ledger" in done.stderr
    assert "the edit is not recorded" in done.stderr


def test_a_bad_command_line_does_not_block_the_agent_either(project: Path) -> None:
    done = hook("windsurf", b"{}")

    assert done.returncode == 0 and "invalid choice" in done.stderr


def test_a_codex_apply_patch_is_recorded_per_file_and_a_later_import_agrees(tmp_path: Path, project: Path) -> None:
    rollout = moved(CODEX_FIXTURE, tmp_path / "codex" / CODEX_FIXTURE.name, project)

    done = hook("codex", payload("codex-apply-patch.json", project, rollout))

    assert (done.returncode, done.stderr) == (0, "")
    ledger = ledger_of(project)
    assert sorted((e.path, e.model, e.session_id, e.evidence) for e in ledger.agent_edits()) == [
        ("src/cart.py", "gpt-5-codex", CODEX_SESSION, Evidence.HOOK),
        ("src/shipping.py", "gpt-5-codex", CODEX_SESSION, Evidence.HOOK),
    ]
    assert import_agent(ledger, "codex", project, [rollout]).edits_new == 4


def test_a_codex_shell_command_applying_a_patch_is_recorded_and_a_failed_one_is_not(project: Path) -> None:
    data = json.loads(payload("codex-apply-patch.json", project))
    patch = data["tool_input"]["command"]
    shell = {**data, "tool_name": "Bash", "tool_use_id": "call_shell1",
             "tool_input": {"command": f"apply_patch <<'EOF'\n{patch}\nEOF\n"}}
    failed = {**data, "tool_use_id": "call_failed", "tool_response": "apply_patch verification failed: no such file"}

    assert hook("codex", json.dumps(shell).encode()).returncode == 0
    done = hook("codex", json.dumps(failed).encode())

    assert "did not apply" in done.stderr
    assert {e.tool_call_id for e in ledger_of(project).agent_edits()} == {"call_shell1"}


def test_the_project_is_found_from_the_agents_working_folder(project: Path, transcript: Path) -> None:
    data = json.loads(payload("claude-code-write.json", project, transcript))
    data["cwd"] = str(project / "src")  # the agent was started in a subfolder

    hook("claude-code", json.dumps(data).encode())

    assert [e.path for e in ledger_of(project).agent_edits()] == ["src/discount.py"]


def test_a_cursor_after_file_edit_records_what_the_agent_put_in_once(project: Path) -> None:
    data = payload("cursor-after-file-edit.json", project)

    first, again = hook("cursor", data), hook("cursor", data)  # Cursor may run a hook twice; one record

    assert (first.returncode, first.stderr, again.returncode, again.stderr) == (0, "", 0, "")
    (edit,) = ledger_of(project).agent_edits()  # the second edit only deleted: nothing to recognise
    assert (edit.tool, edit.path, edit.lines, edit.model, edit.vendor, edit.session_id, edit.evidence) == (
        "cursor", "src/coupon.py", 5, "claude-4.5-sonnet", "anthropic", "c7f1e2d3-4b5a-4c6d-8e9f-0a1b2c3d4e5f",
        Evidence.HOOK)


def test_a_second_edit_of_the_same_file_in_one_cursor_generation_is_its_own_record(project: Path) -> None:
    data = json.loads(payload("cursor-after-file-edit.json", project))
    hook("cursor", json.dumps(data).encode())
    data["edits"] = [{"old_string": "", "new_string": "MAX_DISCOUNT_PERCENT = 50\nMIN_ORDER = 10.0\n"}]

    hook("cursor", json.dumps(data).encode())

    assert sorted(e.lines for e in ledger_of(project).agent_edits()) == [2, 5]


def test_a_cursor_post_tool_use_is_read_like_its_pre_tool_use(project: Path) -> None:
    data = json.loads(payload("cursor-after-file-edit.json", project))
    post = {k: v for k, v in data.items() if k not in ("file_path", "edits")}
    post |= {"hook_event_name": "postToolUse", "tool_name": "Write", "tool_use_id": "tool_01Write",
             "tool_input": {"path": str(project / "src" / "fees.py"), "contents": "FEE = 0.3\n\ndef fee(x):\n"
                            "    return x * FEE\n"}}

    assert hook("cursor", json.dumps(post).encode()).stderr == ""
    assert [(e.path, e.lines) for e in ledger_of(project).agent_edits()] == [("src/fees.py", 4)]


def test_a_copilot_edit_is_recorded_per_file_from_vscode_and_from_the_cli(project: Path) -> None:
    assert hook("copilot", payload("copilot-vscode-post-multi-replace.json", project)).stderr == ""
    assert hook("copilot", payload("copilot-cli-post-create.json", project)).stderr == ""

    edits = ledger_of(project).agent_edits()
    assert sorted((e.path, e.lines, e.tool, e.session_id) for e in edits) == [
        ("src/invoice.py", 2, "copilot", "e5f6a7b8-c9d0-4e1f-a2b3-c4d5e6f7a8b9"),
        ("src/rates.py", 2, "copilot", "b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e"),
        ("src/tax.py", 2, "copilot", "b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e"),
    ]
    assert {e.tool_call_id for e in edits if e.path != "src/invoice.py"} == {"call_VsMulti2"}


def test_a_copilot_call_that_failed_or_was_denied_records_nothing(project: Path) -> None:
    data = json.loads(payload("copilot-cli-post-create.json", project))
    data["toolResult"] = {"resultType": "denied", "textResultForLlm": "The user denied this tool call"}

    done = hook("copilot", json.dumps(data).encode())

    assert done.returncode == 0 and "did not succeed (denied)" in done.stderr
    assert not (project / ".provguard").exists()  # no ledger was even opened


def test_a_claude_code_notebook_cell_is_recorded_and_found_again_when_copied_into_a_module(project: Path) -> None:
    data = json.loads(payload("claude-code-notebookedit.json", project))
    markdown = {**data, "tool_use_id": "toolu_01Markdown",
                "tool_input": {**data["tool_input"], "cell_type": "markdown"}}

    assert hook("claude-code", json.dumps(data).encode()).stderr == ""
    assert hook("claude-code", json.dumps(markdown).encode()).stderr == ""  # prose: no code to recognise

    (edit,) = ledger_of(project).agent_edits()
    assert (edit.path, edit.tool_call_id, edit.lines) == ("analysis/orders.ipynb", "toolu_01NotebookClean4Rt", 9)
    copied = data["tool_input"]["new_source"].replace("frame", "table").replace("kept", "rows")
    (project / "pipeline").mkdir()
    (project / "pipeline" / "orders.py").write_text("import pandas as pd\n\n\n" + copied, encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "provguard", "check", "pipeline", "--format", "json", "--fail-on",
                           "never"], capture_output=True, text=True, cwd=project, timeout=120, check=False)
    origins = [f["origin"] for f in json.loads(done.stdout)["findings"]]
    assert origins and {(o["evidence"], o["tool"], o["extra"]["source"]) for o in origins} == {
        ("fingerprint", "claude-code", "analysis/orders.ipynb")}


def test_a_cursor_tab_completion_is_recorded_as_an_ai_completion_not_an_agent_edit(project: Path) -> None:
    data = payload("cursor-after-tab-file-edit.json", project)
    completion = json.loads(data)["edits"][0]["new_string"]

    done = hook("cursor", data)

    assert (done.returncode, done.stderr) == (0, "")
    (edit,) = ledger_of(project).agent_edits()
    assert (edit.tool, edit.path, edit.lines, edit.model, edit.session_id, edit.evidence, edit.source) == (
        "cursor-tab", "src/coupon.py", 3, None, "c7f1e2d3-4b5a-4c6d-8e9f-0a1b2c3d4e5f", Evidence.HOOK, "hook")
    (project / "src").mkdir()
    (project / "src" / "coupon.py").write_text(f"def coupon(code):\n{completion}    return normalised\n",
                                               encoding="utf-8")
    checked = subprocess.run([sys.executable, "-m", "provguard", "check", "src", "--format", "json", "--fail-on",
                              "never", "--pack", str(Path(__file__).parent / "fixtures" / "agent-trace" / "pack.yaml")],
                             capture_output=True, text=True, cwd=project, timeout=120, check=False)
    origins = [f["origin"] for f in json.loads(checked.stdout)["findings"]]
    assert origins and {(o["kind"], o["evidence"], o["tool"], o.get("vendor")) for o in origins} == {
        ("ai-completion", "hook", "cursor-tab", "anysphere")}
