"""The guard against a tree and an agent that do not play along: writes through symbolic links are judged where
the file lands, files that are not regular files are never read, and a payload that never ends, a daemon that
hangs or one that was killed cost the agent no more than `--timeout`, and are refused when the project's pack
says `agent-write-on-error: deny`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from daemon_support import Daemons, daemons
from guard_support import allowed, answer, decision, guard, payload

CLOSED = "pack: closed\nextends: default\nagent-write-on-error: deny\n"
TIMEOUT = 3.0
"""The guard's `--timeout` where a test holds the agent's stdin open or hangs the daemon."""
SLACK = 5.0
"""For the interpreter to start and exit on a busy machine."""
HANG = TIMEOUT + SLACK
"""Past this the agent waited longer than `--timeout` promises (process start and exit aside)."""


@pytest.fixture
def project(project: Path) -> Path:
    """The shared git project (conftest.py), with this module's files."""
    root = project
    (root / "data" / "train").mkdir(parents=True)
    return root


@pytest.fixture
def run(tmp_path: Path) -> Iterator[Daemons]:
    yield from daemons(tmp_path / "cache")


def fail_closed(project: Path) -> None:
    (project / "closed.yaml").write_text(CLOSED, encoding="utf-8")
    (project / "provguard.toml").write_text('packs = ["closed.yaml"]\n', encoding="utf-8")


def write(project: Path, file_path: str, content: str = "rows = [1, 2, 3]\n") -> bytes:
    """Claude Code's Write of `content` to `file_path` (as the agent names it) in the project."""
    data = json.loads(payload("claude-code-write-source.json", project))
    data["tool_input"] = {"file_path": file_path, "content": content}
    return json.dumps(data).encode()


def edit(project: Path, file_path: str) -> bytes:
    data = json.loads(payload("claude-code-write-source.json", project))
    data["tool_name"] = "Edit"
    data["tool_input"] = {"file_path": file_path, "old_string": "", "new_string": "x = 1\n"}
    return json.dumps(data).encode()


def refused_path(agent: str, done: subprocess.CompletedProcess[str]) -> str:
    """The path a deny names, from Claude Code's or Codex's reason."""
    verdict, reason = decision(agent, done)
    assert verdict == "deny", reason
    return reason.removeprefix("provguard refused this write to ").split(":", 1)[0]


# -- symbolic links: the file is judged where it lands ---------------------------------------------------------


def test_a_write_through_a_linked_folder_is_judged_as_the_write_to_the_folder_it_points_to(project: Path) -> None:
    (project / "notes").symlink_to("data/train")

    direct = guard("claude-code", write(project, str(project / "data" / "train" / "sample.py")), cwd=project)
    linked = guard("claude-code", write(project, str(project / "notes" / "sample.py")), cwd=project)

    assert refused_path("claude-code", direct) == "data/train/sample.py"
    assert refused_path("claude-code", linked) == "data/train/sample.py"


def test_a_relative_path_through_a_linked_folder_is_judged_where_it_lands(project: Path) -> None:
    (project / "notes").symlink_to("data/train")

    done = guard("claude-code", write(project, "notes/sample.py"), cwd=project)

    assert refused_path("claude-code", done) == "data/train/sample.py"


def test_a_codex_patch_through_a_linked_folder_is_judged_where_it_lands(project: Path) -> None:
    (project / "notes").symlink_to("data/train")
    data = json.loads(payload("codex-patch-add-test.json", project))
    data["tool_input"]["command"] = "*** Begin Patch\n*** Add File: notes/rows.py\n+rows = [1, 2]\n*** End Patch\n"

    done = guard("codex", json.dumps(data).encode(), cwd=project)

    assert refused_path("codex", done) == "data/train/rows.py"


def test_a_cursor_write_through_a_linked_folder_is_judged_where_it_lands(project: Path) -> None:
    (project / "notes").symlink_to("data/train")
    data = json.loads(payload("cursor-write-source.json", project))
    data["tool_input"]["path"] = str(project / "notes" / "rows.py")

    found = answer("cursor", guard("cursor", json.dumps(data).encode(), cwd=project))

    assert found["permission"] == "deny"
    assert "data/train/rows.py" in found["user_message"]


