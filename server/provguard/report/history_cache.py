"""`report --since`'s judged files, kept past the scratch clone: a second report over the same history judges
no file version again.

The weeks are checked in a private clone in a temporary folder (report/history.py), whose projects' check caches
(`.provguard/cache/check.sqlite3` at each project root of the clone) go when the clone goes. So each of today's
projects keeps the entries its past trees made in its own cache folder, `.provguard/cache/history.sqlite3`,
under keys that do not name the clone: today's project root, its policy fingerprint and ledger generation as
`check` keys them (packs' bytes, settings, ledger identity), and the commit that last changed the file (the
file's bytes and path are in every entry's key already). A run copies that file into each project of the clone
before the project's first week is checked and merges what the weeks added back after each week: one SQLite
transaction each, so concurrent reports over the same project add to one another and lose nothing but time.
The entries are copied as they are, signed: `check` believes only entries signed with the user's secret, so a
file planted in a repository is a miss, never a verdict. A file whose schema is not the check cache's own is
neither read nor written, and the table is made from the check cache's statement, never from SQL in a file.

The same clone setup gives each past project its ledger of today: `check` reads a project's default ledger at
its root, and in the clone there is none, so the clone's project gets a link to the project's ledger of today
(with `--ledger` or PROVGUARD_LEDGER_URL every project reads that one, as today).
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from provguard.check_cache import CACHE_FILE, CACHE_FOLDER, STALE_SECONDS, TABLE_SQL, context_key, own_place
from provguard.ledger.location import LEDGER_DIR, LEDGER_FILE, ledger_source
from provguard.private_files import create_private, make_private_folder
from provguard.projects import Roots

HISTORY_FILE = "history.sqlite3"
BUSY_TIMEOUT = 5.0
"""A merge waits this long for another run's; past it, that week's entries are not kept (a cache: only time)."""


@dataclass
class Project:
    """One of today's projects and where it is in the clone."""

    today: Path
    context: str
    """Its cache context as today's `check` computes it (without HEAD): empty when it cannot be cached."""
    seeded: bool = False
    merged_at: int = 0


