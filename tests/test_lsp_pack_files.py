"""Rule packs and the project configuration in the editor: errors at their exact place while typing, the
policy reloaded on save, and the last good policy kept while a saved pack is broken."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from lsp_support import open_file, published_until, pulled, pushed, record_registrations, start

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

COPILOT_PY = "# provguard: kind=ai-completion tool=copilot vendor=github\ndef f():\n    pass\n"


PROMPT_SERVER = ClientServerConfig(server_command=[
    sys.executable, "-c",
    "import sys; from provguard.lsp import progress; progress.LATE = 0; from provguard.cli import dispatch; "
    "sys.exit(dispatch(['serve']))"])
"""The real server, with progress for usually quick operations begun at once instead of after a second."""


@pytest_lsp.fixture(config=PROMPT_SERVER)
async def prompt_client(lsp_client: LanguageClient) -> object:
    record_registrations(lsp_client)
    yield
    await lsp_client.shutdown_session()


def at(diag: types.Diagnostic) -> tuple[int, int, int, int]:
    r = diag.range
    return r.start.line, r.start.character, r.end.line, r.end.character


def change(client: LanguageClient, uri: str, version: int, text: str) -> None:
    """The whole new text, as a client without incremental sync sends it (the file stays unsaved)."""
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))


def save(client: LanguageClient, path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    client.text_document_did_save(types.DidSaveTextDocumentParams(
        text_document=types.TextDocumentIdentifier(uri=path.as_uri())))


@pytest.mark.parametrize(("rule_lines", "line", "span", "message"), [
    ("    severity: error\n    fixs: [strip]\n", 5, "fixs", "unknown key 'fixs' in rule; did you mean 'fixes'?"),
    ("    severity: error\n    paths: {include: ['data/[a-']}\n", 5, "'data/[a-'", "bad glob 'data/[a-'"),
    ("    severity: error\n    languages: [pyhton]\n", 5, "pyhton",
     "unknown language 'pyhton'; did you mean 'python'?"),
    ("    severity: error\n    scope:\n      python: '(function_definition name: (identifer) @scope)'\n", 6,
     "identifer", "invalid tree-sitter query"),
    ("    severity: eror\n", 4, "eror", "unknown severity 'eror'; did you mean 'error'?"),
])
async def test_opening_a_pack_shows_each_error_at_its_place(
        client: LanguageClient, tmp_path: Path, rule_lines: str, line: int, span: str, message: str) -> None:
    await start(client, tmp_path, pull=False, options={"packs": ["team.yaml"]})
    text = "pack: team\nrules:\n  - id: r\n    message: m\n" + rule_lines + "    origins: {kind: ai-agent}\n"
    uri = open_file(client, tmp_path / "team.yaml", text, "yaml")

    [diag] = await pushed(client, uri, 1)

    assert diag.code == "pack-error" and diag.source == "provguard"
    assert message in diag.message
    lines = text.splitlines()
    assert diag.range.start.line == line and lines[line][diag.range.start.character:].startswith(span)


async def test_duplicate_ids_and_unknown_extended_packs_are_shown_where_they_are_written(
        client: LanguageClient, tmp_path: Path) -> None:
    await start(client, tmp_path, pull=True, options={"packs": ["team.yaml"]})
    text = ("pack: team\nextends: defualt\nrules:\n"
            "  - {id: a, severity: error, message: m, origins: {kind: ai-agent}}\n"
            "  - {id: a, severity: error, message: m, origins: {kind: paste}}\n")
    uri = open_file(client, tmp_path / "team.yaml", text, "yaml")

    [extends] = await pulled(client, uri)
    assert at(extends) == (1, 9, 1, 16) and "cannot extend" in extends.message

    fixed = text.replace("defualt", "default")
    change(client, uri, 2, fixed)
    [duplicate] = await pulled(client, uri)
    assert duplicate.range.start.line == 4 and "duplicate rule id 'a' (first defined on line 4)" in duplicate.message


async def test_errors_follow_unsaved_edits_and_positions_use_the_clients_encoding(
        client: LanguageClient, tmp_path: Path) -> None:
    (tmp_path / "team.yaml").write_text(PACK.format(severity="error"), encoding="utf-8")
    await start(client, tmp_path, pull=False, options={"packs": ["team.yaml"]})
    uri = open_file(client, tmp_path / "team.yaml", PACK.format(severity="error"), "yaml")
    assert await pushed(client, uri, 1) == []

    broken = PACK.format(severity="error").replace('"no {tool} here"', '"🙂 no {tol} here"')
    change(client, uri, 2, broken)
    [diag] = await pushed(client, uri, 2)
    assert "unknown placeholder {tol}" in diag.message
    # the line is `    message: "🙂 no {tol} here"`: the emoji is two UTF-16 code units
    assert diag.range.start == types.Position(5, len('    message: "') + 2 + len(" no "))

    change(client, uri, 3, PACK.format(severity="error"))
    assert await pushed(client, uri, 3) == []


async def test_an_included_rule_file_shows_its_own_errors(client: LanguageClient, tmp_path: Path) -> None:
    (tmp_path / "team.yaml").write_text("pack: team\ninclude: [more.yaml]\n", encoding="utf-8")
    good = "- {id: a, severity: error, message: m, origins: {kind: ai-agent}}\n"
    (tmp_path / "more.yaml").write_text(good, encoding="utf-8")
    await start(client, tmp_path, pull=True, options={"packs": ["team.yaml"]})
    uri = open_file(client, tmp_path / "more.yaml", good, "yaml")
    assert await pulled(client, uri) == []

    change(client, uri, 2, good.replace("ai-agent", "ai-agnet"))
    [diag] = await pulled(client, uri)
    assert "unknown kind 'ai-agnet'; did you mean 'ai-agent'?" in diag.message
    column = good.index("ai-agent")
    assert at(diag) == (0, column, 0, column + len("ai-agnet"))


@pytest.mark.parametrize(("name", "text", "line", "message"), [
    ("provguard.toml", 'packs = ["default"]\nseverty = { ai-output-unmarked = "off" }\n', 1,
     "unknown key 'severty' in provguard configuration; did you mean 'severity'?"),
    ("pyproject.toml", '[project]\nname = "x"\n\n[tool.provguard]\nseverity = { ai-output-unmarked = "of" }\n', 4,
     "unknown severity 'of' for rule 'ai-output-unmarked'; did you mean 'off'?"),
])
async def test_the_project_configuration_shows_its_errors(
        client: LanguageClient, tmp_path: Path, name: str, text: str, line: int, message: str) -> None:
    (tmp_path / ".git").mkdir()
    await start(client, tmp_path, pull=False)
    uri = open_file(client, tmp_path / name, text, "toml")

    [diag] = await pushed(client, uri, 1)

    assert diag.code == "config-error" and message in diag.message and diag.range.start.line == line


async def test_a_configuration_in_a_subfolder_shows_its_own_errors(client: LanguageClient, tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    await start(client, tmp_path, pull=False)
    uri = open_file(client, tmp_path / "sub" / "provguard.toml", 'packs = "default"\n', "toml")

    [diag] = await pushed(client, uri, 1)

    assert at(diag)[:2] == (0, 8) and "'packs' must be a list" in diag.message


async def test_a_yaml_file_that_is_no_pack_gets_no_pack_errors(client: LanguageClient, tmp_path: Path) -> None:
    await start(client, tmp_path, pull=False)
    uri = open_file(client, tmp_path / "ci.yaml", "jobs:\n  build: {runs-on: ubuntu}\n", "yaml")

    assert await pushed(client, uri, 1) == []


async def test_saving_reloads_the_pack_and_a_broken_save_keeps_the_last_good_one(
        client: LanguageClient, tmp_path: Path) -> None:
    pack = tmp_path / "team.yaml"
    pack.write_text(PACK.format(severity="error"), encoding="utf-8")
    await start(client, tmp_path, pull=True, options={"packs": ["team.yaml"]})
    code_uri = open_file(client, tmp_path / "c.py", COPILOT_PY)
    pack_uri = open_file(client, pack, PACK.format(severity="error"), "yaml")
    [diag] = await pulled(client, code_uri)
    assert diag.severity == types.DiagnosticSeverity.Error

    change(client, pack_uri, 2, PACK.format(severity="hint"))
    [diag] = await pulled(client, code_uri)
    assert diag.severity == types.DiagnosticSeverity.Error, "an unsaved edit changes nothing in force"
    save(client, pack, PACK.format(severity="hint"))
    [diag] = await pulled(client, code_uri)
    assert diag.severity == types.DiagnosticSeverity.Hint

    change(client, pack_uri, 3, PACK.format(severity="loud"))
    save(client, pack, PACK.format(severity="loud"))
    [diag] = await pulled(client, code_uri)
    assert diag.severity == types.DiagnosticSeverity.Hint, "the last good pack stays in force"
    [error] = await pulled(client, pack_uri)
    assert error.code == "pack-error" and at(error) == (4, 14, 4, 18)
    assert "unknown severity 'loud'" in error.message


async def test_an_unsaved_edit_of_a_base_pack_updates_the_errors_of_the_open_pack_extending_it(
        client: LanguageClient, tmp_path: Path) -> None:
    base = "pack: base\nparameters:\n  kinds: [ai-agent]\nrules:\n" \
           "  - {id: a, severity: error, message: m, origins: {kind: $kinds}}\n"
    team = "pack: team\nextends: base.yaml\nparameters:\n  kinds: [paste]\n"
    (tmp_path / "base.yaml").write_text(base, encoding="utf-8")
    (tmp_path / "team.yaml").write_text(team, encoding="utf-8")
    await start(client, tmp_path, pull=False, options={"packs": ["team.yaml"]})
    team_uri = open_file(client, tmp_path / "team.yaml", team, "yaml")
    assert await published_until(client, team_uri, lambda _: team_uri in client.diagnostics) == []
    base_uri = open_file(client, tmp_path / "base.yaml", base, "yaml")
    assert await published_until(client, base_uri, lambda _: base_uri in client.diagnostics) == []

    change(client, base_uri, 2, base.replace("kinds", "agent_kinds"))

    [diag] = await published_until(client, team_uri, lambda found: len(found) == 1)
    assert at(diag)[:2] == (3, 2) and "kinds" in diag.message


async def test_a_pack_reload_reports_work_done_progress_and_its_rules_apply_once_it_ends(
        prompt_client: LanguageClient, tmp_path: Path) -> None:
    client = prompt_client
    pack = tmp_path / "team.yaml"
    pack.write_text(PACK.format(severity="error"), encoding="utf-8")
    (tmp_path / "provguard.toml").write_text('packs = ["team.yaml"]\n')
    await start(client, tmp_path, pull=True)
    code_uri = open_file(client, tmp_path / "c.py", COPILOT_PY)
    [diag] = await pulled(client, code_uri)
    assert diag.severity == types.DiagnosticSeverity.Error

    def reloads() -> list[list[object]]:
        return [values for values in client.progress_reports.values() if values
                and isinstance(values[0], types.WorkDoneProgressBegin) and "reloading rule packs" in values[0].title]

    save(client, pack, PACK.format(severity="hint"))
    async with asyncio.timeout(60):
        while not any(isinstance(values[-1], types.WorkDoneProgressEnd) for values in reloads()):
            await asyncio.sleep(0.05)
    [reload] = reloads()
    assert any(isinstance(v, types.WorkDoneProgressReport) and v.message and tmp_path.name in v.message
               for v in reload), reload  # names the project being loaded
    [diag] = await pulled(client, code_uri)
    assert diag.severity == types.DiagnosticSeverity.Hint


def team_and_lenient_packs(folder: Path) -> None:
    """team.yaml makes Copilot's code an error (no-copilot); lenient.yaml only notes it (copilot-noted, a hint)."""
    (folder / "team.yaml").write_text(PACK.format(severity="error"), encoding="utf-8")
    (folder / "lenient.yaml").write_text(
        PACK.format(severity="hint").replace("pack: team", "pack: lenient").replace("no-copilot", "copilot-noted"),
        encoding="utf-8")


