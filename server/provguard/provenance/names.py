"""Kinds and tools as people call them, for messages people read; ids stay in fields tools read."""

from __future__ import annotations

from provguard.provenance.origin import Kind
from provguard.provenance.tools import display_name

KIND_NAMES: dict[Kind, str] = {
    Kind.HUMAN: "human-written",
    Kind.AI_COMPLETION: "AI completion",
    Kind.AI_AGENT: "AI agent",
    Kind.AI_CHAT_PASTE: "AI chat paste",
    Kind.PASTE: "pasted",
    Kind.EXTERNAL: "external",
    Kind.UNKNOWN: "unknown",
}
"""Each reads as a modifier ("AI agent code from Claude Code", "a pasted insertion"), the way rule
messages use `{kind}`."""


def kind_name(kind: Kind) -> str:
    """The one name of a kind shown to people (diagnostics in the editor)."""
    return KIND_NAMES[kind]


def tool_name(tool: str | None) -> str:
    """A tool as its makers spell it ("ChatGPT", "Claude Code"); unknown tools as recorded."""
    return display_name(tool) if tool else "an unnamed tool"
