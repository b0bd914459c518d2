"""`provguard serve` started warm: with this user's daemon running, the session is served by a child the daemon
forks, on the editor's own pipes, and behaves as the session served in-process does (diagnostics, exit codes,
signals, working folder, environment); with no daemon, another provguard's, one that dies mid-way, or
PROVGUARD_DAEMON=0, the session is served in-process."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from daemon_support import WAIT, Daemons, descendants, gone
from provguard.daemon import fork, wire
from provguard.daemon.place import identity
from raw_lsp_support import RawServer

pytest_plugins = ("daemon_fixtures",)  # the `run` and `project` fixtures

UNREVIEWED = """\
def helper():
    return 0


# provguard: begin kind=ai-agent tool=claude-code vendor=anthropic
def generated():
    return 42
# provguard: end
"""


def serve(root: Path, env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> RawServer:
    """`provguard serve` as an editor starts it (pipes for its streams), with `env` (RawServer sets HOME)."""
    with monkeypatch.context() as patch:
        for name in list(os.environ):
            if name not in env:
                patch.delenv(name)
        for name, value in env.items():
            patch.setenv(name, value)
        return RawServer(root)


def diagnostics(server: RawServer, name: str, text: str) -> list[dict[str, Any]]:
    server.initialize()
    uri = server.open(name, text)
    published = server.notification("textDocument/publishDiagnostics")
    assert published["params"]["uri"] == uri
    found: list[dict[str, Any]] = published["params"]["diagnostics"]
    return found


def session(run: Daemons) -> int:
    """The pid of the one session child the daemon's watcher forked."""
    (daemon,) = run.pids()
    found = descendants(daemon)
    assert len(found) == 2, f"expected a watcher and a session child of the daemon, found {found}"
    return found[-1]


def end(server: RawServer, shutdown: bool) -> int:
    if shutdown:
        server.call("shutdown", None)
    server.notify("exit")
    code = server.process.wait(timeout=WAIT)
    server.close()
    return code


