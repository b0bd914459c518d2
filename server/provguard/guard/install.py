"""Installing the guard into an agent's hooks file (which hooks and which file: guard/agent_hooks.py), merged
into what is there.

Installing adds each of provguard's hooks that is not there yet at the end of its event's list (the event, or
`hooks`, is added at the end of its object when missing) and touches nothing else: the file's text is edited
in place, what is added written in the file's own style (indentation by spaces or tabs, or all on one line;
separators; line endings), so a dry run's diff shows only the added lines. A missing file is created as the
agent's skeleton, two-space indented. A provguard hook already there under another matcher gets today's when
that matcher is none or an earlier provguard's (some of today's names); one of the person's own is kept, and the
summary says whether it reaches every tool provguard's does (guard/matchers.py) or which it misses.

Uninstalling removes provguard's hooks (found by their command), and a matcher group they were all of. Whether
the containers this leaves empty (an event's list, the `hooks` object, the file) go too is decided from the
file alone, since uninstall runs long after install: the file is restored to the one of these that installing
into gives back exactly the current text: no file; no empty event lists and, in Claude Code's settings, no
empty `hooks`; no empty event lists; every container kept. So containers that were there before install,
empty or not, stay, and install then uninstall gives back the same bytes. Where two candidates would do (an
empty container that was the last of its object before install; a file byte for byte what provguard writes
from nothing), the one with less in it wins: provguard most likely made it. In a hooks file that exists for
its hooks (Codex, Cursor, Copilot) an empty `hooks` object stays unless the whole file goes. A file edited
since install loses the containers provguard's removal left empty, and is removed when no more than the
agent's skeleton is left in it.
"""

from __future__ import annotations

import difflib
import itertools
import json
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from provguard.guard import json_text, matchers
from provguard.guard.agent_hooks import AgentHooks, HookEntry, agent_hooks


@dataclass(frozen=True)
class FileError:
    """A hooks file provguard will not rewrite, and where it is wrong."""

    file: Path
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}"


@dataclass(frozen=True)
class Change:
    file: Path
    before: str | None
    """The file's text, None when it does not exist."""
    after: str | None
    """None: the file is to be removed (provguard created it and only its hooks were in it)."""
    summary: tuple[str, ...]
    """One line per hook added or removed, or saying it was already so."""

    @property
    def changed(self) -> bool:
        return self.before != self.after

    def diff(self) -> str:
        before = (self.before or "").splitlines(keepends=True)
        after = (self.after or "").splitlines(keepends=True)
        lines = difflib.unified_diff(before, after, f"{self.file} (now)", f"{self.file} (after)")
        return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)

    def apply(self) -> None:
        if not self.changed:
            return
        if self.after is None:
            self.file.unlink()
            return
        self.file.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.file.with_name(self.file.name + ".provguard-tmp")
        temporary.write_bytes(self.after.encode("utf-8"))  # line endings as they are
        temporary.replace(self.file)  # never a half-written settings file


def read_hooks_file(file: Path) -> tuple[str | None, dict[str, Any]] | FileError:
    """The file's text and JSON object ({} when it does not exist), or why provguard will not touch it."""
    try:
        text = file.read_bytes().decode("utf-8")  # not read_text: it would turn CRLF line endings into LF
    except FileNotFoundError:
        return None, {}
    except (OSError, UnicodeDecodeError) as exc:
        return FileError(file, 1, 1, f"cannot read it: {getattr(exc, 'strerror', None) or exc}")
    try:
        data = json.loads(text) if text.strip() else {}
        if text.strip():
            json_text.parse(text)  # what install and uninstall edit the text with: within its limits too
    except json.JSONDecodeError as exc:
        return FileError(file, exc.lineno, exc.colno, f"not valid JSON ({exc.msg}); fix it first")
    except RecursionError:
        return FileError(file, 1, 1, "nested too deeply to edit")
    if not isinstance(data, dict):
        return FileError(file, 1, 1, "not a JSON object")
    hooks = data.get("hooks", {})
    if not isinstance(hooks, dict):
        return FileError(file, 1, 1, "'hooks' is not an object")
    for event, groups in hooks.items():
        if not isinstance(groups, list) or not all(isinstance(g, dict) for g in groups):
            return FileError(file, 1, 1, f"'hooks.{event}' is not a list of matcher groups")
    return text, data


def installed(data: dict[str, Any], entry: HookEntry) -> bool:
    return any(_ours(hook, entry) for item in data.get("hooks", {}).get(entry.event, [])
               for hook in _hooks_of(item, entry))


def install(hooks: AgentHooks, file: Path) -> Change | FileError:
    read = read_hooks_file(file)
    if isinstance(read, FileError):
        return read
    before, _ = read
    after, summary = _installed(hooks, before)
    return Change(file, before, after, tuple(summary))


