"""Guard and hook calls answered by a running provguard daemon: the same bytes on stdout and stderr and the
same exit code as judging in-process, for every agent's fixture payloads; and when the daemon is gone, stale,
garbled or silent, the in-process answer all the same."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from daemon_support import Daemons
from guard_support import GUARD_FIXTURES, decision, payload
from provguard.daemon import wire
from provguard.ledger.sqlite import SqliteLedger
from transcript_support import CLAUDE_FIXTURE, CLAUDE_SESSION, CODEX_FIXTURE, moved
from transcript_support import payload as hook_payload

pytest_plugins = ("daemon_fixtures",)  # the `run` and `project` fixtures

PACKS = {
    "default": None,
    "team-ask": "pack: team\nextends: default\noverrides:\n  ai-output-in-test-task-file: {agent-write: ask}\n",
    "fails-closed": "pack: closed\nextends: default\nagent-write-on-error: deny\n",
}
GUARD_PAYLOADS = sorted(p.name for p in GUARD_FIXTURES.glob("*.json") if not p.name.endswith(".schema.json"))
TEAM = "pack: team\nextends: default\noverrides:\n  ai-output-in-test-task-file: {{agent-write: {}}}\n"


def agent_of(fixture: str) -> str:
    return next(agent for agent in ("claude-code", "codex", "cursor", "copilot") if fixture.startswith(agent))


def make_project(root: Path, pack: str | None = None) -> Path:
    """A project with the files the fixture payloads edit, and optionally a pack of its own."""
    (root / ".git").mkdir(parents=True)
    (root / "src").mkdir()
    (root / "src" / "cart.py").write_text(
        "def total(items):\n    return sum(item.price for item in items)\n\n\n# checks\n", encoding="utf-8")
    (root / "training_data").mkdir()
    (root / "training_data" / "prompts.py").write_text("EXAMPLES = [1]\n", encoding="utf-8")
    if pack is not None:
        (root / "team.yaml").write_text(pack, encoding="utf-8")
        (root / "provguard.toml").write_text('packs = ["team.yaml"]\n', encoding="utf-8")
    return root


@pytest.mark.parametrize("pack", sorted(PACKS))
def test_every_agent_fixture_gets_the_same_bytes_from_the_daemon_as_in_process(run: Daemons, tmp_path: Path,
                                                                              pack: str) -> None:
    project = make_project(tmp_path / "shop", PACKS[pack])
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / ".git").mkdir(parents=True)
    calls = [(agent_of(name), name, payload(name, project, elsewhere)) for name in GUARD_PAYLOADS]
    calls += [("claude-code", "not UTF-8", b"\xff\xfe{"), ("codex", "empty", b""), ("cursor", "a list", b"[1]")]
    run.start()

    differing = []
    for agent, name, data in calls:
        in_process = run.raw("guard", agent, stdin=data, cwd=project, env=run.off)
        served = run.raw("guard", agent, stdin=data, cwd=project)
        if (served.returncode, served.stdout, served.stderr) != (in_process.returncode, in_process.stdout,
                                                                 in_process.stderr):
            differing.append((name, in_process, served))

    assert differing == []
    assert run.served() == len(calls)  # every call was the daemon's, none fell back
    answers = {run.raw("guard", agent_of(name), stdin=payload(name, project, elsewhere), cwd=project,
                       env=run.off).stdout for name in GUARD_PAYLOADS}
    assert len(answers) >= 4  # the comparison covered allows, denials and (team-ask) questions, not one answer


def test_hook_calls_through_the_daemon_print_and_record_what_in_process_calls_do(run: Daemons,
                                                                                 tmp_path: Path) -> None:
    run.start()
    results = {}
    for how, env in (("in-process", run.off), ("daemon", run.env)):
        project = make_project(tmp_path / how / "shop")
        transcript = moved(CLAUDE_FIXTURE, tmp_path / how / "claude" / f"{CLAUDE_SESSION}.jsonl", project)
        rollout = moved(CODEX_FIXTURE, tmp_path / how / "codex" / CODEX_FIXTURE.name, project)
        outputs = []
        for agent, name, trail in (("claude-code", "claude-code-write.json", transcript),
                                   ("claude-code", "claude-code-edit.json", transcript),
                                   ("claude-code", "claude-code-multiedit.json", transcript),
                                   ("claude-code", "claude-code-bash.json", transcript),
                                   ("codex", "codex-apply-patch.json", rollout)):
            done = run.raw("hook", agent, stdin=hook_payload(name, project, trail), cwd=project, env=env)
            outputs.append((done.returncode, done.stdout, done.stderr))
        for agent, data in (("claude-code", b"not json"), ("codex", b"\xff")):
            done = run.raw("hook", agent, stdin=data, cwd=project, env=env)
            outputs.append((done.returncode, done.stdout, done.stderr))
        ledger = SqliteLedger(project / ".provguard" / "ledger.sqlite3")
        edits = sorted((e.tool_call_id, e.path, e.lines, e.model) for e in ledger.agent_edits())
        ledger.close()
        results[how] = (outputs, edits)

    assert results["daemon"] == results["in-process"]
    assert len(results["daemon"][1]) >= 4
    assert [err for _, _, err in results["daemon"][0][-2:]] == [
        b"provguard hook: the hook input is not JSON (line 1, column 1: Expecting value)\n",
        b"provguard hook: the hook input is not UTF-8\n"]
    assert run.served() == 7


def test_a_hook_answered_by_the_daemon_is_in_the_ledger_file_even_if_the_daemon_is_killed_at_once(
        run: Daemons, tmp_path: Path) -> None:
    project = make_project(tmp_path / "shop")
    transcript = moved(CLAUDE_FIXTURE, tmp_path / "claude" / f"{CLAUDE_SESSION}.jsonl", project)
    daemon = run.start()

    done = run.run("hook", "claude-code", stdin=hook_payload("claude-code-write.json", project, transcript),
                   cwd=project)
    daemon.kill()
    daemon.wait()

    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    ledger = SqliteLedger(project / ".provguard" / "ledger.sqlite3")
    assert [(e.tool_call_id, e.path) for e in ledger.agent_edits()] == [("toolu_01WriteDiscount7Qk",
                                                                        "src/discount.py")]
    ledger.close()


def test_a_pack_edited_while_the_daemon_runs_is_honoured_at_the_next_call(run: Daemons, tmp_path: Path) -> None:
    project = make_project(tmp_path / "shop", TEAM.format("deny"))
    data = payload("claude-code-write-test-file.json", project)
    run.start()
    assert decision("claude-code", run.run("guard", "claude-code", stdin=data, cwd=project))[0] == "deny"

    pack = project / "team.yaml"
    pack.write_text(TEAM.format("ask "), encoding="utf-8")  # same size: only the modification time tells
    status = pack.stat()
    os.utime(pack, ns=(status.st_atime_ns, status.st_mtime_ns + 1_000_000_000))

    assert decision("claude-code", run.run("guard", "claude-code", stdin=data, cwd=project))[0] == "ask"
    (project / "provguard.toml").unlink()  # back to the default pack
    assert decision("claude-code", run.run("guard", "claude-code", stdin=data, cwd=project))[0] == "deny"
    assert run.served() == 3


def test_a_daemon_whose_code_changed_on_disk_refuses_the_call_which_is_judged_in_process_and_leaves(
        run: Daemons, tmp_path: Path) -> None:
    """An editable install edited, or the same version reinstalled: the running daemon must not go on judging
    with the old code."""
    import provguard.guard.run as guard_code

    project = make_project(tmp_path / "shop")
    data = payload("claude-code-write-test-file.json", project)
    expected = run.run("guard", "claude-code", stdin=data, cwd=project, env=run.off)
    daemon = run.start()
    assert run.run("guard", "claude-code", stdin=data, cwd=project).stdout == expected.stdout
    assert run.served() == 1

    source = Path(guard_code.__file__)
    status = source.stat()
    os.utime(source, ns=(status.st_atime_ns, time.time_ns()))  # as an edit would leave it; the text is unchanged

    done = run.run("guard", "claude-code", stdin=data, cwd=project)
    assert (done.returncode, done.stdout) == (expected.returncode, expected.stdout)
    assert daemon.wait(timeout=60) == 0
    assert f"provguard's code changed since this daemon started ({source})" in run.log()


def test_concurrent_calls_all_get_their_own_answer(run: Daemons, tmp_path: Path) -> None:
    project = make_project(tmp_path / "shop")
    denied, allowed = payload("claude-code-write-test-file.json", project), payload("claude-code-write-source.json",
                                                                                    project)
    run.start()
    calls = [subprocess.Popen([sys.executable, "-m", "provguard", "guard", "claude-code"], env=run.env, cwd=project,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for _ in range(8)]
    outputs = [call.communicate(denied if i % 2 else allowed, timeout=60) for i, call in enumerate(calls)]

    assert [b'"deny"' in out for out, _ in outputs] == [bool(i % 2) for i in range(8)]
    assert all(out == b"" and err == b"" for i, (out, err) in enumerate(outputs) if not i % 2)
    assert run.served() == 8


@pytest.fixture
def deny_call(run: Daemons, tmp_path: Path) -> Callable[..., tuple[str, str]]:
    project = make_project(tmp_path / "shop")
    data = payload("claude-code-write-test-file.json", project)
    expected = run.run("guard", "claude-code", stdin=data, cwd=project, env=run.off)
    assert decision("claude-code", expected)[0] == "deny"

    def call(*args: str) -> tuple[str, str]:
        done = run.run("guard", "claude-code", *args, stdin=data, cwd=project)
        assert (done.returncode, done.stdout) == (0, expected.stdout)
        return done.stdout, done.stderr

    return call


def test_a_killed_daemons_stale_socket_is_judged_in_process_and_a_new_daemon_takes_over(
        run: Daemons, deny_call: Callable[..., tuple[str, str]]) -> None:
    first = run.start()
    first.kill()
    first.wait()
    assert Path(run.place.socket).exists()  # SIGKILL left the socket file behind

    assert deny_call()[1] == ""

    second = run.wait_until_running()  # the call found nobody at the socket and started a daemon
    assert second.pid != first.pid
    deny_call()
    assert run.served() == 1


class FakeDaemon:
    """Something listening on the daemon's socket that is not a working daemon."""

    def __init__(self, path: str, answer: Callable[[socket.socket], None]) -> None:
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(path)
        self.listener.listen(8)
        self.answer = answer
        self.accepted = 0
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.accepted += 1
            with connection:
                self.answer(connection)

    def close(self) -> None:
        self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        self.thread.join(timeout=10)


