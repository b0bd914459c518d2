"""The projects a check meets: each file's project root, and per project its policy and ledger, loaded once.

A file is judged relative to the nearest project above where it lands (project_markers: a provguard.toml, a
pyproject.toml with `[tool.provguard]`, a ledger folder or a git root), else relative to the path the user gave,
so the verdict is the same from every working folder; `--root` names one root for every file instead. Nested
projects in a monorepo each use their own configuration, root and ledger.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from provguard.policy.model import Severity
from provguard.policy.policy import DEFAULT_PACK, Policy, PolicyLoad
from provguard.project_markers import nearest_project

if TYPE_CHECKING:
    from provguard.ledger.store import Ledger


@dataclass(frozen=True)
class CheckSetup:
    """What the command line says, the same for every project a run meets."""

    packs: tuple[str, ...] | None = None
    """`--pack`: instead of each project's own packs."""
    overrides: Mapping[str, Severity] = field(default_factory=dict)
    ledger: str | None = None
    """`--ledger` (a file or URL), else each project's own ledger file or $PROVGUARD_LEDGER_URL."""
    root: Path | None = None
    """`--root`: one root for every file, instead of each file's project."""
    git: bool = True
    pack_base: Path = field(default_factory=Path.cwd)
    """The folder `--pack` paths are relative to: the working folder the command was given in."""


def project_policy(start: Path, packs: tuple[str, ...] | list[str] | None, overrides: Mapping[str, Severity],
                   pack_base: Path | None = None) -> PolicyLoad:
    """Flags override the project's configuration file (found from `start` upwards), which overrides the
    defaults: the same precedence as editor settings."""
    from provguard.policy.project import load_project_policy  # not needed by a check the policy cache answers
    from provguard.settings import Settings  # cattrs: not needed either

    settings = Settings(packs=tuple(packs or (DEFAULT_PACK,)), severity=dict(overrides))
    explicit = frozenset(name for name, given in (("packs", packs), ("severity", overrides)) if given)
    return load_project_policy(start, settings, explicit=explicit, editor_base=pack_base or Path.cwd())


def outside_projects(paths: Sequence[Path]) -> Path:
    """The root of files in no project: the working folder when every path given is in it (as before any
    project existed: `check src tests` sees `tests/...`), else the folder all the paths are in."""
    real = [os.path.realpath(p) for p in paths]
    here = os.path.realpath(os.getcwd())
    if all(p == here or p.startswith(here.rstrip(os.sep) + os.sep) for p in real):
        return Path(here)
    return Path(os.path.commonpath(real))


class Roots:
    """Each folder's project root, looked up once per folder (a walk asks for every file)."""

    def __init__(self, given: Path | None = None) -> None:
        self.given = Path(os.path.realpath(given)) if given is not None else None
        self._found: dict[str, str | None] = {}

    def of(self, path: Path, fallback: Path) -> Path:
        """The root `path` (a file or folder, as walked) is judged from; `fallback` (the path the user gave)
        when no project holds it."""
        if self.given is not None:
            return self.given
        real = os.path.realpath(path)
        found = self._nearest(real if os.path.isdir(real) else os.path.dirname(real))
        if found is not None:
            return Path(found)
        base = os.path.realpath(fallback)
        return Path(base if os.path.isdir(base) else os.path.dirname(base))

    def _nearest(self, folder: str) -> str | None:
        if folder in self._found:
            return self._found[folder]
        here = nearest_project(Path(folder))
        found = str(here) if here is not None else None
        # Every folder between `folder` and what was found shares the answer: fill them in on the way.
        step = folder
        while True:
            self._found[step] = found
            parent = os.path.dirname(step)
            if step == found or parent == step:
                break
            step = parent
        return found


@dataclass
class Project:
    root: Path
    policy: Policy
    ledger_given: str | None = None
    _ledger: Ledger | str | None = None
    _opened: bool = False

    def ledger(self) -> Ledger | str | None:
        """The project's ledger, opened on first use; an error message when it cannot be read."""
        if not self._opened:
            from provguard.ledger.location import read_ledger  # not imported by a project without a ledger

            self._ledger = read_ledger(self.ledger_given, self.root)
            self._opened = True
        return self._ledger

    def close(self) -> None:
        if self._ledger is not None and not isinstance(self._ledger, str):
            self._ledger.close()
        self._ledger, self._opened = None, False


class Projects:
    """The projects one process has met, each loaded once: policies are costly (YAML, scope queries)."""

    def __init__(self, setup: CheckSetup, loaded: Mapping[Path, Policy] | None = None) -> None:
        self.setup = setup
        self._projects: dict[Path, Project] = {}
        for root, policy in (loaded or {}).items():
            self._projects[root] = Project(root, policy, setup.ledger)

    def add(self, root: Path, policy: Policy) -> Project:
        project = self._projects[root] = Project(root, policy, self.setup.ledger)
        return project

    def policies(self) -> dict[Path, Policy]:
        return {root: project.policy for root, project in self._projects.items()}

    def get(self, root: Path) -> Project:
        project = self._projects.get(root)
        if project is None:
            load = project_policy(root, self.setup.packs, self.setup.overrides, self.setup.pack_base)
            project = self._projects[root] = Project(root, load.policy, self.setup.ledger)
        return project

    def close(self) -> None:
        for project in self._projects.values():
            project.close()
