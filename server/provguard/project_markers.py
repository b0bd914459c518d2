"""What makes a folder a provguard project, and finding the one a path is in: its ledger folder, its
configuration or a git root. `check`, the guard, the recording hook and `doctor` all ask this one question, so a
file's rule path is the same whichever of them judges it and whatever the working folder."""

from __future__ import annotations

import os
from pathlib import Path

from provguard.untrusted_toml import NotToml, loads_toml

PROJECT_MARKERS = (".provguard", "provguard.toml", ".git")
PYPROJECT = "pyproject.toml"
"""A project marker only when it has a `[tool.provguard]` table (policy/project.py reads it)."""
_PYPROJECT_LIMIT = 1 << 20


def nearest_project(start: Path) -> Path | None:
    """The nearest folder at or above `start` holding a marker, or None; never raises (a marker that cannot
    be looked at counts as absent)."""
    for folder in (start, *start.parents):
        if any(os.path.lexists(folder / marker) for marker in PROJECT_MARKERS) or _configures(folder / PYPROJECT):
            return folder
    return None


def _configures(pyproject: Path) -> bool:
    """Whether a pyproject.toml has a `[tool.provguard]` table. A file that is not valid TOML counts when it
    names the table, so that the configuration's own errors are reported from its project."""
    try:
        if not pyproject.is_file() or pyproject.stat().st_size > _PYPROJECT_LIMIT:
            return False
        text = pyproject.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    if "provguard" not in text:
        return False
    data = loads_toml(text)
    if isinstance(data, NotToml):
        return True
    tool = data.get("tool")
    return isinstance(tool, dict) and "provguard" in tool
