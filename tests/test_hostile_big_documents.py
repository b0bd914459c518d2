"""A document larger than `provguard check` judges (8 MiB) must not stall the language server: its text is kept
and edited, it gets one diagnostic saying it is not judged (pushed, pulled and in workspace reports alike), and
it is judged again once edits bring it back under the limit. Meanwhile other requests are answered."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from provguard.files import MAX_FILE_BYTES
from provguard.session import OpenDocument, Session
from provguard.settings import Settings
from provguard.too_large import HARD_CAP, RULE_ID
from raw_lsp_support import RawServer

pytestmark = pytest.mark.timeout(300)
"""The hang guard: a server that stalls on a huge document fails here instead of holding CI up."""

GUARD = 120.0
"""Seconds to wait for one answer: only a server stalled by the huge text takes this long."""

UNTERMINATED = "# provguard: begin kind=ai-agent tool=codex vendor=openai\n"
"""A marker without its end: judged, a document holding it gets a marker-unterminated error."""
FILLER = "value = 1\n"
BIG_LINES = (24 << 20) // len(FILLER)
"""24 MiB of filler: three times the limit."""
assert BIG_LINES * len(FILLER) > MAX_FILE_BYTES


def huge(head: str = "") -> str:
    return head + FILLER * BIG_LINES


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RawServer]:
    with RawServer(tmp_path) as raw:
        raw.initialize()
        yield raw


def pulling(root: Path) -> RawServer:
    """A server initialized by a client that pulls diagnostics, of documents and of the workspace."""
    raw = RawServer(root)
    answer = raw.call("initialize", {
        "processId": None, "rootUri": root.as_uri(),
        "workspaceFolders": [{"uri": root.as_uri(), "name": root.name}],
        "capabilities": {"textDocument": {"diagnostic": {"dynamicRegistration": False}},
                         "workspace": {"diagnostics": {"refreshSupport": False}}},
    })
    assert "result" in answer, answer
    raw.notify("initialized", {})
    return raw


def pushed(server: RawServer, uri: str, version: int) -> list[dict[str, Any]]:
    """The diagnostics the server pushes for one version of a document."""
    while True:
        params = server.notification("textDocument/publishDiagnostics", timeout=GUARD)["params"]
        if params["uri"] == uri and params.get("version") == version:
            return list(params["diagnostics"])


def codes(diagnostics: list[dict[str, Any]]) -> list[str]:
    return [d["code"] for d in diagnostics]


def change(server: RawServer, uri: str, version: int, *changes: dict[str, Any]) -> None:
    server.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version},
                                             "contentChanges": list(changes)})


def at(line: int, character: int = 0) -> dict[str, int]:
    return {"line": line, "character": character}


def test_a_huge_yaml_file_is_not_read_as_a_rule_pack(server: RawServer) -> None:
    """A .yaml file may be a pack, which the editor checks as it is typed: not one over the limit."""
    small = server.open("small.py", UNTERMINATED + "x = 1\n# provguard: end\n")
    pushed(server, small, 1)
    big = server.open("rules.yaml", "pack: huge\nrules:\n" + "  - id: r\n" * BIG_LINES, language="yaml")
    hover = server.request("textDocument/hover", {"textDocument": {"uri": small}, "position": at(1)})
    assert codes(pushed(server, big, 1)) == [RULE_ID]
    answer = server.response(hover, timeout=GUARD)
    assert "error" not in answer and answer["result"] is not None


def test_a_huge_document_opened_gets_one_not_judged_diagnostic_and_a_hover_elsewhere_is_answered(
        server: RawServer) -> None:
    small = server.open("small.py", UNTERMINATED + "x = 1\n# provguard: end\n")
    pushed(server, small, 1)
    big = server.open("big.py", huge(UNTERMINATED))
    hover = server.request("textDocument/hover", {"textDocument": {"uri": small}, "position": at(1)})
    report = pushed(server, big, 1)
    assert codes(report) == [RULE_ID]
    assert "8 MiB" in report[0]["message"] and report[0]["range"] == {"start": at(0), "end": at(0)}
    answer = server.response(hover, timeout=GUARD)
    assert "error" not in answer and answer["result"] is not None
    assert "codex" in str(answer["result"]["contents"]), "the other file is still judged"
    summary = server.response(server.request("provguard/summary", {"textDocument": {"uri": big}}), timeout=GUARD)
    assert summary["result"]["findings"]["info"] == 1 and summary["result"]["aiLines"] == 0
    actions = server.response(server.request("textDocument/codeAction", {
        "textDocument": {"uri": big}, "range": report[0]["range"], "context": {"diagnostics": report}}), timeout=GUARD)
    assert "error" not in actions and not actions["result"], "nothing to fix in a file that is not judged"


def test_edits_apply_to_a_huge_document_and_shrinking_it_judges_it_again(server: RawServer) -> None:
    uri = server.open("grows.py", "x = 1\n")
    assert pushed(server, uri, 1) == []
    change(server, uri, 2, {"range": {"start": at(1), "end": at(1)}, "text": huge()})
    assert codes(pushed(server, uri, 2)) == [RULE_ID]
    change(server, uri, 3, {"range": {"start": at(0), "end": at(0)}, "text": UNTERMINATED})
    assert codes(pushed(server, uri, 3)) == [RULE_ID], "an edit while too large is kept, not judged"
    change(server, uri, 4, {"range": {"start": at(2), "end": at(2 + BIG_LINES)}, "text": ""})
    report = pushed(server, uri, 4)
    assert codes(report) == ["marker-unterminated"], "back under the limit, with the edit made while too large"
    assert report[0]["range"]["start"] == at(0)
    assert server.alive()


def test_a_document_growing_past_the_hard_cap_is_let_go_until_it_is_reopened(server: RawServer) -> None:
    """Every insert is one message under the 64 MiB frame limit, but together they would grow the kept text without
    bound: past the hard cap the server lets the text go and says so, and keeps serving."""
    assert 2 * len(huge()) > HARD_CAP >= len(huge())
    small = server.open("small.py", UNTERMINATED + "x = 1\n# provguard: end\n")
    pushed(server, small, 1)
    uri = server.open("grows.py", "x = 1\n")
    assert pushed(server, uri, 1) == []
    change(server, uri, 2, {"range": {"start": at(1), "end": at(1)}, "text": huge()})
    assert "reopen" not in pushed(server, uri, 2)[0]["message"], "under the hard cap the text is kept"
    change(server, uri, 3, {"range": {"start": at(1), "end": at(1)}, "text": huge()})
    report = pushed(server, uri, 3)
    assert codes(report) == [RULE_ID] and "reopen" in report[0]["message"]
    assert report[0]["range"] == {"start": at(0), "end": at(0)}
    change(server, uri, 4, {"range": {"start": at(1), "end": at(1 + 2 * BIG_LINES)}, "text": ""})
    after = pushed(server, uri, 4)
    assert [(d["code"], d["message"]) for d in after] == [(RULE_ID, report[0]["message"])], \
        "an edit to a text let go is not applied: there is none to apply it to"
    hover = server.request("textDocument/hover", {"textDocument": {"uri": small}, "position": at(1)})
    assert "codex" in str(server.response(hover, timeout=GUARD)["result"]["contents"])

    server.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
    server.open("grows.py", UNTERMINATED + "y = 2\n")
    assert codes(pushed(server, uri, 1)) == ["marker-unterminated"], "reopened, it is judged again"
    assert server.alive()


def test_a_whole_text_change_gives_a_document_let_go_its_text_back(server: RawServer) -> None:
    uri = server.open("full.py", huge(), language="python")
    pushed(server, uri, 1)
    change(server, uri, 2, {"range": {"start": at(0), "end": at(0)}, "text": huge()})
    assert "reopen" in pushed(server, uri, 2)[0]["message"]
    change(server, uri, 3, {"text": huge(UNTERMINATED)})
    report = pushed(server, uri, 3)
    assert codes(report) == [RULE_ID] and "reopen" not in report[0]["message"], "kept again, still too large"
    change(server, uri, 4, {"range": {"start": at(1), "end": at(1 + BIG_LINES)}, "text": ""})
    assert codes(pushed(server, uri, 4)) == ["marker-unterminated"], "its edits are followed again"


def test_a_document_opened_past_the_hard_cap_is_not_kept() -> None:
    session = Session([])
    text = huge() * 2
    opened = session.open("file:///big.py", "/big.py", "python", text, 1)
    assert opened.document.source == b""
    [finding] = session.analysis(opened).findings
    assert finding.rule_id == RULE_ID and "reopen" in finding.message and f"{len(text) / (1 << 20):.1f} MiB" in \
        finding.message


def test_a_whole_text_replacement_over_and_back_under_the_limit(server: RawServer) -> None:
    uri = server.open("full.py", "x = 1\n")
    assert pushed(server, uri, 1) == []
    change(server, uri, 2, {"text": huge(UNTERMINATED)})
    assert codes(pushed(server, uri, 2)) == [RULE_ID]
    change(server, uri, 3, {"text": UNTERMINATED + "y = 2\n"})
    assert codes(pushed(server, uri, 3)) == ["marker-unterminated"]


def test_pulled_document_and_workspace_reports_say_the_same_for_a_huge_document(tmp_path: Path) -> None:
    with pulling(tmp_path) as server:
        big = server.open("big.py", huge(UNTERMINATED))
        pulled = server.response(server.request("textDocument/diagnostic", {"textDocument": {"uri": big}}),
                                 timeout=GUARD)["result"]
        assert pulled["kind"] == "full" and codes(pulled["items"]) == [RULE_ID]
        workspace = server.response(server.request("workspace/diagnostic", {"previousResultIds": []}),
                                    timeout=GUARD)["result"]
        mine = [item for item in workspace["items"] if item["uri"] == big]
        assert len(mine) == 1 and mine[0]["items"] == pulled["items"]
        assert mine[0]["resultId"] == pulled["resultId"] and mine[0]["version"] == 1


PASTED = "def pasted():\n    return 42\n" * 20
"""A bulk insertion: tracked as code of unknown origin, reported as undeclared until someone declares it."""


def judged(session: Session, opened: OpenDocument, version: int) -> list[tuple[str, int]]:
    opened.document.version = version
    return [(f.rule_id, f.start) for f in session.analysis(opened).findings]


def test_recorded_spans_outlive_a_spell_over_the_limit_and_a_close_while_over_it(tmp_path: Path) -> None:
    session = Session([tmp_path])
    session.configure(Settings(ledger=str(tmp_path / "ledger.db")))
    assert session.open_ledger() is None
    uri, path = "file:///a.py", str(tmp_path / "a.py")
    opened = session.open(uri, path, "python", "x = 1\n", 1)
    session.edit(opened, 6, 6, PASTED, 2)
    tracked = judged(session, opened, 2)
    assert tracked == [("undeclared-insertion", 6)]
    end = len(opened.document.source)

    session.edit(opened, end, end, huge(), 3)
    assert judged(session, opened, 3) == [(RULE_ID, 0)]
    session.edit(opened, end, len(opened.document.source), "", 4)
    assert judged(session, opened, 4) == tracked, "back under the limit, the recorded span is placed again"

    session.edit(opened, end, end, huge(), 5)
    session.close(uri)  # while over the limit: what the ledger holds for the file stays
    reopened = session.open(uri, path, "python", "x = 1\n" + PASTED, 1)
    assert judged(session, reopened, 1) == tracked

    session.edit(reopened, end, end, huge(), 2)
    session.edit(reopened, end, end, huge(), 3)
    assert reopened.dropped is not None and reopened.document.source == b"", "past the hard cap: let go"
    session.close(uri)
    again = session.open(uri, path, "python", "x = 1\n" + PASTED, 1)
    assert judged(session, again, 1) == tracked, "the text let go, the recorded span stays in the ledger"
