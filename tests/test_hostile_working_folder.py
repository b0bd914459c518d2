"""provguard started in a working folder that was deleted under the shell (`os.getcwd()` fails): a command says
so and exits 2 rather than a traceback; an agent's guard and hook, and the editor's language server, which name
files by absolute paths, still answer as agents and editors need them to (from `/`, where no ledger is made)."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from guard_support import payload as guard_payload
from lsp_support import capabilities, open_file, published_until
from transcript_support import payload

GONE = "provguard: the working folder no longer exists (deleted?): change to an existing folder\n"


def in_deleted_folder(tmp_path: Path, *args: str) -> list[str]:
    """The command line of a shell that removes its working folder, then runs `provguard ARGS` in its place."""
    gone = tmp_path / "gone"
    gone.mkdir()
    command = " ".join(shlex.quote(a) for a in [sys.executable, "-m", "provguard", *args])
    return ["sh", "-c", f"cd {shlex.quote(str(gone))} && rmdir {shlex.quote(str(gone))} && exec {command}"]


def from_deleted_folder(tmp_path: Path, *args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    """`provguard ARGS` run by a shell whose working folder it removes first."""
    return subprocess.run(in_deleted_folder(tmp_path, *args), input=stdin, capture_output=True, timeout=60,
                          check=False)


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


async def test_the_language_server_serves_from_the_root_folder(tmp_path: Path, project: Path) -> None:
    client = await ClientServerConfig(server_command=in_deleted_folder(tmp_path, "serve")).start()
    assert isinstance(client, LanguageClient)
    try:
        await client.initialize_session(types.InitializeParams(
            capabilities=capabilities(pull=False), root_uri=project.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=project.as_uri(), name=project.name)],
            initialization_options={"reviewer": "tester@example.com"}))
        uri = open_file(client, project / "src" / "agent.py",
                        "# provguard: kind=ai-agent tool=codex vendor=openai\ndef marked():\n    pass\n")

        found = await published_until(client, uri, lambda diagnostics: bool(diagnostics))

        assert [d.code for d in found] == ["ai-output-unreviewed"]
        assert client._server is not None  # the shell's process, which `exec` made the server
        assert os.readlink(f"/proc/{client._server.pid}/cwd") == "/"
        await client.shutdown_session()
    finally:
        await client.stop()
