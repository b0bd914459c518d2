"""Where the editor keeps its ledger: only where the settings choose it, only in a project, never in the file
system's root or the home folder, and nothing recorded is lost on the way."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from lsp_support import capabilities, insert_at_line, open_file, pulled, pushed, session
from provguard.ledger.location import unplaced
from provguard.ledger.sqlite import SqliteLedger
from provguard.session import Session
from provguard.settings import Settings
from test_multi_root import default_project, pulled_until

BASE = "import os\n\n\ndef existing():\n    return os.sep\n"
PASTE = "def pasted(rows):\n    return sorted(set(rows), key=len)\n"
PASTED = BASE[:BASE.index("def existing")] + PASTE + BASE[BASE.index("def existing"):]


async def paste_and_save(client: LanguageClient, path: Path) -> str:
    """Opens `path`, pastes a block into it (a tracked span), saves and closes it: a recording to keep."""
    uri = open_file(client, path, BASE)
    await pushed(client, uri, 1)
    insert_at_line(client, uri, 2, 3, PASTE)
    assert [d.code for d in await pushed(client, uri, 2)] == ["undeclared-insertion"]
    path.write_text(PASTED)
    ident = types.TextDocumentIdentifier(uri=uri)
    client.text_document_did_save(types.DidSaveTextDocumentParams(text_document=ident))
    client.text_document_did_close(types.DidCloseTextDocumentParams(text_document=ident))
    return uri


def recorded(ledger: Path) -> list[str]:
    """The paths the ledger file holds spans for."""
    opened = SqliteLedger(ledger)
    try:
        return opened.all_paths()
    finally:
        opened.close()


def ledger_messages(client: LanguageClient) -> list[str]:
    return [m.message for m in client.messages if "ledger" in m.message]


@pytest.mark.parametrize("chosen", [":memory:", "elsewhere.sqlite3"])
async def test_a_folder_whose_settings_choose_another_ledger_never_gets_the_default_one(
        tmp_path: Path, chosen: str) -> None:
    app, neighbour = default_project(tmp_path / "app"), default_project(tmp_path / "neighbour")
    own = {app.as_uri(): {"provguard": {"ledger": str(tmp_path / chosen) if chosen != ":memory:" else chosen}}}
    # a client that pushes: the light start (first_answer.py) judges the first document before the server loads
    async with session(capabilities(pull=False), app.as_uri(), neighbour.as_uri(), configuration=own) as client:
        await paste_and_save(client, app / "src" / "f.py")
        await paste_and_save(client, neighbour / "src" / "f.py")
    assert not (app / ".provguard").exists()
    assert recorded(neighbour / ".provguard" / "ledger.sqlite3") == ["src/f.py"]  # the default, where chosen
    if chosen != ":memory:":
        assert recorded(tmp_path / chosen) == ["src/f.py"]


async def test_a_document_opened_before_the_folders_settings_came_gets_the_spans_their_ledger_holds(
        tmp_path: Path) -> None:
    app = default_project(tmp_path / "app")
    own = {app.as_uri(): {"provguard": {"ledger": str(tmp_path / "team.sqlite3")}}}
    async with session(capabilities(pull=False), app.as_uri(), configuration=own) as client:
        await paste_and_save(client, app / "src" / "f.py")
    async with session(capabilities(pull=True), app.as_uri(), configuration=own) as client:
        uri = open_file(client, app / "src" / "f.py", PASTED)
        assert await pulled_until(client, uri, lambda found: bool(found)) == {"undeclared-insertion"}
    assert not (app / ".provguard").exists()


async def test_a_folder_in_no_project_gets_no_ledger_for_reading_and_one_at_its_first_recording(
        tmp_path: Path) -> None:
    notes = tmp_path / "notes"  # no .git, no provguard configuration, no .provguard
    async with session(capabilities(pull=True), notes.as_uri()) as client:
        uri = open_file(client, notes / "read.py", BASE)
        assert await pulled(client, uri) == []
        client.text_document_did_close(types.DidCloseTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=uri)))
        await pulled(client, open_file(client, notes / "other.py", BASE))  # the close was handled before this
        assert not (notes / ".provguard").exists()
    async with session(capabilities(pull=False), notes.as_uri()) as client:
        await paste_and_save(client, notes / "pasted.py")
    assert recorded(notes / ".provguard" / "ledger.sqlite3") == ["pasted.py"]
    assert ledger_messages(client) == []


async def test_the_home_folder_gets_no_ledger_and_the_person_is_told_once_at_the_first_record(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / ".git").mkdir()  # dotfiles kept in git: the home folder looks like a project, and is not one
    monkeypatch.setenv("HOME", str(home))
    project = default_project(home / "code" / "app")
    async with session(capabilities(pull=False), home.as_uri()) as client:
        await pushed(client, open_file(client, home / "read.py", BASE), 1)
        assert ledger_messages(client) == []  # reading files there loses nothing: nothing to say
        await paste_and_save(client, home / "notes.py")
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
            settings={"provguard": {"reviewer": "tester@example.com"}}))
        await paste_and_save(client, project / "src" / "f.py")  # a project under the home folder keeps its own
        told = ledger_messages(client)
    assert not (home / ".provguard").exists()
    assert recorded(project / ".provguard" / "ledger.sqlite3") == ["src/f.py"]
    assert len(told) == 1, told
    assert str(home) in told[0] and "home folder" in told[0] and "memory" in told[0] and "`ledger`" in told[0]


def test_the_root_the_home_folder_and_above_it_are_no_place_for_a_ledger(tmp_path: Path) -> None:
    home = tmp_path / "users" / "ana"
    home.mkdir(parents=True)
    assert "file system's root" in str(unplaced(Path("/"), home))
    assert "home folder" in str(unplaced(home, home))
    assert "holds your home folder" in str(unplaced(tmp_path / "users", home))
    assert unplaced(home / "code" / "app", home) is None
    assert unplaced(tmp_path / "elsewhere", home) is None


def test_a_recording_made_before_the_folders_settings_came_goes_to_the_ledger_they_choose(tmp_path: Path) -> None:
    folder = default_project(tmp_path / "app")
    chosen = tmp_path / "chosen.sqlite3"
    editor = Session([folder])
    editor.await_folder_settings([folder])  # the client was asked for the folder's settings
    editor.set_settings(Settings())
    editor.open_ledgers()
    path = folder / "f.py"
    opened = editor.open(path.as_uri(), str(path), "python", BASE, 1)
    start = BASE.index("def existing")
    editor.edit(opened, start, start, PASTE, 2)  # a paste, tracked
    assert not opened.project.ledger.persistent and [s.span_id for s in opened.capture.tracker.spans()]
    editor.close(path.as_uri())  # its spans saved in the ledger in force: memory, for now

    editor.set_folder_settings(folder, (Settings(ledger=str(chosen)), frozenset({"ledger"})))
    assert editor.folder_settings_known([folder]).warnings == []
    editor.shutdown()
    assert recorded(chosen) == ["f.py"]
    assert not (folder / ".provguard").exists()


def record_a_paste(folder: Path, settings: Settings) -> Path:
    """A session under `settings` that pastes into f.py and saves it: its span is in that ledger."""
    editor = Session([folder])
    editor.configure(settings, frozenset({"ledger"}) if settings.ledger else frozenset())
    editor.open_ledgers()
    path = folder / "f.py"
    opened = editor.open(path.as_uri(), str(path), "python", BASE, 1)
    start = BASE.index("def existing")
    editor.edit(opened, start, start, PASTE, 2)
    path.write_text(PASTED)
    editor.shutdown()
    return path


def rule_ids(editor: Session, path: Path) -> list[str]:
    opened = editor.get(path.as_uri())
    assert opened is not None
    return [finding.rule_id for finding in editor.analysis(opened).findings]


@pytest.mark.parametrize("provisional", ["none", "the default file"])
def test_a_document_opened_while_the_folders_settings_were_on_their_way_is_judged_with_their_ledger(
        tmp_path: Path, provisional: str) -> None:
    folder = default_project(tmp_path / "app")
    chosen = Settings(ledger=str(tmp_path / "chosen.sqlite3"))
    path = record_a_paste(folder, chosen)
    if provisional == "the default file":  # the editor's settings choose it: opened before the folder's came
        record_a_paste(folder, Settings())
        (tmp_path / "chosen.sqlite3").unlink()  # the folder's own ledger has nothing for the file
    editor = Session([folder])
    editor.await_folder_settings([folder])
    editor.configure(Settings())
    editor.open_ledgers()
    editor.open(path.as_uri(), str(path), "python", PASTED, 1)
    before = rule_ids(editor, path)
    editor.set_folder_settings(folder, (chosen, frozenset({"ledger"})))
    editor.folder_settings_known([folder])
    after = rule_ids(editor, path)
    editor.shutdown()
    if provisional == "none":
        assert (before, after) == ([], ["undeclared-insertion"])
    else:  # judged with the default file's span at first, and without it under the folder's own ledger
        assert (before, after) == (["undeclared-insertion"], [])
