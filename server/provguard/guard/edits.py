"""The two shapes every agent's file tools come in: a whole file written, or strings replaced in a file.

Each agent's module maps its tool names and argument names onto these; the file's text after the call is
worked out the same way for all of them.
"""

from __future__ import annotations

from dataclasses import dataclass

from provguard.guard.project import landing
from provguard.guard.proposed import ProposedWrite, Skipped, Unapplied, proposed, read_current

Writes = list[ProposedWrite | Skipped | Unapplied]


@dataclass(frozen=True)
class Replacement:
    old: str
    new: str
    every: bool = False
    """Replace every occurrence, not only the first."""


class Unreadable(Exception):
    """A tool call whose arguments do not say what it writes; the message says which argument is missing."""


def whole_file(path: str, content: str, cwd: str | None) -> Writes:
    path = landing(path, cwd)
    current = read_current(path)
    if isinstance(current, Skipped):
        return [current]
    return [proposed(path, current.text, content)]


def replaced(path: str, replacements: list[Replacement], cwd: str | None) -> Writes:
    """The file with the replacements applied in order. An empty `old` on a missing file creates it. When one
    cannot be applied (its `old` is not in the file, or the file is missing) the tool writes nothing, but the
    agent meant the new texts for this file: they are judged on their own, with a note saying why."""
    path = landing(path, cwd)
    current = read_current(path)
    if isinstance(current, Skipped):
        return [current]
    text = current.text
    for number, step in enumerate(replacements, 1):
        problem = None
        if text is None:
            if step.old:
                problem = "the file does not exist"
            else:
                text = step.new
        elif not step.old or step.old not in text:
            problem = f"the text to replace{_which(number, replacements)} is not in the file"
        else:
            text = text.replace(step.old, step.new) if step.every else text.replace(step.old, step.new, 1)
        if problem is not None:
            return alone(path, [r.new for r in replacements], f"{problem}, so the edit cannot be applied")
    return [] if text is None else [proposed(path, current.text, text)]


def alone(path: str, texts: list[str], why: str) -> Writes:
    """New texts whose place in the file is not known, judged on their own at the file's path (so that path
    rules and forbidden additions still hold). An edit that adds no text (a pure deletion) writes nothing when
    it cannot be applied: only a note says so (`Unapplied`)."""
    new = "\n".join(t for t in texts if t)
    if not new:
        return [Unapplied(path, f"{path}: {why}; it adds no text, so there is nothing to judge")]
    return [proposed(path, None, new, f"{path}: {why}; judged the new text alone")]


def _which(number: int, replacements: list[Replacement]) -> str:
    return f" (edit {number})" if len(replacements) > 1 else ""


def string(arguments: dict[str, object], *names: str, what: str) -> str:
    """The first of `names` the arguments hold as a string (agents and versions spell them differently)."""
    for name in names:
        value = arguments.get(name)
        if isinstance(value, str):
            return value
    raise Unreadable(f"{what} without {' or '.join(names)}")


def mcp(tool: str, arguments: dict[str, object], cwd: str | None) -> Writes:
    """The MCP file-system server's `write_file {path, content}` and `edit_file {path, edits: [{oldText,
    newText}], dryRun}` (a dry run writes nothing)."""
    path = string(arguments, "path", what=f"{tool} call")
    if tool == "write_file":
        return whole_file(path, string(arguments, "content", what=f"{tool} call"), cwd)
    if arguments.get("dryRun") is True:
        return []
    items = arguments.get("edits")
    if not isinstance(items, list) or not items:
        raise Unreadable(f"{tool} call without a list of edits")
    steps = []
    for item in items:
        if not isinstance(item, dict):
            raise Unreadable(f"{tool} call with an edit that is not an object")
        steps.append(Replacement(string(item, "oldText", what=f"{tool} edit"),
                                 string(item, "newText", what=f"{tool} edit")))
    return replaced(path, steps, cwd)


def by_fields(name: str, arguments: dict[str, object], cwd: str | None) -> Writes:
    """A tool not in the table whose input names a file and new text for it: judged as a write of that text (a
    whole file against the file's text, a part on its own)."""
    from provguard.agent_tools import inserted

    out: Writes = []
    for found in inserted(dict(arguments)):
        if found.whole:
            out.extend(whole_file(found.path, found.text, cwd))
        else:
            out.extend(alone(landing(found.path, cwd), [found.text], f"{name} is not a tool provguard knows"))
    return out
