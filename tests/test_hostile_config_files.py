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

HANG = 60
SILENT = ("policy/project.py looks a configuration up with Path.is_file(): one that is not a regular file (FIFO, "
          "device, dangling link) is passed over silently and the default packs apply")


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


@pytest.mark.xfail(strict=True, reason=SILENT)
def test_a_configuration_that_is_a_fifo_is_an_error_not_a_hang_nor_the_defaults(project: Path) -> None:
    os.mkfifo(project / "provguard.toml")  # nothing ever writes it

    done = check(project)

    assert done.returncode == 2
    assert f"{project / 'provguard.toml'}:1:1:" in done.stderr, done.stderr


@pytest.mark.xfail(strict=True, reason=SILENT)
def test_a_configuration_linked_to_dev_zero_is_an_error_not_a_hang_nor_the_defaults(project: Path) -> None:
    (project / "provguard.toml").symlink_to("/dev/zero")

    done = check(project)

    assert done.returncode == 2
    assert f"{project / 'provguard.toml'}:1:1:" in done.stderr, done.stderr
