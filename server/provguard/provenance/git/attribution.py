"""What a commit says about AI tools: the trailers, footers and author names each tool writes, as data.

Each pattern is one form a tool (or a project's convention) is known to write. A commit's message lines and
its author are matched against the table; the first match that names a model, else the first match, wins.
Patterns name a tool's own address or wording, never a bare first name, so a person called Claude, a
Cursor employee or a co-author named Aider is not taken for a tool.

The evidence covers the whole commit: which of its lines the tool wrote the commit does not say. The
origin says so (`scope=whole-commit`) and carries `HISTORY_CONFIDENCE`, so rules can choose to act on it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from provguard.provenance.origin import Kind
from provguard.provenance.tools import TOOL_VENDORS, infer_vendor

HISTORY_CONFIDENCE = 0.5
"""Confidence of git evidence: the tool took part in the commit, but any one line may be a person's."""


class Field(StrEnum):
    """Where in the commit a pattern looks."""

    LINE = "line"
    """Each line of the message, stripped (trailers and footers)."""
    AUTHOR = "author"
    """The author as `Name <email>`."""


@dataclass(frozen=True)
class Pattern:
    name: str
    """Stable id, shown as the evidence's source and used by the tests (one case per pattern)."""
    field: Field
    regex: re.Pattern[str]
    """Matched in full, case-insensitively. Optional groups: `model` (the model the line names), `tool` (a
    tool's name as written, for conventions that name any tool)."""
    tool: str | None
    """The tool; None when the `tool` group names it."""
    kind: Kind = Kind.AI_AGENT
    """Every form here is written by a tool that edits files and commits, or names such a tool."""


def _p(name: str, field: Field, regex: str, tool: str | None, kind: Kind = Kind.AI_AGENT) -> Pattern:
    return Pattern(name, field, re.compile(regex, re.IGNORECASE), tool, kind)


_CO = r"co-authored-by:\s*"
_COPILOT_ADDRESS = r"\d+\+copilot@users\.noreply\.github\.com"
"""GitHub's no-reply address of the Copilot account: 198982749+ for the coding agent, 223556219+ for the CLI
and VS Code agent."""

PATTERNS: tuple[Pattern, ...] = (
    # Claude Code: "Co-Authored-By: Claude <noreply@anthropic.com>", newer versions name the model
    # ("Claude Sonnet 4.5", "Claude Opus 4.6"); some setups write "Claude Code".
    _p("claude-code-co-author", Field.LINE,
       _CO + r"(?:claude(?:\s+code|\s+(?P<model>[^<>]+?))?|anthropic\s+claude)\s*<noreply@anthropic\.com>",
       "claude-code"),
    # Claude Code's footer: "🤖 Generated with [Claude Code](https://claude.com/claude-code)"; older
    # versions link https://claude.ai/code.
    _p("claude-code-footer", Field.LINE,
       r"(?:\U0001F916\s*)?generated with\s+(?:\[claude code\]\(https://(?:claude\.com/claude-code|"
       r"claude\.ai/code)/?\)|claude code)\.?",
       "claude-code"),
    # Codex CLI (its commit hook, or AGENTS.md conventions): "Co-authored-by: Codex <noreply@openai.com>",
    # sometimes with the model: "Codex (gpt-5-codex) <...>".
    _p("codex-co-author", Field.LINE,
       _CO + r"(?:openai\s+)?codex(?:\s*\((?P<model>[^()<>]+)\))?\s*"
             r"<(?:[^<>@]+@openai\.com|[^<>@]*codex[^<>@]*@users\.noreply\.github\.com)>",
       "codex"),
    # GitHub Copilot coding agent: commits authored by "Copilot" or "copilot-swe-agent[bot]" with the
    # account's no-reply address.
    _p("copilot-agent-author", Field.AUTHOR, r"[^<>]*<" + _COPILOT_ADDRESS + r">", "copilot"),
    # Copilot as co-author: squash merges of the agent's pull requests, the Copilot CLI and VS Code.
    _p("copilot-co-author", Field.LINE,
       _CO + r"[^<>]*<(?:" + _COPILOT_ADDRESS + r"|copilot@github\.com)>", "copilot"),
    # Cursor's agent: "Co-authored-by: Cursor Agent <cursoragent@cursor.com>"; older "Cursor <...@cursor.sh>".
    _p("cursor-co-author", Field.LINE,
       _CO + r"(?:[^<>]*<cursoragent@cursor\.com>|cursor(?:\s+agent)?\s*<[^<>@]+@cursor\.(?:com|sh)>)",
       "cursor"),
    _p("cursor-made-with", Field.LINE, r"made-with:\s*cursor", "cursor"),
    # aider: "Co-authored-by: aider (<model>) <aider@aider.chat>" names the model aider ran (as aider names
    # it, often with a provider prefix: "anthropic/claude-sonnet-4-20250514").
    _p("aider-co-author", Field.LINE,
       _CO + r"aider(?:\s*\((?P<model>[^()<>]+)\))?\s*<[^<>@]+@aider\.(?:chat|dev)>", "aider"),
    # aider without the trailer appends " (aider)" to the author's name for the edits it made. The committer
    # gets the suffix for a person's own /commit too, so the committer proves nothing and is not read.
    _p("aider-author", Field.AUTHOR, r"[^<>]*\(aider\)\s*<[^<>]*>", "aider"),
    # The kernel's (and LLVM's, Fedora's, ...) convention: "Assisted-by: AGENT_NAME:MODEL_VERSION [TOOLS]".
    _p("assisted-by", Field.LINE,
       r"assisted-by:\s*(?P<tool>[^:<>\s][^:<>]*?)\s*:\s*(?P<model>[^\s<>:\[\]]+)(?:\s+[^<>]*)?", None),
    # The same trailer naming only a known tool: "Assisted-by: Claude Code". "Assisted-by: Name <email>" is a
    # person and matches neither form.
    _p("assisted-by-tool", Field.LINE, r"assisted-by:\s*(?P<tool>[a-z][a-z .-]*?)\s*", None),
)

