"""provguard started in a working folder that was deleted under the shell (`os.getcwd()` fails): a command says
so and exits 2 rather than a traceback; an agent's guard and hook, which name files by absolute paths, still
answer as agents need them to."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path

from guard_support import payload as guard_payload
from transcript_support import payload

GONE = "provguard: the working folder no longer exists (deleted?): change to an existing folder\n"


def from_deleted_folder(tmp_path: Path, *args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    """`provguard ARGS` run by a shell whose working folder it removes first."""
    gone = tmp_path / "gone"
    gone.mkdir()
    command = " ".join(shlex.quote(a) for a in [sys.executable, "-m", "provguard", *args])
    return subprocess.run(["sh", "-c", f"cd {shlex.quote(str(gone))} && rmdir {shlex.quote(str(gone))} && "
                           f"exec {command}"], input=stdin, capture_output=True, timeout=60, check=False)


def test_check_in_a_deleted_working_folder_says_so_and_exits_2(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.py").write_text("x = 1\n", encoding="utf-8")

    done = from_deleted_folder(tmp_path, "check", str(tmp_path / "src"))

    assert (done.returncode, done.stderr.decode(), done.stdout) == (2, GONE, b"")


def test_the_guard_still_judges_a_call_that_names_its_project(tmp_path: Path, project: Path) -> None:
    done = from_deleted_folder(tmp_path, "guard", "claude-code",
                               stdin=guard_payload("claude-code-write-test-file.json", project))

    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)["hookSpecificOutput"]
    assert answer["permissionDecision"] == "deny"


def test_the_hook_still_records_into_the_project_its_payload_names(tmp_path: Path, project: Path) -> None:
    done = from_deleted_folder(tmp_path, "hook", "claude-code", stdin=payload("claude-code-write.json", project))

    assert (done.returncode, done.stderr) == (0, b"")
    assert (project / ".provguard" / "ledger.sqlite3").is_file()
