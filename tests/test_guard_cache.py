"""The guard keeps the project's policy between calls, and reads the packs again as soon as one changes."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from corpus_support import REPO
from guard_support import allowed, decision, guard, payload

TEAM = "pack: team\nextends: default\noverrides:\n  ai-output-in-test-task-file: {{agent-write: {}}}\n"


def touch_later(file: Path) -> None:
    """A change a second later than the file's last one, as an editor saving it would make."""
    status = file.stat()
    os.utime(file, ns=(status.st_atime_ns, status.st_mtime_ns + 1_000_000_000))


def test_a_cached_policy_gives_the_same_answer_and_is_kept_in_the_cache_folder(project: Path,
                                                                                tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = guard("claude-code", payload("claude-code-write-test-file.json", project), cwd=project, cache=cache)
    second = guard("claude-code", payload("claude-code-write-test-file.json", project), cwd=project, cache=cache)

    assert decision("claude-code", first) == decision("claude-code", second)
    assert len(list((cache / "provguard" / "guard").glob("*.pickle"))) == 1


def test_editing_a_pack_is_seen_at_the_next_call(project: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    pack = project / "team.yaml"
    pack.write_text(TEAM.format("deny"), encoding="utf-8")
    (project / "provguard.toml").write_text('packs = ["team.yaml"]\n', encoding="utf-8")
    assert decision("claude-code", guard("claude-code", payload("claude-code-write-test-file.json", project),
                                         cache=cache))[0] == "deny"

    pack.write_text(TEAM.format("ask "), encoding="utf-8")  # same size: only the time tells
    touch_later(pack)

    assert decision("claude-code", guard("claude-code", payload("claude-code-write-test-file.json", project),
                                         cache=cache))[0] == "ask"


def test_a_project_configuration_appearing_is_seen_at_the_next_call(project: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    assert decision("claude-code", guard("claude-code", payload("claude-code-write-test-file.json", project),
                                         cache=cache))[0] == "deny"
    (project / "team.yaml").write_text(TEAM.format("record"), encoding="utf-8")
    (project / "provguard.toml").write_text('packs = ["team.yaml"]\n', encoding="utf-8")

    assert allowed(guard("claude-code", payload("claude-code-write-test-file.json", project), cwd=project,
                         cache=cache)) == ""


def test_a_pack_with_errors_is_not_cached_so_its_errors_are_reported_every_time(project: Path,
                                                                               tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    (project / "team.yaml").write_text("pack: team\nextends: default\nagent-write-on-error: maybe\n",
                                       encoding="utf-8")
    (project / "provguard.toml").write_text('packs = ["team.yaml"]\n', encoding="utf-8")

    for _ in range(2):
        stderr = allowed(guard("claude-code", payload("claude-code-write-test-file.json", project), cwd=project,
                               cache=cache))
        assert "unknown agent-write-on-error 'maybe'" in stderr
    assert not (cache / "provguard" / "guard").exists()


def test_a_damaged_cache_file_is_ignored_and_replaced(project: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    guard("claude-code", payload("claude-code-write-test-file.json", project), cwd=project, cache=cache)
    (cached,) = (cache / "provguard" / "guard").glob("*.pickle")
    cached.write_bytes(b"not a pickle")

    done = guard("claude-code", payload("claude-code-write-test-file.json", project), cwd=project, cache=cache)

    assert (decision("claude-code", done)[0], done.stderr) == ("deny", "")
    assert cached.read_bytes() != b"not a pickle"


def test_a_policy_cached_by_another_installation_of_the_same_version_is_not_used(project: Path,
                                                                                  tmp_path: Path) -> None:
    """Two checkouts of one version (a developer's, CI's) ship different packs: each reads its own."""
    cache = tmp_path / "cache"
    other = tmp_path / "other"
    shutil.copytree(REPO / "server" / "provguard", other / "provguard",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "rules", other / "provguard" / "rules")  # where a wheel ships them
    default = other / "provguard" / "rules" / "default.yaml"
    default.write_text(default.read_text(encoding="utf-8").replace(
        "must not be used to create test tasks", "is refused by the other installation"), encoding="utf-8")
    first = guard("claude-code", payload("claude-code-write-test-file.json", project), cwd=project, cache=cache)

    second = guard("claude-code", payload("claude-code-write-test-file.json", project), cwd=project, cache=cache,
                   pythonpath=other)

    assert "must not be used to create test tasks" in decision("claude-code", first)[1]
    assert "is refused by the other installation" in decision("claude-code", second)[1]
