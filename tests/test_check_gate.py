"""`provguard check` as a CI gate on real trees: the same verdict from every working folder, each nested
project under its own configuration, every core giving the same report, and a cache that makes the second run
cheap without ever standing in for a verdict it did not earn."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
PACK = """\
pack: team
version: 1.0.0
rules:
  - id: no-codex
    severity: error
    message: "no {tool} in {path}"
    origins:
      - tool: codex
    paths:
      include: ["data/**"]
"""
CODEX = "# provguard: kind=ai-agent tool=codex vendor=openai reviewed-by=me\ndef f():\n    return 1\n"
HUMAN = "def g():\n    return 2\n"


def provguard(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONPATH": str(REPO / "server"), **(env or {})}
    return subprocess.run([sys.executable, "-m", "provguard", *args], cwd=cwd, capture_output=True, text=True,
                          check=False, timeout=240, env=environment)


def report(cwd: Path, *args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    done = provguard(cwd, "check", "--format", "json", "--no-git", *args, env=env)
    assert done.returncode in (0, 1), done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def rules(found: dict[str, Any]) -> list[tuple[str, str]]:
    return [(f["path"], f["rule"]) for f in found["findings"]]


def project(root: Path) -> Path:
    """A project configured by provguard.toml, with a team pack whose rule applies under data/."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "provguard.toml").write_text('packs = ["team.yaml"]\n')
    (root / "team.yaml").write_text(PACK)
    for name, text in {"data/train/a.py": CODEX, "data/train/deep/b.py": CODEX, "src/c.py": CODEX,
                       "src/d.py": HUMAN}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


# -- the project root --------------------------------------------------------------------------------------


def test_the_same_tree_checked_from_three_folders_gives_the_same_report(tmp_path: Path) -> None:
    root = project(tmp_path / "proj")

    from_root = report(root, "data")
    from_data = report(root / "data", "train")
    from_deep = report(root / "data" / "train" / "deep", "../..")

    assert rules(from_root) == [("data/train/a.py", "no-codex"), ("data/train/deep/b.py", "no-codex")]
    assert from_data == from_root
    assert from_deep == from_root


def test_a_git_work_tree_is_a_project_root_without_any_configuration(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / "data" / "train").mkdir(parents=True)
    (root / "data" / "train" / "x.py").write_text(CODEX.replace("reviewed-by=me", "reviewed-by=me model=gpt-5"))
    subprocess.run(["git", "init", "-q", str(root)], check=True)

    (tmp_path / "team.yaml").write_text(PACK)

    inside = report(root / "data" / "train", ".", "--pack", str(tmp_path / "team.yaml"))

    assert rules(inside) == [("data/train/x.py", "no-codex")]


def test_nested_projects_each_use_their_own_configuration_and_root(tmp_path: Path) -> None:
    root = project(tmp_path / "mono")
    service = root / "services" / "svc"
    service.mkdir(parents=True)
    (service / "provguard.toml").write_text('packs = ["default"]\n')
    (service / "data").mkdir()
    (service / "data" / "e.py").write_text(CODEX)

    found = report(root, ".")

    paths = {path for path, rule in rules(found) if rule == "no-codex"}
    assert paths == {"data/train/a.py", "data/train/deep/b.py"}, "the service's file is under its own packs"
    assert report(service, ".")["filesChecked"] == 2


def test_a_root_that_does_not_exist_is_refused(tmp_path: Path) -> None:
    done = provguard(project(tmp_path), "check", "--root", "nowhere", "data")
    assert done.returncode == 2
    assert "--root nowhere: no such folder" in done.stderr


def test_a_given_root_still_judges_every_file_relative_to_it(tmp_path: Path) -> None:
    root = project(tmp_path / "proj")
    found = report(root / "data", "train", "--root", ".", "--pack", str(root / "team.yaml"))
    assert found["findings"] == [], "data/** does not match train/a.py seen from data/"


# -- every core -----------------------------------------------------------------------------------------


def test_every_number_of_jobs_gives_the_same_report(tmp_path: Path) -> None:
    root = project(tmp_path / "proj")
    for index in range(40):
        folder = root / "data" / f"part{index % 7}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"m{index}.py").write_text(CODEX if index % 3 == 0 else HUMAN * (index + 1))

    one = report(root, ".", "--jobs", "1", "--no-cache")
    two = report(root, ".", "--jobs", "2", "--no-cache")
    four = report(root, ".", "--jobs", "4", "--no-cache")

    assert one["filesChecked"] == 46
    assert len(one["findings"]) == 14 + 2
    assert two == one
    assert four == one


