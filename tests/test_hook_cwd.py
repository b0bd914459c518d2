"""`provguard hook` never creates a workspace: it records into the project holding the agent's working folder
(found upwards by `.provguard`, `provguard.toml` or a git root) and, when there is none, says so and lets the
agent go on."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from provguard.ledger.sqlite import SqliteLedger
from transcript_support import payload


def hook(stdin: bytes, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "provguard", "hook", "cursor", *args], input=stdin.decode(),
                          capture_output=True, text=True, cwd=cwd, timeout=60, check=False)


def tree(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))


def with_cwd(project: Path, cwd: Path) -> bytes:
    data = json.loads(payload("cursor-after-file-edit.json", project))
    data["cwd"] = str(cwd)
    data["file_path"] = str(cwd / "src" / "coupon.py")
    return json.dumps(data).encode()


def test_a_working_folder_that_does_not_exist_is_not_created_and_nothing_is_recorded(tmp_path: Path) -> None:
    missing = tmp_path / "gone" / "shop"
    before = tree(tmp_path)

    done = hook(with_cwd(missing, missing), cwd=tmp_path)

    assert done.returncode == 0
    assert done.stderr == (f"provguard hook: no project (.provguard, provguard.toml or .git) at or above {missing} "
                           "(which does not exist): nothing recorded, and no ledger created\n")
    assert tree(tmp_path) == before


def test_a_missing_folder_inside_a_project_records_into_that_project(tmp_path: Path) -> None:
    project = tmp_path / "shop"
    (project / ".git").mkdir(parents=True)
    missing = project / "build" / "worktree"  # deleted after the agent started there

    done = hook(with_cwd(project, missing), cwd=tmp_path)

    assert (done.returncode, done.stderr) == (0, "")
    assert not (project / "build").exists()
    assert [e.path for e in SqliteLedger(project / ".provguard" / "ledger.sqlite3").agent_edits()] == [
        "build/worktree/src/coupon.py"]


def test_a_project_is_found_by_its_provguard_toml(tmp_path: Path) -> None:
    project = tmp_path / "shop"
    (project / "src").mkdir(parents=True)
    (project / "provguard.toml").write_text("", encoding="utf-8")

    done = hook(with_cwd(project, project / "src"), cwd=tmp_path)

    assert (done.returncode, done.stderr) == (0, "")
    assert len(SqliteLedger(project / ".provguard" / "ledger.sqlite3").agent_edits()) == 1


def test_an_existing_folder_outside_any_project_gets_no_ledger(tmp_path: Path) -> None:
    loose = tmp_path / "downloads"
    loose.mkdir()

    done = hook(with_cwd(loose, loose), cwd=loose)

    assert done.returncode == 0
    assert done.stderr == (f"provguard hook: no project (.provguard, provguard.toml or .git) at or above {loose}: "
                           "nothing recorded, and no ledger created\n")
    assert tree(loose) == []


def test_a_root_given_on_the_command_line_must_exist(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"

    done = hook(with_cwd(missing, missing), "--root", str(missing), cwd=tmp_path)

    assert done.returncode == 0
    assert done.stderr == f"provguard hook: the project folder {missing} does not exist: nothing recorded\n"
    assert not missing.exists()
