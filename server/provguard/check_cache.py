"""Results of `provguard check` per file, kept between runs so that an unchanged tree is checked again in a
fraction of the time, like ruff's cache.

An entry is found by the file's content, the path rules see, and everything else a verdict depends on (the
`context`: the packs' bytes and settings, the ledger's identity and generation, the HEAD of the file's git
repository, provguard's version). It lives in the project's `.provguard/cache/` folder, which a repository may
carry in: an entry that says "no findings" is a way past the gate, so every key and value is signed with a
secret of the user's own (`~/.cache/provguard/check-secret`, 0600). A file someone else wrote, or an entry
changed by hand, is a miss, never a verdict. Many runs may share one cache: SQLite in WAL mode, writes batched,
a busy cache skipped.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import sqlite3
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import cattrs

from provguard import __version__
from provguard.findings import Finding
from provguard.private_files import create_private, make_private_folder, no_link_on_the_way, read_private, write_private

if TYPE_CHECKING:
    from provguard.provenance.line_origins import LineCounts

CACHE_FOLDER = ".provguard/cache"
CACHE_FILE = "check.sqlite3"
SECRET_ENV = "PROVGUARD_CACHE_SECRET"
"""A secret given in the environment instead of the file (a CI secret, so a cache restored between jobs hits)."""
FORMAT = 2
BUSY_TIMEOUT = 0.2
"""A cache that stays locked longer is skipped: the check goes on uncached."""
STALE_SECONDS = 30 * 24 * 3600
"""Entries not used for this long are removed when the cache is written."""
TOUCH_SECONDS = 24 * 3600
"""An entry's last use is written again only when older than this: a warm run over an unchanged tree then writes
nothing (rewriting every entry's time took half of such a run), and pruning is a month away anyway."""

_converter = cattrs.Converter()


def secret() -> bytes | None:
    """The user's signing secret, created on first use; None when there is no private place for it."""
    given = os.environ.get(SECRET_ENV)
    if given:
        return hashlib.sha256(given.encode("utf-8", "surrogatepass")).digest()
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    file = Path(base) / "provguard" / "check-secret"
    known = read_private(file)
    if known is not None and len(known) == 32:
        return known
    try:
        make_private_folder(file.parent)
        write_private(file, secrets.token_bytes(32))
    except OSError:
        return None
    again = read_private(file)  # another run may have written its own at the same moment: use the one kept
    return again if again is not None and len(again) == 32 else None


def context_key(*parts: str) -> str:
    """One digest of everything besides the file that a verdict depends on."""
    digest = hashlib.sha256(f"provguard {__version__} cache {FORMAT}".encode())
    for part in parts:
        digest.update(b"\0" + part.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def pack_digest(files: Iterable[str], settings: str) -> str:
    """The packs' bytes (every file they were read from) and the settings that change their verdicts."""
    digest = hashlib.sha256(settings.encode("utf-8", "surrogatepass"))
    for name in files:
        digest.update(b"\0" + name.encode("utf-8", "surrogatepass") + b"\0")
        try:
            digest.update(Path(name).read_bytes())
        except OSError as exc:
            digest.update(f"unreadable: {exc}".encode())
    return digest.hexdigest()


class RepositoryHeads:
    """The git HEAD each file's cache key holds, with git on: the lines git history marks as AI-written come
    from blaming the file in its own repository, so its verdict depends on that history, which the file's
    content does not tell; a commit (even one that changes no file) may add or drop such lines. Only the
    file's own repository counts: with `--root` over several repositories, a commit in one leaves the others'
    entries valid. Looked up once per folder (the nearest `.git` above it) and once per repository."""

    def __init__(self) -> None:
        self._tops: dict[str, str | None] = {}
        self._keys: dict[tuple[str, str | None], str] = {}

    def context(self, context: str, path: Path) -> str:
        """`context` with the HEAD of the repository `path` is in; empty (no cache) when git does not answer
        in time."""
        real = os.path.realpath(path)
        top = self._top(real if os.path.isdir(real) else os.path.dirname(real))
        found = self._keys.get((context, top))
        if found is None:
            found = self._keys[(context, top)] = self._with_head(context, top, os.path.dirname(real))
        return found

    @staticmethod
    def _with_head(context: str, top: str | None, folder: str) -> str:
        if top is None and "GIT_DIR" not in os.environ:
            return context_key(context, "no git repository")  # no history to blame: git is not asked
        from provguard.provenance.git.commands import GitFailure, run_git

        head = run_git(Path(top or folder), ["rev-parse", "--show-toplevel", "HEAD"])
        if isinstance(head, GitFailure) and "longer than" in head.reason:
            return ""
        return context_key(context, head.reason if isinstance(head, GitFailure) else head.decode("utf-8", "replace"))

    def _top(self, folder: str) -> str | None:
        """The nearest folder at or above `folder` holding `.git`, each folder on the way remembered."""
        passed: list[str] = []
        step, found = folder, None
        while True:
            if step in self._tops:
                found = self._tops[step]
                break
            passed.append(step)
            if os.path.lexists(os.path.join(step, ".git")):
                found = step
                break
            parent = os.path.dirname(step)
            if parent == step:
                break
            step = parent
        self._tops.update(dict.fromkeys(passed, found))
        return found


class CheckCache:
    """One project's cache file, read by every worker and written by the run's main process."""

    def __init__(self, root: Path, key: bytes) -> None:
        self.root = root
        self._key = key
        self._conn: sqlite3.Connection | None = None
        self._broken = False

    def entry_key(self, context: str, rule_path: str, source: bytes) -> bytes:
        content = hashlib.sha256(source).digest()
        return hmac.new(self._key, b"\0".join((context.encode(), rule_path.encode("utf-8", "surrogatepass"),
                                               content)), hashlib.sha256).digest()

    def get(self, key: bytes) -> tuple[tuple[Finding, ...], tuple[Finding, ...], tuple[str, ...],
                                      LineCounts | None] | None:
        """(findings, suppressed, notes, lines by origin when they were counted) stored under `key`, or None:
        absent, unsigned, unreadable."""
        conn = self._connect(create=False)
        if conn is None:
            return None
        try:
            row = conn.execute("SELECT value, mac FROM results WHERE key = ?", (key,)).fetchone()
        except sqlite3.Error:
            return None
        if row is None or not isinstance(row[0], bytes) or not isinstance(row[1], bytes):
            return None
        if not hmac.compare_digest(row[1], self._mac(key, row[0])):
            return None
        try:
            data = json.loads(row[0])
            return (tuple(_converter.structure(f, Finding) for f in data["findings"]),
                    tuple(_converter.structure(f, Finding) for f in data["suppressed"]),
                    tuple(str(n) for n in data["notes"]),
                    None if data["lines"] is None else _line_counts(data["lines"]))
        except (ValueError, KeyError, TypeError, cattrs.BaseValidationError):
            return None

    @staticmethod
    def value(findings: Sequence[Finding], suppressed: Sequence[Finding], notes: Sequence[str],
              lines: LineCounts | None) -> bytes:
        data = {"findings": [_converter.unstructure(f) for f in findings],
                "suppressed": [_converter.unstructure(f) for f in suppressed], "notes": list(notes),
                "lines": None if lines is None else lines.to_json()}
        return json.dumps(data, separators=(",", ":")).encode()

    def put(self, entries: Sequence[tuple[bytes, bytes]]) -> None:
        """Stores (key, value) pairs in one transaction; a cache that cannot be written is left alone."""
        if not entries:
            return
        conn = self._connect(create=True)
        if conn is None:
            return
        now = int(time.time())
        try:
            with conn:
                conn.execute("BEGIN")  # one transaction: the connection commits each statement on its own otherwise
                conn.executemany("INSERT OR REPLACE INTO results (key, value, mac, used) VALUES (?, ?, ?, ?)",
                                 [(k, v, self._mac(k, v), now) for k, v in entries])
        except sqlite3.Error:
            self._broken = True

    def prune(self) -> None:
        """Drops entries unused for STALE_SECONDS (entries of files since changed are never used again)."""
        conn = self._connect(create=False)
        if conn is None:
            return
        try:
            with conn:
                conn.execute("DELETE FROM results WHERE used < ?", (int(time.time()) - STALE_SECONDS,))
        except sqlite3.Error:
            pass

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _mac(self, key: bytes, value: bytes) -> bytes:
        return hmac.new(self._key, key + value, hashlib.sha256).digest()

    def touch(self, keys: Sequence[bytes]) -> None:
        """Marks entries this run used, so pruning keeps them."""
        conn = self._connect(create=False)
        if conn is None or not keys:
            return
        now = int(time.time())
        try:
            with conn:
                conn.execute("BEGIN")
                conn.executemany("UPDATE results SET used = ? WHERE key = ? AND used < ?",
                                 [(now, k, now - TOUCH_SECONDS) for k in keys])
        except sqlite3.Error:
            pass

    def _connect(self, create: bool) -> sqlite3.Connection | None:
        """The cache file open, made on first write; None when it is absent, busy or not a file this cache
        made (a link, a folder, a database with anything but the one table: it came from elsewhere)."""
        if self._conn is not None or self._broken:
            return self._conn
        file = self.root / CACHE_FOLDER / CACHE_FILE
        if not create and not file.is_file():
            return None
        try:
            if not own_place(self.root):
                self._broken = True
                return None
            if create:
                make_private_folder(file.parent)
                if not own_place(self.root):  # made a link meanwhile
                    self._broken = True
                    return None
                ignore = file.parent / ".gitignore"
                if not os.path.lexists(ignore):
                    ignore.write_text("# written by provguard: a cache of check results\n*\n", encoding="utf-8")
                create_private(str(file))
            conn = sqlite3.connect(file, timeout=BUSY_TIMEOUT, isolation_level=None)
            conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT * 1000)}")
            conn.execute("PRAGMA trusted_schema = OFF")
            conn.execute("PRAGMA synchronous = OFF")  # a cache: an entry lost in a crash is a miss (per connection)
            if create:
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute(TABLE_SQL)
            schema = conn.execute("SELECT type, name, sql FROM sqlite_master").fetchall()
            if schema and schema != [("table", "results", TABLE_SQL.replace(" IF NOT EXISTS", ""))]:
                conn.close()
                self._broken = True
                return None
        except (OSError, sqlite3.Error):
            self._broken = True
            return None
        self._conn = conn
        return conn


TABLE_SQL = ("CREATE TABLE IF NOT EXISTS results (key BLOB PRIMARY KEY, value BLOB NOT NULL, mac BLOB NOT NULL, "
             "used INTEGER NOT NULL) WITHOUT ROWID")
"""The cache's one table; a file holding anything else is not this cache (and is neither read nor written)."""


def own_place(root: Path, name: str = CACHE_FILE) -> bool:
    """No step from the root to the cache folder's file `name` is a symbolic link or of the wrong kind."""
    return no_link_on_the_way(root, Path(CACHE_FOLDER, name))


def _line_counts(value: Any) -> LineCounts:
    from provguard.provenance.line_origins import LineCounts  # only `report` reads them (start-up time)

    return LineCounts.from_json(value)


def describe(value: Any) -> str:
    """Settings as a stable string for `pack_digest`."""
    return json.dumps(value, sort_keys=True, default=str)
