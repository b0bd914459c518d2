"""Files an agent writes through its shell tool: `provguard hook <agent>` snapshots what git reports as changed
before the call (the pre-tool payload) and records what the call changed after it (the post-tool payload), run
as the agents run it, with real files written in between."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from git_support import Repo
from provguard.ledger.model import AgentEdit
from provguard.ledger.sqlite import SqliteLedger
from provguard.provenance import shell_writes
from provguard.provenance.fingerprints import insertion_prints
from provguard.provenance.origin import Evidence
from transcript_support import CLAUDE_FIXTURE, CLAUDE_SESSION, moved, payload

COMMAND = "cat > data/train/sample.py <<'EOF'\n...\nEOF"


def hook(agent: str, data: dict[str, Any], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "provguard", "hook", agent], input=json.dumps(data),
                          capture_output=True, text=True, cwd=cwd, timeout=60, check=False)


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    repo = Repo(tmp_path / "shop")
    repo.commit({"src/cart.py": "def total(items):\n    return sum(items)\n", "README.md": "# shop\n"}, "start")
    return repo


@pytest.fixture
def transcript(tmp_path: Path, repo: Repo) -> Path:
    return moved(CLAUDE_FIXTURE, tmp_path / "claude" / f"{CLAUDE_SESSION}.jsonl", repo.root)


def claude(repo: Repo, transcript: Path, event: str, command: str = COMMAND,
           call: str = "toolu_01BashWrite") -> dict[str, Any]:
    data: dict[str, Any] = json.loads(payload("claude-code-bash.json", repo.root, transcript))
    data.update(hook_event_name=event, tool_use_id=call, tool_input={"command": command, "description": "x"})
    if event == "PreToolUse":
        del data["tool_response"]
    if event == "PostToolUseFailure":  # a failed call: its error in place of the tool's response
        del data["tool_response"]
        data.update(error="Command exited with non-zero status code 1", is_interrupt=False)
    return data


MODEL = "claude-opus-4-1-20250805"


def bash_call(repo: Repo, transcript: Path, command: str, call: str = "toolu_01BashWrite", fails: bool = False
              ) -> str:
    """The call's line in the transcript (Claude Code writes it before the tool runs), the pre hook, the command
    run by a real shell in the project, the post hook (PostToolUseFailure when the command `fails`, as Claude
    Code sends it for a failed call); the post hook's stdout."""
    line = {"type": "assistant", "sessionId": CLAUDE_SESSION, "cwd": str(repo.root),
            "message": {"role": "assistant", "model": MODEL, "content": [
                {"type": "tool_use", "id": call, "name": "Bash", "input": {"command": command}}]}}
    with transcript.open("a", encoding="utf-8") as file:
        file.write("\n" + json.dumps(line) + "\n")  # the fixture's last line has no line break
    pre = hook("claude-code", claude(repo, transcript, "PreToolUse", command, call), repo.root)
    assert (pre.returncode, pre.stdout, pre.stderr) == (0, "", "")
    ran = subprocess.run(["bash", "-c", command], cwd=repo.root, check=False, timeout=60)
    assert (ran.returncode != 0) == fails
    post = hook("claude-code", claude(repo, transcript, "PostToolUseFailure" if fails else "PostToolUse", command,
                                      call), repo.root)
    assert post.returncode == 0 and post.stderr == ""
    return post.stdout


def snapshots(repo: Repo) -> list[Path]:
    """The snapshots of the shell calls whose post hook has not come yet."""
    return sorted((repo.root / ".provguard" / "shell").glob("*.json"))


def edits(repo: Repo) -> list[AgentEdit]:
    return SqliteLedger(repo.root / ".provguard" / "ledger.sqlite3").agent_edits()


def recorded(repo: Repo) -> list[tuple[str, int, tuple[int, ...]]]:
    """Each recorded edit's path, line count and line hashes (the ledger keeps no text unless asked)."""
    return sorted((e.path, e.lines, tuple(e.line_hashes)) for e in edits(repo))


