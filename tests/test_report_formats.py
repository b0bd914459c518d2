"""`provguard check --format github|gitlab`: the CI annotation formats, as the real CLI writes them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from git_support import Repo
from test_cli import HUMAN_PY, REVIEWED_TEST_PY, TRAINING_PY, UNREVIEWED_PY, check, write

ODD_PACK = """\
pack: odd
version: 1.0.0
rules:
  - id: odd-message
    severity: warning
    message: "100% {tool},\\nsee {path}"
    origins:
      - kind: [ai-agent]
"""

SUPPRESSED_PY = """\
# provguard: allow[ai-output-unreviewed] reason: vendored, reviewed upstream
# provguard: kind=ai-agent tool=claude-code vendor=anthropic
def vendored():
    return 1
"""



@pytest.fixture(autouse=True)
def _checkout(tmp_path: Path) -> None:
    """CI reads these reports in a checkout: each test's tree is a git work tree, so it is the project root."""
    Repo(tmp_path)

def gitlab_report(cwd: Path, *args: str) -> list[dict[str, Any]]:
    done = check(cwd, "--format", "gitlab", *args)
    assert done.returncode in (0, 1), done.stderr
    report: list[dict[str, Any]] = json.loads(done.stdout)
    return report


def json_findings(cwd: Path, *args: str) -> list[dict[str, Any]]:
    findings: list[dict[str, Any]] = json.loads(check(cwd, "--format", "json", *args).stdout)["findings"]
    return findings


# --- GitHub workflow commands ----------------------------------------------------------------------


def test_github_annotations_exact_lines(tmp_path: Path) -> None:
    write(tmp_path, {"src/app.py": UNREVIEWED_PY, "tests/test_app.py": REVIEWED_TEST_PY, "src/human.py": HUMAN_PY})
    done = check(tmp_path, "--format", "github", "src", "tests")
    marker = "# provguard: kind=ai-completion tool=copilot reviewed-by=dana@example.com"
    assert done.stdout.splitlines() == [
        # a finding over several lines has no columns: GitHub takes them only on one line
        "::warning file=src/app.py,line=5,endLine=7,title=ai-output-unreviewed::Code written by Claude Code "
        "has not been reviewed by a person",
        f"::notice file=tests/test_app.py,line=1,endLine=1,col=1,endColumn={len(marker)},title=marker-incomplete"
        "::marker names copilot but not its vendor (github); write it so every tool reading the marker sees it",
        "::error file=tests/test_app.py,line=1,endLine=3,title=ai-output-in-test-task-file::Code suggested by "
        "Copilot must not be used to create test tasks: tests/test_app.py is a test or evaluation file",
        "3 files checked: 1 error, 1 warning, 1 info",
    ]
    assert done.returncode == 1
    assert done.stderr == ""


def test_github_block_ending_with_its_line_break_ends_on_its_last_line(tmp_path: Path) -> None:
    write(tmp_path, {"data/train/tok.py": TRAINING_PY})
    [line] = [a for a in check(tmp_path, "--format", "github").stdout.splitlines()
              if "rival-ai-output-in-training-data" in a]
    # the finding covers lines 3-6 (begin marker to the end of the function); `provguard: end` is line 7
    assert line.startswith("::error file=data/train/tok.py,line=3,endLine=6,title=rival-ai-output-in-training-data::")


def test_github_escapes_messages_and_properties(tmp_path: Path) -> None:
    write(tmp_path, {"odd.yaml": ODD_PACK, "data/a,b:c.py": UNREVIEWED_PY})
    done = check(tmp_path, "--format", "github", "--pack", "odd.yaml", "data")
    assert done.stdout.splitlines() == [
        "::warning file=data/a%2Cb%3Ac.py,line=5,endLine=7,title=odd-message::100%25 Claude Code,%0Asee data/a,b:c.py",
        "1 file checked: 1 warning",
    ]
    assert done.returncode == 0


def test_github_annotations_say_what_the_text_report_says(tmp_path: Path) -> None:
    write(tmp_path, {"src/app.py": UNREVIEWED_PY, "tests/test_app.py": REVIEWED_TEST_PY,
                     "data/train/tok.py": TRAINING_PY, "src/vendored.py": SUPPRESSED_PY})
    text = check(tmp_path).stdout.splitlines()
    github = check(tmp_path, "--format", "github").stdout.splitlines()
    assert github[-1] == text[-1]  # the same summary, suppressed findings counted but not shown
    rows = []
    for line in github[:-1]:
        command, _, message = line[2:].partition("::")
        level, _, props = command.partition(" ")
        fields = dict(p.split("=", 1) for p in props.split(","))
        rows.append((fields["file"], fields["line"], fields["title"], message, level))
    levels = {"error": "error", "warning": "warning", "info": "notice", "hint": "notice"}
    expected = []
    for line in text[:-1]:
        location, rest = line.split(": ", 1)
        severity, rule, message = rest.split(" ", 2)
        path, row, _ = location.rsplit(":", 2)
        expected.append((path, row, rule, message, levels[severity]))
    assert rows == expected
    assert not any("vendored.py" in line for line in github)


