"""Kinds, tools and origins as people call them, for the messages people read (the editor, the CLI's text, CI
annotations, SARIF and reports all show the same); ids stay in the fields tools read."""

from __future__ import annotations

from provguard.provenance.origin import Kind, Origin
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

_HOW: dict[Kind, tuple[str, str]] = {
    Kind.HUMAN: ("written by a person", "written by a person"),
    Kind.AI_COMPLETION: ("suggested by {tool}", "suggested by an AI completion tool"),
    Kind.AI_AGENT: ("written by {tool}", "written by an AI agent"),
    Kind.AI_CHAT_PASTE: ("pasted from {tool}", "pasted from an AI chat"),
    Kind.PASTE: ("pasted from {tool}", "pasted from elsewhere"),
    Kind.EXTERNAL: ("taken from {tool}", "taken from an outside source"),
    Kind.UNKNOWN: ("of unknown origin", "of unknown origin"),
}
"""How code of each kind arrived, with its tool and without one: `{origin}` in a message."""


def kind_name(kind: Kind) -> str:
    """The one name of a kind shown to people."""
    return KIND_NAMES[kind]


def tool_name(tool: str | None) -> str:
    """A tool as its makers spell it ("ChatGPT", "Claude Code"); unknown tools as recorded."""
    return display_name(tool) if tool else "an unnamed tool"


def origin_phrase(origin: Origin) -> str:
    """Where code came from, to follow "Code" in a sentence: "pasted from ChatGPT", "written by Claude Code"."""
    named, unnamed = _HOW[origin.kind]
    return named.format(tool=display_name(origin.tool)) if origin.tool else unnamed