def inserted(*edits: tuple[str, str]) -> list[tuple[str, int, tuple[int, ...]]]:
    """What `recorded` holds when exactly these texts were inserted into these files."""
    prints = [(path, insertion_prints(text, path)) for path, text in edits]
    return sorted((path, p.lines, tuple(p.line_hashes)) for path, p in prints)


def test_a_shell_write_into_training_data_is_recorded_as_the_agents_and_reported_at_once(
        repo: Repo, transcript: Path) -> None:
    command = ("mkdir -p data/train && cat > data/train/sample.py <<'EOF'\ndef normalise_prompt(prompt):\n"
               "    return prompt.strip().lower()\nEOF")

    answer = json.loads(bash_call(repo, transcript, command))

    (edit,) = edits(repo)
    assert (edit.path, edit.tool, edit.vendor, edit.model, edit.session_id, edit.tool_call_id, edit.evidence,
            edit.source, edit.lines) == ("data/train/sample.py", "claude-code", "anthropic",
                                         MODEL, CLAUDE_SESSION, "toolu_01BashWrite",
                                         Evidence.HOOK, "shell", 2)
    assert answer["decision"] == "block"
    assert answer["reason"] == answer["hookSpecificOutput"]["additionalContext"]
    assert answer["hookSpecificOutput"]["hookEventName"] == "PostToolUse"
    assert answer["reason"].startswith("provguard: your Bash command wrote to data/train/sample.py, which agents "
                                       "may not write: Code written by Claude Code (anthropic) must not be in training "
                                       "data")
    assert "(provguard rule rival-ai-output-in-training-data)" in answer["reason"]
    assert snapshots(repo) == []  # the snapshot is gone with the call
    checked = subprocess.run([sys.executable, "-m", "provguard", "check", "data", "--format", "json"],
                             capture_output=True, text=True, cwd=repo.root, timeout=120, check=False)
    findings = json.loads(checked.stdout)["findings"]
    assert ("rival-ai-output-in-training-data", "data/train/sample.py", "claude-code", "hook") in {
        (f["rule"], f["path"], f["origin"]["tool"], f["origin"]["evidence"]) for f in findings}


def test_a_failing_command_that_wrote_into_training_data_is_recorded_and_reported_all_the_same(
        repo: Repo, transcript: Path) -> None:
    command = ("mkdir -p data/train && cat > data/train/sample.py <<'EOF'\ndef normalise_prompt(prompt):\n"
               "    return prompt.strip().lower()\nEOF\nfalse")

    answer = json.loads(bash_call(repo, transcript, command, fails=True))

    (edit,) = edits(repo)
    assert (edit.path, edit.tool, edit.model, edit.tool_call_id, edit.evidence, edit.source, edit.lines) == (
        "data/train/sample.py", "claude-code", MODEL, "toolu_01BashWrite", Evidence.HOOK, "shell", 2)
    assert answer["decision"] == "block"
    assert answer["hookSpecificOutput"] == {"hookEventName": "PostToolUseFailure",
                                            "additionalContext": answer["reason"]}
    assert answer["reason"].startswith("provguard: your Bash command wrote to data/train/sample.py, which agents "
                                       "may not write:")
    assert snapshots(repo) == []  # the snapshot is gone with the call


def test_a_failing_command_that_wrote_nothing_leaves_no_record_no_word_and_no_snapshot(
        repo: Repo, transcript: Path) -> None:
    assert bash_call(repo, transcript, "grep -q absent README.md", fails=True) == ""

    assert snapshots(repo) == []
    assert not (repo.root / ".provguard" / "ledger.sqlite3").exists()


def test_only_the_lines_the_command_inserted_are_the_agents(repo: Repo, transcript: Path) -> None:
    repo.write("src/cart.py", "def total(items):\n    return sum(items)\n# a person's note\n")  # dirty before

    stdout = bash_call(repo, transcript, "sed -i 's/sum(items)/sum(i.price for i in items)/' src/cart.py "
                                         "&& echo 'TAX = 0.2' >> src/cart.py")

    assert stdout == ""  # src/ is no path the packs refuse to agents
    assert recorded(repo) == inserted(("src/cart.py", "    return sum(i.price for i in items)\n"),
                                      ("src/cart.py", "TAX = 0.2\n"))


