"""Which hooks provguard installs for each agent, and in which file: the pre-tool-use guard and the post-tool-use
recording hook (`provguard hook`); for the agent's shell tool the recording hook runs before the call too (it
snapshots the files git reports as changed, provenance/shell_writes.py), and after a failed one
(PostToolUseFailure: a failing command may have written files) for Claude Code and Copilot (its CLI 1.0.15+ sends
it in place of PostToolUse; VS Code's reader of the file skips event names it does not know). Codex has no such
event: it sends PostToolUse for a failed call. guard/install.py edits the files.

Copilot's shell pre-tool hook carries a `matcher` on the entry itself: the Copilot CLI honours one on preToolUse
since 1.0.36, and under the PascalCase `PreToolUse` reads it the Claude Code way (a `|` list of names, each matching
the runtime tool or its Claude Code name: `Bash` is `bash` and `powershell`; 1.0.62 and later); VS Code's agent mode
drops the field and runs the hook before every call, where provguard answers a non-shell call at once. Its guard and
post-tool hooks have none: they must see every tool, a file write under an unknown or MCP name included (judged,
and recorded, by its input's fields; the CLI names MCP tools `<server>-<tool>`, VS Code `mcp_<server>_<tool>`).

- Claude Code: `.claude/settings.json` (project), `~/.claude/settings.json` (user); matcher groups,
  `{"hooks": {"<Event>": [{"matcher", "hooks": [{"type": "command", "command", "timeout"}]}]}}`.
- Codex: `.codex/hooks.json`, `~/.codex/hooks.json` (`$CODEX_HOME`); the same layout.
- Cursor: `.cursor/hooks.json`, `~/.cursor/hooks.json`; hooks directly in the event's list,
  `{"version": 1, "hooks": {"preToolUse": [{"command", "matcher", "timeout"}]}}`.
- Copilot: `.github/hooks/provguard.json`, `~/.copilot/hooks/provguard.json` (`$COPILOT_HOME`);
  `{"version": 1, "hooks": {"PreToolUse": [{"type": "command", "command", "bash", "powershell", ...}]}}`.

Copilot's entry names the command three ways (`command` for VS Code, `bash` and `powershell` for the Copilot
CLI) under the VS Code compatible event name, which both read.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from provguard.agent_tools import matcher, mcp_matcher, shell_matcher

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
    hooks_only: bool = True
    """The file exists to hold hooks (not Claude Code's settings, where `hooks` is one setting of many): an
    empty `hooks` object stays in it."""

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
            HookEntry("PreToolUse", guard, _command_hook(guard), matcher(agent)),
            HookEntry("PostToolUse", hook, _command_hook(hook), matcher(agent, with_shell=True)),
            HookEntry("PreToolUse", hook, _command_hook(hook), shell_matcher(agent)),
            HookEntry("PostToolUseFailure", hook, _command_hook(hook), shell_matcher(agent))),
            hooks_only=False)
    if agent == "codex":
        codex_home = Path(os.environ["CODEX_HOME"]) if os.environ.get("CODEX_HOME") else home / ".codex"
        return AgentHooks(agent, ".codex/hooks.json", codex_home / "hooks.json", (
            HookEntry("PreToolUse", guard, _command_hook(guard), matcher(agent)),
            HookEntry("PostToolUse", hook, _command_hook(hook), matcher(agent, with_shell=True)),
            HookEntry("PreToolUse", hook, _command_hook(hook), shell_matcher(agent))))
    if agent == "cursor":
        entry = {"command": guard, "matcher": matcher(agent), "timeout": GUARD_TIMEOUT_SECONDS}
        shell = {"command": hook, "matcher": shell_matcher(agent), "timeout": GUARD_TIMEOUT_SECONDS}
        after = {**shell, "matcher": f"{shell_matcher(agent)}|{mcp_matcher(agent)}"}  # MCP writes: no afterFileEdit
        return AgentHooks(agent, ".cursor/hooks.json", home / ".cursor" / "hooks.json", (
            HookEntry("preToolUse", guard, entry),
            HookEntry("afterFileEdit", hook, {"command": hook, "timeout": GUARD_TIMEOUT_SECONDS}),
            HookEntry("afterTabFileEdit", hook, {"command": hook, "timeout": GUARD_TIMEOUT_SECONDS}),
            HookEntry("preToolUse", hook, shell), HookEntry("postToolUse", hook, after)), {"version": 1})
    if agent == "copilot":
        copilot_home = Path(os.environ["COPILOT_HOME"]) if os.environ.get("COPILOT_HOME") else home / ".copilot"
        return AgentHooks(agent, ".github/hooks/provguard.json", copilot_home / "hooks" / "provguard.json", (
            HookEntry("PreToolUse", guard, _copilot_hook(guard)),
            HookEntry("PostToolUse", hook, _copilot_hook(hook)),
            HookEntry("PreToolUse", hook, {"matcher": shell_matcher(agent), **_copilot_hook(hook)}),
            HookEntry("PostToolUseFailure", hook, _copilot_hook(hook))), {"version": 1})
    raise ValueError(f"no hooks file known for {agent}")
