"""`provguard report --since` across runs and projects: what the weeks judged is kept in each project's own cache
folder past the scratch clone (a second report judges no file version again, concurrent reports lose nothing),
and each project of a past tree reads its own ledger of today."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from git_support import Repo
from test_report_command import APP, HUMAN, ai_lines, dated_commits, run_cli
from transcript_support import record_claude_write

WRITTEN = "def total(rows):\n    kept = [r for r in rows if r]\n    return sum(kept)\n\n\nCONSTANT = 41 + 1\n"
"""What an agent wrote (recorded by its hook, no marker in the file)."""


def run_in_process(root: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                   *args: str) -> tuple[dict[str, Any], Counter[str]]:
    """`provguard report --format json -j 1 ARGS` in this process, with every past tree's file judged counted."""
    from provguard import check_file, cli

    judged: Counter[str] = Counter()
    real = check_file.analyze_file

    def counted(doc: Any, rule_path: str, *rest: Any, **kwargs: Any) -> Any:
        if "provguard-history-" in str(rest[3]):  # a past tree's file, not today's
            judged[rule_path] += 1
        return real(doc, rule_path, *rest, **kwargs)

    monkeypatch.setattr(check_file, "analyze_file", counted)
    monkeypatch.setenv("PROVGUARD_CACHE_SECRET", "report tests")
    monkeypatch.chdir(root)
    status = cli.dispatch(["report", "--format", "json", "-q", "-j", "1", *args])
    out = capsys.readouterr()
    assert status == 0, out.err
    monkeypatch.undo()
    return json.loads(out.out), judged


def a_history(root: Path, monkeypatch: pytest.MonkeyPatch, days: int = 21) -> str:
    """A project's history over `days` days (commits in three weeks); returns --since."""
    since = datetime.now(UTC).date() - timedelta(days=days)
    commit_on = dated_commits(Repo(root), since, monkeypatch)
    commit_on(-3, {"provguard.toml": "", "src/mine.py": HUMAN, "src/app.py": APP}, "start")
    commit_on(8, {"src/changing.py": "a = 1\n"}, "another file")
    commit_on(15, {"src/changing.py": "a = 2\n"}, "changed")
    for name in ("GIT_AUTHOR_DATE", "GIT_COMMITTER_DATE"):
        monkeypatch.delenv(name)
    return since.isoformat()