def test_a_session_the_daemon_serves_gives_the_diagnostics_and_exit_code_of_one_served_in_process(
        run: Daemons, project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run.start()
    warm = serve(project, run.env, monkeypatch)
    forked = diagnostics(warm, "tests/test_shop.py", UNREVIEWED)
    assert run.served() == 1
    cold = serve(project, run.off, monkeypatch)
    in_process = diagnostics(cold, "tests/test_shop.py", UNREVIEWED)

    assert forked and forked == in_process
    assert end(warm, shutdown=True) == end(cold, shutdown=True) == 0
    assert run.served() == 1


def test_sessions_forked_one_after_another_answer_as_a_server_built_in_process(
        run: Daemons, project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The daemon builds and warms a server before it forks (lsp/warm.py); each session starts from that server
    and must announce and report what a server built for it alone does, whatever the session before it did."""
    pulling = {"processId": None, "rootUri": project.as_uri(),
               "workspaceFolders": [{"uri": project.as_uri(), "name": project.name}],
               "capabilities": {"general": {"positionEncodings": ["utf-8", "utf-16"]},
                                "textDocument": {"diagnostic": {"relatedDocumentSupport": False}}}}
    run.start()
    answers = []
    for env in (run.env, run.env, run.off):
        server = serve(project, env, monkeypatch)
        initialized = server.call("initialize", pulling)
        server.notify("initialized", {})
        uri = server.open("tests/test_shop.py", UNREVIEWED)
        report = server.call("textDocument/diagnostic", {"textDocument": {"uri": uri}})
        answers.append((initialized["result"], report["result"]["items"]))
        assert end(server, shutdown=True) == 0

    assert run.served() == 2
    assert answers[0][1], "the pulled report names the unreviewed agent code"
    assert answers[0] == answers[1] == answers[2]


@pytest.mark.parametrize("shutdown", [True, False], ids=["exit-after-shutdown", "exit-without-shutdown"])
def test_the_exit_code_is_the_one_an_in_process_server_gives(run: Daemons, project: Path,
                                                              monkeypatch: pytest.MonkeyPatch, shutdown: bool) -> None:
    run.start()
    codes = []
    for env in (run.env, run.off):
        server = serve(project, env, monkeypatch)
        server.initialize()
        codes.append(end(server, shutdown))

    assert codes[0] == codes[1]
    assert run.served() == 1


def test_the_session_child_has_the_editors_pipes_working_folder_and_umask(
        run: Daemons, project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run.start()
    daemons_umask = os.umask(0o027)  # the editor's differs from the daemon's
    try:
        server = serve(project, run.env, monkeypatch)
    finally:
        os.umask(daemons_umask)
    server.initialize()
    child = session(run)
    client = server.process.pid

    assert Path(f"/proc/{child}/cwd").resolve() == project.resolve() != Path(f"/proc/{run.pids()[0]}/cwd").resolve()
    for fd in (0, 1, 2):
        assert os.readlink(f"/proc/{child}/fd/{fd}") == os.readlink(f"/proc/{client}/fd/{fd}")
    assert "Umask:\t0027\n" in Path(f"/proc/{child}/status").read_text()
    assert end(server, shutdown=True) == 0


def test_the_session_child_reads_the_editors_environment_not_the_daemons(
        run: Daemons, project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run.start()  # without PROVGUARD_LEDGER_URL
    editor = {**run.env, "PROVGUARD_LEDGER_URL": "not-a-url-from-the-editor"}
    messages = []
    for env in (editor, {**editor, "PROVGUARD_DAEMON": "0"}):
        server = serve(project, env, monkeypatch)
        diagnostics(server, "tests/test_shop.py", UNREVIEWED)
        messages.append(server.notification("window/showMessage")["params"]["message"])
        assert end(server, shutdown=True) == 0

    assert messages[0] == messages[1]
    assert "cannot use the ledger named by PROVGUARD_LEDGER_URL" in messages[0]
    assert run.served() == 1


def test_sigterm_to_the_client_ends_the_session_child_as_it_ends_an_in_process_server(
        run: Daemons, project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run.start()
    codes = []
    for env in (run.env, run.off):
        server = serve(project, env, monkeypatch)
        server.initialize()
        child = session(run) if env is run.env else None
        server.process.send_signal(signal.SIGTERM)
        codes.append(server.process.wait(timeout=WAIT))
        server.close()
        if child is not None:
            assert gone(child)

    assert codes == [-signal.SIGTERM, -signal.SIGTERM]


def test_a_client_killed_outright_takes_its_session_child_along(run: Daemons, project: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    run.start()
    server = serve(project, run.env, monkeypatch)
    server.initialize()
    child = session(run)

    server.process.kill()  # the editor still holds its ends of the pipes
    server.process.wait(timeout=WAIT)

    assert gone(child)
    assert run.status() != "not running"
    server.close()


class FakeDaemon:
    """A socket where the daemon's would be, answering a `serve` call with `answer` (None: closing at once,
    as a daemon killed mid-way does)."""

    def __init__(self, run: Daemons, answer: bytes | None) -> None:
        os.makedirs(run.folder, mode=0o700, exist_ok=True)
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(run.place.socket)
        self.listener.listen(1)
        self.answer = answer
        self.calls: list[tuple[str, str, int]] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        connection, _ = self.listener.accept()
        with connection:
            data, fds = fork.receive(connection, time.monotonic() + WAIT)
            word, their_identity, _ = wire.decode(data)
            self.calls.append((word, their_identity, len(fds)))
            fork.close_all(fds)
            if self.answer is not None:
                connection.sendall(self.answer)

    def close(self) -> None:
        self.thread.join(timeout=WAIT)
        self.listener.close()


@pytest.mark.parametrize("answer", [
    pytest.param(wire.encode("started", "0.0.1-0badc0de", [b"1"]), id="another-provguard"),
    pytest.param(None, id="gone-before-answering"),
    pytest.param(wire.encode("started", identity(), [b"%d" % os.getpid()]), id="gone-after-started"),
    pytest.param(wire.encode("refused", identity(), [b"busy"]), id="refused"),
])
def test_a_daemon_that_does_not_start_the_session_leaves_it_to_run_in_process(
        run: Daemons, project: Path, monkeypatch: pytest.MonkeyPatch, answer: bytes | None) -> None:
    fake = FakeDaemon(run, answer)
    server = serve(project, run.env, monkeypatch)
    found = diagnostics(server, "tests/test_shop.py", UNREVIEWED)
    fake.close()

    assert fake.calls == [("serve", identity(), 4)]
    assert found
    assert end(server, shutdown=True) == 0


def test_with_no_daemon_the_session_runs_in_process_and_starts_one_for_the_next(
        run: Daemons, project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = serve(project, run.env, monkeypatch)
    in_process = diagnostics(first, "tests/test_shop.py", UNREVIEWED)
    run.wait_until_running()
    assert end(first, shutdown=True) == 0

    second = serve(project, run.env, monkeypatch)
    assert diagnostics(second, "tests/test_shop.py", UNREVIEWED) == in_process
    assert run.served() == 1
    assert end(second, shutdown=True) == 0


def test_with_provguard_daemon_0_no_daemon_serves_a_session_or_is_started(
        run: Daemons, project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    server = serve(project, run.off, monkeypatch)
    assert diagnostics(server, "tests/test_shop.py", UNREVIEWED)
    assert end(server, shutdown=True) == 0
    assert not run.folder.exists() or list(run.folder.iterdir()) == []

    run.start()
    server = serve(project, run.off, monkeypatch)
    server.initialize()
    assert end(server, shutdown=True) == 0
    assert run.served() == 0


def test_garbage_with_descriptors_is_refused_and_the_descriptors_are_not_kept(run: Daemons) -> None:
    run.start()
    reader, writer = os.pipe()
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(WAIT)
        sock.connect(run.place.socket)
        socket.send_fds(sock, [wire.encode("guard", identity(), [])], [reader])
        sock.shutdown(socket.SHUT_WR)
        word, _, fields = wire.decode(b"".join(iter(lambda: sock.recv(65536), b"")))
    os.close(reader)

    assert (word, wire.untext(fields[0])) == ("refused", "descriptors come with `serve` and `check` only")
    with pytest.raises(BrokenPipeError):  # no reader is left anywhere: the daemon closed its copy
        os.write(writer, b"x")
    os.close(writer)


@pytest.mark.parametrize("args", [
    pytest.param(["tests/test_shop.py"], id="a-finding"),
    pytest.param(["tests/test_shop.py", "--format", "json"], id="json"),
    pytest.param(["src/clean.py"], id="clean"),
    pytest.param(["--fail-on", "nonsense", "src/clean.py"], id="usage-error"),
])
def test_check_forked_by_the_daemon_prints_and_exits_as_check_in_process(run: Daemons, project: Path,
                                                                         args: list[str]) -> None:
    (project / "tests" / "test_shop.py").write_text(UNREVIEWED)
    (project / "src").mkdir()
    (project / "src" / "clean.py").write_text("x = 1\n")
    run.start()
    forked = run.run("check", *args, cwd=project)
    assert run.served() == 1
    in_process = run.run("check", *args, cwd=project, env=run.off)

    assert (forked.returncode, forked.stdout, forked.stderr) == (
        in_process.returncode, in_process.stdout, in_process.stderr)
    assert forked.stdout or forked.stderr


def test_check_with_no_daemon_runs_in_process_and_starts_none(run: Daemons, project: Path) -> None:
    (project / "tests" / "test_shop.py").write_text(UNREVIEWED)
    done = run.run("check", "tests/test_shop.py", cwd=project)

    assert done.returncode == run.run("check", "tests/test_shop.py", cwd=project, env=run.off).returncode
    assert "test_shop.py" in done.stdout
    assert run.pids() == [] and not Path(run.place.socket).exists()


def test_the_serve_client_imports_nothing_of_the_language_server(run: Daemons, project: Path) -> None:
    run.start()
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "provguard", "serve"], input=b"",
                          capture_output=True, cwd=project, env=run.env, timeout=WAIT, check=False)
    imported = {line.split("|")[-1].strip() for line in done.stderr.decode().splitlines()
                if line.startswith("import time:") and "|" in line} - {"imported package"}

    assert done.returncode == 0
    assert run.served() == 1  # the child saw stdin end at once, and ended the session
    assert "provguard.daemon.session" in imported
    assert imported.isdisjoint({"pygls", "lsprotocol", "tree_sitter", "yaml", "argparse", "typing", "json", "socket",
                                "signal", "provguard.lsp", "provguard.commands"})
