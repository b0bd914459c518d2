"""`provguard import claude-code|codex|agent-trace PATH`, where PATH is no file and no folder: a FIFO (reading
one waits for a writer forever), a device (`/dev/zero` never ends), a UNIX socket (cannot be opened). Each
importer says on stderr that the path is not a regular file, with its kind, and exits 2 as for a missing path,
before any ledger is opened; it never drops the path silently ("0 of 0 files read") nor waits on it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

HANG = 60
IMPORTERS = ("claude-code", "codex", "agent-trace")


def provguard(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "provguard", *args], cwd=root, capture_output=True, text=True,
                          errors="surrogateescape", timeout=HANG, check=False)


@pytest.fixture
def served(project: Path) -> Iterator[Path]:
    """A listening UNIX socket named like a transcript."""
    path = project / "served.jsonl"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(str(path))
        server.listen()
        yield path


def fifo(project: Path) -> Path:
    os.mkfifo(project / "session.jsonl")
    return project / "session.jsonl"


def zero_link(project: Path) -> Path:
    """A link named like a transcript that leads to /dev/zero."""
    (project / "endless.jsonl").symlink_to("/dev/zero")
    return project / "endless.jsonl"


@pytest.mark.parametrize("agent", IMPORTERS)
@pytest.mark.parametrize(("make", "kind"), [(fifo, "FIFO"), (zero_link, "character device")],
                         ids=["fifo", "dev-zero-link"])
def test_an_importer_refuses_a_named_path_that_is_no_file(project: Path, agent: str, make: Callable[[Path], Path],
                                                          kind: str) -> None:
    path = make(project)
    done = provguard(project, "import", agent, path.name, "--root", ".")

    assert done.returncode == 2, done.stderr
    assert done.stderr == (f"provguard: {path.name}: not a regular file ({kind}): give a transcript or trace "
                           "file, or a folder of them\n")
    assert done.stdout == ""
    assert not (project / ".provguard").exists()


@pytest.mark.parametrize("agent", IMPORTERS)
def test_an_importer_refuses_dev_zero_by_its_own_name(project: Path, agent: str) -> None:
    done = provguard(project, "import", agent, "/dev/zero", "--root", ".")

    assert done.returncode == 2, done.stderr
    assert "provguard: /dev/zero: not a regular file (character device)" in done.stderr


@pytest.mark.parametrize("agent", IMPORTERS)
def test_an_importer_refuses_a_socket(project: Path, served: Path, agent: str) -> None:
    done = provguard(project, "import", agent, served.name, "--root", ".")

    assert done.returncode == 2, done.stderr
    assert f"provguard: {served.name}: not a regular file (socket)" in done.stderr


def test_a_regular_file_beside_the_refused_one_is_not_read_either(project: Path) -> None:
    """The command is refused whole, as for a missing path: nothing is imported from the good paths given."""
    (project / "good.jsonl").write_text("", encoding="utf-8")
    path = fifo(project)
    done = provguard(project, "import", "codex", "good.jsonl", path.name, "--root", ".")

    assert done.returncode == 2, done.stderr
    assert "not a regular file (FIFO)" in done.stderr
    assert not (project / ".provguard").exists()


def test_a_folder_holding_a_fifo_is_still_imported(project: Path) -> None:
    """Inside a named folder, a FIFO is passed over, as before: only the named paths must be files or folders."""
    (project / "sessions").mkdir()
    os.mkfifo(project / "sessions" / "stuck.jsonl")
    done = provguard(project, "import", "codex", "sessions", "--root", ".")

    assert done.returncode == 0, done.stderr
    assert "codex: 0 of 0 transcript files read" in done.stdout