def test_a_file_changed_before_the_snapshot_or_only_touched_by_the_call_is_not_recorded(
        repo: Repo, transcript: Path) -> None:
    repo.write("notes.txt", "a person's untracked notes\n")
    repo.write("README.md", "# shop\n\nEdited by a person.\n")

    assert bash_call(repo, transcript, "echo 'print(1)' > new_tool.py && touch README.md notes.txt") == ""

    assert recorded(repo) == inserted(("new_tool.py", "print(1)\n"))


def test_a_file_a_person_changes_before_the_call_and_the_agent_then_extends_keeps_the_persons_lines(
        repo: Repo, transcript: Path) -> None:
    repo.write("README.md", "# shop\n\nA person's paragraph.\n")

    bash_call(repo, transcript, "printf 'An agent line.\\n' >> README.md")

    assert recorded(repo) == inserted(("README.md", "An agent line.\n"))


def test_a_deleted_file_and_deleted_lines_are_no_insertion(repo: Repo, transcript: Path) -> None:
    repo.write("scratch.py", "x = 1\ny = 2\n")

    assert bash_call(repo, transcript, "rm README.md scratch.py && sed -i '2d' src/cart.py") == ""

    assert edits(repo) == []


def test_links_fifos_and_huge_files_are_skipped_without_hanging(repo: Repo, transcript: Path) -> None:
    os.mkfifo(repo.root / "pipe")
    command = ("ln -s /dev/zero zeros && ln -s src/cart.py cart-link && head -c 9000000 /dev/zero | tr '\\0' 'a' "
               "> huge.txt && echo 'ok = True' > small.py")

    assert bash_call(repo, transcript, command) == ""

    assert recorded(repo) == inserted(("small.py", "ok = True\n"))


def test_a_post_hook_without_its_snapshot_says_so_and_does_not_block(repo: Repo, transcript: Path) -> None:
    (repo.root / "data" / "train").mkdir(parents=True)
    (repo.root / "data" / "train" / "sample.py").write_text("x = 1\n")

    done = hook("claude-code", claude(repo, transcript, "PostToolUse", call="toolu_01NoPre"), repo.root)

    assert (done.returncode, done.stdout) == (0, "")
    assert done.stderr == ("provguard hook: no snapshot for this Bash call (its pre-tool hook did not run): files "
                           "it wrote are not recorded\n")
    assert not (repo.root / ".provguard" / "ledger.sqlite3").exists()


def test_outside_git_the_pre_hook_says_why_nothing_is_recorded_and_the_post_hook_stays_quiet(
        tmp_path: Path) -> None:
    project = tmp_path / "plain"
    (project / ".provguard").mkdir(parents=True)
    data = json.loads(payload("claude-code-bash.json", project))
    pre = {**data, "hook_event_name": "PreToolUse"}

    before = hook("claude-code", pre, project)
    after = hook("claude-code", data, project)

    assert before.returncode == 0 and "is not in a git work tree" in before.stderr
    assert (after.returncode, after.stdout, after.stderr) == (0, "", "")


def test_a_repository_with_thousands_of_untracked_files_still_finishes(repo: Repo, transcript: Path) -> None:
    many = repo.root / "generated"
    many.mkdir()
    for number in range(5000):
        (many / f"f{number}.txt").write_text(f"{number}\n")

    bash_call(repo, transcript, "echo 'changed' >> generated/f17.txt && echo 'x = 2' > late.py")

    assert recorded(repo) == inserted(("generated/f17.txt", "changed\n"), ("late.py", "x = 2\n"))


def test_a_stale_snapshot_is_removed_by_a_later_call(repo: Repo, transcript: Path) -> None:
    hook("claude-code", claude(repo, transcript, "PreToolUse", call="toolu_01Refused"), repo.root)
    (stale,) = snapshots(repo)
    os.utime(stale, (0, 0))

    bash_call(repo, transcript, "true")

    assert snapshots(repo) == []


