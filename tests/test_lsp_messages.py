"""Diagnostics as people read them in the editor: kinds and tools by name, not by internal id, and a
quick-fix menu without duplicates."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from lsprotocol import types
from pytest_lsp import LanguageClient

from lsp_support import open_file, pulled, start
from provguard.ledger.sqlite import SqliteLedger
from provguard.provenance.names import kind_name
from provguard.provenance.origin import Kind
from provguard.provenance.tools import display_name
from snippet_support import SNIPPET, recorded

TOOLS = {
    Kind.AI_COMPLETION: "copilot",
    Kind.AI_AGENT: "claude-code",
    Kind.AI_CHAT_PASTE: "chatgpt",
    Kind.PASTE: "chatgpt",
    Kind.EXTERNAL: "claude.ai",
    Kind.HUMAN: "cursor-tab",
    Kind.UNKNOWN: "windsurf",
}
"""A tool for every kind, each one the tools table spells differently from its id."""

INTERNAL_IDS = [kind.value for kind in Kind if "-" in kind.value]
"""Kind ids no person says. `human`, `paste`, `external` and `unknown` are plain words and may appear as
such; tool ids may appear where a message is about the marker's own text (which names the tool by id)."""

EVERY_KIND_PACK = """\
pack: names
version: 1.0.0
rules:
  - id: any-origin
    severity: warning
    message: "{kind} code from {tool}"
    origins:
      - kind: [KINDS]
""".replace("KINDS", ", ".join(kind.value for kind in Kind))


def marked(kind: Kind) -> str:
    return (f"# provguard: begin kind={kind.value} tool={TOOLS[kind]}\n"
            "def test_answer():\n    assert 42 == 6 * 7\n# provguard: end\n")


def internal_ids_in(message: str) -> list[str]:
    return [i for i in INTERNAL_IDS if re.search(rf"(?<![\w.-]){re.escape(i)}(?![\w.-])", message)]


async def test_no_internal_id_in_any_message_and_code_action_titles_are_unique(
    client: LanguageClient, tmp_path: Path
) -> None:
    """The default rules on a test file holding each kind, the way a person meets them in the editor."""
    (tmp_path / "provguard.toml").write_text("")  # its own project, whatever folder above holds one
    await start(client, tmp_path, pull=True)
    for kind in Kind:
        uri = open_file(client, tmp_path / "tests" / f"test_{kind.name.lower()}.py", marked(kind))
        diagnostics = await pulled(client, uri)
        messages = [d.message for d in diagnostics]
        assert [(m, internal_ids_in(m)) for m in messages if internal_ids_in(m)] == [], kind
        if kind.is_ai:
            assert any(m.startswith("Code ") and display_name(TOOLS[kind]) in m for m in messages), messages

        whole = types.Range(types.Position(0, 0), types.Position(4, 0))
        actions = await client.text_document_code_action_async(types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri), range=whole,
            context=types.CodeActionContext(diagnostics=diagnostics)))
        titles = [a.title for a in actions or []]
        assert len(titles) == len(set(titles)), titles
        if kind.is_ai:
            assert titles, "AI output in a test file offers fixes"


async def test_a_rule_message_names_each_kind_and_tool_for_people(client: LanguageClient, tmp_path: Path) -> None:
    (tmp_path / "names.yaml").write_text(EVERY_KIND_PACK)
    await start(client, tmp_path, pull=True, options={"packs": ["names.yaml"]})
    for kind in Kind:
        uri = open_file(client, tmp_path / "src" / f"{kind.name.lower()}.py", marked(kind))
        messages = [d.message for d in await pulled(client, uri) if d.code == "any-origin"]
        assert messages == [f"{kind_name(kind)} code from {display_name(TOOLS[kind])}"], kind
        assert not internal_ids_in(messages[0])


async def test_one_diagnostic_per_rule_on_the_same_lines_with_the_others_as_related_information(
    client: LanguageClient, tmp_path: Path
) -> None:
    """A block marked as Codex's that a hook also recorded as Claude Code's: one `ai-output-unreviewed`
    where two findings of it overlap; the second is the diagnostic's related information, in the Problems list
    of files never opened (workspace/diagnostic) and in the open document."""
    (tmp_path / "provguard.toml").write_text("")
    (tmp_path / ".provguard").mkdir()
    ledger = SqliteLedger(tmp_path / ".provguard" / "ledger.sqlite3")
    ledger.add_agent_edits([recorded(SNIPPET, "src/closed.py"), recorded(SNIPPET, "src/opened.py")])
    ledger.close()
    text = f"# provguard: begin kind=ai-agent tool=codex vendor=openai\n{SNIPPET}# provguard: end\n"
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "closed.py").write_text(text)
    await start(client, tmp_path, pull=True)

    report = await client.workspace_diagnostic_async(types.WorkspaceDiagnosticParams(previous_result_ids=[]))
    [closed] = [item for item in report.items if item.uri == (tmp_path / "src" / "closed.py").as_uri()]
    assert isinstance(closed, types.WorkspaceFullDocumentDiagnosticReport)
    [unreviewed] = [d for d in closed.items if d.code == "ai-output-unreviewed"]
    assert "Codex" in unreviewed.message
    [related] = unreviewed.related_information or []
    assert related.location.uri == closed.uri and related.location.range.start.line == 1
    assert "Code written by Claude Code" in related.message

    uri = open_file(client, tmp_path / "src" / "opened.py", text)
    async with asyncio.timeout(60):  # the ledger lookup follows the open once the client is quiet: then the
        while "claude-code" not in await hover_text(client, uri, 2):  # recorded edit is the innermost span
            await asyncio.sleep(0.05)
    [shown] = [d for d in await pulled(client, uri) if d.code == "ai-output-unreviewed"]
    [related] = shown.related_information or []
    assert related.location.uri == uri and "Code written by" in related.message


async def hover_text(client: LanguageClient, uri: str, line: int) -> str:
    hover = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line, 4)))
    return hover.contents.value if hover is not None and isinstance(hover.contents, types.MarkupContent) else ""