TOOL_ALIASES: dict[str, str] = {
    "claude code": "claude-code",
    "claude": "claude",
    "openai codex": "codex",
    "codex cli": "codex",
    "codex": "codex",
    "github copilot": "copilot",
    "copilot": "copilot",
    "copilot agent": "copilot",
    "cursor": "cursor",
    "cursor agent": "cursor",
    "aider": "aider",
    "gemini": "gemini",
    "gemini cli": "gemini-cli",
    "google jules": "jules",
    "amazon q": "amazon-q",
}
"""Tool names as people write them in `Assisted-by:` -> provguard's tool ids."""


@dataclass(frozen=True)
class Attribution:
    """What one commit says about the AI tool that took part in it."""

    pattern: str
    kind: Kind
    tool: str
    vendor: str | None
    model: str | None
    evidence: tuple[str, str]
    """("trailer", the message line) or ("author", "Name <email>"): what said so, verbatim."""


def attribute(author: str, message: str) -> Attribution | None:
    """The AI tool a commit names, or None for a commit that names none."""
    found: list[Attribution] = []
    for pattern in PATTERNS:
        if pattern.field is Field.AUTHOR:
            candidates = [("author", author.strip())]
        else:
            candidates = [("trailer", line.strip()) for line in message.splitlines()]
        for key, text in candidates:
            match = pattern.regex.fullmatch(text)
            attribution = _attribution(pattern, match, (key, text)) if match else None
            if attribution is not None:
                found.append(attribution)
                break
    if not found:
        return None
    return next((a for a in found if a.model), found[0])


def _attribution(pattern: Pattern, match: re.Match[str], evidence: tuple[str, str]) -> Attribution | None:
    groups = match.groupdict()
    tool = pattern.tool
    if tool is None:
        tool = _tool_id(groups.get("tool") or "")
        if tool is None or (pattern.name == "assisted-by-tool" and not _known(tool)):
            return None
    model = _model(pattern.name, (groups.get("model") or "").strip())
    return Attribution(pattern.name, pattern.kind, tool, infer_vendor(tool, model), model, evidence)


def _tool_id(written: str) -> str | None:
    name = " ".join(written.lower().split())
    if not name:
        return None
    return TOOL_ALIASES.get(name, name.replace(" ", "-"))


def _known(tool: str) -> bool:
    return tool in TOOL_VENDORS or tool in TOOL_ALIASES.values()


def _model(pattern: str, written: str) -> str | None:
    """The model id as the tools' users write it in rules: `claude-sonnet-4.5`, `gpt-5-codex`."""
    if not written or written.lower() in ("unknown-model", "unknown"):
        return None
    if pattern == "claude-code-co-author":  # "Sonnet 4.5" -> "claude-sonnet-4.5"
        return "claude-" + "-".join(written.lower().split())
    if pattern == "aider-co-author":  # "openrouter/anthropic/claude-3.5-sonnet" -> "claude-3.5-sonnet"
        return written.rsplit("/", 1)[-1]
    return written
