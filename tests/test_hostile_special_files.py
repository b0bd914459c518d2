"""Files that are no files, named on the command line or met in a tree: a UNIX socket, /dev/zero, a FIFO.

`check` and `export` read regular files only (files.py: the type is checked on the open descriptor), so each of
these is said once as skipped, with its kind, and never opened for reading: /dev/zero would never end, a FIFO
nobody writes would wait for ever, and a socket cannot be opened at all.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

HANG = 60


def provguard(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "provguard", *args], cwd=root, capture_output=True, text=True,
                          timeout=HANG, check=False)


@pytest.fixture
def listening(project: Path) -> Iterator[Path]:
    """A project whose src/ holds a UNIX socket named like a Python file, and a real one beside it."""
    (project / "src").mkdir()
    (project / "src" / "app.py").write_text("def f():\n    return 1\n", encoding="utf-8")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(str(project / "src" / "served.py"))
        server.listen()
        yield project


@pytest.mark.parametrize("named", [["."], ["src/served.py", "src/app.py"]], ids=["in the tree", "by name"])
def test_check_skips_a_socket_and_says_it_is_one(listening: Path, named: list[str]) -> None:
    done = provguard(listening, "check", "--verbose", *named)

    assert done.returncode == 0, done.stderr
    assert "provguard: skipped src/served.py: not a regular file (socket)\n" in done.stderr
    assert done.stdout.endswith("1 file checked, 1 skipped: no findings\n"), done.stdout


def test_check_skips_dev_zero_named_on_the_command_line(project: Path) -> None:
    done = provguard(project, "check", "--verbose", "/dev/zero")

    assert done.returncode == 0, done.stderr
    assert "zero: not a regular file (character device)\n" in done.stderr
    assert done.stdout.endswith("0 files checked, 1 skipped: no findings\n"), done.stdout


def test_export_skips_a_socket_in_the_tree(listening: Path) -> None:
    done = provguard(listening, "export", "--verbose", "--jsonl", str(listening.parent / "out.jsonl"), ".")

    assert done.returncode == 0, done.stderr
    assert "provguard: skipped src/served.py: not a regular file (socket)\n" in done.stderr
