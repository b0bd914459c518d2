"""The ledger holds paths, session ids and line hashes: what provguard creates for it is the user's alone
(`.provguard/` 0700, the SQLite file and its -wal, -shm and -journal files 0600), whatever the umask; a folder or
file the team made with another mode keeps it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from provguard.ledger.location import open_ledger
from provguard.ledger.sqlite import SqliteLedger
from transcript_support import payload

UMASKS = [0o022, 0o000]


@contextmanager
def umask(value: int) -> Iterator[None]:
    previous = os.umask(value)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def modes(folder: Path) -> dict[str, int]:
    """The mode of each of the ledger's files in the folder (ledger.sqlite3, -wal, -shm, -journal)."""
    return {f.name: mode(f) for f in folder.iterdir() if f.name.startswith("ledger.sqlite3")}


def record_a_span(ledger: SqliteLedger) -> None:
    """A write, so that SQLite makes its -wal and -shm files."""
    ledger.save_spans("src/a.py", [])


@pytest.mark.parametrize("value", UMASKS, ids=oct)
def test_the_default_ledger_and_its_folder_are_the_users_alone(project: Path, value: int) -> None:
    with umask(value):
        opened = open_ledger(project)
        try:
            assert opened.warning is None
            record_a_span(opened.ledger)
            files = modes(project / ".provguard")
        finally:
            opened.ledger.close()

    assert mode(project / ".provguard") == 0o700
    assert files == {"ledger.sqlite3": 0o600, "ledger.sqlite3-wal": 0o600, "ledger.sqlite3-shm": 0o600}


@pytest.mark.parametrize("value", UMASKS, ids=oct)
def test_a_ledger_file_named_in_the_settings_is_created_for_the_user_alone(project: Path, tmp_path: Path,
                                                                           value: int) -> None:
    shared = tmp_path / "ledgers"
    shared.mkdir()
    with umask(value):
        opened = open_ledger(project, str(shared / "ledger.sqlite3"))
        try:
            record_a_span(opened.ledger)
            files = modes(shared)
        finally:
            opened.ledger.close()

    assert files == {"ledger.sqlite3": 0o600, "ledger.sqlite3-wal": 0o600, "ledger.sqlite3-shm": 0o600}


def test_a_rollback_journal_is_the_users_alone_too(tmp_path: Path) -> None:
    """A ledger someone switched out of WAL mode writes a -journal file during each transaction."""
    import sqlite3

    file = tmp_path / "ledger.sqlite3"
    with umask(0):
        SqliteLedger(file).close()
        connection = sqlite3.connect(file, isolation_level=None)
        try:
            connection.execute("PRAGMA journal_mode = DELETE")
            connection.execute("PRAGMA journal_mode = PERSIST")  # the journal stays after the commit
            connection.execute("BEGIN IMMEDIATE")
            connection.execute("INSERT INTO import_cursors (key, offset, identity) VALUES ('k', 0, 'i')")
            connection.execute("COMMIT")
            journal = mode(tmp_path / "ledger.sqlite3-journal")
        finally:
            connection.close()

    assert journal == 0o600


def test_a_ledger_folder_and_file_the_team_opened_up_keep_their_modes(project: Path) -> None:
    folder = project / ".provguard"
    folder.mkdir()
    folder.chmod(0o750)
    SqliteLedger(folder / "ledger.sqlite3").close()
    (folder / "ledger.sqlite3").chmod(0o640)

    with umask(0o022):
        opened = open_ledger(project)
        try:
            record_a_span(opened.ledger)
            files = modes(folder)
        finally:
            opened.ledger.close()

    assert mode(folder) == 0o750
    assert files == {"ledger.sqlite3": 0o640, "ledger.sqlite3-wal": 0o640, "ledger.sqlite3-shm": 0o640}


@pytest.mark.parametrize("value", UMASKS, ids=oct)
def test_the_recording_hook_creates_a_ledger_for_the_user_alone(project: Path, value: int) -> None:
    done = subprocess.run([sys.executable, "-m", "provguard", "hook", "claude-code"], umask=value, timeout=60,
                          input=payload("claude-code-write.json", project), capture_output=True, check=False)

    assert (done.returncode, done.stderr) == (0, b"")
    assert mode(project / ".provguard") == 0o700
    assert set(modes(project / ".provguard").values()) == {0o600}