def test_since_judges_a_file_once_while_it_and_its_history_stay_the_same(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """Over five weeks, a file committed once is judged once, and a file changed in two weeks once per version."""
    since = datetime.now(UTC).date() - timedelta(days=28)
    commit_on = dated_commits(Repo(tmp_path), since, monkeypatch)
    commit_on(-3, {"provguard.toml": "", "src/mine.py": HUMAN, "src/app.py": APP, "src/changing.py": "a = 1\n"},
              "start")
    commit_on(8, {"src/changing.py": "a = 2\n"}, "change")
    commit_on(15, {"README.md": "# demo\n"}, "readme")
    for name in ("GIT_AUTHOR_DATE", "GIT_COMMITTER_DATE"):
        monkeypatch.delenv(name)

    report, judged = run_in_process(tmp_path, monkeypatch, capsys, "--since", since.isoformat(), ".")

    assert len(report["history"]) == 5
    assert judged["src/mine.py"] == judged["src/app.py"] == 1, judged
    assert judged["src/changing.py"] == 2
    assert judged["README.md"] == 1


def test_a_second_report_judges_no_file_of_any_week_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    since = a_history(tmp_path, monkeypatch)
    first, judged_first = run_in_process(tmp_path, monkeypatch, capsys, "--since", since, ".")
    assert judged_first["src/changing.py"] == 2 and judged_first["src/app.py"] == 1  # each version once
    assert (tmp_path / ".provguard" / "cache" / "history.sqlite3").is_file()  # kept where the project keeps caches

    second, judged_second = run_in_process(tmp_path, monkeypatch, capsys, "--since", since, ".")
    assert judged_second == Counter()
    assert second["history"] == first["history"]
    assert [w["ai_lines"] for w in second["history"]] == [ai_lines_of(APP)] * 4


def ai_lines_of(text: str) -> int:
    return len(text.splitlines()[:4])  # APP's marked block: begin marker, two lines, end marker


def test_a_report_with_no_cache_neither_reads_nor_writes_the_kept_entries(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    since = a_history(tmp_path, monkeypatch)
    run_in_process(tmp_path, monkeypatch, capsys, "--since", since, ".")
    kept = (tmp_path / ".provguard" / "cache" / "history.sqlite3").read_bytes()
    _, judged = run_in_process(tmp_path, monkeypatch, capsys, "--no-cache", "--since", since, ".")
    assert judged["src/app.py"] == 3  # in each of the three commits the weeks end at: no cache at all
    assert (tmp_path / ".provguard" / "cache" / "history.sqlite3").read_bytes() == kept


def test_a_kept_entry_changed_by_hand_is_judged_again_never_believed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """The kept entries are signed with the user's secret: one altered (here: every finding dropped) is a miss."""
    import sqlite3

    since = a_history(tmp_path, monkeypatch)
    first, _ = run_in_process(tmp_path, monkeypatch, capsys, "--since", since, ".")
    kept = sqlite3.connect(tmp_path / ".provguard" / "cache" / "history.sqlite3")
    with kept:
        rows = kept.execute("SELECT key, value FROM results").fetchall()
        for key, value in rows:
            data = json.loads(value)
            data["findings"], data["lines"] = [], None
            kept.execute("UPDATE results SET value = ? WHERE key = ?", (json.dumps(data).encode(), key))
    kept.close()
    again, judged = run_in_process(tmp_path, monkeypatch, capsys, "--since", since, ".")
    assert judged["src/changing.py"] == 2 and judged["src/app.py"] == 1
    assert again["history"] == first["history"]


def test_concurrent_reports_keep_both_their_entries_and_agree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    since = a_history(tmp_path, monkeypatch)
    command = ["report", "--format", "json", "-q", "--since", since, "."]
    env = dict(__import__("os").environ, PROVGUARD_CACHE_SECRET="report tests",
               PYTHONPATH=str(Path(__file__).resolve().parents[1] / "server"))
    runs = [subprocess.Popen([sys.executable, "-m", "provguard", *command], cwd=tmp_path, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [run.communicate(timeout=240) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], [err for _, err in outputs]
    assert json.loads(outputs[0][0])["history"] == json.loads(outputs[1][0])["history"]
    third, judged = run_in_process(tmp_path, monkeypatch, capsys, "--since", since, ".")
    assert judged == Counter()
    assert third["history"] == json.loads(outputs[0][0])["history"]


def test_each_project_of_a_past_tree_reads_its_own_ledger(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A repository holding two projects, each with a ledger of its own that recorded an agent's file (no
    marker): every week counts both files' lines as AI lines, as today's report does."""
    since = datetime.now(UTC).date() - timedelta(days=14)
    repo = Repo(tmp_path)
    commit_on = dated_commits(repo, since, monkeypatch)
    for project in ("first", "second"):
        (tmp_path / project).mkdir()
        (tmp_path / project / "provguard.toml").write_text("", encoding="utf-8")
        (tmp_path / project / "agent.py").write_text(WRITTEN.replace("41", project), encoding="utf-8")
        record_claude_write(tmp_path / project, "agent.py", WRITTEN.replace("41", project), "toolu_agent.py")
        assert (tmp_path / project / ".provguard" / "ledger.sqlite3").is_file()
    commit_on(-3, {"first/provguard.toml": "", "second/provguard.toml": "",
                   "first/agent.py": WRITTEN.replace("41", "first"), "first/mine.py": HUMAN,
                   "second/agent.py": WRITTEN.replace("41", "second"), "second/mine.py": HUMAN}, "two projects")
    commit_on(8, {"second/mine.py": HUMAN + "\n\ndef more():\n    return 3\n"}, "a person's change")
    done = run_cli(tmp_path, "report", "--format", "json", "--no-git", "-q", "--since", since.isoformat(),
                   "first", "second")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    recorded = 2 * len(WRITTEN.splitlines())
    assert ai_lines(data) == recorded  # today: each file by its own project's ledger
    assert [w["ai_lines"] for w in data["history"]] == [recorded] * 3
    assert [w["lines"] for w in data["history"]][-1] == data["lines"]["total"]


@pytest.mark.parametrize("planted", [
    "CREATE TABLE evil (x)",
    "CREATE TRIGGER spy AFTER INSERT ON results BEGIN SELECT 1; END",
])
def test_a_kept_file_holding_anything_but_the_cache_table_is_neither_read_nor_merged_into(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], planted: str) -> None:
    """A repository can ship its own .provguard/cache/history.sqlite3: only the check cache's own table is
    trusted as a cache, and no SQL from the file is run."""
    import sqlite3

    since = a_history(tmp_path, monkeypatch)
    first, _ = run_in_process(tmp_path, monkeypatch, capsys, "--since", since, ".")
    kept_file = tmp_path / ".provguard" / "cache" / "history.sqlite3"
    kept = sqlite3.connect(kept_file)
    with kept:
        kept.execute(planted)
    kept.close()
    schema_before = sqlite3.connect(kept_file).execute("SELECT name, sql FROM sqlite_master ORDER BY name").fetchall()

    again, judged = run_in_process(tmp_path, monkeypatch, capsys, "--since", since, ".")

    assert judged["src/changing.py"] == 2 and judged["src/app.py"] == 1  # nothing read from it
    assert again["history"] == first["history"]
    after = sqlite3.connect(kept_file).execute("SELECT name, sql FROM sqlite_master ORDER BY name").fetchall()
    assert after == schema_before  # and nothing merged into it