def test_a_new_file_in_new_folders_under_a_linked_folder_is_judged_where_it_would_be_created(project: Path) -> None:
    (project / "notes").symlink_to("data/train")

    done = guard("claude-code", write(project, str(project / "notes" / "new" / "deeper" / "sample.py")), cwd=project)

    assert refused_path("claude-code", done) == "data/train/new/deeper/sample.py"
    assert not (project / "data" / "train" / "new").exists()


def test_dot_dot_after_a_linked_folder_climbs_from_where_the_link_points(project: Path) -> None:
    (project / "data" / "train" / "inner").mkdir()
    (project / "notes").symlink_to("data/train/inner")

    done = guard("claude-code", write(project, str(project / "notes" / ".." / "sample.py")), cwd=project)

    assert refused_path("claude-code", done) == "data/train/sample.py"


def test_a_link_to_a_file_is_judged_at_the_file_it_points_to(project: Path) -> None:
    rows = project / "data" / "train" / "rows.py"
    rows.write_text("rows = []\n", encoding="utf-8")
    (project / "src").mkdir()
    (project / "src" / "alias.py").symlink_to("../data/train/rows.py")

    done = guard("claude-code", write(project, str(project / "src" / "alias.py"), "rows = [1]\n"), cwd=project)

    assert refused_path("claude-code", done) == "data/train/rows.py"


def test_a_link_leaving_the_project_is_judged_by_the_project_it_lands_in(project: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / ".git").mkdir(parents=True)
    (elsewhere / "corpus").mkdir()
    (project / "notes").symlink_to(elsewhere / "corpus")

    done = guard("claude-code", write(project, str(project / "notes" / "sample.py")), cwd=project)

    assert refused_path("claude-code", done) == "corpus/sample.py"


def test_a_link_leaving_for_no_project_is_not_judged_by_the_project_it_left(project: Path, tmp_path: Path) -> None:
    """The team's anchored training-data folder does not reach a file that lands outside the project."""
    (project / "team.yaml").write_text("pack: team\nextends: default\nparameters:\n  training_data_paths: "
                                       '["notes/**"]\n', encoding="utf-8")
    (project / "provguard.toml").write_text('packs = ["team.yaml"]\n', encoding="utf-8")
    loose = tmp_path / "loose"
    loose.mkdir()
    (project / "notes").symlink_to(loose)

    inside = guard("claude-code", write(project, str(project / "data" / "notes" / "x.py")), cwd=project)
    outside = guard("claude-code", write(project, str(project / "notes" / "sample.py")), cwd=project)

    assert allowed(inside) == ""
    assert allowed(outside) == ""


# -- files that are not regular files are never read -----------------------------------------------------------


def test_an_edit_of_a_link_to_a_device_is_not_judged_and_nothing_is_read(project: Path) -> None:
    (project / "src").mkdir()
    (project / "src" / "zero.py").symlink_to("/dev/zero")

    stderr = allowed(guard("claude-code", edit(project, str(project / "src" / "zero.py")), cwd=project))

    assert stderr == ("provguard guard: /dev/zero: not judged: not a regular file (character device); "
                      "the call is let through\n")


@pytest.mark.parametrize("tool", ["Edit", "Write"])
def test_a_write_to_a_fifo_is_not_judged_and_never_waits_for_a_writer(project: Path, tool: str) -> None:
    fifo = project / "data" / "train" / "feed.py"
    os.mkfifo(fifo)
    stdin = edit(project, str(fifo)) if tool == "Edit" else write(project, str(fifo))

    stderr = allowed(guard("claude-code", stdin, cwd=project))

    assert stderr == f"provguard guard: {fifo}: not judged: not a regular file (FIFO); the call is let through\n"


