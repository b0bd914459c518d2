"""One project as the editor judges it: a project root (found as `provguard check` finds it), the settings of
the workspace folder it was opened from, and the packs and ledger those give.

A session (session.py) holds one per (workspace folder, project root) it has met: in a monorepo each nested
`provguard.toml` is a project of its own, and two workspace folders keep their own settings, packs and ledger
even when they share a root.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from provguard.identity import current_person
from provguard.ledger.location import is_url, open_ledger
from provguard.ledger.sqlite import MEMORY, SqliteLedger
from provguard.ledger.store import Ledger
from provguard.policy.errors import SourceError
from provguard.policy.policy import Policy
from provguard.policy.project import CONFIG_FILES, ProjectPolicyLoad, find_project_config, load_project_policy
from provguard.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PolicyUpdate:
    """The outcome of (re)loading packs: errors mean the previous policy stayed in force."""

    errors: tuple[SourceError, ...]
    kept_previous: bool
    rules_active: bool = True
    """Whether pack rules are in force after it (the previous ones, when kept)."""


def merged(updates: list[PolicyUpdate]) -> PolicyUpdate:
    """Several projects' reloads as one outcome to tell a person about."""
    errors = tuple(e for u in updates for e in u.errors)
    failed = [u for u in updates if u.errors]
    return PolicyUpdate(errors, any(u.kept_previous for u in failed), all(u.rules_active for u in failed))



def log_notice(notice: str | PolicyUpdate) -> None:
    """Where a session's notices go when no editor shows them to a person."""
    log.warning("%s", notice if isinstance(notice, str) else "; ".join(map(str, notice.errors)))

@dataclass(eq=False)
class EditorProject:
    root: Path
    """Rule paths are relative to it: the nearest project marker above the document (project_markers)."""
    folder: Path | None
    """The workspace folder whose settings apply (its paths in settings are relative to it); None for a
    document outside every folder."""
    settings: Settings = field(default_factory=Settings)
    explicit: frozenset[str] = frozenset()
    """The settings the editor gave: they override the project's configuration file."""
    policy: Policy = field(default_factory=Policy)
    config: Path | None = None
    ledger: Ledger = field(default_factory=lambda: SqliteLedger(MEMORY))
    _ledger_setting: tuple[str | None, bool] | None = None
    _reviewer: str | None = None

    @property
    def base(self) -> Path:
        """The folder the editor's pack and ledger paths are relative to."""
        return self.folder or self.root

    @property
    def ledger_outdated(self) -> bool:
        return self._ledger_setting != (self.settings.ledger, self.settings.store_text)

    @property
    def reviewer(self) -> str | None:
        if self.settings.reviewer:
            return self.settings.reviewer
        if self._reviewer is None:
            self._reviewer = current_person(self.root) or ""
        return self._reviewer or None

    def open_ledger(self) -> str | None:
        """(Re)opens the ledger the settings name; returns a warning when it fell back to memory. A project met
        outside every workspace folder gets its ledger file only when it already has one: opening a stray file
        must not make its folder a project."""
        self.ledger.close()
        setting = self.settings.ledger
        if setting and setting != MEMORY and not is_url(setting) and not Path(setting).expanduser().is_absolute():
            setting = str(self.base / setting)  # relative to the workspace folder, as the setting says
        if self.folder is None and setting is None and not (self.root / ".provguard").is_dir():
            setting = MEMORY
        opened = open_ledger(self.root, setting, store_text=self.settings.store_text)
        self.ledger, self._ledger_setting = opened.ledger, (self.settings.ledger, self.settings.store_text)
        return opened.warning

    def reload_policy(self) -> PolicyUpdate:
        """Loads the selected packs; on any error the last good policy stays in force."""
        loaded = self._load_policy()
        self.config = loaded.config.file if loaded.config else None
        if loaded.errors:
            log.warning("rule packs of %s not reloaded: %s", self.root, "; ".join(map(str, loaded.errors)))
            return PolicyUpdate(loaded.errors, kept_previous=True, rules_active=bool(self.policy.packs))
        self.policy = loaded.policy
        return PolicyUpdate((), kept_previous=False, rules_active=bool(self.policy.packs))

    def _load_policy(self) -> ProjectPolicyLoad:
        """The project's own packs, when the editor chose neither packs nor severities, from the policy cache the
        guard and `check` keep (valid while no pack or configuration file changed): a session then starts without
        reading YAML (~100-200 ms), and a session the daemon forks (daemon/fork.py) too."""
        from provguard.guard import policy_cache

        own = not {"packs", "severity"} & self.explicit
        if own and (cached := policy_cache.load(self.root)) is not None:
            return ProjectPolicyLoad(cached, (), find_project_config(self.root))
        loaded = load_project_policy(self.root, self.settings, explicit=self.explicit, editor_base=self.base)
        if own and not loaded.errors:
            policy_cache.save(self.root, loaded.policy)
        return loaded

    def is_pack_file(self, resolved: Path) -> bool:
        """Whether a change to `resolved` (a resolved path) may change this project's policy."""
        if resolved.name in CONFIG_FILES:  # a config file may appear, vanish or change
            return True
        return any(Path(p).resolve() == resolved for p in self.policy.pack_files) or any(
            (self.base / p).resolve() == resolved for p in self.settings.packs if p.endswith((".yaml", ".yml")))

    def close(self) -> None:
        self.ledger.close()


def local_folder(path: str | Path | None) -> Path | None:
    """The absolute local folder a workspace folder's uri gives as `path`, normalised; None when it names none:
    a uri of another scheme (only `file:` folders are judged), a relative path (it would be read from the
    server's own working folder) or one holding a NUL (no system call takes it)."""
    text = os.fspath(path) if path else ""
    if not text or "\0" in text or not os.path.isabs(text):
        return None
    return Path(os.path.normpath(text))


def innermost_first(roots: list[Path]) -> list[Path]:
    """Workspace folders in the order a document's folder is looked for: the innermost holding it wins."""
    return sorted(dict.fromkeys(roots), key=lambda p: len(p.parts), reverse=True)


def within(real: str, folder: str) -> bool:
    """Whether the real path `real` is the real folder `folder` or below it."""
    return real == folder or real.startswith(folder.rstrip(os.sep) + os.sep)