def test_jobs_must_be_a_positive_number(tmp_path: Path) -> None:
    done = provguard(project(tmp_path), "check", "--jobs", "0")
    assert done.returncode == 2
    assert "expected 1 or more processes" in done.stderr


# -- the cache ------------------------------------------------------------------------------------------


def cache_file(root: Path) -> Path:
    return root / ".provguard" / "cache" / "check.sqlite3"


def cached_rows(root: Path) -> int:
    with sqlite3.connect(cache_file(root)) as conn:
        return int(conn.execute("SELECT count(*) FROM results").fetchone()[0])


@pytest.fixture
def own_cache(tmp_path: Path) -> dict[str, str]:
    """A cache home of the test's own, so the signing secret is made here and not in the user's home."""
    return {"XDG_CACHE_HOME": str(tmp_path / "xdg")}


def test_a_second_run_reads_the_cache_and_reports_the_same(tmp_path: Path, own_cache: dict[str, str]) -> None:
    root = project(tmp_path / "proj")

    first = report(root, ".", env=own_cache)
    assert cached_rows(root) == 6
    second = report(root, ".", env=own_cache)

    assert second == first
    assert (root / ".provguard" / "cache" / ".gitignore").read_text().splitlines()[-1] == "*"
    assert oct(cache_file(root).stat().st_mode & 0o777) == "0o600"


def test_no_cache_neither_reads_nor_writes_it(tmp_path: Path, own_cache: dict[str, str]) -> None:
    root = project(tmp_path / "proj")
    report(root, ".", "--no-cache", env=own_cache)
    assert not (root / ".provguard").exists()


def test_a_changed_file_pack_or_flag_is_checked_again(tmp_path: Path, own_cache: dict[str, str]) -> None:
    root = project(tmp_path / "proj")
    report(root, ".", env=own_cache)

    (root / "data" / "train" / "a.py").write_text(HUMAN)
    assert ("data/train/a.py", "no-codex") not in rules(report(root, ".", env=own_cache))

    (root / "team.yaml").write_text(PACK.replace('"data/**"', '"src/**"'))
    assert {p for p, r in rules(report(root, ".", env=own_cache)) if r == "no-codex"} == {"src/c.py"}

    assert report(root, ".", "--severity", "no-codex=off", env=own_cache)["findings"] == []


def test_a_new_ledger_record_is_seen_through_the_cache(tmp_path: Path, own_cache: dict[str, str]) -> None:
    from provguard.ledger.model import Declaration
    from provguard.ledger.sqlite import SqliteLedger
    from provguard.provenance.origin import Evidence, Kind, Origin

    root = project(tmp_path / "proj")
    (root / ".provguard").mkdir()
    ledger = SqliteLedger(root / ".provguard" / "ledger.sqlite3")
    before = ledger.generation()
    report(root, ".", env=own_cache)
    declared = Origin(Kind.HUMAN, Evidence.MARKER, declared_by="me")
    ledger.add_declaration(Declaration("span-1", "data/train/a.py", declared, "2026-12-07"))
    assert ledger.generation() > before
    ledger.close()

    again = report(root, ".", env=own_cache)
    assert cached_rows(root) == 12, "every file was checked again under the new generation"
    assert rules(again) == rules(report(root, ".", "--no-cache", env=own_cache))


def test_a_cache_brought_in_from_elsewhere_is_never_believed(tmp_path: Path, own_cache: dict[str, str]) -> None:
    """A repository may carry a `.provguard/cache` in; its 'no findings' must not pass the gate."""
    root = project(tmp_path / "proj")
    foreign = {"XDG_CACHE_HOME": str(tmp_path / "someone-else")}
    (root / "data" / "train" / "a.py").write_text(HUMAN)
    report(root, ".", env=foreign)  # someone else's clean verdict for the human file
    (root / "data" / "train" / "a.py").write_text(CODEX)
    with sqlite3.connect(cache_file(root)) as conn:  # ... forged to stand for the codex file too
        rows = conn.execute("SELECT key, value, mac FROM results").fetchall()
        conn.executemany("UPDATE results SET value = ?, mac = ? WHERE key = ?",
                         [(rows[0][1], rows[0][2], key) for key, _, _ in rows])

    found = report(root, ".", env=own_cache)

    assert ("data/train/a.py", "no-codex") in rules(found)


