"""A pulling editor gets, edit after edit, exactly the diagnostics a push-only editor is sent (the pulled report
is written from the same encoded pieces a push is made of, kept between edits; the real server over stdio)."""

from __future__ import annotations

import json
from pathlib import Path

from lsprotocol import types
from lsprotocol.converters import get_converter
from pytest_lsp import LanguageClient

from lsp_support import apply, capabilities, open_file, pushed, session
from rule_support import AGENT

TEXT = (f"import os\n\n\ndef plain(a):\n    return a\n\n\n# provguard: begin {AGENT}\nclass Box:\n"
        f"    # provguard: next kind=ai-completion tool=copilot\n    def test_method(self):\n        return 2\n"
        f"# provguard: end\n\n\n# provguard: next kind=ai-agent tool=claude-code\ndef test_é(x):\n    return '😀'\n")
"""A marked class with a next-unit marker inside it (one diagnostic with the other as related information),
a marked function below it, non-ASCII text in it."""

EDITS = [
    ((0, 0), (0, 0), "import sys\n\n"),  # everything moves down two lines
    ((5, 11), (5, 12), "b"),  # a character typed over in plain code: nothing moves
    ((7, 0), (7, 0), "x = 1\n"),  # between plain code and the marked class: the class's diagnostics move
    ((0, 0), (2, 0), ""),  # the first lines deleted: everything moves up
    ((17, 4), (17, 4), "y = 'é'\n    "),  # inside the last marked function
]


def _uri(path: Path) -> str:
    return path.as_uri()


async def _diagnostics_after_each_edit(tmp_path: Path, pull: bool) -> list[list[dict[str, object]]]:
    """The document's diagnostics, as JSON with the folder's uri written `ROOT`, after opening it and after each
    edit of EDITS; pulled or pushed."""
    root = tmp_path / ("pull" if pull else "push")
    root.mkdir()
    converter = get_converter()
    seen: list[list[dict[str, object]]] = []
    async with session(capabilities(pull), _uri(root)) as client:
        uri = open_file(client, root / "src" / "box.py", TEXT)
        seen.append(await _current(client, uri, 1, pull, converter))
        for version, (start, end, text) in enumerate(EDITS, start=2):
            client.text_document_did_change(types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[types.TextDocumentContentChangePartial(
                    range=types.Range(types.Position(*start), types.Position(*end)), text=text)]))
            seen.append(await _current(client, uri, version, pull, converter))
        client.text_document_did_close(types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri=uri)))
        client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(
            uri=uri, language_id="python", version=len(EDITS) + 2, text=_edited())))
        seen.append(await _current(client, uri, len(EDITS) + 2, pull, converter))
    return [json.loads(json.dumps(one).replace(_uri(root), "ROOT")) for one in seen]


def _edited() -> str:
    """TEXT after EDITS (none of them on a line with a character outside UTF-16's basic plane before it)."""
    text = TEXT
    for start, end, new in EDITS:
        text = apply(text, [types.TextEdit(types.Range(types.Position(*start), types.Position(*end)), new)])
    return text


async def _current(client: LanguageClient, uri: str, version: int, pull: bool,
                   converter: object) -> list[dict[str, object]]:
    if pull:
        report = await client.text_document_diagnostic_async(
            types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri)))
        assert isinstance(report, types.RelatedFullDocumentDiagnosticReport)
        items = list(report.items)
    else:
        items = await pushed(client, uri, version)
    return [converter.unstructure(d) for d in items]  # type: ignore[attr-defined]


async def test_a_pulling_editor_gets_what_a_pushed_one_is_sent_as_edits_move_the_diagnostics(
        tmp_path: Path) -> None:
    pushed_ones = await _diagnostics_after_each_edit(tmp_path, pull=False)
    pulled_ones = await _diagnostics_after_each_edit(tmp_path, pull=True)
    assert pulled_ones == pushed_ones
    *edited, reopened = pushed_ones
    for diagnostic in reopened:
        diagnostic["data"]["version"] = len(EDITS) + 1  # the last edit's version; reopened as the next one
    assert edited[-1] == reopened, "after the edits, what the same text gets when opened afresh"
    first, moved = pushed_ones[0], pushed_ones[1]
    assert any("relatedInformation" in d for d in first), "the comparison covers related information"
    lines = [[d["range"]["start"]["line"] for d in version] for version in (first, moved)]  # type: ignore[index]
    assert lines[1] == [line + 2 for line in lines[0]] and lines[0], "two lines inserted above move them all"
