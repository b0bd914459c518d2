"""Which ledger a project uses: a PostgreSQL URL, the settings' file, the default file, or memory when the
chosen one cannot be used.

The choice, first match wins: the `ledger` setting (a `postgresql://` URL, a file, or ":memory:"), then the
environment variable PROVGUARD_LEDGER_URL (a team ledger for every project on the machine), then the
project's default file. An explicit setting beats the environment because it is the more specific choice.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from provguard.private_files import make_private_folder, no_link_on_the_way

from .sqlite import DEFAULT_BUSY_TIMEOUT, MEMORY, SqliteLedger
from .store import Ledger, LedgerError

LEDGER_DIR = ".provguard"
LEDGER_FILE = "ledger.sqlite3"
URL_ENV = "PROVGUARD_LEDGER_URL"
URL_SCHEMES = ("postgresql", "postgres")


@dataclass(frozen=True)
class LedgerOpen:
    ledger: Ledger
    warning: str | None = None
    """Why the configured ledger is not used (the caller shows it); None when all is well."""


def default_location(root: Path) -> Path:
    return root / LEDGER_DIR / LEDGER_FILE


def is_url(value: str | None) -> bool:
    scheme, sep, _ = (value or "").partition("://")
    return bool(sep) and scheme.lower() in URL_SCHEMES


def ledger_url(setting: str | None, environ: Mapping[str, str] | None = None) -> str | None:
    """The PostgreSQL URL to use: the setting's when it is one, else the environment's unless the setting
    names a file (or memory). An environment value that is not such a URL is returned too, to be refused
    with a message by `open_postgres`, not silently ignored."""
    if setting:
        return setting if is_url(setting) else None
    return (os.environ if environ is None else environ).get(URL_ENV) or None


def open_postgres(url: str, busy_timeout: float = DEFAULT_BUSY_TIMEOUT, store_text: bool = False) -> Ledger:
    """A `PostgresLedger` for `url`; raises `LedgerError` saying why it cannot be used."""
    if not is_url(url):
        raise LedgerError(f"{URL_ENV} must be a postgresql:// or postgres:// URL")
    try:
        from .postgres import PostgresLedger
    except ImportError as exc:
        raise LedgerError(f"a PostgreSQL ledger needs psycopg 3, which is not installed ({exc}); "
                          "install it with: pip install 'provguard[postgres]'") from exc
    return PostgresLedger(url, busy_timeout, store_text)


def open_ledger(root: Path | None, setting: str | None = None, busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
                store_text: bool = False, environ: Mapping[str, str] | None = None) -> LedgerOpen:
    """The project's ledger, or an in-memory one with a warning when the chosen one cannot be used.

    `setting` is a PostgreSQL URL, another file (relative to `root`, `~` expanded) or ":memory:". With no
    root and no absolute setting there is nowhere to keep a file: memory, without a warning, since nothing
    failed. `store_text` is the user's opt-in to keeping agent edits' text. Never raises for a bad ledger:
    provenance for this session matters less than the editor working.
    """
    if setting == MEMORY:
        return LedgerOpen(SqliteLedger(MEMORY, store_text=store_text))
    url = ledger_url(setting, environ)
    if url is not None:
        try:
            return LedgerOpen(open_postgres(url, busy_timeout, store_text))
        except LedgerError as exc:
            return _fallback(redact(url), str(exc), store_text)
    if setting:
        target = Path(setting).expanduser()
        if not target.is_absolute():
            if root is None:
                return _fallback(str(target), "a relative ledger path needs a workspace folder", store_text)
            target = root / target
    elif root is None:
        return LedgerOpen(SqliteLedger(MEMORY, store_text=store_text))
    else:
        target = default_location(root)
        if not all(no_link_on_the_way(root, Path(LEDGER_DIR, name)) for name in (LEDGER_FILE, ".gitignore")):
            return _fallback(str(target), f"cannot create {root / LEDGER_DIR}: it, its ledger or its .gitignore is "
                             "a symbolic link or not a plain folder or file (the project's ledger is kept only in its "
                             "own folder; the `ledger` setting names another place on purpose)", store_text)
        try:
            _make_ledger_dir(target.parent)
        except OSError as exc:
            return _fallback(str(target), f"cannot create {target.parent} ({exc.strerror or exc})", store_text)
    try:
        return LedgerOpen(SqliteLedger(target, busy_timeout, store_text))
    except LedgerError as exc:
        return _fallback(str(target), str(exc), store_text)


def unplaced(root: Path, home: Path | None = None) -> str | None:
    """Why no default ledger is made at `root`, or None when one may be: the file system's root, the home
    folder and the folders above it are never a project's place (an editor opened there, or a dotfiles `.git` in
    the home folder, would otherwise leave a `.provguard/` there that every project below then shares)."""
    folder = Path(os.path.realpath(root))
    try:
        mine = Path(os.path.realpath(home if home is not None else Path.home()))
    except RuntimeError:  # no home folder known: only the root is refused
        mine = None
    if folder.parent == folder:
        return "it is the file system's root"
    if mine is not None and folder == mine:
        return "it is your home folder"
    if mine is not None and folder in mine.parents:
        return "it holds your home folder"
    return None


def redact(url: str) -> str:
    """`url` without its password and query (which may hold one): what messages may show."""
    if not is_url(url):
        return f"named by {URL_ENV}"  # not a URL: may be a key=value string with a password, so not shown
    scheme, _, rest = url.partition("://")
    address = rest.partition("?")[0]  # split by hand: urllib rejects some URLs libpq accepts
    netloc, slash, database = address.partition("/")
    credentials, at, hosts = netloc.rpartition("@")
    user = credentials.partition(":")[0]
    return f"{scheme}://{user + '@' if at and user else ''}{hosts}{slash}{database}"


def _make_ledger_dir(folder: Path) -> None:
    """The default folder, with a .gitignore of `*` so the ledger (and itself) is never committed. A folder made
    here is 0700 whatever the umask (the ledger holds paths, session ids and line hashes); one that exists keeps
    the mode its owners chose (a team sharing the ledger through the file system opens it up on purpose)."""
    make_private_folder(folder)
    ignore = folder / ".gitignore"
    if not ignore.exists():
        ignore.write_text("*\n", encoding="utf-8")


def _fallback(target: str, reason: str, store_text: bool) -> LedgerOpen:
    warning = (f"provguard cannot use the ledger {target}: {reason}. "
               "Provenance is kept in memory for this session only.")
    return LedgerOpen(SqliteLedger(MEMORY, store_text=store_text), warning)


def ledger_source(given: str | None, root: Path) -> str | None:
    """What `read_ledger` opens: the ledger named (a file or a PostgreSQL URL), else PROVGUARD_LEDGER_URL, else
    the project's file if it exists (reading never creates a file); None when there is none."""
    url = ledger_url(given)
    if url is not None:
        return url
    if given:
        return given
    path = default_location(root)
    return str(path) if path.is_file() else None


def read_ledger(given: str | None, root: Path) -> Ledger | str | None:
    """The ledger `ledger_source` names, open; a ledger that cannot be opened is an error message."""
    source = ledger_source(given, root)
    if source is None:
        return None
    if is_url(source):
        try:
            return open_postgres(source)
        except LedgerError as exc:
            return f"cannot read the ledger {redact(source)}: {exc}"
    path = Path(source)
    if not path.is_file():
        return f"no ledger at {path}"
    try:
        return SqliteLedger(path)
    except LedgerError as exc:
        return f"cannot read the ledger {path}: {exc}"