def test_a_pack_that_fails_closed_refuses_a_write_to_what_is_not_a_regular_file(project: Path) -> None:
    fail_closed(project)
    (project / "zero.py").symlink_to("/dev/zero")

    verdict, reason = decision("claude-code", guard("claude-code", edit(project, str(project / "zero.py")),
                                                    cwd=project))

    assert verdict == "deny"
    assert reason.startswith("provguard could not judge this call (/dev/zero: not judged: not a regular file")


# -- fail-closed holds for timeouts: a payload that never ends, a daemon that hangs ----------------------------


def guard_with_open_stdin(agent: str, head: bytes, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The guard whose stdin gets `head` and is then kept open, as by an agent that never closes it."""
    process = subprocess.Popen([sys.executable, "-m", "provguard", "guard", agent, "--timeout", f"{TIMEOUT:g}"],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd,
                               env=env)
    assert process.stdin is not None and process.stdout is not None and process.stderr is not None
    try:
        process.stdin.write(head)
        process.stdin.flush()
        process.wait(timeout=HANG)  # raises, failing the test, if the guard waits for the end of stdin
        return subprocess.CompletedProcess(process.args, process.returncode, process.stdout.read().decode(),
                                           process.stderr.read().decode())
    finally:
        process.kill()
        process.wait()
        process.stdin.close()
        process.stdout.close()
        process.stderr.close()


def in_process_env(cache: Path) -> dict[str, str]:
    return {**os.environ, "XDG_CACHE_HOME": str(cache), "PROVGUARD_DAEMON": "0"}


@pytest.mark.parametrize("remembered", [False, True], ids=["first-call", "later-call"])
def test_a_payload_that_never_ends_is_refused_when_the_pack_fails_closed(project: Path, tmp_path: Path,
                                                                          remembered: bool) -> None:
    fail_closed(project)
    cache = tmp_path / "cache"
    if remembered:  # an earlier call in the project read its packs
        guard("claude-code", payload("claude-code-write-source.json", project), cwd=project, cache=cache)

    done = guard_with_open_stdin("claude-code", payload("claude-code-write-source.json", project)[:40], project,
                                 in_process_env(cache))

    verdict, reason = decision("claude-code", done)
    assert verdict == "deny"
    assert reason.startswith(f"provguard could not judge this call (no decision within {TIMEOUT:g} s)")


def test_a_payload_that_never_ends_is_let_through_with_a_note_when_the_pack_does_not_fail_closed(
        project: Path, tmp_path: Path) -> None:
    done = guard_with_open_stdin("claude-code", b"", project, in_process_env(tmp_path / "cache"))

    assert allowed(done) == f"provguard guard: no decision within {TIMEOUT:g} s; the call is let through\n"


@pytest.mark.parametrize("agent", ["claude-code", "cursor", "copilot"])
def test_a_payload_that_never_ends_is_refused_through_the_daemon_client_too(run: Daemons, project: Path,
                                                                             agent: str) -> None:
    fail_closed(project)
    run.start()
    run.run("guard", agent, stdin=payload("claude-code-write-source.json", project), cwd=project)  # served warm

    done = guard_with_open_stdin(agent, b'{"cwd": ', project, run.env)

    assert "could not judge this call (no decision within" in json.dumps(answer(agent, done))
    assert run.served() == 1  # the daemon never saw the payload that did not end


def test_a_daemon_that_hangs_costs_the_agent_no_more_than_the_timeout(run: Daemons, project: Path) -> None:
    fail_closed(project)
    daemon = run.start()
    os.kill(daemon.pid, signal.SIGSTOP)
    try:
        judged = guard_process(run, payload("claude-code-write-test-file.json", project), project)
        allowed_write = guard_process(run, payload("claude-code-write-source.json", project), project)
        never_ends = guard_with_open_stdin("claude-code", b"{", project, run.env)
    finally:
        os.kill(daemon.pid, signal.SIGCONT)

    assert decision("claude-code", judged)[1].startswith("provguard refused this write to tests/test_discount.py")
    assert allowed(allowed_write) == ""
    assert decision("claude-code", never_ends)[1].startswith(
        f"provguard could not judge this call (no decision within {TIMEOUT:g} s)")


def test_a_killed_daemon_leaves_the_call_judged_in_process(run: Daemons, project: Path) -> None:
    daemon = run.start()
    daemon.kill()
    daemon.wait()
    assert os.path.lexists(run.place.socket)  # left behind: connecting is refused

    done = guard_process(run, payload("claude-code-write-test-file.json", project), project)

    assert decision("claude-code", done)[1].startswith("provguard refused this write to tests/test_discount.py")


def test_the_daemon_judges_with_the_backtracking_pack_as_the_command_does_in_process(run: Daemons,
                                                                                     tmp_path: Path) -> None:
    """test_hostile_packs.py's pack, whose patterns a backtracking engine takes minutes on, through the daemon."""
    from test_hostile_packs import DEEP, NAME, hostile_project

    root = tmp_path / "hostile"
    hostile_project(root)
    data = json.loads(payload("claude-code-write-source.json", root))
    data["tool_input"] = {"file_path": str(root / "src" / DEEP / f"{NAME}.py"), "content": f"{NAME} = 2\n"}
    stdin = json.dumps(data).encode()
    run.start()

    served = run.run("guard", "claude-code", "--timeout", "30", stdin=stdin, cwd=root)
    alone = run.run("guard", "claude-code", "--timeout", "30", stdin=stdin, cwd=root, env=run.off)

    assert (served.stdout, served.stderr) == (alone.stdout, alone.stderr)
    assert "(provguard rule stacked-repeats-that-do-match)" in decision("claude-code", served)[1]
    assert run.served() == 1


def guard_process(run: Daemons, stdin: bytes, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`provguard guard claude-code --timeout TIMEOUT` through the daemon client, bounded against a hang."""
    done = subprocess.run([sys.executable, "-m", "provguard", "guard", "claude-code", "--timeout", f"{TIMEOUT:g}"],
                          input=stdin, capture_output=True, timeout=HANG, check=False, cwd=cwd, env=run.env)
    return subprocess.CompletedProcess(done.args, done.returncode, done.stdout.decode(), done.stderr.decode())


# -- the policy cache is the user's own ------------------------------------------------------------------------


def test_the_policy_cache_is_private_whatever_the_umask(project: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    done = subprocess.run([sys.executable, "-m", "provguard", "guard", "claude-code"], cwd=project, check=False,
                          input=payload("claude-code-write-test-file.json", project), capture_output=True,
                          timeout=60, env=in_process_env(cache), umask=0)
    assert done.returncode == 0

    folder = cache / "provguard" / "guard"
    assert (folder.stat().st_mode & 0o777, (cache / "provguard").stat().st_mode & 0o777) == (0o700, 0o700)
    assert {f.suffix: f.stat().st_mode & 0o777 for f in folder.iterdir()} == {".pickle": 0o600, ".choice": 0o600}


def test_a_cached_policy_others_could_have_written_is_not_believed(project: Path, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The cache is unpickled: a cache file that is the user's own is used, one others may write is not."""
    from provguard.guard import policy_cache
    from provguard.policy.project import load_project_policy

    cache = tmp_path / "cache"
    (project / "team.yaml").write_text("pack: team\nextends: default\noverrides:\n"
                                       "  ai-output-in-test-task-file: {agent-write: record}\n", encoding="utf-8")
    (project / "provguard.toml").write_text('packs = ["team.yaml"]\n', encoding="utf-8")
    bare = tmp_path / "bare"
    (bare / ".git").mkdir(parents=True)
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    policy_cache.save(project.resolve(), load_project_policy(bare).policy)  # the default pack, under the team's stamp
    (planted,) = (cache / "provguard" / "guard").glob("*.pickle")
    test_file = payload("claude-code-write-test-file.json", project)
    assert decision("claude-code", guard("claude-code", test_file, cwd=project, cache=cache))[0] == "deny"

    planted.chmod(0o666)

    assert allowed(guard("claude-code", test_file, cwd=project, cache=cache)) == ""
    assert planted.stat().st_mode & 0o777 == 0o600  # replaced by the packs' own policy
