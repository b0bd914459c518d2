"""The language server over stdio, as an editor sees it: diagnostics, quick fixes, hover, settings."""

from __future__ import annotations

from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient

from lsp_support import (
    SERVER,
    apply,
    edits_of,
    open_file,
    pulled,
    pushed,
    quick_fixes,
    record_registrations,
    send_edits,
    start,
)

UNREVIEWED = """\
def helper():
    return 0


# provguard: begin kind=ai-agent tool=claude-code vendor=anthropic
def generated():
    return 42
# provguard: end
"""


def codes(diagnostics: list[types.Diagnostic]) -> list[str]:
    return sorted(str(d.code) for d in diagnostics)


async def test_push_client_gets_diagnostic_and_mark_reviewed_fix_removes_it(
    client: LanguageClient, tmp_path: Path
) -> None:
    await start(client, tmp_path, pull=False)
    uri = open_file(client, tmp_path / "src" / "gen.py", UNREVIEWED)
    diagnostics = await pushed(client, uri, 1)
    assert codes(diagnostics) == ["ai-output-unreviewed"]
    diag = diagnostics[0]
    assert diag.source == "provguard"
    assert diag.severity == types.DiagnosticSeverity.Warning
    assert diag.range.start == types.Position(4, 0) and diag.range.end == types.Position(7, 16)
    assert diag.code_description is not None and diag.code_description.href.startswith("https://")
    assert "Code written by Claude Code" in diag.message

    actions = await quick_fixes(client, uri, diag)
    titles = [a.title for a in actions]
    assert titles[0] == "Mark as reviewed by tester@example.com"
    assert actions[0].is_preferred
    edits = edits_of(actions[0])
    fixed = apply(UNREVIEWED, edits)
    assert "vendor=anthropic reviewed-by=tester@example.com\n" in fixed

    send_edits(client, uri, 2, edits)
    assert await pushed(client, uri, 2) == []


async def test_pull_client_pulls_and_strip_fix_deletes_the_marked_code(client: LanguageClient, tmp_path: Path) -> None:
    await start(client, tmp_path, pull=True)
    uri = open_file(client, tmp_path / "src" / "gen.py", UNREVIEWED)
    diagnostics = await pulled(client, uri)
    assert codes(diagnostics) == ["ai-output-unreviewed"]
    strip = next(a for a in await quick_fixes(client, uri, diagnostics[0]) if a.title.startswith("Remove"))
    edits = edits_of(strip)
    assert apply(UNREVIEWED, edits) == "def helper():\n    return 0\n\n\n"
    send_edits(client, uri, 2, edits)
    assert await pulled(client, uri) == []
    assert client.diagnostics == {}, "a pull client must never get pushed diagnostics as well"


async def test_unchanged_document_answers_unchanged_report(client: LanguageClient, tmp_path: Path) -> None:
    await start(client, tmp_path, pull=True)
    uri = open_file(client, tmp_path / "a.py", UNREVIEWED)
    ident = types.TextDocumentIdentifier(uri=uri)
    first = await client.text_document_diagnostic_async(types.DocumentDiagnosticParams(text_document=ident))
    assert isinstance(first, types.RelatedFullDocumentDiagnosticReport) and first.result_id
    again = await client.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(text_document=ident, previous_result_id=first.result_id))
    assert isinstance(again, types.RelatedUnchangedDocumentDiagnosticReport)


async def test_rules_apply_by_path_in_the_workspace(client: LanguageClient, tmp_path: Path) -> None:
    await start(client, tmp_path, pull=True)
    text = "# provguard: begin kind=ai-completion tool=codex vendor=openai reviewed-by=me\nx = 1\n# provguard: end\n"
    training = open_file(client, tmp_path / "data" / "train" / "rows.py", text)
    elsewhere = open_file(client, tmp_path / "src" / "rows.py", text)
    assert codes(await pulled(client, training)) == ["rival-ai-output-in-training-data"]
    assert await pulled(client, elsewhere) == []


async def test_utf16_positions_count_surrogate_pairs(client: LanguageClient, tmp_path: Path) -> None:
    result = await start(client, tmp_path, pull=False)
    assert result.capabilities.position_encoding == types.PositionEncodingKind.Utf16
    text = 'x = "😀"  # provguard: kind=bogus\n'
    uri = open_file(client, tmp_path / "e.py", text)
    [diag] = await pushed(client, uri, 1)
    assert diag.code == "marker-invalid"
    # 'x = "' (5) + emoji (2 UTF-16 units) + '"  # provguard: kind=' (21) = 28
    assert (diag.range.start.character, diag.range.end.character) == (28, 33)