async def test_a_settings_change_naming_another_pack_reloads_with_progress_and_the_next_pull_answers_under_it(
        prompt_client: LanguageClient, tmp_path: Path) -> None:
    client = prompt_client
    team_and_lenient_packs(tmp_path)
    await start(client, tmp_path, pull=True, options={"packs": ["team.yaml"]})
    code_uri = open_file(client, tmp_path / "c.py", COPILOT_PY)
    [diag] = await pulled(client, code_uri)
    assert (diag.code, diag.severity) == ("no-copilot", types.DiagnosticSeverity.Error)

    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
        settings={"reviewer": "tester@example.com", "packs": ["lenient.yaml"]}))
    [diag] = await pulled(client, code_uri)  # sent at once: it waits for the reload

    assert (diag.code, diag.severity) == ("copilot-noted", types.DiagnosticSeverity.Hint)
    [reload] = [values for values in client.progress_reports.values() if values
                and isinstance(values[0], types.WorkDoneProgressBegin) and "reloading rule packs" in values[0].title]
    assert isinstance(reload[-1], types.WorkDoneProgressEnd), reload
    assert any(isinstance(v, types.WorkDoneProgressReport) and v.message and tmp_path.name in v.message
               for v in reload), reload


async def test_a_folders_own_settings_asked_after_a_settings_change_apply_at_the_next_pull(
        prompt_client: LanguageClient, tmp_path: Path) -> None:
    client = prompt_client
    team_and_lenient_packs(tmp_path)
    client.set_configuration({"provguard": {"reviewer": "tester@example.com", "packs": ["team.yaml"]}})
    await start(client, tmp_path, pull=True, options={"packs": ["team.yaml"]})
    code_uri = open_file(client, tmp_path / "c.py", COPILOT_PY)
    [diag] = await pulled(client, code_uri)
    assert diag.code == "no-copilot"

    client.set_configuration({"provguard": {"packs": ["lenient.yaml"]}}, scope_uri=tmp_path.as_uri())
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    [diag] = await pulled(client, code_uri)  # sent at once: it waits for the folder's answer and the reload

    assert (diag.code, diag.severity) == ("copilot-noted", types.DiagnosticSeverity.Hint)
