"""What makes a folder a provguard project, and finding the one a path is in: its ledger folder, its
configuration or a git root. The guard, the recording hook and `doctor` all ask this one question."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_MARKERS = (".provguard", "provguard.toml", ".git")


def nearest_project(start: Path) -> Path | None:
    """The nearest folder at or above `start` holding a marker, or None; never raises (a marker that cannot
    be looked at counts as absent)."""
    for folder in (start, *start.parents):
        if any(os.path.lexists(folder / marker) for marker in PROJECT_MARKERS):
            return folder
    return None
