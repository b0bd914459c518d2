"""`provguard/summary`: the numbers an editor's status bar shows for the open document."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import LanguageClient

from lsp_support import insert_at_line, open_file, pushed, start

MARKED = (
    "# provguard: begin kind=ai-agent tool=claude-code\n"
    "def generated():\n"
    "    return 1\n"
    "# provguard: end\n"
    "\n"
    "def mine():\n"
    "    return 2\n"
)
PASTE = "def pasted(rows):\n    return sorted(set(rows), key=len)\n"


async def summary(client: LanguageClient, uri: str) -> Any:
    return await client.protocol.send_request_async("provguard/summary", {"textDocument": {"uri": uri}})


def by_severity(diagnostics: list[types.Diagnostic]) -> dict[str, int]:
    names = {1: "error", 2: "warning", 3: "info", 4: "hint"}
    counts = dict.fromkeys(names.values(), 0)
    for diag in diagnostics:
        assert diag.severity is not None
        counts[names[diag.severity.value]] += 1
    return counts


def as_dict(result: Any) -> dict[str, Any]:
    """pygls hands the result over as a namedtuple-like object."""
    if isinstance(result, dict):
        return result
    return {key: as_dict(value) if hasattr(value, "_asdict") else value for key, value in result._asdict().items()}


async def test_counts_ai_lines_undeclared_insertions_and_findings_by_severity(
    client: LanguageClient, tmp_path: Path
) -> None:
    await start(client, tmp_path, pull=False)
    uri = open_file(client, tmp_path / "src" / "app.py", MARKED)
    opened = await pushed(client, uri, 1)
    first = as_dict(await summary(client, uri))
    assert first["version"] == 1
    assert first["aiLines"] == 4, "the marked block, its two marker lines included"
    assert first["undeclared"] == 0
    assert first["findings"] == by_severity(opened) and first["findings"]["warning"] > 0

    insert_at_line(client, uri, 2, 7, PASTE)
    after_paste = await pushed(client, uri, 2)
    second = as_dict(await summary(client, uri))
    assert (second["version"], second["aiLines"], second["undeclared"]) == (2, 4, 1)
    assert second["findings"] == by_severity(after_paste)
    assert second["findings"]["warning"] == first["findings"]["warning"] + 1


async def test_a_document_that_is_not_open_has_no_summary(client: LanguageClient, tmp_path: Path) -> None:
    await start(client, tmp_path, pull=False)
    assert await summary(client, (tmp_path / "closed.py").as_uri()) is None
