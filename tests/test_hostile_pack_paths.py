"""A pack committed in a cloned repository cannot make provguard read files outside that repository.

`provguard check` in CI and the editor load the packs a repository selects without anyone choosing them. Those
packs, and what they `extends` or `include` by path, must be inside the project (the folder of its
provguard.toml): an absolute path, `~`, `../` or a symlink pointing out is refused at its place, with the same
message whether or not the file is there, and the check stops with a configuration error. Packs by name
(`default`) may be extended, links inside the project are followed, and a pack the person chose (`--pack`,
editor settings) reaches wherever it says.

The outside file is always a valid pack whose rule would fire, so a reference that got through would show.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pytest_lsp import LanguageClient

from lsp_support import open_file, pulled, start

HANG = 60  # seconds: far beyond any real run, reached only by a hang

RULE = """\
rules:
  - id: no-copilot
    severity: error
    message: "no {tool} here"
    origins:
      - tool: copilot
"""
COPILOT_PY = "# provguard: kind=ai-completion tool=copilot vendor=github\ndef f():\n    pass\n"
FINDING = "app.py:1:1: error no-copilot"
WHY_EXTEND = "outside the project ({root}): packs in a repository may only extend files in it"


def repo(tmp_path: Path, packs: str = '["team.yaml"]') -> Path:
    """A cloned repository with one AI-written file, selecting `packs`; beside it, a folder `outside` with a
    valid pack (base.yaml) and a rule file (rules.yaml) it must not reach."""
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    (root / "provguard.toml").write_text(f"packs = {packs}\n", encoding="utf-8")
    (root / "app.py").write_text(COPILOT_PY, encoding="utf-8")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "base.yaml").write_text("pack: base\n" + RULE, encoding="utf-8")
    (outside / "rules.yaml").write_text(RULE.removeprefix("rules:\n"), encoding="utf-8")
    return root


def team(root: Path, body: str, name: str = "team.yaml") -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"pack: team\n{body}", encoding="utf-8")
    return path


def check(root: Path, *flags: str, home: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOME": str(home)} if home is not None else None
    return subprocess.run([sys.executable, "-m", "provguard", "check", *flags, "."], cwd=root, capture_output=True,
                          text=True, timeout=HANG, check=False, env=env)


def refused(done: subprocess.CompletedProcess[str]) -> list[str]:
    """The configuration errors a refused check printed, each `file:line:column: message`."""
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    assert FINDING not in done.stdout
    return [line.removeprefix("provguard: ") for line in done.stderr.splitlines() if line.startswith("provguard: ")]


# -- refused: paths that leave the project -------------------------------------------------------------------


@pytest.mark.parametrize("written", ["absolute", "home", "parent", "parent inside a subfolder"])
def test_extending_a_pack_outside_the_project_is_refused_at_the_extends(tmp_path: Path, written: str) -> None:
    root = repo(tmp_path)
    home = tmp_path / "home"
    home.mkdir()
    (home / "base.yaml").write_text("pack: base\n" + RULE, encoding="utf-8")
    reference = {"absolute": str(tmp_path / "outside" / "base.yaml"), "home": "~/base.yaml",
                 "parent": "../outside/base.yaml",
                 "parent inside a subfolder": "packs/../../outside/base.yaml"}[written]
    team(root, f"extends: {reference}\n")

    [error] = refused(check(root, home=home))

    assert error == (f"{root / 'team.yaml'}:2:10: cannot extend {reference!r}: "
                     + WHY_EXTEND.format(root=root) + ", or packs by name like 'default'")


def test_a_symlink_in_the_project_pointing_out_is_refused(tmp_path: Path) -> None:
    root = repo(tmp_path)
    (root / "packs").mkdir()
    (root / "packs" / "base.yaml").symlink_to(tmp_path / "outside" / "base.yaml")
    team(root, "extends: packs/base.yaml\n")

    [error] = refused(check(root))

    assert error.startswith(f"{root / 'team.yaml'}:2:10: cannot extend 'packs/base.yaml': "
                            + WHY_EXTEND.format(root=root))


@pytest.mark.parametrize("name", ["provguard.toml", "pyproject.toml"])
def test_a_configuration_file_linked_out_of_the_project_is_not_read(tmp_path: Path, name: str) -> None:
    root = repo(tmp_path)
    (root / "provguard.toml").unlink()
    (tmp_path / "outside" / "config.toml").write_text(
        ('[tool.provguard]\n' if name == "pyproject.toml" else "") + 'packs = ["../outside/base.yaml"]\n',
        encoding="utf-8")
    (root / name).symlink_to(tmp_path / "outside" / "config.toml")

    done = check(root)

    assert FINDING not in done.stdout, "the outside configuration's pack was not loaded"
    assert refused(done) == [f"{root / name}:1:1: a link out of the project: a repository's configuration "
                             "file may only lead to a file in it, so it is not read"]


def test_a_symlinked_folder_pointing_out_is_refused_for_what_is_under_it(tmp_path: Path) -> None:
    root = repo(tmp_path)
    (root / "shared").symlink_to(tmp_path / "outside", target_is_directory=True)
    team(root, "include: [shared/rules.yaml]\n")

    [error] = refused(check(root))

    assert error == (f"{root / 'team.yaml'}:2:11: cannot include 'shared/rules.yaml': outside the project "
                     f"({root}): packs in a repository may only include files in it")


def test_including_a_rule_file_outside_the_project_is_refused_at_the_entry(tmp_path: Path) -> None:
    root = repo(tmp_path)
    team(root, f"include:\n  - {tmp_path / 'outside' / 'rules.yaml'}\n  - ../outside/rules.yaml\n")

    errors = refused(check(root))

    where = f"{root / 'team.yaml'}"
    assert [e.split(": cannot include")[0] for e in errors] == [f"{where}:3:5", f"{where}:4:5"]
    assert all("outside the project" in e for e in errors)


@pytest.mark.parametrize("reference", ["../outside/base.yaml", "ABSOLUTE"])
def test_a_project_file_selecting_a_pack_outside_the_project_is_refused_at_the_entry(
        tmp_path: Path, reference: str) -> None:
    reference = str(tmp_path / "outside" / "base.yaml") if reference == "ABSOLUTE" else reference
    root = repo(tmp_path, f'["default", "{reference}"]')

    column = (root / "provguard.toml").read_text(encoding="utf-8").index(f'"{reference}"') + 1

    [error] = refused(check(root))

    assert error == (f"{root / 'provguard.toml'}:1:{column}: cannot select {reference!r}: outside the project "
                     f"({root}): a repository's configuration may only select pack files in it, or packs by name "
                     "like 'default'")


def test_a_refused_path_says_the_same_whether_or_not_the_file_exists(tmp_path: Path) -> None:
    root = repo(tmp_path)
    team(root, "extends: ../outside/base.yaml\ninclude: [../outside/missing.yaml]\n")

    errors = refused(check(root))

    assert [e.split(": ", 1)[1].split(": ", 1)[1] for e in errors] == [
        WHY_EXTEND.format(root=root) + ", or packs by name like 'default'",
        f"outside the project ({root}): packs in a repository may only include files in it"]


def test_a_pack_deeper_in_the_project_is_held_to_the_same_root(tmp_path: Path) -> None:
    """A chain inside the project stays confined at every link, not only the first."""
    root = repo(tmp_path)
    team(root, "extends: packs/mid.yaml\n")
    team(root, "extends: ../../outside/base.yaml\n", "packs/mid.yaml")

    [error] = refused(check(root))

    assert error.startswith(f"{root / 'packs' / 'mid.yaml'}:2:10: cannot extend '../../outside/base.yaml': ")


# -- still bounded: files inside the project that are no pack ------------------------------------------------


def test_a_fifo_or_a_huge_file_inside_the_project_is_an_error_not_a_hang(tmp_path: Path) -> None:
    root = repo(tmp_path)
    os.mkfifo(root / "pipe.yaml")  # nothing ever writes it: opening it for reading would wait for ever
    with (root / "huge.yaml").open("wb") as huge:
        huge.truncate(2 << 30)  # 2 GiB, sparse: a whole read would take the memory
    team(root, "extends: pipe.yaml\ninclude: [huge.yaml]\n")

    errors = refused(check(root))

    assert errors[0].startswith(f"{root / 'team.yaml'}:2:10: cannot extend")
    assert any(e.startswith(f"{root / 'huge.yaml'}:1:1: rule pack is larger than") for e in errors), errors


# -- allowed: inside the project, packs by name, packs the person chose --------------------------------------


def test_a_monorepo_subproject_extends_a_pack_shared_in_its_repository(tmp_path: Path) -> None:
    """The project a subproject's packs may reach is its repository (the folder holding .git), not its own
    folder: teams keep one pack at the top of a monorepo."""
    root = repo(tmp_path, packs='["../../shared/team.yaml"]')
    service = root / "services" / "billing"
    service.mkdir(parents=True)
    (root / "provguard.toml").rename(service / "provguard.toml")
    (root / "app.py").rename(service / "app.py")
    (root / "shared").mkdir()
    (root / "shared" / "base.yaml").write_text("pack: base\n" + RULE, encoding="utf-8")
    team(root / "shared", "extends: base.yaml\n")

    done = check(service)

    assert done.returncode == 1 and FINDING in done.stdout, (done.stdout, done.stderr)


def test_a_checkout_inside_a_home_folder_under_git_reaches_only_its_own_folder(tmp_path: Path) -> None:
    """A dotfiles repository makes the home folder a git work tree: a project in it without a .git of its own
    must not reach the rest of the home folder."""
    home = tmp_path / "home"
    (home / ".git").mkdir(parents=True)
    (home / "base.yaml").write_text("pack: base\n" + RULE, encoding="utf-8")
    root = home / "download"
    root.mkdir()
    (root / "provguard.toml").write_text('packs = ["team.yaml"]\n', encoding="utf-8")
    (root / "app.py").write_text(COPILOT_PY, encoding="utf-8")
    team(root, "extends: ../base.yaml\n")

    [error] = refused(check(root, home=home))

    assert error == (f"{root / 'team.yaml'}:2:10: cannot extend '../base.yaml': "
                     + WHY_EXTEND.format(root=root) + ", or packs by name like 'default'")


def test_a_symlink_within_the_project_is_followed(tmp_path: Path) -> None:
    root = repo(tmp_path)
    (root / "shared").mkdir()
    (root / "shared" / "base.yaml").write_text("pack: base\n" + RULE, encoding="utf-8")
    (root / "packs").mkdir()
    (root / "packs" / "base.yaml").symlink_to(root / "shared" / "base.yaml")
    team(root, "extends: packs/base.yaml\n")

    done = check(root)

    assert done.returncode == 1, done.stderr
    assert FINDING in done.stdout


def test_a_project_pack_may_extend_a_shipped_pack_by_name(tmp_path: Path) -> None:
    root = repo(tmp_path)
    team(root, "extends: default\n" + RULE)

    done = check(root)

    assert done.returncode == 1, done.stderr
    assert FINDING in done.stdout


def test_a_pack_the_person_chose_reaches_outside_the_project(tmp_path: Path) -> None:
    root = repo(tmp_path)
    team(root, "extends: ../outside/base.yaml\n")  # the project's own choice: refused, but not in force
    mine = team(tmp_path / "mine", "extends: ../outside/base.yaml\ninclude: [../outside/extra.yaml]\n")
    (tmp_path / "outside" / "extra.yaml").write_text(RULE.removeprefix("rules:\n").replace("no-copilot", "mine"),
                                                     encoding="utf-8")

    done = check(root, "--pack", str(mine))

    assert done.returncode == 1, done.stderr
    assert FINDING in done.stdout and "app.py:1:1: error mine" in done.stdout


# -- the editor -------------------------------------------------------------------------------------------------


async def test_the_editor_shows_a_refused_extends_where_it_is_written(client: LanguageClient, tmp_path: Path) -> None:
    root = repo(tmp_path)
    await start(client, root, pull=True)
    text = "pack: team\nextends: ../outside/base.yaml\n"
    uri = open_file(client, root / "team.yaml", text, "yaml")

    [diag] = await pulled(client, uri)

    assert diag.code == "pack-error"
    assert (diag.range.start.line, diag.range.start.character) == (1, 9)
    assert diag.message.startswith("cannot extend '../outside/base.yaml': outside the project")
    code = await pulled(client, open_file(client, root / "app.py", COPILOT_PY))
    assert "no-copilot" not in {d.code for d in code}
