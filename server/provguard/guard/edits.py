"""The two shapes every agent's file tools come in: a whole file written, or strings replaced in a file.

Each agent's module maps its tool names and argument names onto these; the file's text after the call is
worked out the same way for all of them.
"""

from __future__ import annotations

from dataclasses import dataclass

from provguard.guard.project import landing
from provguard.guard.proposed import ProposedWrite, Skipped, proposed, read_current

Writes = list[ProposedWrite | Skipped]


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
    """The file with the replacements applied in order; [] when one would fail (the tool then writes nothing,
    and reports the failure itself). An empty `old` on a missing file creates it."""
    path = landing(path, cwd)
    current = read_current(path)
    if isinstance(current, Skipped):
        return [current]
    text = current.text
    for step in replacements:
        if text is None:
            if step.old:
                return []
            text = step.new
        elif not step.old or step.old not in text:
            return []
        else:
            text = text.replace(step.old, step.new) if step.every else text.replace(step.old, step.new, 1)
    return [] if text is None else [proposed(path, current.text, text)]


def string(arguments: dict[str, object], *names: str, what: str) -> str:
    """The first of `names` the arguments hold as a string (agents and versions spell them differently)."""
    for name in names:
        value = arguments.get(name)
        if isinstance(value, str):
            return value
    raise Unreadable(f"{what} without {' or '.join(names)}")
