"""`provguard rules test`: a pack's rules run against annotated fixtures, reported like a test runner."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from test_cli import REPO, run_cli

PACK = """\
pack: team
version: 2.0.0
rules:
  - id: no-agents
    severity: error
    message: "agent code from {tool}"
    origins: {kind: ai-agent}
    fixes: [strip]
  - id: no-pastes
    severity: warning
    message: pasted code
    origins: {kind: paste, declared: false}
"""

AGENTS_PY = """\
# expect: no-agents
# provguard: kind=ai-agent tool=codex vendor=openai
def generated():
    return 1


# ok: no-agents
def written():
    return 2
"""

PASTED_PY = """\
# expect: no-pastes
def pasted():
    return 3
"""

PASTED_SPANS = """\
- lines: 2-3
  kind: paste
  evidence: editor-event
"""


def project(tmp_path: Path, files: dict[str, str], pack: str = PACK) -> Path:
    """A pack `team.yaml` with its fixtures under `tests/team/`."""
    (tmp_path / "team.yaml").write_text(pack, encoding="utf-8")
    for name, text in files.items():
        path = tmp_path / "tests" / "team" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return tmp_path


def passing(tmp_path: Path, **extra: str) -> Path:
    return project(tmp_path, {"src/agents.py": AGENTS_PY, "src/pasted.py": PASTED_PY,
                              "src/pasted.py.provenance.yaml": PASTED_SPANS, **extra})


def rules_test(cwd: Path, *args: str) -> tuple[int, list[str]]:
    done = run_cli(cwd, "rules", "test", *args)
    assert done.stderr == "" or done.returncode == 2, done.stderr
    return done.returncode, (done.stdout or done.stderr).splitlines()


def test_the_shipped_packs_pass_their_own_rule_tests() -> None:
    code, lines = rules_test(REPO, "default", "rules/examples/strict-team.yaml")

    assert code == 0, "\n".join(lines)
    assert lines[0].startswith("default 0.1.0 (rules/default.yaml): ")
    for rule in ("rival-ai-output-in-training-data", "ai-output-in-test-task-file", "ai-output-in-test-function",
                 "ai-output-unreviewed", "ai-output-unmarked", "undeclared-insertion"):
        assert any(line.split()[:2] == ["PASS", rule] for line in lines), rule
    assert any(line.split()[:2] == ["PASS", "unknown-origin-in-eval-data"] for line in lines)
    assert lines[-1].startswith("OK: ")


def test_a_passing_pack_reports_each_rule_and_exits_0(tmp_path: Path) -> None:
    code, lines = rules_test(passing(tmp_path), "team.yaml")

    assert code == 0
    assert lines == [
        "team 2.0.0 (team.yaml): 2 fixtures in tests/team",
        "  PASS  no-agents   2 cases",
        "  PASS  no-pastes   1 case",
        "OK: 2 rules (2 passed), 3 cases ran",
    ]


def test_without_packs_it_tests_the_projects_packs(tmp_path: Path) -> None:
    passing(tmp_path)
    (tmp_path / "provguard.toml").write_text('packs = ["team.yaml"]\n', encoding="utf-8")

    code, lines = rules_test(tmp_path)

    assert code == 0 and lines[0].startswith("team 2.0.0")


@pytest.mark.parametrize(("fixture", "failure"), [
    ("# expect: no-agents\ndef human():\n    return 1\n",
     "src/x.py:1: expected a finding of no-agents on line 2; there is none"),
    ("# ok: no-agents\n# provguard: kind=ai-agent tool=codex\ndef f():\n    return 1\n",
     "src/x.py:1: expected no finding of no-agents on line 2; found: agent code from Codex"),
    ("# ok: no-agents\ndef f():\n    return 1\n# provguard: kind=ai-agent tool=codex\ndef g():\n    return 1\n",
     "src/x.py:4: unexpected finding of no-agents on line 4 (agent code from Codex); annotate it with "
     "'expect: no-agents' or change the rule"),
    ("# todo-expect: no-agents\n# provguard: kind=ai-agent tool=codex\ndef f():\n    return 1\n",
     "src/x.py:1: the known gap is closed: no-agents now fires on line 2; change 'todo-expect:' to 'expect:'"),
    ("# todo-ok: no-agents\ndef f():\n    return 1\n",
     "src/x.py:1: the known false positive is gone: no finding of no-agents on line 2; change 'todo-ok:' to 'ok:'"),
])
def test_a_failing_case_fails_its_rule_with_the_place_and_the_reason(
        tmp_path: Path, fixture: str, failure: str) -> None:
    code, lines = rules_test(passing(tmp_path, **{"src/x.py": fixture}), "team.yaml")

    assert code == 1
    assert lines[1].startswith("  FAIL  no-agents   ") and lines[1].endswith(", 1 failed")
    assert lines[2] == f"        tests/team/{failure}"
    assert lines[3] == "  PASS  no-pastes   1 case"
    assert lines[-1].startswith("FAILED: 2 rules (1 passed, 1 failed)")


def test_known_gaps_pass_and_are_counted(tmp_path: Path) -> None:
    gap = "# todo-expect: no-agents\ndef f():\n    return 1\n# todo-ok: no-agents\n" \
          "# provguard: kind=ai-agent tool=codex\ndef g():\n    return 1\n"

    code, lines = rules_test(passing(tmp_path, **{"src/gap.py": gap}), "team.yaml")

    assert code == 0 and "  PASS  no-agents   4 cases, 2 known gaps" in lines


def test_a_rule_no_case_expects_to_fire_fails(tmp_path: Path) -> None:
    code, lines = rules_test(project(tmp_path, {"src/agents.py": AGENTS_PY}), "team.yaml")

    assert code == 1
    assert lines[2].startswith("  NONE  no-pastes   no case expects it to fire")
    assert lines[-1] == "FAILED: 2 rules (1 passed, 1 without tests), 2 cases ran"


def test_a_pack_without_fixtures_fails_because_no_case_ran(tmp_path: Path) -> None:
    (tmp_path / "team.yaml").write_text(PACK, encoding="utf-8")

    code, lines = rules_test(tmp_path, "team.yaml")

    assert code == 1
    assert "  ERROR tests/team:1:1: no rule tests: create fixtures under tests/team" in lines
    assert lines[-1].endswith("0 cases ran")


def test_annotations_work_in_each_languages_comments_and_at_the_end_of_a_line(tmp_path: Path) -> None:
    files = {
        "web/a.ts": "// expect: no-agents\n/* provguard: begin kind=ai-agent tool=codex */\nconst a = 1;\n"
                    "/* provguard: end */\n",
        "svc/a.go": "package a\n\n/* provguard: begin kind=ai-agent tool=codex */ // expect: no-agents\n"
                    "func F() {}\n// provguard: end\n",
        "lib/a.lua": "-- expect: no-agents\n-- provguard: kind=ai-agent tool=codex\nfunction f() end\n",
    }

    code, lines = rules_test(passing(tmp_path, **files), "team.yaml")

    assert code == 0, lines
    assert "  PASS  no-agents   5 cases" in lines


def test_annotation_text_in_a_string_is_no_annotation(tmp_path: Path) -> None:
    fixture = 'X = "# expect: no-agents"\ndef f():\n    return 1\n'

    code, lines = rules_test(passing(tmp_path, **{"src/s.py": fixture}), "team.yaml")

    assert code == 0 and "  PASS  no-agents   2 cases" in lines


@pytest.mark.parametrize(("fixture", "error"), [
    ("# expect: no-agent\ndef f():\n    pass\n", "src/bad.py:1:11: unknown rule 'no-agent'; did you mean 'no-agents'?"),
    ("# expect: no-agents fix: strp\ndef f():\n    pass\n",
     "src/bad.py:1:26: unknown fix 'strp'; did you mean 'strip'?"),
    ("# ok: no-agents fix: strip\ndef f():\n    pass\n", "src/bad.py:1:22: only 'expect:' takes a fix"),
    ("def f():\n    pass\n# expect: no-agents\n", "src/bad.py:3:3: this annotation is about the next line, but no "
                                                  "code follows it"),
])
def test_a_broken_annotation_is_an_error_at_its_place(tmp_path: Path, fixture: str, error: str) -> None:
    code, lines = rules_test(passing(tmp_path, **{"src/bad.py": fixture}), "team.yaml")

    assert code == 1
    assert any(line.startswith(f"  ERROR tests/team/{error}") for line in lines), lines


@pytest.mark.parametrize(("side", "error"), [
    ("- lines: 2-3\n  kind: pasted\n",
     "src/pasted.py.provenance.yaml:2:9: unknown kind 'pasted'; did you mean 'paste'?"),
    ("- lines: 2-9\n  kind: paste\n", "src/pasted.py.provenance.yaml:1:10: 'lines' must be a line or a range"),
    ("- lines: 2\n  kind: paste\n  tol: copilot\n", "src/pasted.py.provenance.yaml:3:3: unknown key 'tol' in a span; "
                                                   "did you mean 'tool'?"),
    ("lines: 2\n", "src/pasted.py.provenance.yaml:1:1: a provenance side file is a list of spans"),
])
def test_a_broken_side_file_is_an_error_at_its_place(tmp_path: Path, side: str, error: str) -> None:
    code, lines = rules_test(passing(tmp_path, **{"src/pasted.py.provenance.yaml": side}), "team.yaml")

    assert code == 1
    assert any(line.startswith(f"  ERROR tests/team/{error}") for line in lines), lines


FIXABLE = """\
def keep():
    return 0


