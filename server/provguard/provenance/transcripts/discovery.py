"""Where the agents keep their records by default, and which of those files belong to a project.

Claude Code: `$CLAUDE_CONFIG_DIR/projects`, else `~/.claude/projects`; one folder per working directory,
named by the directory with every character other than a letter or digit replaced by "-", a session's subagents
in `<session>/subagents/agent-<id>.jsonl` beside its file. Codex:
`$CODEX_HOME/sessions`, else `~/.codex/sessions`, by date, whatever the project.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

_NOT_ALNUM = re.compile(r"[^A-Za-z0-9]")


def claude_projects(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    base = env.get("CLAUDE_CONFIG_DIR")
    return (Path(base).expanduser() if base else Path.home() / ".claude") / "projects"


def codex_sessions(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    base = env.get("CODEX_HOME")
    return (Path(base).expanduser() if base else Path.home() / ".codex") / "sessions"


def claude_folder_name(cwd: str) -> str:
    """The folder Claude Code keeps a working directory's sessions in."""
    return _NOT_ALNUM.sub("-", cwd)


def claude_project_folders(projects: Path, roots: Sequence[str]) -> list[Path]:
    """Session folders for a project: its own and its subfolders' (by name; a neighbour whose name merely
    starts the same, /a/app-old for /a/app, is also listed, and its lines are filtered by their cwd)."""
    names = {claude_folder_name(root.rstrip("/\\")) for root in roots}
    try:
        folders = sorted(p for p in projects.iterdir() if p.is_dir())
    except OSError:
        return []
    return [f for f in folders if any(f.name == n or f.name.startswith(n + "-") for n in names)]


def claude_subagent_folders(paths: Sequence[Path]) -> list[Path]:
    """The subagents' folders of the session files among `paths`: importing a session imports its subagents."""
    return [folder for path in paths if path.suffix == ".jsonl" and path.is_file()
            and (folder := path.with_suffix("") / "subagents").is_dir()]


def jsonl_files(paths: Sequence[Path]) -> Iterator[Path]:
    """Every `.jsonl` file under the given files and folders, sorted, each once."""
    seen: set[Path] = set()
    for path in paths:
        found = [path] if path.is_file() else sorted(path.rglob("*.jsonl")) if path.is_dir() else []
        for file in found:
            if file not in seen and file.is_file():
                seen.add(file)
                yield file
