"""What a cloned repository names or says never reaches a terminal or a CI log as something it obeys.

A file name may hold a line break followed by `::error file=...` (a GitHub Actions workflow command once it
starts a line of a job's log), an escape sequence that retitles or clears a terminal, a carriage return that
overwrites the line, a right-to-left override that shows text in another order. So may a pack's version, a rule's
message and note, or a folder's name. Every command that prints them prints them escaped (`\\n`, `\\x1b`,
`\\u202e`), each still recognisable; the JSON formats need nothing more, as JSON escapes them itself.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import unquote

import pytest

from guard_support import allowed, guard, payload
from printed_support import HOSTILE, OBEYED, SHOWN, assert_printable, provguard, strings

AI_FILE = "# provguard: kind=ai-agent tool=claude-code vendor=anthropic\ndef generated():\n    return 1\n"
HOSTILE_PACK = """\
pack: evil  # a pack id with an escape is refused (test_hostile_pack_ids.py); its version is free text
version: "1\\e[2J"
rules:
  - id: r-next
    severity: warning
    message: "agent code\\n::error file=ci.yml::forged \\e[2J\\u202e"
    note: "more\\r\\e[1m"
    origins:
      - kind: ai-agent
"""


@pytest.fixture
def tree(project: Path) -> Path:
    """A project holding an AI file, a binary file and a FIFO, all three with the hostile name."""
    (project / f"{HOSTILE}.py").write_text(AI_FILE, encoding="utf-8")
    (project / f"{HOSTILE}.bin.py").write_bytes(b"\0\1\2 not text")
    os.mkfifo(project / f"{HOSTILE}.fifo.py")
    return project


@pytest.fixture
def hostile_pack(project: Path) -> Path:
    (project / "pack.yaml").write_text(HOSTILE_PACK, encoding="utf-8")
    (project / "provguard.toml").write_text('packs = ["pack.yaml"]\n', encoding="utf-8")
    (project / "made.py").write_text(AI_FILE, encoding="utf-8")
    return project


# -- file names -------------------------------------------------------------------------------------------------


def test_checks_text_report_and_its_verbose_skipped_lines_write_a_hostile_name_escaped(tree: Path) -> None:
    done = provguard("check", "--verbose", ".", cwd=tree)

    assert_printable(done)
    assert f"{SHOWN}.py:1:1: warning ai-output-unreviewed" in done.stdout
    assert f"provguard: skipped {SHOWN}.bin.py: binary file\n" in done.stderr
    assert f"provguard: skipped {SHOWN}.fifo.py: not a regular file (FIFO)\n" in done.stderr


def test_the_github_format_percent_encodes_a_names_line_breaks_and_escapes_its_other_controls(tree: Path) -> None:
    done = provguard("check", "--format", "github", ".", cwd=tree)

    assert_printable(done)
    commands = [line for line in done.stdout.splitlines() if line.startswith("::")]
    assert len(commands) == 1, done.stdout
    assert commands[0].startswith(  # the toolkit's encoding, which GitHub decodes back into the name
        "::warning file=a%0A%3A%3Aerror file=ci.yml%2Cline=1%3A%3Aforged\\x1b]0;owned\\x07%0D\\u202eb.py,line=1,")


@pytest.mark.parametrize("report", ["json", "sarif", "gitlab"])
def test_the_json_formats_escape_a_hostile_name_themselves_and_keep_it_exact(tree: Path, report: str) -> None:
    done = provguard("check", "--format", report, ".", cwd=tree)

    assert_printable(done)
    names = {unquote(text) for text in strings(json.loads(done.stdout))}  # SARIF's are URIs
    assert f"{HOSTILE}.py" in names  # the very name


def test_a_missing_path_named_on_the_command_line_is_said_escaped(project: Path) -> None:
    done = provguard("check", f"{HOSTILE}.py", cwd=project)

    assert_printable(done)
    assert done.returncode == 2
    assert f"provguard: no such file or folder: {SHOWN}.py\n" in done.stderr


def test_checks_diff_labels_a_hostile_name_escaped_and_shows_the_change(project: Path) -> None:
    (project / f"{HOSTILE}.py").write_text("# provguard: kind=ai-agent tool=claude-code\ndef f():\n    return 1\n",
                                         encoding="utf-8")

    done = provguard("check", "--no-git", "--diff", f"{HOSTILE}.py", cwd=project)

    assert_printable(done)
    assert done.stdout.startswith(f"--- {SHOWN}.py\n+++ {SHOWN}.py\n@@ -1,3 +1,3 @@\n"), done.stdout
    assert "+# provguard: kind=ai-agent tool=claude-code vendor=anthropic\n" in done.stdout


def test_exports_skipped_lines_write_a_hostile_name_escaped(tree: Path) -> None:
    done = provguard("export", "--verbose", "--jsonl", str(tree.parent / "out.jsonl"), ".", cwd=tree)

    assert_printable(done)
    assert f"provguard: skipped {SHOWN}.fifo.py: not a regular file (FIFO)\n" in done.stderr


def test_a_guard_note_names_an_unjudged_file_escaped(project: Path) -> None:
    fifo = project / f"{HOSTILE}.py"
    os.mkfifo(fifo)
    data = json.loads(payload("claude-code-write-source.json", project))
    data["tool_input"] = {"file_path": str(fifo), "content": "x = 1\n"}

    stderr = allowed(guard("claude-code", json.dumps(data).encode(), cwd=project))

    assert not {c for c in stderr if c in OBEYED}, repr(stderr)
    assert stderr.count("\n") == 1, repr(stderr)
    assert f"{SHOWN}.py: not judged: not a regular file (FIFO)" in stderr


def test_filter_says_a_bad_line_of_a_hostile_named_corpus_escaped(project: Path) -> None:
    corpus = project / f"{HOSTILE}.jsonl"
    corpus.write_text("not json\n", encoding="utf-8")

    done = provguard("filter", str(corpus), str(project / "out.jsonl"), cwd=project)

    assert_printable(done)
    assert f"{SHOWN}.jsonl:1: column 1: not JSON" in done.stderr


def test_an_agent_trace_imports_problems_name_a_hostile_file_escaped(project: Path) -> None:
    (project / f"{HOSTILE}.json").write_text("not json\n", encoding="utf-8")

    done = provguard("import", "agent-trace", f"{HOSTILE}.json", cwd=project)

    assert_printable(done)
    assert f"  skipped {SHOWN}.json:1: not JSON" in done.stdout


def test_verify_names_a_hostile_attestation_escaped(project: Path) -> None:
    done = provguard("verify", f"{HOSTILE}.json", cwd=project)

    assert_printable(done)
    assert f"{SHOWN}.json" in done.stderr


@pytest.mark.parametrize("command", [["doctor"], ["health"], ["guard", "install", "claude-code"], []],
                         ids=["doctor", "health", "guard install", "no command"])
def test_a_hostile_name_a_shell_glob_passes_as_an_argument_is_quoted_escaped_in_the_usage_error(
        project: Path, command: list[str]) -> None:
    done = provguard(*command, f"--{HOSTILE}", cwd=project)

    assert_printable(done)
    assert done.returncode == 2
    assert f"--{SHOWN}" in done.stderr, done.stderr


# -- folder names -------------------------------------------------------------------------------------------------


@pytest.fixture
def hostile_root(tmp_path: Path) -> Path:
    root = tmp_path / HOSTILE
    (root / ".git").mkdir(parents=True)
    return root


def test_doctor_writes_a_hostile_project_folder_escaped(hostile_root: Path, tmp_path: Path) -> None:
    done = provguard("doctor", "--root", str(hostile_root), cwd=tmp_path)

    assert_printable(done)
    assert f"project: {tmp_path}/{SHOWN}\n" in done.stdout


def test_guard_install_writes_a_hostile_project_folder_escaped(hostile_root: Path, tmp_path: Path) -> None:
    done = provguard("guard", "install", "claude-code", "--dry-run", "--root", str(hostile_root), cwd=tmp_path)

    assert_printable(done)
    assert f"{tmp_path}/{SHOWN}/.claude/settings.json: PreToolUse `provguard guard claude-code` added" in done.stdout


# -- what packs say -----------------------------------------------------------------------------------------------


def test_a_packs_hostile_message_is_escaped_in_the_text_report(hostile_pack: Path) -> None:
    done = provguard("check", "made.py", cwd=hostile_pack)

    assert_printable(done)
    assert ("made.py:1:1: warning r-next agent code\\n::error file=ci.yml::forged \\x1b[2J\\u202e\n"
            in done.stdout)


def test_a_packs_hostile_message_is_escaped_in_the_github_format(hostile_pack: Path) -> None:
    done = provguard("check", "--format", "github", "made.py", cwd=hostile_pack)

    assert_printable(done)
    assert done.stdout.startswith("::warning file=made.py,line=1,endLine=3,title=r-next::agent code%0A"
                                  "::error file=ci.yml::forged \\x1b[2J\\u202e\n")


@pytest.mark.parametrize("report", ["json", "sarif", "gitlab"])
def test_a_packs_hostile_message_is_kept_exact_by_the_json_formats(hostile_pack: Path, report: str) -> None:
    done = provguard("check", "--format", report, "made.py", cwd=hostile_pack)

    assert_printable(done)
    assert "agent code\\n::error file=ci.yml::forged \\u001b[2J" in done.stdout


def test_rules_lists_a_hostile_pack_escaped(hostile_pack: Path) -> None:
    done = provguard("rules", cwd=hostile_pack)

    assert_printable(done)
    assert "evil 1\\x1b[2J (" in done.stdout
    assert "  r-next [warning] more\\r\\x1b[1m\n" in done.stdout


def test_health_names_a_hostile_pack_escaped(hostile_pack: Path) -> None:
    done = provguard("health", "--root", ".", cwd=hostile_pack)

    assert_printable(done)
    assert "pack: evil 1\\x1b[2J (" in done.stdout


def test_a_pack_error_quoting_hostile_text_is_said_escaped(project: Path) -> None:
    (project / "pack.yaml").write_text('pack: p\nrules:\n  - id: r\n    severity: "\\e[2J\\nwarning"\n'
                                       "    message: m\n    origins:\n      - kind: ai-agent\n", encoding="utf-8")
    (project / "provguard.toml").write_text('packs = ["pack.yaml"]\n', encoding="utf-8")

    for command in (["check", "."], ["rules"], ["health"]):
        done = provguard(*command, cwd=project)

        assert_printable(done)
        assert "\\x1b[2J\\nwarning" in done.stdout + done.stderr, command
