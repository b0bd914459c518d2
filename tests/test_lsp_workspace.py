"""The whole workspace's findings in the editor (workspace/diagnostic, and the push command for clients that do
not pull): the files `provguard check` reads, with its findings, including files never opened."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcRequestCancelled
from pytest_lsp import LanguageClient

from lsp_support import capabilities, open_file, pulled, session

MARKED = "# provguard: kind=ai-agent tool=codex vendor=openai\ndef marked():\n    pass\n"
"""A marked unit nobody reviewed: a finding from the text alone."""
CLEAN = "def plain():\n    return 1\n"
CHECK_WORKSPACE = "provguard.checkWorkspace"
REPO = Path(__file__).resolve().parents[1]


def make_project(root: Path) -> None:
    """Five files, findings in three of them (one of those opened by the tests), and a gitignored file with a
    finding that must not appear."""
    (root / "provguard.toml").write_text("")
    (root / ".gitignore").write_text("generated/\n")
    (root / "src").mkdir()
    (root / "src" / "opened.py").write_text(MARKED)
    (root / "src" / "second.py").write_text(CLEAN + "\n" + MARKED)
    (root / "lib").mkdir()
    (root / "lib" / "third.py").write_text(MARKED + "\n\n" + MARKED.replace("marked", "again"))
    (root / "src" / "clean.py").write_text(CLEAN)
    (root / "lib" / "clean.py").write_text(CLEAN)
    (root / "generated").mkdir()
    (root / "generated" / "out.py").write_text(MARKED)


def cli_findings(root: Path) -> dict[str, list[tuple[str, tuple[int, int, int, int]]]]:
    """`provguard check --format json` per file: rule ids and 0-based ranges (the files are ASCII, so code
    point columns are UTF-16 ones)."""
    done = subprocess.run([sys.executable, "-m", "provguard", "check", "--format", "json", "--no-cache", "."],
                          cwd=root, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode in (0, 1), done.stderr
    found: dict[str, list[tuple[str, tuple[int, int, int, int]]]] = {}
    for f in json.loads(done.stdout)["findings"]:
        r = f["range"]
        span = (r["start"]["line"] - 1, r["start"]["column"] - 1, r["end"]["line"] - 1, r["end"]["column"] - 1)
        found.setdefault((root / f["path"]).as_uri(), []).append((f["rule"], span))
    return {uri: sorted(items) for uri, items in found.items()}


def lsp_findings(diagnostics: list[types.Diagnostic]) -> list[tuple[str, tuple[int, int, int, int]]]:
    return sorted((str(d.code), (d.range.start.line, d.range.start.character, d.range.end.line,
                                 d.range.end.character)) for d in diagnostics)


@asynccontextmanager
async def server(root: Path, pull: bool = True, progress: bool = True) -> AsyncIterator[LanguageClient]:
    caps = capabilities(pull)
    assert caps.window is not None
    caps.window.work_done_progress = progress
    async with session(caps, root.as_uri()) as client:
        yield client


def full_reports(report: types.WorkspaceDiagnosticReport) -> dict[str, list[types.Diagnostic]]:
    return {item.uri: list(item.items) for item in report.items
            if isinstance(item, types.WorkspaceFullDocumentDiagnosticReport)}


async def workspace(client: LanguageClient, previous: dict[str, str] | None = None,
                    **params: Any) -> types.WorkspaceDiagnosticReport:
    return await client.workspace_diagnostic_async(types.WorkspaceDiagnosticParams(
        previous_result_ids=[types.PreviousResultId(uri, value) for uri, value in (previous or {}).items()],
        **params))


def result_ids(report: types.WorkspaceDiagnosticReport) -> dict[str, str]:
    return {item.uri: item.result_id for item in report.items if item.result_id is not None}


async def test_problems_list_every_file_with_findings_as_the_cli_reports_them(tmp_path: Path) -> None:
    make_project(tmp_path)
    expected = cli_findings(tmp_path)
    assert len(expected) == 3  # the gitignored file is not checked
    async with server(tmp_path) as client:
        opened = open_file(client, tmp_path / "src" / "opened.py", MARKED)
        report = await workspace(client)
        found = full_reports(report)
        assert {uri: lsp_findings(items) for uri, items in found.items()} == expected
        assert (tmp_path / "generated" / "out.py").as_uri() not in found
        live = await pulled(client, opened)  # the open document's report is its live one
        assert [d.message for d in found[opened]] == [d.message for d in live]
        versions = {item.uri: item.version for item in report.items}
        assert versions[opened] == 1 and versions[(tmp_path / "lib" / "third.py").as_uri()] is None


async def test_an_open_document_is_reported_as_the_editor_has_it_not_as_saved(tmp_path: Path) -> None:
    make_project(tmp_path)
    async with server(tmp_path) as client:
        opened = open_file(client, tmp_path / "src" / "second.py", MARKED)
        (tmp_path / "src" / "second.py").write_text(CLEAN)  # saved elsewhere; the editor's text still has it
        found = full_reports(await workspace(client))
        assert lsp_findings(found[opened]) == lsp_findings(await pulled(client, opened)) != []


async def test_unchanged_files_come_back_unchanged_and_a_fixed_file_empty(tmp_path: Path) -> None:
    make_project(tmp_path)
    async with server(tmp_path) as client:
        opened = open_file(client, tmp_path / "src" / "opened.py", MARKED)
        first = await workspace(client)
        ids = result_ids(first)
        assert len(ids) == 3
        again = await workspace(client, ids)
        assert {item.uri: item.kind for item in again.items} == {uri: "unchanged" for uri in ids}

        fixed = (tmp_path / "src" / "second.py")
        fixed.write_text(CLEAN)
        after = await workspace(client, ids)
        kinds = {item.uri: item.kind for item in after.items}
        assert kinds[fixed.as_uri()] == "full" and full_reports(after)[fixed.as_uri()] == []
        assert kinds[opened] == "unchanged" and kinds[(tmp_path / "lib" / "third.py").as_uri()] == "unchanged"
        # the empty report's id is known to the client now: nothing more to say about that file
        quiet = await workspace(client, result_ids(after))
        assert all(item.kind == "unchanged" for item in quiet.items) and fixed.as_uri() not in result_ids(quiet)


async def test_partial_results_carry_the_report_and_the_answer_is_empty(tmp_path: Path) -> None:
    make_project(tmp_path)
    async with server(tmp_path) as client:
        partial: list[dict[str, Any]] = []
        default = client.protocol.fm.features[types.PROGRESS]

        def on_progress(params: types.ProgressParams) -> None:
            if params.token == "partial":
                partial.extend(params.value["items"])
            else:
                default(params)

        client.protocol.fm.features[types.PROGRESS] = on_progress
        report = await workspace(client, partial_result_token="partial")
        assert list(report.items) == []
        assert sorted(item["uri"] for item in partial) == sorted(cli_findings(tmp_path))


async def test_push_clients_get_the_workspace_on_request_and_fixed_files_cleared(tmp_path: Path) -> None:
    make_project(tmp_path)
    expected = cli_findings(tmp_path)
    async with server(tmp_path, pull=False) as client:
        opened = open_file(client, tmp_path / "src" / "opened.py", MARKED)
        published: list[types.PublishDiagnosticsParams] = []
        default = client.protocol.fm.features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS]

        def record(params: types.PublishDiagnosticsParams) -> None:
            published.append(params)
            default(params)

        client.protocol.fm.features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = record
        counts = await client.workspace_execute_command_async(types.ExecuteCommandParams(CHECK_WORKSPACE))
        assert counts == {"files": 2, "findings": sum(len(v) for u, v in expected.items() if u != opened)}
        for uri, want in expected.items():
            if uri != opened:
                assert lsp_findings(list(client.diagnostics[uri])) == want
        # an open document keeps its live diagnostics (those of its version), never its file's
        assert all(p.version == 1 for p in published if p.uri == opened)
        assert all(p.version is None for p in published if p.uri != opened)
        assert (tmp_path / "generated" / "out.py").as_uri() not in client.diagnostics

        fixed = tmp_path / "lib" / "third.py"
        fixed.write_text(CLEAN)
        await client.workspace_execute_command_async(types.ExecuteCommandParams(CHECK_WORKSPACE))
        assert list(client.diagnostics[fixed.as_uri()]) == []
        assert list(client.diagnostics[(tmp_path / "src" / "second.py").as_uri()]) != []


async def test_a_scan_reports_progress_only_to_a_client_that_takes_it(tmp_path: Path) -> None:
    make_project(tmp_path)
    async with server(tmp_path, progress=True) as client:
        await workspace(client)
        scans = [values for values in client.progress_reports.values()
                 if values and isinstance(values[0], types.WorkDoneProgressBegin)
                 and "workspace" in values[0].title]
        assert len(scans) == 1 and isinstance(scans[0][-1], types.WorkDoneProgressEnd)
        client.progress_reports["mine"] = []  # the client's own token, as an editor makes one for its request
        given = await workspace(client, work_done_token="mine")
        assert given.items
        assert isinstance(client.progress_reports["mine"][0], types.WorkDoneProgressBegin)
        assert isinstance(client.progress_reports["mine"][-1], types.WorkDoneProgressEnd)
    async with server(tmp_path, progress=False) as client:
        sent: list[str] = []
        for method in (types.PROGRESS, types.WINDOW_WORK_DONE_PROGRESS_CREATE):
            keep = client.protocol.fm.features[method]

            def seen(params: Any, method: str = method, keep: Any = keep) -> Any:
                sent.append(method)
                return keep(params)

            client.protocol.fm.features[method] = seen
        report = await workspace(client)
        assert len(full_reports(report)) == 3
        assert sent == []


async def test_a_cancelled_scan_answers_request_cancelled_and_the_server_keeps_serving(tmp_path: Path) -> None:
    (tmp_path / "provguard.toml").write_text("")
    for i in range(300):  # enough that the scan is still running when the cancel arrives
        (tmp_path / "many" / f"m{i // 50}").mkdir(parents=True, exist_ok=True)
        (tmp_path / "many" / f"m{i // 50}" / f"f{i}.py").write_text(MARKED.replace("marked", f"marked_{i}"))
    async with server(tmp_path) as client:
        first_batch = asyncio.Event()

        def on_progress(params: types.ProgressParams) -> None:
            if params.token == "partial":
                first_batch.set()

        client.protocol.fm.features[types.PROGRESS] = on_progress
        params = types.WorkspaceDiagnosticParams(previous_result_ids=[], partial_result_token="partial")
        answer = asyncio.ensure_future(
            client.protocol.send_request_async(types.WORKSPACE_DIAGNOSTIC, params, msg_id="scan-1"))
        await asyncio.wait_for(first_batch.wait(), 60)  # bounds a hang only
        client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id="scan-1"))
        with pytest.raises(JsonRpcRequestCancelled):
            await asyncio.wait_for(answer, 60)
        report = await asyncio.wait_for(workspace(client), 120)
        assert len(full_reports(report)) == 300


async def test_cancelling_the_progress_stops_a_push_scan(tmp_path: Path) -> None:
    (tmp_path / "provguard.toml").write_text("")
    for i in range(300):
        (tmp_path / "many" / f"m{i // 50}").mkdir(parents=True, exist_ok=True)
        (tmp_path / "many" / f"m{i // 50}" / f"f{i}.py").write_text(MARKED.replace("marked", f"marked_{i}"))
    async with server(tmp_path, pull=False) as client:
        begun: asyncio.Queue[types.ProgressToken] = asyncio.Queue()
        default = client.protocol.fm.features[types.PROGRESS]

        def on_progress(params: types.ProgressParams) -> None:
            default(params)
            if params.value.get("kind") == "begin" and "workspace" in params.value.get("title", ""):
                begun.put_nowait(params.token)

        client.protocol.fm.features[types.PROGRESS] = on_progress
        command = asyncio.ensure_future(
            client.workspace_execute_command_async(types.ExecuteCommandParams(CHECK_WORKSPACE)))
        token = await asyncio.wait_for(begun.get(), 60)  # bounds a hang only
        assert client.progress_reports[token][0].cancellable
        client.protocol.notify(types.WINDOW_WORK_DONE_PROGRESS_CANCEL, types.WorkDoneProgressCancelParams(token))
        assert (await asyncio.wait_for(command, 60)).get("cancelled") == 1
        assert isinstance(client.progress_reports[token][-1], types.WorkDoneProgressEnd)
        counts = await asyncio.wait_for(
            client.workspace_execute_command_async(types.ExecuteCommandParams(CHECK_WORKSPACE)), 120)
        assert counts == {"files": 300, "findings": 300}
