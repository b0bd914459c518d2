"""One project as the editor judges it: a project root (found as `provguard check` finds it), the settings of
the workspace folder it was opened from, and the packs and ledger those give.

A session (session.py) holds one per (workspace folder, project root) it has met: in a monorepo each nested
`provguard.toml` is a project of its own, and two workspace folders keep their own settings, packs and ledger
even when they share a root.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from provguard.identity import current_person
from provguard.ledger.deferred import DeferredLedger, MemoryTold
from provguard.ledger.location import LEDGER_DIR, default_location, is_url, ledger_url, open_ledger, unplaced
from provguard.ledger.spans import restore, track_restored
from provguard.ledger.sqlite import MEMORY, SqliteLedger
from provguard.ledger.store import Ledger, LedgerError
from provguard.policy.errors import SourceError
from provguard.policy.policy import Policy
from provguard.policy.project import CONFIG_FILES, ProjectPolicyLoad, find_project_config, load_project_policy
from provguard.project_markers import nearest_project
from provguard.settings import Settings

if TYPE_CHECKING:
    from provguard.open_document import OpenDocument

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
    _told_unplaced: bool = False
    provisional: bool = False
    """The ledger was opened before the workspace folder's settings were known (`open_ledger(provisional=True)`)."""
    waiting: bool = False
    """It is memory standing in, provisionally, for a ledger not opened yet."""

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

    def open_ledger(self, on_warning: Callable[[str], None] | None = None, provisional: bool = False) -> str | None:
        """(Re)opens the ledger the settings name; returns a warning when it fell back to memory. Records kept in
        memory meanwhile (the settings were not known yet, or the ledger had failed) go to the ledger opened.

        With no `ledger` setting (nor PROVGUARD_LEDGER_URL) the default file is made only in a project: a project
        met outside every workspace folder keeps memory unless it has a `.provguard/` (opening a stray file must
        not make its folder a project); a folder that is no project gets its file at its first record
        (ledger/deferred.py; a failure then goes to `on_warning`); the file system's root, the home folder and
        those above it never do (ledger/location.py's `unplaced`): memory, and at the first record (not for reading
        files there) the person is told, once, how to choose a ledger.

        `provisional`: the workspace folder's own settings have not come yet. The ledger the settings in force
        choose is opened when it is a file that exists, as it will be once they come (they seldom choose another:
        documents are judged with their recorded spans from the start); anything else waits in memory, unsaid,
        and is opened once the folder's settings are known (`waiting`).
        """
        previous = self.ledger
        setting = self.settings.ledger
        if setting and setting != MEMORY and not is_url(setting) and not Path(setting).expanduser().is_absolute():
            setting = str(self.base / setting)  # relative to the workspace folder, as the setting says
        store_text = self.settings.store_text
        warning: str | None = None
        if self.folder is None and setting is None and not (self.root / LEDGER_DIR).is_dir():
            setting = MEMORY
        default = setting is None and ledger_url(None) is None
        self.provisional = provisional
        if provisional and not _opens_without_making(self.root, setting, default):
            ledger: Ledger = SqliteLedger(MEMORY, store_text=store_text)
        elif default and (reason := unplaced(self.root)) is not None:
            ledger = MemoryTold(f"provguard keeps what is recorded in {self.root} in memory, for this session only: "
                                f"no ledger is made there ({reason}). Open a project's folder, or name a ledger in "
                                "the `ledger` setting (a file or a postgresql:// URL).", store_text,
                                partial(self._tell_unplaced, on_warning))
        elif default and nearest_project(self.root) != self.root:
            ledger = DeferredLedger(str(default_location(self.root)), partial(open_ledger, self.root,
                                    store_text=store_text), store_text, on_warning)
        else:
            opened = open_ledger(self.root, setting, store_text=store_text)
            ledger, warning = opened.ledger, opened.warning
        if not previous.persistent:
            _carry(previous, ledger)
        previous.close()
        self.ledger, self._ledger_setting = ledger, (self.settings.ledger, self.settings.store_text)
        self.waiting = provisional and not ledger.persistent and warning is None
        return warning

    def _tell_unplaced(self, on_warning: Callable[[str], None] | None, notice: str) -> None:
        if not self._told_unplaced and on_warning is not None:
            on_warning(notice)
        self._told_unplaced = True

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


@dataclass(frozen=True)
class LedgersOpened:
    warnings: list[str]
    """Ledgers that fell back to memory, and why: to tell the person."""
    documents: list[str]
    """Open documents (uris) whose project's ledger was in memory and is now kept: their recorded spans were
    placed again, and their copies of recorded agent edits are to be looked up again."""


def restore_anew(opened: OpenDocument, instead: bool) -> None:
    """A document opened while its project's ledger was not open (memory), or another (`instead`: the one its
    folder's settings would choose, open before they came): the spans the ledger holds for it, placed under the
    ones tracked meanwhile (those are newer, and win where they overlap); `instead`, the spans restored from
    the other ledger are dropped first."""
    if opened.oversized:
        return
    tracker = opened.capture.tracker
    if instead:
        for record_id in {iv.record.id for iv in tracker.intervals if iv.record.created_version is None}:
            tracker.remove(record_id)  # restored, not made in this session
    live = [(iv.record, iv.start, iv.end, list(iv.original)) for iv in tracker.intervals]
    restored = restore(opened.project.ledger, opened.relative_path, opened.document)
    opened.ledger_error = restored.error
    ids = {record.id for record, *_ in live}
    placed = tuple(p for p in restored.placed if p.stored.id not in ids)
    if placed:
        for record_id in ids:
            tracker.remove(record_id)
        track_restored(tracker, replace(restored, placed=placed))
        for item in live:
            tracker.add(*item)
    opened.invalidate()


def _opens_without_making(root: Path, setting: str | None, default: bool) -> bool:
    """Whether the ledger `setting` chooses may be opened before the folder's own settings come: opening it makes
    no file or folder anywhere. True for a ledger file that exists (the default one only where a ledger may be
    kept: ledger/location.py's `unplaced`) and for a team ledger (a postgresql:// URL in the setting, or
    PROVGUARD_LEDGER_URL when there is no setting); False for memory, which stands in meanwhile all the same."""
    if default:
        return unplaced(root) is None and default_location(root).is_file()
    if setting is None or is_url(setting):
        return True
    return setting != MEMORY and Path(setting).expanduser().is_file()


def _carry(memory: Ledger, into: Ledger) -> None:
    """What was recorded in memory while no ledger was open (the settings choosing it were on their way, or the
    ledger had failed), added to the ledger opened: spans merged by id with the ones it holds, declarations and
    agent edits."""
    try:
        for path in memory.all_paths():
            held = into.load_spans(path)
            ids = {span.id for span in held}
            into.save_spans(path, [*held, *(s for s in memory.load_spans(path) if s.id not in ids)])
        for declaration in memory.declarations():
            into.add_declaration(declaration)
        if memory.has_agent_edits():
            into.add_agent_edits(memory.agent_edits())
    except LedgerError as exc:
        log.warning("records kept in memory could not be added to %s: %s", into.location, exc)


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
