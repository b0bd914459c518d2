"""Records a command prints one per line stay one line each, whatever a repository names: a rule test's fixture
file, a corpus's name. And a pack's rule id, which every finding and CI annotation prints, may not hold a
control character at all: such a pack is refused at the id, said escaped. (tests/test_hostile_printed_names.py
covers the file names and pack texts every other command prints.)
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from printed_support import HOSTILE, SHOWN, obeyed, provguard
from provguard.corpus.judge import Judge
from provguard.corpus.pipeline import FilterConfig
from provguard.corpus.run import FilterRun
from provguard.corpus.samples import Fields
from provguard.policy.model import RULE_ID_SYNTAX
from provguard.policy.policy import Policy

PACK = """\
pack: team
rules:
  - id: no-agents
    severity: error
    message: agent code
    origins: {kind: ai-agent}
"""
FIXTURE = "# expect: no-agents\ndef written():\n    return 2\n"
"""A case that fails: it expects a finding that a person's code does not get."""


def test_a_rule_tests_failure_in_a_hostile_named_fixture_is_one_escaped_line(project: Path) -> None:
    (project / "team.yaml").write_text(PACK, encoding="utf-8")
    fixture = project / "tests" / "team" / f"{HOSTILE}.py"
    fixture.parent.mkdir(parents=True)
    fixture.write_text(FIXTURE, encoding="utf-8")

    done = provguard("rules", "test", "team.yaml", cwd=project)

    assert done.returncode == 1, done.stderr
    assert obeyed(done.stdout) == []
    assert not [line for line in done.stdout.splitlines() if line.startswith("::error")]
    lines = done.stdout.splitlines()
    assert lines[1].startswith("  FAIL  no-agents   ")
    assert lines[2] == (f"        tests/team/{SHOWN}.py:1: expected a finding of no-agents on line 2; "
                        "there is none")


def test_a_filter_run_says_each_bad_line_on_one_line_whatever_the_inputs_label(tmp_path: Path) -> None:
    corpus, said = tmp_path / "corpus.jsonl", io.StringIO()
    corpus.write_text("not json\n" * 3, encoding="utf-8")
    run = FilterRun(FilterConfig(Judge(Policy()), Fields()), 1, HOSTILE, bad_lines_shown=2, err=said)

    run.run(str(corpus), str(tmp_path / "out.jsonl"), None)

    assert said.getvalue().splitlines() == [
        f"provguard: {SHOWN}:1: column 1: not JSON: Expecting value (passed through)",
        f"provguard: {SHOWN}:2: column 1: not JSON: Expecting value (passed through)",
        "provguard: more bad lines: counted (use --report FILE to list them all)",
    ]


@pytest.fixture
def hostile_rule_id(project: Path) -> Path:
    (project / "pack.yaml").write_text(PACK.replace("no-agents", '"r\\e[31m\\nnext"'), encoding="utf-8")
    (project / "provguard.toml").write_text('packs = ["pack.yaml"]\n', encoding="utf-8")
    (project / "made.py").write_text("# provguard: kind=ai-agent tool=claude-code\ndef f():\n    return 1\n",
                                     encoding="utf-8")
    return project


@pytest.mark.parametrize("command", [["check", "."], ["rules"], ["rules", "test", "pack.yaml"]])
def test_a_rule_id_holding_control_characters_is_refused_at_the_first_one_said_escaped(
        hostile_rule_id: Path, command: list[str]) -> None:
    done = provguard(*command, cwd=hostile_rule_id)

    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 2
    assert obeyed(done.stdout + done.stderr) == []
    # line 3 is `  - id: "r\e[31m\nnext"`: the id's second character, the escape, is in column 11
    assert (f"pack.yaml:3:11: rule id 'r\\x1b[31m\\nnext' may not hold U+001B (character 2): {RULE_ID_SYNTAX}"
            in done.stderr), done.stderr


def test_health_says_a_rule_id_holding_control_characters_is_refused(hostile_rule_id: Path) -> None:
    done = provguard("health", "--root", ".", cwd=hostile_rule_id)

    assert done.returncode != 0
    assert obeyed(done.stdout + done.stderr) == []
    assert "pack.yaml:3:11: rule id 'r\\x1b[31m\\nnext' may not hold U+001B" in done.stdout + done.stderr
