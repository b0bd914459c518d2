"""A project configuration file (provguard.toml) that is no configuration: 2 GiB of nothing, a FIFO nobody
writes, a link to /dev/zero. Reading stops at 1 MiB and opens regular files only, so none of them can hang a
command or take its memory; and a configuration that is there but cannot be read is an error naming it, as a
pack that cannot be read is, never a silent fall back to the default packs (a gate that says nothing about the
team's own rules not being in force is a gate that passes what it should not).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from raw_lsp_support import RawServer

HANG = 60


def check(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "provguard", "check", "."], cwd=root, capture_output=True,
                          text=True, timeout=HANG, check=False)


@pytest.fixture
def project(project: Path) -> Path:
    (project / "app.py").write_text("def f():\n    return 1\n", encoding="utf-8")
    return project


def test_a_configuration_of_two_gigabytes_is_an_error_at_its_start_never_read_whole(project: Path) -> None:
    with (project / "provguard.toml").open("wb") as huge:
        huge.truncate(2 << 30)  # sparse: a whole read would take the memory

    done = check(project)

    assert done.returncode == 2
    assert f"provguard: {project / 'provguard.toml'}:1:1: project configuration is larger than 1 MiB" in done.stderr


def test_a_configuration_that_is_a_fifo_is_an_error_not_a_hang_nor_the_defaults(project: Path) -> None:
    os.mkfifo(project / "provguard.toml")  # nothing ever writes it

    done = check(project)

    assert done.returncode == 2
    assert f"{project / 'provguard.toml'}:1:1:" in done.stderr, done.stderr


def test_a_configuration_linked_to_dev_zero_is_an_error_not_a_hang_nor_the_defaults(project: Path) -> None:
    (project / "provguard.toml").symlink_to("/dev/zero")

    done = check(project)

    assert done.returncode == 2
    assert f"{project / 'provguard.toml'}:1:1:" in done.stderr, done.stderr


def test_a_configuration_that_is_a_dangling_link_is_an_error_not_the_defaults(project: Path) -> None:
    (project / "provguard.toml").symlink_to(project / "moved.toml")

    done = check(project)

    assert done.returncode == 2
    assert (f"{project / 'provguard.toml'}:1:1: cannot read project configuration: dangling symbolic link"
            in done.stderr), done.stderr


@pytest.mark.parametrize("target", ["/dev/zero", "fifo"])
def test_a_pyproject_that_is_no_file_is_an_error_as_its_provguard_table_cannot_be_known_absent(
        project: Path, target: str) -> None:
    if target == "fifo":
        os.mkfifo(project / "pyproject.toml")
    else:
        (project / "pyproject.toml").symlink_to(target)

    done = check(project)

    assert done.returncode == 2
    assert (f"{project / 'pyproject.toml'}:1:1: cannot read project configuration: not a regular file"
            in done.stderr), done.stderr


@pytest.mark.parametrize(("kind", "said"), [("fifo", "not a regular file (FIFO)"),
                                           ("dangling link", "dangling symbolic link: its target does not exist")])
def test_a_configuration_that_is_no_file_is_an_error_at_its_start_in_the_editor_too(project: Path, kind: str,
                                                                                    said: str) -> None:
    config = project / "provguard.toml"
    if kind == "fifo":
        os.mkfifo(config)
    else:
        config.symlink_to(project / "gone.toml")
    with RawServer(project) as server:
        server.initialize()
        server.open("app.py", "def f():\n    return 1\n")

        told = server.notification("window/showMessage")["params"]["message"]

        assert told.startswith(f"provguard: rule pack error at {config}:1:1: cannot read project configuration: "
                               f"{said};"), told
        assert server.alive()