def test_a_codex_shell_call_is_recorded_with_the_payloads_model(repo: Repo) -> None:
    data = json.loads(payload("codex-apply-patch.json", repo.root))
    call = {**data, "tool_name": "Bash", "tool_use_id": "call_shell9", "tool_input": {"command": "tee"}}
    call.pop("tool_response", None)

    pre = hook("codex", {**call, "hook_event_name": "PreToolUse"}, repo.root)
    (repo.root / "datasets").mkdir()
    (repo.root / "datasets" / "rows.py").write_text("ROWS = [1, 2]\n")
    post = hook("codex", {**call, "hook_event_name": "PostToolUse", "tool_response": "ok"}, repo.root)

    assert (pre.returncode, pre.stderr, post.returncode, post.stderr) == (0, "", 0, "")
    (edit,) = edits(repo)
    assert (edit.path, edit.tool, edit.model, edit.source) == ("datasets/rows.py", "codex", "gpt-5-codex", "shell")
    assert json.loads(post.stdout)["decision"] == "block"


def test_a_cursor_shell_call_is_recorded_and_reported_in_cursors_answer(repo: Repo) -> None:
    base = {"conversation_id": "conv-1", "generation_id": "gen-1", "model": "gpt-5", "tool_name": "Shell",
            "tool_input": {"command": "cat > corpus/a.py"}, "tool_use_id": "tool-7",
            "workspace_roots": [str(repo.root)]}

    pre = hook("cursor", {**base, "hook_event_name": "preToolUse"}, repo.root)
    (repo.root / "corpus").mkdir()
    (repo.root / "corpus" / "a.py").write_text("A = 1\n")
    post = hook("cursor", {**base, "hook_event_name": "postToolUse", "tool_output": "{}"}, repo.root)

    assert (pre.returncode, pre.stderr, post.returncode, post.stderr) == (0, "", 0, "")
    (edit,) = edits(repo)
    assert (edit.path, edit.tool, edit.model, edit.session_id, edit.source) == (
        "corpus/a.py", "cursor", "gpt-5", "conv-1", "shell")
    assert "rival-ai-output-in-training-data" in json.loads(post.stdout)["additional_context"]


def test_provguards_own_files_are_never_the_agents(repo: Repo, transcript: Path) -> None:
    """Another shell call's snapshot, taken while this one runs, and the ledger live in .provguard/."""
    command = "echo 'value = 42' > answer.py"
    hook("claude-code", claude(repo, transcript, "PreToolUse", command), repo.root)
    hook("claude-code", claude(repo, transcript, "PreToolUse", "sleep 1", "toolu_01Other"), repo.root)
    subprocess.run(["bash", "-c", command], cwd=repo.root, check=True, timeout=60)

    done = hook("claude-code", claude(repo, transcript, "PostToolUse", command), repo.root)

    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    assert recorded(repo) == inserted(("answer.py", "value = 42\n"))
    assert len(snapshots(repo)) == 1  # the other call's, until its post hook


def test_a_copilot_terminal_call_is_recorded_and_its_other_pre_tool_calls_pass_quietly(repo: Repo) -> None:
    """Copilot's hooks have no matcher: a PreToolUse `provguard hook copilot` sees every call."""
    base = {"session_id": "vs-1", "cwd": str(repo.root), "tool_name": "run_in_terminal",
            "tool_input": {"command": "echo hi > tool.py"}, "tool_use_id": "call_t1"}
    read = hook("copilot", {**base, "hook_event_name": "PreToolUse", "tool_name": "read_file",
                            "tool_input": {"filePath": "README.md"}}, repo.root)

    pre = hook("copilot", {**base, "hook_event_name": "PreToolUse"}, repo.root)
    (repo.root / "tool.py").write_text("print('made by a terminal command')\n")
    post = hook("copilot", {**base, "hook_event_name": "PostToolUse", "tool_response": "ok"}, repo.root)

    assert [(d.returncode, d.stdout, d.stderr) for d in (read, pre, post)] == [(0, "", "")] * 3
    (edit,) = edits(repo)
    assert (edit.path, edit.tool, edit.session_id, edit.tool_call_id, edit.source) == (
        "tool.py", "copilot", "vs-1", "call_t1", "shell")