def _read_all(connection: socket.socket) -> bytes:
    chunks = []
    while chunk := connection.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.parametrize("answer", [
    pytest.param(lambda c: (_read_all(c), c.sendall(b"HTTP/1.1 200 OK\r\n\r\nhello")), id="garbage"),
    pytest.param(lambda c: (_read_all(c), c.sendall(wire.encode("ok", "9.9.9-00000000", [b"0", b"", b""]))),
                 id="another-version"),
    pytest.param(lambda c: (_read_all(c), c.sendall(b"provguard-daemon/1 ok ")), id="cut-short"),
    pytest.param(lambda c: None, id="hangs-up"),
])
def test_whatever_answers_on_the_socket_wrongly_the_call_is_judged_in_process(
        run: Daemons, deny_call: Callable[..., tuple[str, str]], answer: Callable[[socket.socket], None]) -> None:
    Path(run.place.folder).mkdir(parents=True, exist_ok=True)
    fake = FakeDaemon(run.place.socket, answer)
    try:
        assert deny_call()[1] == ""
        assert fake.accepted == 1
    finally:
        fake.close()
    assert run.pids() == []  # someone listened: no daemon is started beside it


def test_a_daemon_that_never_answers_leaves_the_call_time_to_be_judged_in_process(
        run: Daemons, deny_call: Callable[..., tuple[str, str]]) -> None:
    Path(run.place.folder).mkdir(parents=True, exist_ok=True)
    silent = threading.Event()
    fake = FakeDaemon(run.place.socket, lambda c: (_read_all(c), silent.wait(60)))  # type: ignore[func-returns-value]
    try:
        assert deny_call("--timeout", "4")[1] == ""  # 2 s waiting for the daemon, 2 s kept for judging here
    finally:
        silent.set()
        fake.close()