# expect: no-agents fix: strip
# provguard: begin kind=ai-agent tool=codex
def generated():
    return 1
# provguard: end
"""


def test_fix_snapshots_are_written_by_update_and_checked_after(tmp_path: Path) -> None:
    root = passing(tmp_path, **{"src/fix.py": FIXABLE})
    snapshot = root / "tests" / "team" / "src" / "fix.fixed.py"

    code, lines = rules_test(root, "team.yaml")
    assert code == 1 and "  ERROR tests/team/src/fix.fixed.py:1:1: no fix snapshot for fix.py; run " \
                         "'provguard rules test --update' and review the file it writes" in lines

    code, lines = rules_test(root, "team.yaml", "--update")
    assert code == 0 and "  wrote tests/team/src/fix.fixed.py" in lines
    assert snapshot.read_text(encoding="utf-8") == "def keep():\n    return 0\n\n\n# expect: no-agents fix: strip\n"

    assert rules_test(root, "team.yaml")[0] == 0

    snapshot.write_text("def keep():\n    return 1\n", encoding="utf-8")
    code, lines = rules_test(root, "team.yaml")
    assert code == 1
    assert any(line.startswith("  ERROR tests/team/src/fix.fixed.py:2:1: the fixed text differs from the snapshot "
                               "here; the fixes now give: '    return 0'") for line in lines), lines


def test_a_snapshot_no_fix_asks_for_is_reported_and_removed_by_update(tmp_path: Path) -> None:
    root = passing(tmp_path, **{"src/agents.fixed.py": "stale\n"})

    code, lines = rules_test(root, "team.yaml")
    assert code == 1 and any("src/agents.fixed.py:1:1: fix snapshot of a fixture that names no fix" in line
                             for line in lines)

    code, lines = rules_test(root, "team.yaml", "--update")
    assert code == 0 and "  removed tests/team/src/agents.fixed.py" in lines
    assert not (root / "tests" / "team" / "src" / "agents.fixed.py").exists()


def test_a_fix_the_finding_does_not_offer_fails_its_case(tmp_path: Path) -> None:
    fixture = "# expect: no-pastes fix: strip\ndef pasted():\n    return 3\n"

    code, lines = rules_test(passing(tmp_path, **{"src/pasted.py": fixture}), "team.yaml")

    assert code == 1
    assert ("        tests/team/src/pasted.py:1: the no-pastes finding on line 2 offers no strip fix "
            "(offered: suppress)") in lines


def test_an_extending_pack_tests_its_own_rules_and_may_test_inherited_ones(tmp_path: Path) -> None:
    passing(tmp_path)
    (tmp_path / "strict.yaml").write_text(
        "pack: strict\nextends: team.yaml\nrules:\n  - id: no-external\n    severity: error\n"
        "    message: external\n    origins: {kind: external}\n", encoding="utf-8")
    fixture = tmp_path / "tests" / "strict" / "a.py"
    fixture.parent.mkdir(parents=True)
    fixture.write_text("# expect: no-external\n# provguard: kind=external\ndef f():\n    pass\n"
                       "# expect: no-agents\n# provguard: kind=ai-agent tool=codex\ndef g():\n    pass\n",
                       encoding="utf-8")

    code, lines = rules_test(tmp_path, "strict.yaml")

    assert code == 0
    assert lines[1:4] == ["  PASS  no-agents     1 case",
                          "  -     no-pastes     inherited, tested with the pack that defines it",
                          "  PASS  no-external   1 case"]


def test_a_pack_that_does_not_load_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "team.yaml").write_text("pack: team\nrules: 3\n", encoding="utf-8")

    code, lines = rules_test(tmp_path, "team.yaml")

    assert code == 2 and lines[0].startswith("provguard: ") and "team.yaml:2:8: rules must be a list" in lines[0]


def test_update_only_goes_with_test(tmp_path: Path) -> None:
    done = run_cli(tmp_path, "rules", "default", "--update")

    assert done.returncode == 2 and "--update only goes with 'provguard rules test'" in done.stderr


# -- a folder of packs, installed packs, messages ------------------------------------------------------------


def test_a_folder_stands_for_every_pack_under_it(tmp_path: Path) -> None:
    for folder in ("packs", "packs/deep"):
        (tmp_path / folder).mkdir(parents=True)
    passing(tmp_path / "packs")
    other = PACK.replace("pack: team", "pack: other").replace("version: 2.0.0", "version: 1.0.0")
    project(tmp_path / "packs" / "deep", {"src/agents.py": AGENTS_PY, "src/pasted.py": PASTED_PY,
                                          "src/pasted.py.provenance.yaml": PASTED_SPANS}, other)
    (tmp_path / "packs" / "rules-part.yaml").write_text("- id: included\n", encoding="utf-8")  # not a pack
    (tmp_path / "packs/tests/team/src/pack-like.yaml").write_text("pack: fixture\n", encoding="utf-8")

    code, lines = rules_test(tmp_path, "packs")

    assert code == 0, lines
    assert [line for line in lines if not line.startswith(" ")] == [
        "other 1.0.0 (packs/deep/team.yaml): 2 fixtures in packs/deep/tests/team",
        "team 2.0.0 (packs/team.yaml): 3 fixtures in packs/tests/team",
        "OK: 4 rules (4 passed), 6 cases ran"]


@pytest.mark.parametrize(("files", "what"), [
    ({}, "it holds no .yaml or .yml file"),
    ({"config.yaml": "key: value\n", "sub/list.yml": "- a\n"}, "none of its 2 YAML files is one"),
])
def test_a_folder_without_packs_says_what_a_pack_is(tmp_path: Path, files: dict[str, str], what: str) -> None:
    (tmp_path / "empty").mkdir()
    for name, text in files.items():
        (tmp_path / "empty" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "empty" / name).write_text(text, encoding="utf-8")

    code, lines = rules_test(tmp_path, "empty")

    assert code == 2
    assert lines == [f"provguard: no rule packs under empty: {what} (a pack is a .yaml or .yml file with a "
                     "top-level 'pack:' key; its rule tests live in tests/<pack>/ beside it)"]


def test_compiled_python_beside_fixtures_is_no_fixture(tmp_path: Path) -> None:
    # pip compiles every .py of an installed wheel, the shipped packs' fixtures too
    passing(tmp_path)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(tmp_path / "tests")], check=True, timeout=60)
    subprocess.run([sys.executable, "-m", "compileall", "-q", "-b", str(tmp_path / "tests")], check=True, timeout=60)
    assert list((tmp_path / "tests").rglob("__pycache__")) and list((tmp_path / "tests").rglob("agents.pyc"))

    code, lines = rules_test(tmp_path, "team.yaml")

    assert code == 0, lines
    assert lines[0] == "team 2.0.0 (team.yaml): 2 fixtures in tests/team"


def test_an_unknown_pack_name_is_reported_without_a_made_up_file(tmp_path: Path) -> None:
    code, lines = rules_test(tmp_path, "defualt")

    assert code == 2
    assert lines[0].startswith("provguard: no rule pack named 'defualt': ") and lines[0].endswith(
        "did you mean 'default'?")
    assert ".yaml" not in lines[0]


def test_the_valid_rule_ids_an_error_lists_are_sorted(tmp_path: Path) -> None:
    code, lines = rules_test(passing(tmp_path, **{"src/bad.py": "# expect: qqq\ndef f():\n    pass\n"}),
                             "team.yaml")

    [error] = [line for line in lines if "unknown rule 'qqq'" in line]
    listed = error.split("expected one of ")[1].split(", ")
    assert code == 1 and "no-agents" in listed and "suppression-unused" in listed
    assert listed == sorted(listed)