@dataclass(frozen=True)
class OwnMatcher:
    """provguard's hook under a matcher of the person's own, left as it is on install."""

    matcher: str
    wanted: str
    """provguard's matcher for the hook."""
    missed: tuple[str, ...]
    """Tools provguard's matcher reaches and this one does not: none when it reaches them all."""

    def __str__(self) -> str:
        if not self.missed:
            return f"is already installed (its own matcher {self.matcher} reaches every tool provguard's does)"
        return (f"left as it is: its own matcher {self.matcher} does not reach {', '.join(self.missed)} "
                f"(provguard's is {self.wanted})")


def _installed(hooks: AgentHooks, before: str | None) -> tuple[str, list[str]]:
    """The file's text with each of provguard's hooks that is not there yet added at the end of its event's
    list, in the file's style; a new file is the agent's skeleton in the default style."""
    text = before if before is not None and before.strip() else _fresh(hooks)
    style = json_text.style_of(text) if before is not None and before.strip() else json_text.DEFAULT_STYLE
    summary: list[str] = []
    for entry in hooks.entries:
        placed = _placed(json.loads(text), entry)
        if isinstance(placed, OwnMatcher):  # a person's own choice of tools for provguard's hook: theirs to make
            summary.append(f"{entry.event} `{entry.command}` {placed}")
            continue
        if placed is not None:  # an earlier provguard's hook for this entry: replaced by today's
            groups = json_text.member(_events(text), entry.event)
            assert groups is not None
            text = json_text.remove(text, groups.value, placed)
        elif installed(json.loads(text), entry):
            summary.append(f"{entry.event} `{entry.command}` is already installed")
            continue
        root = json_text.parse(text)
        events = json_text.member(root, "hooks")
        if events is None:
            text = json_text.append(text, root, {entry.event: [entry.new_item()]}, style, "hooks")
        elif (groups := json_text.member(events.value, entry.event)) is None:
            text = json_text.append(text, events.value, [entry.new_item()], style, entry.event)
        else:
            text = json_text.append(text, groups.value, entry.new_item(), style)
        summary.append(f"{entry.event} `{entry.command}` " + (f"matcher updated to {_wanted(entry)}" if placed
                                                               is not None else "added"))
    return (text if summary_changed(summary) else before or ""), summary


def _wanted(entry: HookEntry) -> str | None:
    """The matcher provguard gives the entry: its group's, or (Cursor, Copilot) the hook's own."""
    wanted = entry.matcher if entry.matcher is not None else entry.hook.get("matcher")
    return wanted if isinstance(wanted, str) else None


def _placed(data: dict[str, Any], entry: HookEntry) -> int | OwnMatcher | None:
    """Where provguard's hook for the entry is, when it is there under another matcher: the index (in the event's
    list) of the item to replace with today's, or the person's own matcher to leave; None when it is not there,
    or there with today's matcher.

    The item is a matcher group holding only this provguard hook, or, for a hook written directly in the event's
    list with its own `matcher` (Cursor's, Copilot's shell pre hook), the hook. A group shared with other tools'
    hooks is left as it is. An item with no matcher, or one naming only some of today's tools, is an earlier
    provguard's (before the tool list grew) or the README's advice of old: it gets today's. A matcher of the
    person's own (one that names another tool or pattern) is kept: it may reach more than provguard's."""
    wanted = _wanted(entry)
    items = data.get("hooks", {}).get(entry.event, []) if isinstance(data.get("hooks"), dict) else []
    if wanted is None or not isinstance(items, list):
        return None
    ours = [index for index, item in enumerate(items) if _only_ours(item, entry)]
    if not ours or any(items[index].get("matcher") == wanted for index in ours):
        return None
    theirs = items[ours[-1]].get("matcher")
    if not isinstance(theirs, str) or set(matchers.alternatives(theirs)) <= set(matchers.alternatives(wanted)):
        return ours[-1]
    return OwnMatcher(theirs, wanted, matchers.missed(theirs, wanted))


def _only_ours(item: Any, entry: HookEntry) -> bool:
    """The item is provguard's hook for the entry, or a matcher group holding nothing else."""
    if not isinstance(item, dict):
        return False
    hooks = _hooks_of(item, entry)
    return bool(hooks) and all(_ours(hook, entry) for hook in hooks)


def _fresh(hooks: AgentHooks) -> str:
    return json.dumps(hooks.skeleton, indent=json_text.DEFAULT_STYLE.indent) + "\n"


def uninstall(hooks: AgentHooks, file: Path) -> Change | FileError:
    read = read_hooks_file(file)
    if isinstance(read, FileError):
        return read
    before, _ = read
    if before is None or not before.strip():
        return Change(file, before, before, tuple(f"{entry.event} `{entry.command}` was not installed"
                                                  for entry in hooks.entries))
    without, emptied, summary = _without_ours(hooks, before)
    if not summary_changed(summary):
        return Change(file, before, before, tuple(summary))
    as_installed = agent_hooks(hooks.agent, _executable(hooks, json.loads(before)) or "provguard")
    return Change(file, before, _restored(as_installed, before, without, emptied), tuple(summary))


