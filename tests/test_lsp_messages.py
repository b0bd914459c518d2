"""Diagnostics as people read them in the editor: kinds and tools by name, not by internal id, and a
quick-fix menu without duplicates."""

from __future__ import annotations

import re
from pathlib import Path

import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient

from lsp_support import SERVER, open_file, pulled, record_registrations, start
from provguard.provenance.names import kind_name
from provguard.provenance.origin import Kind
from provguard.provenance.tools import display_name

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


@pytest_lsp.fixture(config=SERVER)
async def client(lsp_client: LanguageClient) -> object:
    lsp_client.registrations = record_registrations(lsp_client)  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()


def marked(kind: Kind) -> str:
    return (f"# provguard: begin kind={kind.value} tool={TOOLS[kind]}\n"
            "def test_answer():\n    assert 42 == 6 * 7\n# provguard: end\n")


def internal_ids_in(message: str) -> list[str]:
    return [i for i in INTERNAL_IDS if re.search(rf"(?<![\w.-]){re.escape(i)}(?![\w.-])", message)]


async def test_no_internal_id_in_any_message_and_code_action_titles_are_unique(
    client: LanguageClient, tmp_path: Path
) -> None:
    """The default rules on a test file holding each kind, the way a person meets them in the editor."""
    await start(client, tmp_path, pull=True)
    for kind in Kind:
        uri = open_file(client, tmp_path / "tests" / f"test_{kind.name.lower()}.py", marked(kind))
        diagnostics = await pulled(client, uri)
        messages = [d.message for d in diagnostics]
        assert [(m, internal_ids_in(m)) for m in messages if internal_ids_in(m)] == [], kind
        if kind.is_ai:
            assert any(f"{kind_name(kind)} code from {display_name(TOOLS[kind])}" in m for m in messages), messages

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
