"""Many files opened at once (an editor restoring its tabs): every document gets its own findings first; the
ledger lookups and git history reads follow once all of them are out, pushed or pulled."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import LanguageClient

from lsp_support import capabilities, open_file, pulled, session
from provguard.ledger.sqlite import SqliteLedger
from snippet_support import DISGUISED, SNIPPET, recorded

MARKER = "# provguard: kind=ai-agent tool=codex vendor=openai\ndef marked():\n    pass\n\n\n"
"""A marked unit nobody reviewed: a finding from the text alone, before any ledger lookup."""
FILES = 6


def record_snippet(root: Path) -> None:
    (root / ".provguard").mkdir()
    ledger = SqliteLedger(root / ".provguard" / "ledger.sqlite3")
    ledger.add_agent_edits([recorded(SNIPPET, "src/intervals.py")])
    ledger.close()


@asynccontextmanager
async def server(root: Path, pull: bool) -> AsyncIterator[LanguageClient]:
    caps = capabilities(pull)
    assert caps.workspace is not None
    caps.workspace.diagnostics = types.DiagnosticWorkspaceClientCapabilities(refresh_support=True)
    async with session(caps, root.as_uri()) as client:
        yield client


def also(client: LanguageClient, method: str, callback: Callable[[Any], None]) -> None:
    """Calls `callback` too when the server sends `method` (pytest-lsp's client handles it already)."""
    features = client.protocol.fm.features
    keep = features[method]

    def both(params: Any) -> Any:
        callback(params)
        return keep(params)

    features[method] = both


def codes(diagnostics: list[types.Diagnostic]) -> list[str]:
    return sorted(str(d.code) for d in diagnostics)


async def test_restored_tabs_each_get_their_own_findings_before_any_ledger_lookup(tmp_path: Path) -> None:
    record_snippet(tmp_path)
    async with server(tmp_path, pull=False) as client:
        arrivals: list[tuple[str, list[str]]] = []
        looked_up = asyncio.Event()

        def record(params: types.PublishDiagnosticsParams) -> None:
            arrivals.append((params.uri, codes(list(params.diagnostics))))
            if sum("ai-output-unmarked" in found for _, found in arrivals) == FILES:
                looked_up.set()

        also(client, types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS, record)
        uris = [open_file(client, tmp_path / "app" / f"tab{i}.py", MARKER + DISGUISED) for i in range(FILES)]
        await asyncio.wait_for(looked_up.wait(), 60)  # bounds a hang only

        first, later = arrivals[:FILES], arrivals[FILES:]
        assert [uri for uri, _ in first] == uris, "every tab's first diagnostics, in the order opened"
        assert all(found == ["ai-output-unreviewed"] for _, found in first), "from the marker alone"
        assert sorted(uri for uri, found in later if "ai-output-unmarked" in found) == sorted(uris), \
            "then the copy the ledger knows, for each tab"


async def test_a_pulling_client_gets_the_ledger_findings_after_a_refresh(tmp_path: Path) -> None:
    record_snippet(tmp_path)
    async with server(tmp_path, pull=True) as client:
        refreshed = asyncio.Event()
        also(client, types.WORKSPACE_DIAGNOSTIC_REFRESH, lambda params: refreshed.set())

        uris = [open_file(client, tmp_path / "app" / f"tab{i}.py", MARKER + DISGUISED) for i in range(FILES)]
        first = await asyncio.gather(*(pulled(client, uri) for uri in uris))
        assert [codes(found) for found in first] == [["ai-output-unreviewed"]] * FILES, \
            "each pull answered from the text alone, not held back behind the lookups of the tabs opened before"

        await asyncio.wait_for(refreshed.wait(), 60)  # bounds a hang only
        for uri in uris:
            async with asyncio.timeout(60):
                while "ai-output-unmarked" not in codes(found := await pulled(client, uri)):
                    refreshed.clear()
                    await refreshed.wait()
            assert "ai-output-unreviewed" in codes(found), "the marker's finding stays"