# -- gitignored training data ---------------------------------------------------------------------------------


@pytest.fixture
def ignoring(repo: Repo) -> Repo:
    """A project whose .gitignore hides its data folder and every JSON Lines file, as training data often is."""
    repo.commit({".gitignore": "data/\n*.jsonl\nbuild/\n"}, "ignore data")
    repo.write("data/train/sample.py", "def existing():\n    return 1\n")  # there before the call, ignored
    return repo


def test_a_shell_write_into_a_gitignored_training_data_folder_is_recorded_and_reported(
        ignoring: Repo, transcript: Path) -> None:
    command = "printf 'def normalise(p):\\n    return p.strip()\\n' >> data/train/sample.py"

    answer = json.loads(bash_call(ignoring, transcript, command))

    assert recorded(ignoring) == inserted(("data/train/sample.py", "def normalise(p):\n    return p.strip()\n"))
    assert answer["decision"] == "block"
    assert "your Bash command wrote to data/train/sample.py, which agents may not write" in answer["reason"]


def test_a_new_gitignored_file_under_a_protected_path_is_recorded_whole(ignoring: Repo, transcript: Path) -> None:
    command = "mkdir -p corpus && printf '{\"q\": 1}\\n{\"q\": 2}\\n' > corpus/rows.jsonl"

    stdout = bash_call(ignoring, transcript, command)

    assert recorded(ignoring) == inserted(("corpus/rows.jsonl", '{"q": 1}\n{"q": 2}\n'))
    assert "corpus/rows.jsonl" in json.loads(stdout)["reason"]


def test_gitignored_files_outside_the_protected_paths_are_not_recorded(ignoring: Repo, transcript: Path) -> None:
    """Build output, installed packages: written by commands, never code anyone wrote."""
    command = "mkdir -p build data/cache && echo 'x = 1' > build/gen.py && echo 'y = 2' > data/cache/c.py"

    assert bash_call(ignoring, transcript, command) == ""

    assert edits(ignoring) == []


def test_a_gitignored_protected_file_only_touched_by_the_call_is_not_recorded(
        ignoring: Repo, transcript: Path) -> None:
    assert bash_call(ignoring, transcript, "touch data/train/sample.py") == ""

    assert edits(ignoring) == []


