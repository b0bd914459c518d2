"""A repository's configuration file that is a link out of the repository is never read, and never passed over
in silence: `check` stops with an error at its line 1, column 1 saying it links out of the project. This holds
for a pyproject.toml as for a provguard.toml (whether its `[tool.provguard]` is there cannot be known without
reading the file it leads to; falling back to the default packs would leave the team's own rules out of force
with nothing said), and for a pack file the configuration names. A link to a file inside the project is read.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

LINKED_OUT = "a link out of the project: a repository's configuration file may only lead to a file in it, so it is " \
             "not read"
TEAM = """\
pack: team
rules:
  - id: team-no-agents
    severity: error
    message: team rule
    origins: {kind: ai-agent}
"""
AI_FILE = "# provguard: kind=ai-agent tool=claude-code vendor=anthropic\ndef generated():\n    return 1\n"


def check(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "provguard", "check", "."], cwd=root, capture_output=True,
                          text=True, timeout=120, check=False)


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    folder = tmp_path / "outside"
    folder.mkdir()
    return folder


@pytest.mark.parametrize("text", ['[project]\nname = "shop"\n', '[tool.provguard]\npacks = ["default"]\n'],
                         ids=["no-provguard-table", "provguard-table"])
def test_a_pyproject_linked_to_a_regular_file_outside_is_an_error_at_1_1_not_the_defaults(
        project: Path, outside: Path, text: str) -> None:
    (outside / "pyproject.toml").write_text(text, encoding="utf-8")
    (project / "pyproject.toml").symlink_to(outside / "pyproject.toml")
    (project / "app.py").write_text(AI_FILE, encoding="utf-8")

    done = check(project)

    assert done.returncode == 2, (done.stdout, done.stderr)
    assert f"provguard: {project / 'pyproject.toml'}:1:1: {LINKED_OUT}\n" in done.stderr
    assert "ai-output-unreviewed" not in done.stdout  # no check ran on the default packs


def test_a_provguard_toml_linked_to_a_regular_file_outside_is_an_error_at_1_1(project: Path, outside: Path) -> None:
    (outside / "provguard.toml").write_text('packs = ["default"]\n', encoding="utf-8")
    (project / "provguard.toml").symlink_to(outside / "provguard.toml")

    done = check(project)

    assert done.returncode == 2
    assert f"provguard: {project / 'provguard.toml'}:1:1: {LINKED_OUT}\n" in done.stderr


def test_a_pack_the_configuration_names_that_links_outside_is_refused_at_its_entry(project: Path,
                                                                                    outside: Path) -> None:
    (outside / "team.yaml").write_text(TEAM, encoding="utf-8")
    (project / "team.yaml").symlink_to(outside / "team.yaml")
    (project / "provguard.toml").write_text('packs = ["team.yaml"]\n', encoding="utf-8")
    (project / "app.py").write_text(AI_FILE, encoding="utf-8")

    done = check(project)

    assert done.returncode == 2
    assert f"provguard: {project / 'provguard.toml'}:1:10: cannot select 'team.yaml': outside the project" \
        in done.stderr, done.stderr
    assert "team-no-agents" not in done.stdout


def test_a_pyproject_linked_to_a_file_inside_the_project_is_read(project: Path) -> None:
    (project / "team.yaml").write_text(TEAM, encoding="utf-8")
    (project / "shared.toml").write_text('[tool.provguard]\npacks = ["team.yaml"]\n', encoding="utf-8")
    (project / "pyproject.toml").symlink_to(project / "shared.toml")
    (project / "app.py").write_text(AI_FILE, encoding="utf-8")

    done = check(project)

    assert done.returncode == 1, done.stderr
    assert "team-no-agents" in done.stdout