def test_when_the_daemon_and_the_fallback_both_run_out_of_time_the_call_is_let_through(
        run: Daemons, tmp_path: Path) -> None:
    project = make_project(tmp_path / "shop")
    Path(run.place.folder).mkdir(parents=True, exist_ok=True)
    silent = threading.Event()
    fake = FakeDaemon(run.place.socket, lambda c: (_read_all(c), silent.wait(60)))  # type: ignore[func-returns-value]
    try:
        done = run.run("guard", "claude-code", "--timeout", "0.002", stdin=payload("claude-code-write-test-file.json",
                                                                                   project), cwd=project)
    finally:
        silent.set()
        fake.close()

    assert (done.returncode, done.stdout) == (0, "")
    assert done.stderr == "provguard guard: no decision within 0.002 s; the call is let through\n"


def test_the_daemon_runs_each_call_in_its_callers_folder_umask_and_environment(run: Daemons, tmp_path: Path) -> None:
    project = make_project(tmp_path / "shop")
    transcript = moved(CLAUDE_FIXTURE, tmp_path / "claude" / f"{CLAUDE_SESSION}.jsonl", project)
    (project / "private").mkdir()
    run.start()

    recorded = subprocess.run(
        [sys.executable, "-m", "provguard", "hook", "claude-code", "--ledger", "private/ledger.sqlite3"],
        input=hook_payload("claude-code-write.json", project, transcript), capture_output=True, cwd=project,
        env=run.env, umask=0o077, timeout=60, check=False)
    judged = [run.run("guard", "claude-code", stdin=payload("claude-code-write-test-file.json", project),
                      cwd=project, env={**run.env, "XDG_CACHE_HOME": str(tmp_path / cache)})
              for cache in ("cache-a", "cache-b")]

    assert (recorded.returncode, recorded.stderr) == (0, b"")
    ledger = project / "private" / "ledger.sqlite3"  # the relative --ledger is the caller's, not the daemon's
    assert ledger.stat().st_mode & 0o777 == 0o600  # created under the caller's umask
    assert [decision("claude-code", done)[0] for done in judged] == ["deny", "deny"]
    for cache in ("cache-a", "cache-b"):  # each caller's own policy cache folder
        assert len(list((tmp_path / cache / "provguard" / "guard").glob("*.pickle"))) == 1
    assert run.served() == 3


@pytest.mark.parametrize("daemon", ["on", "off"])
def test_an_agent_that_never_closes_stdin_gets_its_answer_within_the_timeout(run: Daemons, tmp_path: Path,
                                                                             daemon: str) -> None:
    project = make_project(tmp_path / "shop")
    call = subprocess.Popen([sys.executable, "-m", "provguard", "guard", "claude-code", "--timeout", "1"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=project,
                            env=run.env if daemon == "on" else run.off)
    assert call.stdin is not None
    call.stdin.write(payload("claude-code-write-test-file.json", project)[:40])  # and nothing more, ever
    call.stdin.flush()
    try:
        code = call.wait(timeout=30)  # not communicate(), which would close stdin
    except subprocess.TimeoutExpired:
        call.kill()
        raise
    finally:
        call.stdin.close()
    assert call.stdout is not None and call.stderr is not None
    assert (code, call.stdout.read()) == (0, b"")
    assert b"no decision within 1 s" in call.stderr.read()