@pytest.mark.parametrize(("fail_on", "code"), [("error", 0), ("warning", 1), ("never", 0)])
def test_github_format_keeps_the_exit_code(tmp_path: Path, fail_on: str, code: int) -> None:
    write(tmp_path, {"app.py": UNREVIEWED_PY})
    assert check(tmp_path, "--format", "github", "--fail-on", fail_on).returncode == code


# --- GitLab Code Quality ---------------------------------------------------------------------------


def test_gitlab_report_fields_and_severities(tmp_path: Path) -> None:
    write(tmp_path, {"src/app.py": UNREVIEWED_PY, "tests/test_app.py": REVIEWED_TEST_PY, "src/human.py": HUMAN_PY})
    report = gitlab_report(tmp_path, "src", "tests")
    assert [{k: v for k, v in issue.items() if k != "fingerprint"} for issue in report] == [
        {"description": "Code written by Claude Code has not been reviewed by a person",
         "check_name": "ai-output-unreviewed", "severity": "minor",
         "location": {"path": "src/app.py", "lines": {"begin": 5, "end": 7}}},
        {"description": "marker names copilot but not its vendor (github); write it so every tool reading the "
                        "marker sees it",
         "check_name": "marker-incomplete", "severity": "info",
         "location": {"path": "tests/test_app.py", "lines": {"begin": 1, "end": 1}}},
        {"description": "Code suggested by Copilot must not be used to create test tasks: "
                        "tests/test_app.py is a test or evaluation file",
         "check_name": "ai-output-in-test-task-file", "severity": "major",
         "location": {"path": "tests/test_app.py", "lines": {"begin": 1, "end": 3}}},
    ]
    prints = [issue["fingerprint"] for issue in report]
    assert all(isinstance(p, str) and p for p in prints)
    assert len(set(prints)) == len(prints)


def test_gitlab_clean_tree_is_an_empty_array(tmp_path: Path) -> None:
    write(tmp_path, {"human.py": HUMAN_PY, "src/vendored.py": SUPPRESSED_PY})
    done = check(tmp_path, "--format", "gitlab")
    assert (done.returncode, json.loads(done.stdout)) == (0, [])


def test_gitlab_lists_what_the_json_report_lists(tmp_path: Path) -> None:
    write(tmp_path, {"src/app.py": UNREVIEWED_PY, "tests/test_app.py": REVIEWED_TEST_PY,
                     "data/train/tok.py": TRAINING_PY})
    severities = {"error": "major", "warning": "minor", "info": "info", "hint": "info"}
    assert [(i["location"]["path"], i["location"]["lines"]["begin"], i["check_name"], i["description"],
             i["severity"]) for i in gitlab_report(tmp_path)] == \
        [(f["path"], f["range"]["start"]["line"], f["rule"], f["message"], severities[f["severity"]])
         for f in json_findings(tmp_path)]


def test_gitlab_fingerprints_survive_moves_and_whitespace(tmp_path: Path) -> None:
    write(tmp_path, {"app.py": UNREVIEWED_PY, "tests/test_app.py": REVIEWED_TEST_PY})
    before = gitlab_report(tmp_path)
    write(tmp_path, {"app.py": "import os\n\n\n" + UNREVIEWED_PY.replace("    return a - b", "    return  a - b"),
                     "tests/test_app.py": "import sys\n" + REVIEWED_TEST_PY})
    after = gitlab_report(tmp_path)
    assert [i["location"]["lines"]["begin"] for i in after] != [i["location"]["lines"]["begin"] for i in before]
    assert [(i["check_name"], i["fingerprint"]) for i in after] == [(i["check_name"], i["fingerprint"])
                                                                    for i in before]


def test_gitlab_fingerprints_change_with_the_flagged_code_and_tell_repeats_apart(tmp_path: Path) -> None:
    write(tmp_path, {"app.py": UNREVIEWED_PY})
    [before] = gitlab_report(tmp_path)
    write(tmp_path, {"app.py": UNREVIEWED_PY.replace("a - b", "b - a")})
    [changed] = gitlab_report(tmp_path)
    assert changed["fingerprint"] != before["fingerprint"]
    repeated = UNREVIEWED_PY + "\n\n" + UNREVIEWED_PY[UNREVIEWED_PY.index("# provguard"):]
    write(tmp_path, {"app.py": repeated})
    first, second = gitlab_report(tmp_path)
    assert first["fingerprint"] == before["fingerprint"]  # the first of two identical blocks keeps its own
    assert second["fingerprint"] != first["fingerprint"]
