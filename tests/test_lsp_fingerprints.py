"""In the editor: code copied from a recorded agent edit is flagged on open and once a paste settles."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from lsprotocol import types
from pytest_lsp import LanguageClient

from lsp_support import SERVER, insert_at_line, open_file, pushed, record_registrations, start
from provguard.ledger.sqlite import SqliteLedger
from snippet_support import DISGUISED, SNIPPET, recorded

HOST = "import os\n\n\ndef home():\n    return os.environ['HOME']\n"
COPY = DISGUISED[DISGUISED.index("    def busy"):DISGUISED.index("    def free")]
"""The renamed, re-indented, edited copy of SNIPPET as a method, pasted on its own."""


def record_snippet(root: Path) -> None:
    (root / ".provguard").mkdir()
    ledger = SqliteLedger(root / ".provguard" / "ledger.sqlite3")
    ledger.add_agent_edits([recorded(SNIPPET, "src/intervals.py")])
    ledger.close()


@asynccontextmanager
async def server(root: Path) -> AsyncIterator[LanguageClient]:
    client = await SERVER.start()
    assert isinstance(client, LanguageClient)
    record_registrations(client)
    await start(client, root, pull=False)
    try:
        yield client
    finally:
        await client.shutdown_session()
        await client.stop()


def fingerprinted(diagnostics: list[types.Diagnostic]) -> list[types.Diagnostic]:
    return [d for d in diagnostics if d.code == "ai-output-unmarked"]


async def test_a_file_holding_a_copy_is_flagged_right_after_it_is_opened(tmp_path: Path) -> None:
    record_snippet(tmp_path)
    async with server(tmp_path) as client:
        uri = open_file(client, tmp_path / "app" / "calendar.py", DISGUISED)
        assert await pushed(client, uri, 1) == [], "first the file's own findings, at once"
        [diag] = fingerprinted(await pushed(client, uri, 1))
        assert (diag.range.start.line, diag.range.end.line) == (8, 17)
        assert "Claude Code" in diag.message


async def test_a_renamed_reindented_paste_is_flagged_once_typing_pauses(tmp_path: Path) -> None:
    record_snippet(tmp_path)
    async with server(tmp_path) as client:
        uri = open_file(client, tmp_path / "app" / "calendar.py", HOST)
        assert await pushed(client, uri, 1) == []
        insert_at_line(client, uri, 2, 3, "class Calendar:\n" + COPY)
        first = await pushed(client, uri, 2)
        assert [d.code for d in first] == ["undeclared-insertion"], "the paste itself, before the lookup"
        settled = await pushed(client, uri, 2)
        [diag] = fingerprinted(settled)
        assert diag.range.start.line == 6 and diag.range.end.line == 15, "sorted() line to the return"
        assert diag.message == ("Code written by Claude Code is not marked; add a provenance marker so every "
                                "tool can see it")


async def test_a_flagged_copy_moves_with_lines_inserted_above_it_at_once(tmp_path: Path) -> None:
    record_snippet(tmp_path)
    async with server(tmp_path) as client:
        uri = open_file(client, tmp_path / "app" / "calendar.py", DISGUISED)
        await pushed(client, uri, 1)
        assert fingerprinted(await pushed(client, uri, 1))
        insert_at_line(client, uri, 2, 0, "import math\nimport os\n")
        [diag] = fingerprinted(await pushed(client, uri, 2))
        assert (diag.range.start.line, diag.range.end.line) == (10, 19)