def test_a_tampered_entry_is_a_miss(tmp_path: Path, own_cache: dict[str, str]) -> None:
    root = project(tmp_path / "proj")
    report(root, ".", env=own_cache)
    with sqlite3.connect(cache_file(root)) as conn:
        conn.execute("""UPDATE results SET value = '{"findings":[],"suppressed":[],"notes":[]}'""")

    assert len(rules(report(root, ".", env=own_cache))) == 2


def test_a_cache_folder_that_links_out_of_the_project_is_not_written(tmp_path: Path,
                                                                    own_cache: dict[str, str]) -> None:
    root = project(tmp_path / "proj")
    outside = tmp_path / "outside"
    outside.mkdir()
    (root / ".provguard").mkdir()
    (root / ".provguard" / "cache").symlink_to(outside)

    first = report(root, ".", env=own_cache)

    assert list(outside.iterdir()) == []
    assert rules(report(root, ".", env=own_cache)) == rules(first)


def test_a_cache_with_other_tables_is_left_alone(tmp_path: Path, own_cache: dict[str, str]) -> None:
    root = project(tmp_path / "proj")
    cache_file(root).parent.mkdir(parents=True)
    with sqlite3.connect(cache_file(root)) as conn:
        conn.execute("CREATE TABLE results (key BLOB PRIMARY KEY, value BLOB, mac BLOB, used INTEGER)")
        conn.execute("CREATE TRIGGER t AFTER INSERT ON results BEGIN DELETE FROM results; END")

    assert len(rules(report(root, ".", env=own_cache))) == 2
    with sqlite3.connect(cache_file(root)) as conn:
        assert conn.execute("SELECT count(*) FROM results").fetchone()[0] == 0


def test_concurrent_runs_share_one_cache(tmp_path: Path, own_cache: dict[str, str]) -> None:
    root = project(tmp_path / "proj")
    environment = {**os.environ, "PYTHONPATH": str(REPO / "server"), **own_cache}
    runs = [subprocess.Popen([sys.executable, "-m", "provguard", "check", "--format", "json", "--no-git", "."],
                             cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment)
            for _ in range(4)]
    outputs = [run.communicate(timeout=240) for run in runs]

    assert {run.returncode for run in runs} == {1}, [err for _, err in outputs]
    assert len({out for out, _ in outputs}) == 1
    assert rules(report(root, ".", env=own_cache)) == rules(json.loads(outputs[0][0]))


def test_a_folder_in_no_project_gets_no_cache_folder(tmp_path: Path, own_cache: dict[str, str]) -> None:
    (tmp_path / "loose").mkdir()
    (tmp_path / "loose" / "x.py").write_text(CODEX)
    report(tmp_path / "loose", ".", env=own_cache)
    assert not (tmp_path / "loose" / ".provguard").exists()


def test_the_progress_display_is_never_on_a_pipe(tmp_path: Path) -> None:
    done = provguard(project(tmp_path), "check", "--no-git", ".")
    assert "checked" not in done.stderr and "\r" not in done.stderr
    shutil.rmtree(tmp_path / ".provguard", ignore_errors=True)


def test_export_judges_paths_from_the_project_root_too(tmp_path: Path) -> None:
    """The parity invariant: export flags what check reports, from any working folder."""
    root = project(tmp_path / "proj")

    def exported(cwd: Path, path: str) -> list[tuple[str, list[str]]]:
        done = provguard(cwd, "export", path)
        assert done.returncode == 0, done.stderr
        return [(r["path"], r["rules"]) for r in map(json.loads, done.stdout.splitlines())]

    assert exported(root, "data") == [("data/train/a.py", ["no-codex"]), ("data/train/deep/b.py", ["no-codex"])]
    assert exported(root / "data" / "train", ".") == exported(root, "data")


