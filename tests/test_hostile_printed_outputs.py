"""The last printers of a payload's or a tree's names: the agent hook's note on stderr, `import`'s summary, the
plain-text recovery guidance after a failed shell call, and the JSON that `report`, `export` and `check` write
on stdout. A name holding a line break and `::error ...` (a GitHub Actions workflow command once it starts a
line), an escape sequence, a C1 control or a bidirectional override reaches none of them raw: text outputs
escape it as every other printer does (`\\n`, `\\x1b`, `\\u202e`), JSON writes it as a `\\uXXXX` escape that
parses back to the very name, while ordinary non-ASCII (`café`) stays readable.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from git_support import Repo
from printed_support import HOSTILE, SHOWN, assert_printable, provguard, strings

JSON_HOSTILE = "café\x9b2J\u2028\u202eb\u2066"
"""What JSON itself leaves raw: a C1 CSI (as `ESC [`), a line separator, an override and an isolate; and `é`."""
AI_FILE = "# provguard: kind=ai-agent tool=claude-code vendor=anthropic\ndef generated():\n    return 1\n"
SESSION = "7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f"


# -- text: the hook's note, import's summary, the recovery guidance ---------------------------------------------

def test_the_hooks_note_names_a_payloads_hostile_working_folder_escaped(tmp_path: Path) -> None:
    cwd = tmp_path / HOSTILE  # no project there: the hook says so, naming the folder, and records nothing
    payload = {"session_id": SESSION, "hook_event_name": "PostToolUse", "cwd": str(cwd), "tool_name": "Write",
               "tool_input": {"file_path": str(cwd / "x.py"), "content": "x = 1\n"}}

    done = provguard("hook", "claude-code", cwd=tmp_path, stdin=json.dumps(payload))

    assert_printable(done)
    assert done.returncode == 0
    assert done.stderr == (f"provguard hook: no project (.provguard, provguard.toml or .git) at or above "
                           f"{tmp_path}/{SHOWN} (which does not exist): nothing recorded, and no ledger created\n")


def test_imports_summary_names_a_hostile_project_folder_escaped(tmp_path: Path) -> None:
    root = tmp_path / HOSTILE
    (root / ".git").mkdir(parents=True)
    (tmp_path / "home").mkdir()

    done = provguard("import", "codex", "--root", str(root), cwd=tmp_path, home=tmp_path / "home")

    assert_printable(done)
    assert done.returncode == 0, done.stderr
    assert f"provguard: no codex transcripts for {tmp_path}/{SHOWN} in " in done.stderr
    assert done.stdout.startswith("codex: 0 of 0 transcript files read")


def test_recovery_guidance_after_a_failed_shell_write_names_a_hostile_file_escaped(tmp_path: Path) -> None:
    """The Copilot CLI reads it as plain text, on stdout and stderr alike (exit code 2): one escaped line."""
    repo = Repo(tmp_path / "shop")
    repo.commit({"src/cart.py": "def total(items):\n    return sum(items)\n"}, "start")
    command = f"mkdir -p data/train && printf 'ROWS = [7]\\n' > data/train/{_quoted(HOSTILE)}.py && false"
    call: dict[str, Any] = {"hook_event_name": "PreToolUse", "session_id": SESSION, "cwd": str(repo.root),
                            "tool_name": "Bash", "tool_input": {"command": command}}
    pre = provguard("hook", "copilot", cwd=repo.root, stdin=json.dumps(call))
    assert (pre.returncode, pre.stdout, pre.stderr) == (0, "", "")
    subprocess.run(["bash", "-c", command], cwd=repo.root, check=False, timeout=60)

    done = provguard("hook", "copilot", cwd=repo.root, stdin=json.dumps(
        {**call, "hook_event_name": "PostToolUseFailure", "error": "Command failed with exit code 1"}))

    assert_printable(done)
    assert done.returncode == 2
    assert done.stdout.startswith(f"provguard: your Bash command wrote to data/train/{SHOWN}.py, which agents may "
                                  "not write:"), done.stdout
    assert done.stdout.count("\n") == 1
    assert done.stdout in done.stderr


def _quoted(text: str) -> str:
    """`text` as one bash word that means exactly it."""
    return "$'" + "".join(c if c.isalnum() else f"\\x{ord(c):02x}" if ord(c) < 0x80 else c for c in text) + "'"


# -- JSON on stdout: escaped by JSON, readable non-ASCII kept --------------------------------------------------

def assert_readable_json(done: subprocess.CompletedProcess[str], name: str) -> None:
    assert_printable(done)
    parsed = [json.loads(line) for line in done.stdout.splitlines()] if "\n{" in done.stdout.strip() \
        else [json.loads(done.stdout)]
    assert any(name in text for text in strings(parsed)), done.stdout  # the very name, parsed back
    assert "café" in done.stdout  # ordinary non-ASCII kept as written


def test_reports_json_escapes_c1_and_bidirectional_characters_of_a_file_name(project: Path) -> None:
    (project / f"{JSON_HOSTILE}.py").write_text(AI_FILE, encoding="utf-8")

    done = provguard("report", "--format", "json", "--root", str(project), cwd=project)

    assert done.returncode == 0, done.stderr
    assert_readable_json(done, f"{JSON_HOSTILE}.py")


def test_exports_json_lines_escape_c1_and_bidirectional_characters_of_a_file_name(project: Path) -> None:
    (project / f"{JSON_HOSTILE}.py").write_text(AI_FILE, encoding="utf-8")

    done = provguard("export", "--min-severity", "info", ".", cwd=project)

    assert done.returncode == 0, done.stderr
    assert_readable_json(done, f"{JSON_HOSTILE}.py")


def test_checks_json_escapes_a_file_name_entirely(project: Path) -> None:
    """`check --format json` writes ASCII only: every non-ASCII character as an escape, the name exact."""
    (project / f"{JSON_HOSTILE}.py").write_text(AI_FILE, encoding="utf-8")

    done = provguard("check", "--format", "json", ".", cwd=project)

    assert_printable(done)
    assert done.stdout.isascii()
    assert f"{JSON_HOSTILE}.py" in strings(json.loads(done.stdout))