def test_over_the_bound_of_ignored_files_the_rest_are_judged_by_their_time_and_a_note_says_so(
        ignoring: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    for number in range(12):
        ignoring.write(f"data/train/f{number:02}.py", f"N = {number}\n")
    protected = shell_writes.Protected(str(ignoring.root), ((("**/data/train/**",), ()),))
    monkeypatch.setattr(shell_writes, "MAX_IGNORED", 5)

    taken = shell_writes.snapshot(ignoring.root, protected)
    (ignoring.root / "data" / "train" / "f11.py").write_text("N = 11\nM = 12\n")  # beyond the bound: by its time
    (ignoring.root / "data" / "train" / "new.py").write_text("NEW = True\n")
    found = shell_writes.changes(ignoring.root, taken)

    assert taken.notes == ["13 gitignored files under the paths agents may not write, over the bound of 5: 8 of "
                           "them (data/train/f05.py, data/train/f06.py, data/train/f07.py and 5 more) are compared "
                           "after the call by their modification time alone"]
    assert sorted((w.rel, w.inserted) for w in found) == [("data/train/f11.py", ("N = 11\nM = 12\n",)),
                                                         ("data/train/new.py", ("NEW = True\n",))]
    assert [w.note for w in found] == [None, None]


# -- shell calls that overlap ---------------------------------------------------------------------------------


def pre(repo: Repo, transcript: Path, call: str, command: str) -> None:
    done = hook("claude-code", claude(repo, transcript, "PreToolUse", command, call), repo.root)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def post(repo: Repo, transcript: Path, call: str, command: str) -> str:
    done = hook("claude-code", claude(repo, transcript, "PostToolUse", command, call), repo.root)
    assert (done.returncode, done.stderr) == (0, "")
    return done.stdout


def by_call(repo: Repo) -> list[tuple[str, str, int]]:
    """Each recorded edit's call, path and line count."""
    return sorted((e.tool_call_id, e.path, e.lines) for e in edits(repo))


A, B = "toolu_01CallA", "toolu_01CallB"
WRITE_A = "printf 'a = 1\\n' > a_out.py"
WRITE_B = "printf 'b = 2\\nb = 3\\n' > b_out.py"


@pytest.mark.parametrize("order", ["AB", "BA"])
def test_two_overlapping_calls_each_get_the_file_their_command_names_once(
        repo: Repo, transcript: Path, order: str) -> None:
    """pre A, pre B, both commands run, then the post hooks in either order."""
    commands = {A: WRITE_A, B: WRITE_B}
    pre(repo, transcript, A, WRITE_A)
    pre(repo, transcript, B, WRITE_B)
    for command in (WRITE_A, WRITE_B):
        subprocess.run(["bash", "-c", command], cwd=repo.root, check=True, timeout=60)

    for call in (A, B) if order == "AB" else (B, A):
        post(repo, transcript, call, commands[call])

    assert by_call(repo) == [(A, "a_out.py", 1), (B, "b_out.py", 2)]
    assert snapshots(repo) == []


def test_a_call_ending_first_records_only_what_was_made_before_the_other_ended(
        repo: Repo, transcript: Path) -> None:
    """pre A, pre B, B writes, post B, A writes, post A."""
    pre(repo, transcript, A, WRITE_A)
    pre(repo, transcript, B, WRITE_B)
    subprocess.run(["bash", "-c", WRITE_B], cwd=repo.root, check=True, timeout=60)
    post(repo, transcript, B, WRITE_B)
    subprocess.run(["bash", "-c", WRITE_A], cwd=repo.root, check=True, timeout=60)
    post(repo, transcript, A, WRITE_A)

    assert by_call(repo) == [(A, "a_out.py", 1), (B, "b_out.py", 2)]


def test_a_change_made_before_the_other_call_began_is_the_first_calls_even_if_the_other_names_the_file(
        repo: Repo, transcript: Path) -> None:
    """The second call's snapshot already shows the file as it is: it cannot have written it."""
    first, second = "python3 -c \"open('gen.py', 'w').write('g = 1\\n')\"", "cat gen.py > copy.py"
    pre(repo, transcript, A, first)
    subprocess.run(["bash", "-c", first], cwd=repo.root, check=True, timeout=60)
    pre(repo, transcript, B, second)
    subprocess.run(["bash", "-c", second], cwd=repo.root, check=True, timeout=60)
    post(repo, transcript, A, first)
    post(repo, transcript, B, second)

    assert by_call(repo) == [(A, "gen.py", 1), (B, "copy.py", 1)]


def test_lines_both_calls_add_to_one_file_are_each_recorded_once(repo: Repo, transcript: Path) -> None:
    one, two = "echo 'ONE = 1' >> src/cart.py", "echo 'TWO = 2' >> src/cart.py"
    pre(repo, transcript, A, one)
    pre(repo, transcript, B, two)
    subprocess.run(["bash", "-c", one], cwd=repo.root, check=True, timeout=60)
    post(repo, transcript, A, one)
    subprocess.run(["bash", "-c", two], cwd=repo.root, check=True, timeout=60)
    post(repo, transcript, B, two)

    assert recorded(repo) == inserted(("src/cart.py", "ONE = 1\n"), ("src/cart.py", "TWO = 2\n"))
    assert by_call(repo) == [(A, "src/cart.py", 1), (B, "src/cart.py", 1)]


def test_a_change_neither_command_names_is_recorded_once_by_the_call_that_ends_first(
        repo: Repo, transcript: Path) -> None:
    one, two = "python3 make_a.py", "python3 make_b.py"
    pre(repo, transcript, A, one)
    pre(repo, transcript, B, two)
    repo.write("made.py", "m = 1\n")
    post(repo, transcript, B, two)
    post(repo, transcript, A, one)

    assert by_call(repo) == [(B, "made.py", 1)]


def test_a_training_data_write_found_by_another_sessions_hook_is_reported_to_the_agent_that_made_it(
        repo: Repo, transcript: Path) -> None:
    """A Claude Code call writes training data while a Codex session's shell call runs and ends first: the Codex
    hook records the change as Claude Code's call, and Claude Code's post hook tells its agent."""
    command = "mkdir -p datasets && echo 'ROWS = [1]' > datasets/rows.py"
    codex = json.loads(payload("codex-apply-patch.json", repo.root))
    codex = {**codex, "tool_name": "Bash", "tool_use_id": "call_codex1", "tool_input": {"command": "make lint"}}
    codex.pop("tool_response", None)
    pre(repo, transcript, A, command)
    assert hook("codex", {**codex, "hook_event_name": "PreToolUse"}, repo.root).stderr == ""
    subprocess.run(["bash", "-c", command], cwd=repo.root, check=True, timeout=60)

    codex_post = hook("codex", {**codex, "hook_event_name": "PostToolUse", "tool_response": "ok"}, repo.root)
    claude_stdout = post(repo, transcript, A, command)

    assert (codex_post.stdout, codex_post.stderr) == ("", "")
    (edit,) = edits(repo)
    assert (edit.path, edit.tool, edit.tool_call_id, edit.session_id) == ("datasets/rows.py", "claude-code", A,
                                                                          CLAUDE_SESSION)
    assert "your Bash command wrote to datasets/rows.py" in json.loads(claude_stdout)["reason"]


def test_many_overlapping_calls_run_at_once_record_every_change_exactly_once(repo: Repo, transcript: Path) -> None:
    """Eight calls' pre hooks, their commands and their post hooks, each step as concurrent processes."""
    calls = {f"toolu_01Par{n}": f"printf 'v{n} = {n}\\n' > par_{n}.py" for n in range(8)}

    def all_at_once(event: str) -> list[subprocess.CompletedProcess[str]]:
        started = [subprocess.Popen([sys.executable, "-m", "provguard", "hook", "claude-code"], stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=repo.root)
                   for _ in calls]
        for process, (call, command) in zip(started, calls.items(), strict=True):
            assert process.stdin is not None
            process.stdin.write(json.dumps(claude(repo, transcript, event, command, call)))
            process.stdin.close()
        return [subprocess.CompletedProcess(p.args, p.wait(timeout=120), p.stdout.read() if p.stdout else "",
                                            p.stderr.read() if p.stderr else "") for p in started]

    assert [d.stderr for d in all_at_once("PreToolUse")] == [""] * len(calls)
    for command in calls.values():
        subprocess.run(["bash", "-c", command], cwd=repo.root, check=True, timeout=60)
    assert [d.stderr for d in all_at_once("PostToolUse")] == [""] * len(calls)

    assert by_call(repo) == sorted((call, f"par_{n}.py", 1) for n, call in enumerate(calls))
    assert snapshots(repo) == []


def test_a_huge_committed_file_a_command_shrinks_is_never_read_from_git(repo: Repo) -> None:
    """Its text at HEAD would be read only to tell the lines the command kept; past the size a file is read at
    all, git is asked its size alone, so the hook's memory stays small whatever the repository commits."""
    huge = "x = 1\n" * (shell_writes.MAX_FILE_BYTES // 6 + 1)
    repo.commit({"huge.py": huge, "small.py": "a = 1\n"}, "a huge file")
    tracemalloc.start()
    try:
        texts = shell_writes._head_texts(str(repo.root), ["huge.py", "small.py", "gone.py"])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert texts == {"small.py": "a = 1\n"}
    assert peak < shell_writes.MAX_FILE_BYTES // 4