async def test_utf8_is_negotiated_when_the_client_prefers_it(client: LanguageClient, tmp_path: Path) -> None:
    result = await start(client, tmp_path, pull=False, encodings=["utf-8", "utf-16"])
    assert result.capabilities.position_encoding == types.PositionEncodingKind.Utf8
    uri = open_file(client, tmp_path / "e.py", 'x = "😀"  # provguard: kind=bogus\n')
    [diag] = await pushed(client, uri, 1)
    assert (diag.range.start.character, diag.range.end.character) == (30, 35), "the emoji is 4 UTF-8 bytes"


async def test_incremental_edits_move_diagnostics(client: LanguageClient, tmp_path: Path) -> None:
    await start(client, tmp_path, pull=False)
    uri = open_file(client, tmp_path / "gen.py", UNREVIEWED)
    await pushed(client, uri, 1)
    send_edits(client, uri, 2, [types.TextEdit(range=types.Range(types.Position(0, 0), types.Position(0, 0)),
                                               new_text="import os\n\n")])
    [diag] = await pushed(client, uri, 2)
    assert diag.range.start.line == 6
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=3),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text="x = 1\n")]))
    assert await pushed(client, uri, 3) == []


async def test_hover_shows_the_origin_of_marked_code(client: LanguageClient, tmp_path: Path) -> None:
    await start(client, tmp_path, pull=True)
    text = UNREVIEWED.replace("vendor=anthropic", "model=claude-opus-4 ticket=PG-7")
    uri = open_file(client, tmp_path / "gen.py", text)
    hover = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(6, 8)))
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    text = hover.contents.value
    for expected in ("ai-agent", "claude-code", "anthropic", "claude-opus-4", "not reviewed", "ticket: PG-7",
                     "marker on line 5"):
        assert expected in text
    outside = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(0, 4)))
    assert outside is None


async def test_fix_all_completes_markers_but_never_strips_or_reviews(
    client: LanguageClient, tmp_path: Path
) -> None:
    await start(client, tmp_path, pull=True)
    text = ("# provguard: kind=ai-completion tool=copilot\ndef a():\n    pass\n\n\n"
            "# provguard: kind=ai-agent tool=codex\ndef b():\n    pass\n")
    uri = open_file(client, tmp_path / "m.py", text)
    actions = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        range=types.Range(types.Position(0, 0), types.Position(0, 0)),
        context=types.CodeActionContext(diagnostics=[], only=[types.CodeActionKind.Source])))
    assert actions is not None
    [fix_all] = [a for a in actions if isinstance(a, types.CodeAction)]
    assert fix_all.kind == "source.fixAll.provguard"
    fixed = apply(text, edits_of(fix_all))
    assert "tool=copilot vendor=github\n" in fixed and "tool=codex vendor=openai\n" in fixed
    assert "reviewed-by" not in fixed and "def a" in fixed and "def b" in fixed


async def test_quick_fixes_are_not_offered_for_an_outdated_diagnostic(client: LanguageClient, tmp_path: Path) -> None:
    await start(client, tmp_path, pull=True)
    uri = open_file(client, tmp_path / "gen.py", UNREVIEWED)
    [diag] = await pulled(client, uri)
    send_edits(client, uri, 2, [types.TextEdit(range=types.Range(types.Position(0, 0), types.Position(0, 0)),
                                               new_text="\n")])
    assert await quick_fixes(client, uri, diag) == []


async def test_severity_override_and_bad_settings_fall_back_visibly(client: LanguageClient, tmp_path: Path) -> None:
    await start(client, tmp_path, pull=True, options={
        "severity": {"ai-output-unreviewed": "error", "marker-incomplete": "loud"}, "colour": "red"})
    messages = " ".join(m.message for m in client.messages)
    assert "unknown setting 'colour'" in messages and "'severity' is invalid" in messages
    uri = open_file(client, tmp_path / "gen.py", UNREVIEWED)
    [diag] = await pulled(client, uri)
    assert diag.severity == types.DiagnosticSeverity.Warning, "an invalid severity map falls back as a whole"

    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"provguard": {"severity": {"ai-output-unreviewed": "off"}}}))
    assert await pulled(client, uri) == []


PACK = """\
pack: team
version: 1.0.0
rules:
  - id: no-copilot
    severity: {severity}
    message: "no {{tool}} here"
    origins:
      - tool: copilot
"""


async def test_pack_file_changes_reload_and_a_broken_pack_keeps_the_last_good(
    client: LanguageClient, tmp_path: Path
) -> None:
    pack = tmp_path / "team.yaml"
    pack.write_text(PACK.format(severity="error"))
    await start(client, tmp_path, pull=True, options={"packs": ["team.yaml"]})
    text = "# provguard: kind=ai-completion tool=copilot vendor=github\ndef f():\n    pass\n"
    uri = open_file(client, tmp_path / "c.py", text)
    [diag] = await pulled(client, uri)
    assert (diag.code, diag.message, diag.severity) == ("no-copilot", "no Copilot here", types.DiagnosticSeverity.Error)

    def changed() -> None:
        client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
            types.FileEvent(uri=pack.as_uri(), type=types.FileChangeType.Changed)]))

    pack.write_text(PACK.format(severity="hint"))
    changed()
    [diag] = await pulled(client, uri)
    assert diag.severity == types.DiagnosticSeverity.Hint

    pack.write_text(PACK.format(severity="loud"))
    changed()
    [diag] = await pulled(client, uri)
    assert diag.severity == types.DiagnosticSeverity.Hint, "the last good pack stays in force"
    error = client.messages[-1]
    assert error.type == types.MessageType.Error
    assert "team.yaml:5:15: unknown severity 'loud'" in error.message


