"""YAML anchors and aliases in a rule pack: "billion laughs", nine aliases a level over ten levels, is a few
hundred bytes that a composer expands to a billion strings. Packs refuse anchors and aliases where they stand
(policy/yaml_reader.py), before anything is composed; here every command that loads packs meets the bomb.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from provguard.policy.yaml_reader import MAX_ANCHOR_ERRORS

HANG = 60


def bomb() -> str:
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for before, level in zip("abcdefghi", "bcdefghij", strict=True):
        lines.append(f"{level}: &{level} [{', '.join([f'*{before}'] * 9)}]")
    return "\n".join([*lines, "pack: laughs", "rules: *j", ""])


def provguard(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "provguard", *args], cwd=root, capture_output=True, text=True,
                          timeout=HANG, check=False)


@pytest.fixture
def project(project: Path) -> Path:
    (project / "laughs.yaml").write_text(bomb(), encoding="utf-8")
    (project / "provguard.toml").write_text('packs = ["laughs.yaml"]\n', encoding="utf-8")
    (project / "app.py").write_text("def f():\n    return 1\n", encoding="utf-8")
    return project


@pytest.mark.parametrize("command", [["check", "."], ["rules"], ["health"]])
def test_a_billion_laughs_pack_is_refused_at_its_first_anchor_and_never_expanded(project: Path,
                                                                                  command: list[str]) -> None:
    done = provguard(project, *command)

    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode != 0
    said = done.stdout + done.stderr
    assert (f"{project / 'laughs.yaml'}:1:4: YAML anchor &a: anchors and aliases are not allowed in rule packs"
            in said), said[:2000]


def test_rule_tests_refuse_a_billion_laughs_pack_by_path(project: Path) -> None:
    done = provguard(project, "rules", "test", "laughs.yaml")

    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 2
    assert "laughs.yaml:1:4: YAML anchor &a" in done.stderr, done.stderr[:2000]


def test_a_pack_of_fifty_thousand_aliases_says_so_in_a_bounded_number_of_lines(project: Path) -> None:
    (project / "laughs.yaml").write_text(f"a: &a x\npack: p\nrules: [{', '.join(['*a'] * 50_000)}]\n",
                                         encoding="utf-8")

    done = provguard(project, "check", ".")

    assert done.returncode == 2
    assert done.stderr.count("\n") < 1_000
    assert f"{project / 'laughs.yaml'}:1:4: YAML anchor &a: anchors and aliases are not allowed" in done.stderr
    assert f"{project / 'laughs.yaml'}:3:9: YAML alias *a:" in done.stderr
    left = 50_000 + 1 - MAX_ANCHOR_ERRORS
    assert f"write the value out in full (and {left:,} more anchors and aliases after it)\n" in done.stderr
