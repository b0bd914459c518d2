"""Installing the guard into an agent's hooks file: the pre-tool-use guard, with the post-tool-use recording
hook (`provguard hook`) for the agents it records, merged into what is there.

- Claude Code: `.claude/settings.json` (project), `~/.claude/settings.json` (user); matcher groups,
  `{"hooks": {"<Event>": [{"matcher", "hooks": [{"type": "command", "command", "timeout"}]}]}}`.
- Codex: `.codex/hooks.json`, `~/.codex/hooks.json` (`$CODEX_HOME`); the same layout.
- Cursor: `.cursor/hooks.json`, `~/.cursor/hooks.json`; hooks directly in the event's list,
  `{"version": 1, "hooks": {"preToolUse": [{"command", "matcher", "timeout"}]}}`.
- Copilot: `.github/hooks/provguard.json`, `~/.copilot/hooks/provguard.json` (`$COPILOT_HOME`);
  `{"version": 1, "hooks": {"PreToolUse": [{"type": "command", "command", "bash", "powershell", ...}]}}`.

Copilot's entry names the command three ways (`command` for VS Code, `bash` and `powershell` for the Copilot
CLI) under the VS Code compatible event name, which both read. Installing adds each of provguard's hooks that
is not there yet and touches nothing else; uninstalling removes provguard's hook entries (found by their
command) and the groups, events and `hooks` object that only they filled.
"""

from __future__ import annotations

import difflib
import json
import os
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

GUARD_TIMEOUT_SECONDS = 10
"""What the agent waits at most; the guard answers within its own `--timeout` (5 s) well before."""


@dataclass(frozen=True)
class HookEntry:
    event: str
    command: str
    hook: dict[str, Any]
    """The JSON of the hook itself: inside a matcher group (`matcher` set) or directly in the event's list."""
    matcher: str | None = None

    @property
    def arguments(self) -> list[str]:
        """What follows the executable (`guard claude-code`): a hook running provguard from anywhere with these
        arguments is this one."""
        return self.command.split()[-2:]

    def new_item(self) -> dict[str, Any]:
        return {"matcher": self.matcher, "hooks": [self.hook]} if self.matcher is not None else self.hook


@dataclass(frozen=True)
class AgentHooks:
    agent: str
    project_file: str
    """Relative to the project root."""
    user_file: Path
    entries: tuple[HookEntry, ...]
    skeleton: dict[str, Any] = field(default_factory=dict)
    """What a new hooks file starts with besides `hooks`."""

    def file(self, scope: str, root: Path) -> Path:
        return root / self.project_file if scope == "project" else self.user_file

    @property
    def guard(self) -> HookEntry:
        return self.entries[0]

    @property
    def recording(self) -> HookEntry | None:
        return self.entries[1] if len(self.entries) > 1 else None


def _command_hook(command: str) -> dict[str, Any]:
    return {"type": "command", "command": command, "timeout": GUARD_TIMEOUT_SECONDS}


def _copilot_hook(command: str) -> dict[str, Any]:
    """`command` for VS Code, `bash` and `powershell` for the Copilot CLI."""
    return {"type": "command", "command": command, "bash": command, "powershell": command,
            "timeout": GUARD_TIMEOUT_SECONDS, "timeoutSec": GUARD_TIMEOUT_SECONDS}


def agent_hooks(agent: str, executable: str = "provguard") -> AgentHooks:
    guard, hook = f"{executable} guard {agent}", f"{executable} hook {agent}"
    home = Path.home()
    if agent == "claude-code":
        return AgentHooks(agent, ".claude/settings.json", home / ".claude" / "settings.json", (
            HookEntry("PreToolUse", guard, _command_hook(guard), "Write|Edit|MultiEdit|NotebookEdit"),
            HookEntry("PostToolUse", hook, _command_hook(hook), "Write|Edit|MultiEdit")))
    if agent == "codex":
        codex_home = Path(os.environ["CODEX_HOME"]) if os.environ.get("CODEX_HOME") else home / ".codex"
        return AgentHooks(agent, ".codex/hooks.json", codex_home / "hooks.json", (
            HookEntry("PreToolUse", guard, _command_hook(guard), "apply_patch"),
            HookEntry("PostToolUse", hook, _command_hook(hook), "apply_patch")))
    if agent == "cursor":
        entry = {"command": guard, "matcher": "Write|StrReplace|Edit|MultiEdit", "timeout": GUARD_TIMEOUT_SECONDS}
        return AgentHooks(agent, ".cursor/hooks.json", home / ".cursor" / "hooks.json", (
            HookEntry("preToolUse", guard, entry),
            HookEntry("afterFileEdit", hook, {"command": hook, "timeout": GUARD_TIMEOUT_SECONDS})), {"version": 1})
    if agent == "copilot":
        copilot_home = Path(os.environ["COPILOT_HOME"]) if os.environ.get("COPILOT_HOME") else home / ".copilot"
        return AgentHooks(agent, ".github/hooks/provguard.json", copilot_home / "hooks" / "provguard.json", (
            HookEntry("PreToolUse", guard, _copilot_hook(guard)),
            HookEntry("PostToolUse", hook, _copilot_hook(hook))), {"version": 1})
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
    return any(_ours(hook, entry) for item in data.get("hooks", {}).get(entry.event, [])
               for hook in _hooks_of(item, entry))


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
        if before is None and not data:
            data.update(hooks.skeleton)
        data.setdefault("hooks", {}).setdefault(entry.event, []).append(entry.new_item())
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
            if entry.matcher is None:  # hooks directly in the event's list
                if not _ours(group, entry):
                    kept_groups.append(group)
                continue
            kept = [hook for hook in _hooks_of(group, entry) if not _ours(hook, entry)]
            if kept or len(kept) == len(_hooks_of(group, entry)):
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
    if data == hooks.skeleton:
        data = {}  # only what provguard put in a new file is left
    return Change(file, before, _text(data) if data else None, tuple(summary))


def summary_changed(summary: list[str]) -> bool:
    return any(line.endswith(("added", "removed")) for line in summary)


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


def _text(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