@dataclass
class HistoryCache:
    """Today's projects' history caches, for one scratch clone (`tree`) of the repository at `toplevel`."""

    tree: Path
    toplevel: Path
    projects: dict[Path, Project] = field(default_factory=dict)
    """By the project's root in the clone (real path)."""
    ledger_given: str | None = None
    root: Path | None = None
    """`--root` in the clone, when given: every file's project."""
    _roots: Roots | None = None

    @classmethod
    def of(cls, tree: Path, toplevel: Path, contexts: Mapping[Path, str], ledger_given: str | None,
           root: Path | None) -> HistoryCache:
        """`contexts`: each of today's project roots (real paths) with its cache context."""
        cache = cls(Path(os.path.realpath(tree)), Path(os.path.realpath(toplevel)), ledger_given=ledger_given,
                    root=root)
        for today, context in contexts.items():
            try:
                inside = today.relative_to(cache.toplevel)
            except ValueError:
                continue  # a project outside the repository has no past tree
            cache.projects[cache.tree / inside] = Project(today, context)
        return cache

    def prepare(self) -> None:
        """Before a week is checked: each of today's projects whose folder exists in the clone is a project
        there too, reads today's ledger, and holds the entries earlier reports made (copied once per run)."""
        self._roots = None  # the checkout changed the folders
        for past, project in self.projects.items():
            if not past.is_dir():
                continue
            folder = past / LEDGER_DIR
            try:
                if not os.path.lexists(folder):
                    make_private_folder(folder)
                self._link_ledger(past, project)
            except OSError:
                continue  # not a project of its own in this week: judged from the folder above, uncached here
            if not project.seeded and project.context:
                project.seeded = True
                project.merged_at = int(time.time())
                _copy(self._kept(project.today, create=False), past / CACHE_FOLDER / CACHE_FILE, seed=True)

    def keep(self) -> None:
        """After a week is checked: what it added to the clone's caches, merged into today's projects'."""
        for past, project in self.projects.items():
            if not project.seeded:
                continue
            now = int(time.time())
            if _copy(past / CACHE_FOLDER / CACHE_FILE, self._kept(project.today, create=True),
                     since=project.merged_at - 1):
                project.merged_at = now  # else the next week's merge takes this week's entries too

    def file_context(self, context: str, path: Path, commit: str) -> str:
        """A file's cache context: for a project of today, one that does not name the clone (so it outlives
        it), else the clone project's (`context`); either with the commit that last changed the file."""
        if self._roots is None:
            self._roots = Roots(self.root)
        project = self.projects.get(self._roots.of(path, self.tree))
        if project is not None and project.context:
            return context_key(project.context, "report --since", "last changed in", commit)
        return context_key(context, "last changed in", commit)

    def _link_ledger(self, past: Path, project: Project) -> None:
        if self.ledger_given is not None:
            return
        source = ledger_source(None, project.today)  # PROVGUARD_LEDGER_URL, else the project's file if any
        link = past / LEDGER_DIR / LEDGER_FILE
        if source is None or "://" in source or os.path.lexists(link):
            return
        os.symlink(source, link)

    @staticmethod
    def _kept(today: Path, create: bool) -> Path | None:
        """Today's project's history cache file, None when it is absent (and not to be made) or not a place of
        this project's own (a link anywhere on the way: a repository must not send writes elsewhere)."""
        if not own_place(today, HISTORY_FILE):
            return None
        file = today / CACHE_FOLDER / HISTORY_FILE
        if file.is_file():
            return file
        if not create:
            return None
        try:
            make_private_folder(file.parent)
            ignore = file.parent / ".gitignore"
            if not os.path.lexists(ignore):
                ignore.write_text("# written by provguard: a cache of check results\n*\n", encoding="utf-8")
            create_private(str(file))
        except OSError:
            return None
        return file if file.is_file() and not file.is_symlink() else None


def _copy(source: Path | None, target: Path | None, seed: bool = False, since: int = 0) -> bool:
    """The entries of the cache `source` used at `since` or later, added to `target` in one transaction; both
    must hold the check cache's one table and nothing else (the table is made in an empty `target`). Seeding
    (`seed`) makes the clone's file before `check` does. A cache that cannot be read or written is left as it is
    (False)."""
    if source is None or target is None or not source.is_file():
        return source is None or not source.is_file()  # nothing to copy is not a failure
    if seed:
        try:
            make_private_folder(target.parent)
        except OSError:
            return False
        create_private(str(target))
    try:
        conn = sqlite3.connect(target, timeout=BUSY_TIMEOUT, isolation_level=None)
    except sqlite3.Error:
        return False
    try:
        conn.execute("PRAGMA trusted_schema = OFF")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("ATTACH DATABASE ? AS source", (str(source),))
        conn.execute("BEGIN IMMEDIATE")  # one writer at a time: concurrent runs merge one after the other
        expected = [("table", "results", TABLE_SQL.replace(" IF NOT EXISTS", ""))]
        source_schema = conn.execute("SELECT type, name, sql FROM source.sqlite_master").fetchall()
        have = conn.execute("SELECT type, name, sql FROM main.sqlite_master").fetchall()
        if source_schema != expected or (have and have != expected):
            conn.execute("ROLLBACK")  # not the check cache's table on one side: nothing to copy, nothing touched
            return False
        if not have:
            conn.execute(TABLE_SQL)  # ours, never SQL read from a file a repository may have shipped
        conn.execute("INSERT OR REPLACE INTO main.results SELECT key, value, mac, used FROM source.results "
                     "WHERE used >= ?", (since,))
        if not seed:
            conn.execute("DELETE FROM main.results WHERE used < ?", (int(time.time()) - STALE_SECONDS,))
        conn.execute("COMMIT")
    except sqlite3.Error:
        return False
    finally:
        conn.close()
    return True
