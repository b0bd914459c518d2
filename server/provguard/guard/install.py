"""Installing the guard into an agent's hooks file: the pre-tool-use guard and the post-tool-use recording
hook (`provguard hook`) together, merged into what is there.

Claude Code reads `.claude/settings.json` (project) and `~/.claude/settings.json` (user); Codex reads
`.codex/hooks.json` (project) and `~/.codex/hooks.json` (user, `$CODEX_HOME` when set). Both hold
`{"hooks": {"<Event>": [{"matcher": "<tool regex>", "hooks": [{"type": "command", "command": "...",
"timeout": <seconds>}]}]}}`. Installing adds a matcher group for each of provguard's hooks that is not there
yet and touches nothing else; uninstalling removes provguard's hook entries (found by their exact command)
and the groups, events and `hooks` object that only they filled.
"""

from __future__ import annotations

import difflib
import json
import os
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

GUARD_TIMEOUT_SECONDS = 10
"""What the agent waits at most; the guard answers within its own `--timeout` (5 s) well before."""


@dataclass(frozen=True)
class HookEntry:
    event: str
    matcher: str
    command: str
    timeout: int = GUARD_TIMEOUT_SECONDS

    @property
    def arguments(self) -> list[str]:
        """What follows the executable (`guard claude-code`): a hook running provguard from anywhere with these
        arguments is this one."""
        return self.command.split()[-2:]


@dataclass(frozen=True)
class AgentHooks:
    agent: str
    project_file: str
    """Relative to the project root."""
    user_file: str
    """Relative to the user's configuration folder (`home()`)."""
    entries: tuple[HookEntry, ...]

    def home(self) -> Path:
        if self.agent == "codex" and os.environ.get("CODEX_HOME"):
            return Path(os.environ["CODEX_HOME"])
        return Path.home()

    def file(self, scope: str, root: Path) -> Path:
        return root / self.project_file if scope == "project" else self.home() / self.user_file


def agent_hooks(agent: str, executable: str = "provguard") -> AgentHooks:
    if agent == "claude-code":
        return AgentHooks(agent, ".claude/settings.json", ".claude/settings.json", (
            HookEntry("PreToolUse", "Write|Edit|MultiEdit|NotebookEdit", f"{executable} guard claude-code"),
            HookEntry("PostToolUse", "Write|Edit|MultiEdit", f"{executable} hook claude-code")))
    if agent == "codex":
        user = ".codex/hooks.json" if not os.environ.get("CODEX_HOME") else "hooks.json"
        return AgentHooks(agent, ".codex/hooks.json", user, (
            HookEntry("PreToolUse", "apply_patch", f"{executable} guard codex"),
            HookEntry("PostToolUse", "apply_patch", f"{executable} hook codex")))
    raise ValueError(f"no hooks file known for {agent}")


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
        return "".join(difflib.unified_diff(before, after, f"{self.file} (now)", f"{self.file} (after)"))

    def apply(self) -> None:
        if not self.changed:
            return
        if self.after is None:
            self.file.unlink()
            return
        self.file.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.file.with_name(self.file.name + ".provguard-tmp")
        temporary.write_text(self.after, encoding="utf-8")
        temporary.replace(self.file)  # never a half-written settings file


def read_hooks_file(file: Path) -> tuple[str | None, dict[str, Any]] | FileError:
    """The file's text and JSON object ({} when it does not exist), or why provguard will not touch it."""
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, {}
    except (OSError, UnicodeDecodeError) as exc:
        return FileError(file, 1, 1, f"cannot read it: {getattr(exc, 'strerror', None) or exc}")
    try:
        data = json.loads(text) if text.strip() else {}
    except json.JSONDecodeError as exc:
        return FileError(file, exc.lineno, exc.colno, f"not valid JSON ({exc.msg}); fix it first")
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
    return any(_ours(hook, entry) for group in data.get("hooks", {}).get(entry.event, [])
               for hook in _hooks_of(group))


def install(hooks: AgentHooks, file: Path) -> Change | FileError:
    read = read_hooks_file(file)
    if isinstance(read, FileError):
        return read
    before, data = read
    summary: list[str] = []
    for entry in hooks.entries:
        if installed(data, entry):
            summary.append(f"{entry.event} `{entry.command}` is already installed")
            continue
        group = {"matcher": entry.matcher,
                 "hooks": [{"type": "command", "command": entry.command, "timeout": entry.timeout}]}
        data.setdefault("hooks", {}).setdefault(entry.event, []).append(group)
        summary.append(f"{entry.event} `{entry.command}` added")
    return Change(file, before, _text(data) if summary_changed(summary) else before, tuple(summary))


def uninstall(hooks: AgentHooks, file: Path) -> Change | FileError:
    read = read_hooks_file(file)
    if isinstance(read, FileError):
        return read
    before, data = read
    summary: list[str] = []
    events = data.get("hooks", {})
    for entry in hooks.entries:
        groups = events.get(entry.event)
        if not groups or not installed(data, entry):
            summary.append(f"{entry.event} `{entry.command}` was not installed")
            continue
        kept_groups = []
        for group in groups:
            kept = [hook for hook in _hooks_of(group) if not _ours(hook, entry)]
            if kept or len(kept) == len(_hooks_of(group)):
                kept_groups.append({**group, "hooks": kept} if "hooks" in group else group)
        if kept_groups:
            events[entry.event] = kept_groups
        else:
            del events[entry.event]
        summary.append(f"{entry.event} `{entry.command}` removed")
    if not summary_changed(summary):
        return Change(file, before, before, tuple(summary))
    if not events:
        del data["hooks"]
    return Change(file, before, _text(data) if data else None, tuple(summary))


def summary_changed(summary: list[str]) -> bool:
    return any(line.endswith(("added", "removed")) for line in summary)


def _hooks_of(group: dict[str, Any]) -> list[Any]:
    hooks = group.get("hooks")
    return hooks if isinstance(hooks, list) else []


def _ours(hook: Any, entry: HookEntry) -> bool:
    if not isinstance(hook, dict) or hook.get("type") != "command" or not isinstance(hook.get("command"), str):
        return False
    try:
        words = shlex.split(hook["command"])
    except ValueError:
        return False
    return words[-2:] == entry.arguments and any("provguard" in word for word in words[:-2])


def _text(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
