"""Codex's PreToolUse payload for `apply_patch`: the files a patch would add, change or move, with their text.

The payload is `{session_id, turn_id, transcript_path, cwd, hook_event_name: "PreToolUse", model,
permission_mode, tool_name, tool_input: {command}, tool_use_id}`; `tool_name` is "apply_patch" (or "Bash" for a
shell command, which may hold a patch in a heredoc) and `tool_input.command` the patch text; Codex Desktop
names it `functions.apply_patch` with the patch as `input` (names: provguard.agent_tools). The patch is read
by the transcript import's parser (provenance/transcripts/apply_patch.py).

An update's new text comes from applying its hunks to the file the way Codex matches them: a hunk's `@@` line
first, then its old lines from there on, exactly, then ignoring trailing, then surrounding white space. When a
hunk cannot be placed, or the file to update does not exist, the added lines are judged on their own at the
target path, so that path rules still hold, and a note on stderr says why.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from provguard.guard.project import landing
from provguard.guard.proposed import ProposedWrite, Skipped, Unapplied, proposed, read_current
from provguard.provenance.transcripts.apply_patch import Hunk, contains_patch, parse_patch

PATCH_FIELDS = ("command", "input", "patch")
"""Where a patch is: Codex's hooks send `command`, its function-call tool (`functions.apply_patch`) `input`."""


def patch_text(tool_input: dict[str, Any]) -> str | None:
    """The patch in the call's input: in a known field first, else in any string argument (Cursor's
    ApplyPatch and other hosts name the field their own way)."""
    for name in PATCH_FIELDS:
        value = tool_input.get(name)
        for part in value if isinstance(value, list) else [value]:
            if isinstance(part, str) and contains_patch(part):
                return part
    return next((v for v in tool_input.values() if isinstance(v, str) and contains_patch(v)), None)


def writes(tool_input: dict[str, Any], cwd: str | None) -> tuple[list[ProposedWrite | Skipped | Unapplied],
                                                                 list[str]]:
    """The writes of the patch in the call (none for a command without one), and notes about its problems."""
    text = patch_text(tool_input)
    if text is None:
        return [], []
    patch = parse_patch(text)
    notes = [str(problem) for problem in patch.problems]
    workdir = tool_input.get("workdir")
    base = landing(workdir, cwd) if isinstance(workdir, str) and workdir else cwd
    out: list[ProposedWrite | Skipped | Unapplied] = []
    for file in patch.files:
        if file.op == "delete":
            continue
        target = landing(file.target, base)
        if file.op == "add":
            out.append(proposed(target, None, file.added))
            continue
        source = landing(file.path, base)
        current = read_current(source)
        if isinstance(current, Skipped):
            out.append(Skipped(target, current.reason))
            continue
        new = apply_hunks(current.text, file.hunks) if current.text is not None else None
        if new is None:
            why = ("the file does not exist, so the patch cannot be applied" if current.text is None
                   else "the patch's hunks do not fit the file")
            if not file.added.strip():  # a pure deletion that cannot happen writes nothing (Unapplied)
                notes.append(f"{file.path}: {why}; it adds no lines, so there is nothing to judge")
                continue
            notes.append(f"{file.path}: {why}; judged its added lines alone")
            out.append(proposed(target, None, file.added))
        else:
            out.append(proposed(target, current.text, new, moved_from=source if source != target else None))
    return out, notes


_MATCHERS: tuple[Callable[[str], str], ...] = (lambda s: s, str.rstrip, str.strip)


def apply_hunks(text: str, hunks: tuple[Hunk, ...]) -> str | None:
    """The file's text with the hunks applied in order, or None when one does not fit."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    at = 0
    for hunk in hunks:
        if hunk.context:
            found = _find(lines, (hunk.context,), at, False)
            if found is None:
                return None
            at = found + 1
        old, new = list(hunk.old), list(hunk.new)
        if not old:
            lines[len(lines):] = new
            at = len(lines)
            continue
        found = _find(lines, tuple(old), at, hunk.end_of_file)
        if found is None and old[-1] == "":
            old, new = old[:-1], new[:-1] if new and new[-1] == "" else new
            found = _find(lines, tuple(old), at, hunk.end_of_file) if old else None
        if found is None:
            return None
        lines[found:found + len(old)] = new
        at = found + len(new)
    return "\n".join(lines) + "\n"


def _find(lines: list[str], wanted: tuple[str, ...], start: int, at_end: bool) -> int | None:
    for normal in _MATCHERS:
        goal = [normal(line) for line in wanted]
        first = len(lines) - len(wanted) if at_end else start
        for i in range(max(first, 0), len(lines) - len(wanted) + 1):
            if [normal(line) for line in lines[i:i + len(wanted)]] == goal:
                return i
    return None
