"""What a hook's `matcher` reaches: enough to tell, on install, whether a person's own matcher for provguard's hook
reaches every tool provguard's does.

The agents read a matcher alike in the main: empty or `*` is every tool; a `|` list of plain names is those names;
anything else is a regular expression, searched for in the tool's name by Claude Code (and Cursor: its `MCP:*` fires
for `MCP:browser_navigate`), matched against the whole name by the Copilot CLI (`^(?:PATTERN)$`). Read here the
strict way (whole names; a `,` separates nothing), so a matcher said to reach a tool reaches it under each agent.
provguard's own matchers are `|` lists of names and of patterns with one group of names (`mcp__.*__(a|b)`), whose
tools are spelled out here to test against.
"""

from __future__ import annotations

import re

_NAMES_ONLY = re.compile(r"[A-Za-z0-9_\- ,|]*")
_SAMPLE_SERVER = "filesystem"
"""The server name a pattern's `.*` stands for when provguard's MCP matchers are spelled out."""


def alternatives(matcher: str) -> list[str]:
    """The matcher's `|`-separated parts at the top level (a group's `|` is inside its part)."""
    parts, depth, start = [], 0, 0
    for index, char in enumerate(matcher):
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(depth - 1, 0)
        elif char == "|" and depth == 0:
            parts.append(matcher[start:index])
            start = index + 1
    parts.append(matcher[start:])
    return [part.strip() for part in parts if part.strip()]


def reaches(matcher: str, tool: str) -> bool:
    """Whether an agent runs a hook with this matcher for the tool; an invalid pattern reaches none."""
    matcher = matcher.strip()
    if matcher in ("", "*"):
        return True
    if _NAMES_ONLY.fullmatch(matcher):
        return tool in {name.strip() for name in matcher.split("|")}
    try:
        return re.fullmatch(matcher, tool) is not None
    except re.error:
        return False


def tools(matcher: str) -> list[str]:
    """The tool names one of provguard's matchers names, its patterns spelled out (`mcp__.*__(write_file|
    edit_file)`: `mcp__filesystem__write_file`, `mcp__filesystem__edit_file`)."""
    found: list[str] = []
    for part in alternatives(matcher):
        group = re.search(r"\(([^()]*)\)", part)
        names = group.group(1).split("|") if group else [""]
        for name in names:
            spelled = part[:group.start()] + name + part[group.end():] if group else part
            found.append(spelled.replace(".*", _SAMPLE_SERVER))
    return found


def missed(matcher: str, wanted: str) -> tuple[str, ...]:
    """The tools `wanted` (one of provguard's matchers) reaches and `matcher` does not."""
    return tuple(tool for tool in tools(wanted) if not reaches(matcher, tool))