def test_a_commit_in_one_repository_invalidates_only_that_repositorys_cached_results(
        tmp_path: Path, own_cache: dict[str, str]) -> None:
    """With `--root` over several repositories each file's verdict depends on its own repository's history: a
    commit naming an AI tool, even one that changes no file's content, is seen through the cache."""
    from git_support import CLAUDE_FOOTER, Repo

    top = tmp_path / "top"
    top.mkdir()
    (top / "provguard.toml").write_text('packs = ["default"]\n')
    repos = {name: Repo(top / name) for name in ("one", "two")}
    for repo in repos.values():
        repo.commit({"src/lib.py": HUMAN}, "Add lib")
        repo.write("tests/test_lib.py", "def test_g():\n    assert g() == 2\n")  # not committed yet

    def gate() -> list[tuple[str, str]]:
        done = provguard(top, "check", "--format", "json", "--root", ".", ".", env=own_cache)
        assert done.returncode == 0, done.stderr  # warnings only
        return rules(json.loads(done.stdout))

    assert gate() == []
    before = cached_rows(top)
    repos["two"].git("add", "tests/test_lib.py")
    repos["two"].git("commit", "-q", "-m", "Tests\n\n" + CLAUDE_FOOTER)

    assert gate() == [("two/tests/test_lib.py", "ai-commit-in-test-task-file")]
    assert cached_rows(top) == before + 2, "only the two files of the repository with a new commit were checked"


def test_report_figures_are_the_same_whether_check_or_report_filled_the_cache(tmp_path: Path) -> None:
    """`check` does not count lines by origin (only `report` shows them): a result it cached is no answer to
    `report`, which counts them again."""
    from test_report_command import make_tree, report_json, run_cli

    make_tree(tmp_path, copies=3)
    fresh = report_json(tmp_path, ".", "--no-cache")
    assert run_cli(tmp_path, "check", "--no-git", "-q", ".").returncode == 1
    after_check = report_json(tmp_path, ".")
    from_own_cache = report_json(tmp_path, ".")
    for data in (fresh, after_check, from_own_cache):
        data["measured"].pop("generated")

    assert fresh["lines"]["by_origin"]["ai-agent"] > 0
    assert after_check == fresh
    assert from_own_cache == fresh


# -- a ledger that cannot be read -------------------------------------------------------------------------

GARBAGE = b"this is not a database\x00\xff" * 200


def test_a_ledger_that_cannot_be_read_stops_the_check(tmp_path: Path) -> None:
    root = project(tmp_path / "proj")
    (root / ".provguard").mkdir()
    (root / ".provguard" / "ledger.sqlite3").write_bytes(GARBAGE)

    done = provguard(root, "check", "--no-git", "--no-cache", ".")

    assert done.returncode == 2
    assert f"cannot read the ledger {root / '.provguard' / 'ledger.sqlite3'}: " in done.stderr
    assert "not a valid SQLite database" in done.stderr
    assert done.stdout == ""


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_ledger_broken_during_the_run_leaves_its_files_unchecked_never_passed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], jobs: str) -> None:
    """The run proves each project's ledger opens before any file is checked, then each process that checks
    opens it again: a ledger replaced in between (here: as the second project is loaded) makes its files
    errors of the run, named with the ledger and why, whichever process meets it."""
    from provguard.cli import dispatch
    from provguard.commands import check_run
    from provguard.ledger.sqlite import SqliteLedger

    first, second = project(tmp_path / "first"), project(tmp_path / "second")
    for root in (first, second):
        for index in range(8):
            (root / "src" / f"m{index}.py").write_text(HUMAN)
    (first / ".provguard").mkdir()
    ledger = first / ".provguard" / "ledger.sqlite3"
    SqliteLedger(ledger).close()
    loading = check_run.project_policy

    def breaking_the_first_ledger(root: Path, setup: Any) -> Any:
        if root.name == "second":
            for leftover in ledger.parent.glob("ledger.sqlite3-*"):
                leftover.unlink()
            ledger.write_bytes(GARBAGE)
        return loading(root, setup)

    monkeypatch.setattr(check_run, "project_policy", breaking_the_first_ledger)
    monkeypatch.chdir(tmp_path)

    code = dispatch(["check", "--no-git", "--no-cache", "--format", "json", "--jobs", jobs, "first", "second"])

    out, err = capsys.readouterr()
    assert code == 2
    unchecked = [line for line in err.splitlines() if ": not checked: " in line]
    files = {root: sorted(p.relative_to(tmp_path).as_posix() for p in root.rglob("*")
                          if p.is_file() and ".provguard" not in p.parts) for root in (first, second)}
    assert sorted(line.removeprefix("provguard: ").split(": ")[0] for line in unchecked) == files[first]
    assert all(f"cannot read the ledger {ledger}: the file is not a valid SQLite database" in line
               for line in unchecked)
    assert json.loads(out)["filesChecked"] == len(files[second])