def _executable(hooks: AgentHooks, data: dict[str, Any]) -> str | None:
    """The command that provguard's hooks in the file run (`--executable` at install, whatever uninstall is
    given): what installing into a candidate must write to give back the file."""
    for entry in hooks.entries:
        for item in data.get("hooks", {}).get(entry.event, []):
            for hook in _hooks_of(item, entry):
                command = hook.get("command", hook.get("bash")) if isinstance(hook, dict) else None
                suffix = " " + " ".join(entry.arguments)
                if _ours(hook, entry) and isinstance(command, str) and command.endswith(suffix):
                    return command[:-len(suffix)]
    return None


def _without_ours(hooks: AgentHooks, text: str) -> tuple[str, list[str], list[str]]:
    """The text without provguard's hooks (a matcher group goes with them when they were all it held), the
    events whose lists that left empty, and the summary."""
    emptied: list[str] = []
    summary: list[str] = []
    for entry in hooks.entries:
        if not installed(json.loads(text), entry):
            summary.append(f"{entry.event} `{entry.command}` was not installed")
            continue
        while (found := _next_of_ours(text, entry)) is not None:
            text = json_text.remove(text, *found)
        groups = json_text.member(_events(text), entry.event)
        if groups is not None and not groups.value.children:
            emptied.append(entry.event)
        summary.append(f"{entry.event} `{entry.command}` removed")
    return text, emptied, summary


def _next_of_ours(text: str, entry: HookEntry) -> tuple[json_text.Node, int] | None:
    """The container and index of the next of provguard's items to remove: a hook, or its whole matcher group
    when it holds only provguard's hooks."""
    groups = json_text.member(_events(text), entry.event)
    if groups is None:
        return None
    data = json.loads(text)["hooks"][entry.event]
    for index, (item, node) in enumerate(zip(data, groups.value.children, strict=True)):
        if entry.matcher is None:
            if _ours(item, entry):
                return groups.value, index
            continue
        hooks_of = _hooks_of(item, entry)
        ours = [_ours(hook, entry) for hook in hooks_of]
        if ours and all(ours):
            return groups.value, index
        if any(ours):
            hooks_member = json_text.member(node.value, "hooks")
            assert hooks_member is not None
            return hooks_member.value, ours.index(True)
    return None


def _events(text: str) -> json_text.Node:
    events = json_text.member(json_text.parse(text), "hooks")
    return events.value if events is not None else json_text.Node(0, 0)


def _restored(hooks: AgentHooks, current: str, without: str, emptied: list[str]) -> str | None:
    """The file as it was before install: the candidate (no file, or the text without provguard's hooks with
    or without each container that became empty) that installing into gives back the current text exactly.
    Where two would, the one with less in it wins (provguard most likely made those containers); where none
    would (the file was edited since), the containers that became empty go, and so does a file left holding
    no more than the agent's skeleton."""
    candidates: list[str | None] = [None]
    for size in range(len(emptied), -1, -1):
        for dropped in itertools.combinations(emptied, size):
            text = without
            for event in dropped:
                events = _events(text)
                text = json_text.remove(text, events, [child.key for child in events.children].index(event))
            if size == len(emptied) and emptied and not hooks.hooks_only:
                root = json_text.parse(text)
                events_member = json_text.member(root, "hooks")
                if events_member is not None and not events_member.value.children:
                    candidates.append(json_text.remove(text, root, root.children.index(events_member)))
            candidates.append(text)
    for candidate in candidates:
        if _installed(hooks, candidate)[0] == current:
            return candidate
    fallback = candidates[1]
    assert fallback is not None
    left = json.loads(fallback)
    return None if left in (hooks.skeleton, {**hooks.skeleton, "hooks": {}}) else fallback


def summary_changed(summary: list[str]) -> bool:
    return any(line.endswith(("added", "removed")) or " matcher updated to " in line for line in summary)


def _hooks_of(item: dict[str, Any], entry: HookEntry) -> list[Any]:
    """The hooks of an item of an event's list: a matcher group's `hooks`, or the item itself."""
    if entry.matcher is None:
        return [item]
    hooks = item.get("hooks")
    return hooks if isinstance(hooks, list) else []


def _ours(hook: Any, entry: HookEntry) -> bool:
    if not isinstance(hook, dict) or hook.get("type", "command") != "command":
        return False
    command = hook.get("command", hook.get("bash"))
    if not isinstance(command, str):
        return False
    try:
        words = shlex.split(command)
    except ValueError:
        return False
    return words[-2:] == entry.arguments and any("provguard" in word for word in words[:-2])
