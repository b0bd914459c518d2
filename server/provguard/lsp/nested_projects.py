"""The first pass of a workspace scan over a folder in no project (lsp/workspace_diagnostics.py): one root, the
folder, for its own files; each project nested in it (a checkout's `.git`, a `provguard.toml`) is left out of
the walk at its top and kept, to be checked in a second pass under its own root and configuration, as
`provguard check` and open documents judge it."""

from __future__ import annotations

import os
import re
from pathlib import Path

from provguard.ignores import Patterns, ProjectExcludes
from provguard.projects import Roots


class NestedAside(ProjectExcludes):
    """The selection of the pass over a folder in no project: one root (the folder) for every file, except
    that a folder in a project of its own is left out, and kept in `nested`, for that project's own pass."""

    def __init__(self, folder: Path) -> None:
        self.real = os.path.realpath(folder)
        nearest = Roots()
        super().__init__(lambda path: str(nearest.of(Path(path), Path(self.real))), None, ())
        self.nested: set[str] = set()

    def of(self, folder: str) -> tuple[str, tuple[Patterns, ...]]:
        root, patterns = super().of(folder)
        if root == self.real:
            return root, patterns
        self.nested.add(root)  # asked only for the project's top: the walk never enters it
        return root, (Patterns((_literal(os.path.basename(root)) + "/",), Path(os.path.dirname(root))),)


def _literal(name: str) -> str:
    """A file name as a gitignore pattern that matches that name only."""
    escaped = re.sub(r"([\\\[\]*?])", r"\\\1", name)
    return "\\" + escaped if escaped.startswith(("!", "#")) else escaped
