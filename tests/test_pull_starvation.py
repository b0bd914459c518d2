"""A client that never goes quiet still gets the findings the ledger lookup makes: an editor pulling on a timer,
or a person typing without a pause, sees a pasted copy of a recorded agent edit flagged (the lookup waits for a
quiet moment only so long; the real server over stdio)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from lsprotocol import types
from pytest_lsp import LanguageClient

from lsp_support import capabilities, open_file, session
from provguard.ledger.sqlite import SqliteLedger
from snippet_support import DISGUISED, SNIPPET, recorded

PULL_EVERY = 0.05
"""Seconds between pulls: a client pulling on a timer, or on every keystroke of a fast typist (well under the
server's quiet time)."""
ENOUGH = 30.0
"""Seconds of steady traffic within which the copy must be flagged: a bound on a hang, not a speed."""
COPY = "ai-output-unmarked"
"""The finding the ledger lookup makes for a copy of a recorded agent edit (from the text alone: none)."""


def record_snippet(root: Path) -> None:
    (root / ".provguard").mkdir(parents=True)
    ledger = SqliteLedger(root / ".provguard" / "ledger.sqlite3")
    ledger.add_agent_edits([recorded(SNIPPET, "src/intervals.py")])
    ledger.close()


async def pull_steadily(client: LanguageClient, uri: str, between: Callable[[int], None]) -> list[set[str]]:
    """Pulls `uri` every PULL_EVERY seconds, as a timer does (not waiting for the last answer), calling
    `between(n)` before the n-th pull, until a report holds COPY or ENOUGH seconds passed; the rule ids of each
    report answered until then, in order."""
    reports: list[set[str]] = []
    pending: set[asyncio.Task[None]] = set()
    flagged = asyncio.Event()

    async def pull() -> None:
        report = await client.text_document_diagnostic_async(
            types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=uri)))
        assert isinstance(report, types.RelatedFullDocumentDiagnosticReport)  # no result id sent: always full
        reports.append(found := {str(d.code) for d in report.items})
        if COPY in found:
            flagged.set()

    loop = asyncio.get_running_loop()
    until = loop.time() + ENOUGH
    n = 0
    while not flagged.is_set() and loop.time() < until:
        between(n)
        task = loop.create_task(pull())
        pending.add(task)
        task.add_done_callback(pending.discard)
        n += 1
        await asyncio.sleep(PULL_EVERY)
    await asyncio.gather(*pending)
    return reports


async def flagged_while(tmp_path: Path,
                        traffic: Callable[[LanguageClient, str], Callable[[int], None]]) -> list[set[str]]:
    """Opens a copy of a recorded agent edit and pulls it steadily with `traffic` between the pulls."""
    record_snippet(tmp_path)
    async with session(capabilities(pull=True), tmp_path.as_uri()) as client:
        uri = open_file(client, tmp_path / "app" / "calendar.py", DISGUISED)
        return await pull_steadily(client, uri, traffic(client, uri))


def nothing_else(client: LanguageClient, uri: str) -> Callable[[int], None]:
    return lambda n: None


def typing(client: LanguageClient, uri: str) -> Callable[[int], None]:
    """A person typing at the end of the file, one character before each pull (a comment: no new finding)."""
    end = DISGUISED.count("\n")

    def keystroke(n: int) -> None:
        at = types.Position(line=end, character=n)
        text = "#" if n == 0 else "x"
        client.text_document_did_change(types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=n + 2),
            content_changes=[types.TextDocumentContentChangePartial(range=types.Range(at, at), text=text)]))

    return keystroke


async def test_a_client_pulling_on_a_timer_gets_the_copy_flagged_though_it_never_goes_quiet(
        tmp_path: Path) -> None:
    reports = await flagged_while(tmp_path, nothing_else)
    assert COPY in reports[-1], f"still not flagged after {len(reports)} pulls in {ENOUGH:.0f} s"
    assert COPY not in reports[0], "the first pull is answered at once, from the text alone"


async def test_a_person_typing_without_a_pause_gets_the_copy_flagged_as_they_type(tmp_path: Path) -> None:
    reports = await flagged_while(tmp_path, typing)
    assert COPY in reports[-1], f"still not flagged after {len(reports)} keystrokes and pulls in {ENOUGH:.0f} s"