async def test_a_missing_pack_is_reported_and_marker_checks_still_run(client: LanguageClient, tmp_path: Path) -> None:
    await start(client, tmp_path, pull=False, options={"packs": ["nowhere.yaml"]})
    assert any("not found" in m.message for m in client.messages)
    uri = open_file(client, tmp_path / "x.py", "# provguard: end\n")
    assert codes(await pushed(client, uri, 1)) == ["marker-unmatched-end"]


@pytest.mark.parametrize("language_id, name, text", [
    ("typescript", "a.ts",
     "// provguard: begin kind=ai-agent tool=codex vendor=openai\nconst a = 1;\n// provguard: end\n"),
    ("go", "a.go", "package a\n\n// provguard: kind=ai-agent tool=codex vendor=openai\nfunc A() {}\n"),
])
async def test_other_languages_get_the_same_diagnostics(
    client: LanguageClient, tmp_path: Path, language_id: str, name: str, text: str
) -> None:
    await start(client, tmp_path, pull=False)
    uri = open_file(client, tmp_path / name, text, language_id)
    assert codes(await pushed(client, uri, 1)) == ["ai-output-unreviewed"]


@pytest_lsp.fixture(config=pytest_lsp.ClientServerConfig(server_command=[*SERVER.server_command, "--stdio"]))
async def stdio_flag_client(lsp_client: LanguageClient) -> object:
    lsp_client.registrations = record_registrations(lsp_client)  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()


async def test_clients_that_always_pass_stdio_start_the_server_all_the_same(
        stdio_flag_client: LanguageClient, tmp_path: Path) -> None:
    await start(stdio_flag_client, tmp_path, pull=False)
    uri = open_file(stdio_flag_client, tmp_path / "src" / "gen.py", UNREVIEWED)
    assert codes(await pushed(stdio_flag_client, uri, 1)) == ["ai-output-unreviewed"]


async def test_a_fix_two_findings_share_is_offered_once_for_both(client: LanguageClient, tmp_path: Path) -> None:
    """Rival AI output in training data, not reviewed either: two rules on one span, one removal in the menu."""
    await start(client, tmp_path, pull=True)
    text = "# provguard: begin kind=ai-agent tool=codex vendor=openai\nrows = [1, 2]\n# provguard: end\n"
    uri = open_file(client, tmp_path / "data" / "train" / "rows.py", text)
    diagnostics = await pulled(client, uri)
    assert len(diagnostics) >= 2
    actions = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), range=diagnostics[0].range,
        context=types.CodeActionContext(diagnostics=diagnostics)))
    titles = [a.title for a in actions or [] if isinstance(a, types.CodeAction)]
    assert len(titles) == len(set(titles)), titles
    removal = next(a for a in actions or [] if isinstance(a, types.CodeAction) and a.title.startswith("Remove"))
    assert len(removal.diagnostics or []) >= 2, "the one removal fixes every finding that offered it"


async def test_built_in_rules_link_to_their_description(client: LanguageClient, tmp_path: Path) -> None:
    await start(client, tmp_path, pull=True)
    text = "# provguard: begin kind=ai-agent tool=claude-code\ndef f():\n    return 1\n# provguard: end\n"
    uri = open_file(client, tmp_path / "src" / "gen.py", text)
    diagnostics = await pulled(client, uri)
    incomplete = next(d for d in diagnostics if d.code == "marker-incomplete")
    assert incomplete.code_description is not None
    href = incomplete.code_description.href
    assert href.endswith("rules/README.md#built-in-rules")
    heading = "## Built-in rules"
    assert heading in (Path(__file__).resolve().parent.parent / "rules" / "README.md").read_text(), href


async def test_a_diagnostic_says_why_its_rule_exists(client: LanguageClient, tmp_path: Path) -> None:
    await start(client, tmp_path, pull=True)
    text = "# provguard: begin kind=ai-completion tool=copilot vendor=github\nx = 1\n# provguard: end\n"
    uri = open_file(client, tmp_path / "tests" / "test_x.py", text)
    diagnostics = await pulled(client, uri)
    test_task = next(d for d in diagnostics if d.code == "ai-output-in-test-task-file")
    what, why = test_task.message.split("\n", 1)
    assert "must not be used to create test tasks" in what
    assert why == "Test tasks must be written by people so that they measure models fairly."
