"""Live capture over the real protocol: pastes and completions become spans a person can declare."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types
from pytest_lsp import LanguageClient

from lsp_support import insert_at_line, open_file, pulled, pushed, quick_fixes, start

BASE = "def existing():\n    return 0\n"
PASTE = "def pasted(rows):\n    return sorted(set(rows), key=len)\n"


def hint(client: LanguageClient, uri: str, version: int, start: tuple[int, int], end: tuple[int, int],
         kind: str, **fields: str) -> None:
    client.protocol.notify("provguard/didInsert", {
        "textDocument": {"uri": uri, "version": version},
        "range": {"start": {"line": start[0], "character": start[1]}, "end": {"line": end[0], "character": end[1]}},
        "kind": kind, **fields})


async def test_a_paste_without_hint_asks_where_it_came_from_and_declaring_removes_it(
    client: LanguageClient, tmp_path: Path
) -> None:
    await start(client, tmp_path, pull=False)
    uri = open_file(client, tmp_path / "src" / "app.py", BASE)
    assert await pushed(client, uri, 1) == []
    insert_at_line(client, uri, 2, 2, PASTE)
    [diag] = await pushed(client, uri, 2)
    assert diag.code == "undeclared-insertion"
    assert (diag.range.start, diag.range.end) == (types.Position(2, 0), types.Position(4, 0))

    actions = await quick_fixes(client, uri, diag)
    titles = [a.title for a in actions]
    assert titles[:3] == ["Declare: written by me", "Declare: from Claude Code", "Declare: from Codex"]
    assert "Declare: from an external source" in titles and "Mark with a provenance comment" in titles
    mine = actions[0]
    assert mine.edit is None and mine.command is not None and mine.command.command == "provguard.declare"

    assert await client.workspace_execute_command_async(types.ExecuteCommandParams(
        command=mine.command.command, arguments=mine.command.arguments)) is True
    assert list(client.diagnostics[uri]) == [], "republished, before the command answered"

    hover = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(3, 4)))
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    assert "`human`" in hover.contents.value and "Declared by: tester@example.com" in hover.contents.value


async def test_typing_is_not_tracked(client: LanguageClient, tmp_path: Path) -> None:
    await start(client, tmp_path, pull=False)
    uri = open_file(client, tmp_path / "t.py", BASE)
    await pushed(client, uri, 1)
    for version, text in enumerate(["x", " = 1", "\n    "], start=2):
        insert_at_line(client, uri, version, 2, text)
        assert await pushed(client, uri, version) == []


async def test_an_inline_completion_hint_names_the_tool_and_the_ai_rules_apply(
    client: LanguageClient, tmp_path: Path
) -> None:
    await start(client, tmp_path, pull=True)
    uri = open_file(client, tmp_path / "src" / "c.py", BASE)
    insert_at_line(client, uri, 2, 2, "x = compute()\n")  # small: no span without a hint
    hint(client, uri, 2, (2, 0), (2, 13), "inline-completion", tool="copilot")
    diagnostics = await pulled(client, uri)
    assert sorted(str(d.code) for d in diagnostics) == ["ai-output-unmarked", "ai-output-unreviewed"]
    assert all("Copilot" in d.message for d in diagnostics)

    unmarked = next(d for d in diagnostics if d.code == "ai-output-unmarked")
    marked, suppress = await quick_fixes(client, uri, unmarked)
    assert marked.title == "Mark with a provenance comment" and marked.edit is not None
    assert marked.command is not None and marked.command.command == "provguard.forget"
    assert suppress.title == "Suppress ai-output-unmarked here (write the reason)" and not suppress.is_preferred


async def test_a_hint_before_its_change_waits_for_it(client: LanguageClient, tmp_path: Path) -> None:
    await start(client, tmp_path, pull=False)
    uri = open_file(client, tmp_path / "src" / "h.py", BASE)
    await pushed(client, uri, 1)
    hint(client, uri, 2, (2, 0), (4, 0), "agent-edit", tool="codex", model="gpt-5-codex")
    insert_at_line(client, uri, 2, 2, PASTE)
    codes = sorted(str(d.code) for d in await pushed(client, uri, 2))
    assert codes == ["ai-output-unmarked", "ai-output-unreviewed"]


async def test_a_hint_for_other_text_is_dropped(client: LanguageClient, tmp_path: Path) -> None:
    await start(client, tmp_path, pull=True)
    uri = open_file(client, tmp_path / "src" / "d.py", BASE)
    insert_at_line(client, uri, 2, 2, "y = 2\n")
    hint(client, uri, 2, (0, 0), (1, 0), "paste")  # names text this version did not insert
    hint(client, uri, 1, (0, 0), (0, 3), "paste")  # an old version
    assert await pulled(client, uri) == []


async def test_a_malformed_hint_is_reported_and_the_server_keeps_serving(
    client: LanguageClient, tmp_path: Path
) -> None:
    await start(client, tmp_path, pull=True)
    uri = open_file(client, tmp_path / "m.py", BASE)
    client.protocol.notify("provguard/didInsert", {"textDocument": {"uri": uri}, "kind": "teleport"})
    insert_at_line(client, uri, 2, 2, PASTE)
    assert [d.code for d in await pulled(client, uri)] == ["undeclared-insertion"]
    assert any("provguard/didInsert ignored" in m.message for m in client.log_messages)


async def test_full_document_changes_are_diffed_like_incremental_ones(client: LanguageClient, tmp_path: Path) -> None:
    await start(client, tmp_path, pull=False)
    uri = open_file(client, tmp_path / "f.py", BASE)
    await pushed(client, uri, 1)
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=BASE + PASTE)]))
    [diag] = await pushed(client, uri, 2)
    assert diag.code == "undeclared-insertion" and diag.range.start.line == 2
    # the whole file re-indented, as a formatter would: the pasted code stays tracked
    reindented = "".join("  " + line if line.strip() else line for line in (BASE + PASTE).splitlines(True))
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=3),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=reindented)]))
    [diag] = await pushed(client, uri, 3)
    assert diag.code == "undeclared-insertion" and diag.range.start.line == 2


async def test_declaring_external_code_records_its_source(client: LanguageClient, tmp_path: Path) -> None:
    from provguard.ledger.sqlite import SqliteLedger

    await start(client, tmp_path, pull=False)
    uri = open_file(client, tmp_path / "src" / "e.py", BASE)
    await pushed(client, uri, 1)
    insert_at_line(client, uri, 2, 2, PASTE)
    [diag] = await pushed(client, uri, 2)
    external = next(a for a in await quick_fixes(client, uri, diag) if a.title == "Declare: from an external source")
    assert external.command is not None and external.command.arguments is not None
    source = "https://example.org/snippets/42 (MIT)"
    assert await client.workspace_execute_command_async(types.ExecuteCommandParams(
        command=external.command.command, arguments=[*external.command.arguments, source])) is True
    assert list(client.diagnostics[uri]) == [], "external code is not asked about again"

    hover = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(2, 4)))
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    assert "`external`" in hover.contents.value and f"source: {source}" in hover.contents.value

    ledger = SqliteLedger(tmp_path / ".provguard" / "ledger.sqlite3")
    [declaration] = ledger.declarations(path="src/e.py")
    assert (declaration.origin.kind.value, declaration.note) == ("external", source)
    assert declaration.origin.declared_by == "tester@example.com"
    ledger.close()


async def test_a_bad_declare_command_is_refused_and_reported(client: LanguageClient, tmp_path: Path) -> None:
    await start(client, tmp_path, pull=False)
    uri = open_file(client, tmp_path / "b.py", BASE)
    await pushed(client, uri, 1)
    assert await client.workspace_execute_command_async(types.ExecuteCommandParams(
        command="provguard.declare", arguments=[uri, "no-such-span", {"kind": "human"}])) is False
    assert await client.workspace_execute_command_async(types.ExecuteCommandParams(
        command="provguard.declare", arguments=[42])) is False
    assert any("expected [uri, span id, origin" in m.message for m in client.messages)
