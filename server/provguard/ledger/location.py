"""Which ledger a project uses: the settings' choice, the default file, or memory when neither can be used."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .sqlite import DEFAULT_BUSY_TIMEOUT, MEMORY, SqliteLedger
from .store import Ledger, LedgerError

LEDGER_DIR = ".provguard"
LEDGER_FILE = "ledger.sqlite3"


@dataclass(frozen=True)
class LedgerOpen:
    ledger: Ledger
    warning: str | None = None
    """Why the configured file is not used (the caller shows it); None when all is well."""


def default_location(root: Path) -> Path:
    return root / LEDGER_DIR / LEDGER_FILE


def open_ledger(root: Path | None, setting: str | None = None,
                busy_timeout: float = DEFAULT_BUSY_TIMEOUT) -> LedgerOpen:
    """The project's ledger, or an in-memory one with a warning when the file cannot be used.

    `setting` names another file (relative to `root`, `~` expanded) or ":memory:". With no root and no
    absolute setting there is nowhere to keep a file: memory, without a warning, since nothing failed.
    Never raises for a bad file: provenance for this session matters less than the editor working.
    """
    if setting == MEMORY:
        return LedgerOpen(SqliteLedger(MEMORY))
    if setting:
        target = Path(setting).expanduser()
        if not target.is_absolute():
            if root is None:
                return _fallback(target, "a relative ledger path needs a workspace folder")
            target = root / target
    elif root is None:
        return LedgerOpen(SqliteLedger(MEMORY))
    else:
        target = default_location(root)
        try:
            _make_ledger_dir(target.parent)
        except OSError as exc:
            return _fallback(target, f"cannot create {target.parent} ({exc.strerror or exc})")
    try:
        return LedgerOpen(SqliteLedger(target, busy_timeout))
    except LedgerError as exc:
        return _fallback(target, str(exc))


def _make_ledger_dir(folder: Path) -> None:
    """The default folder, with a .gitignore of `*` so the ledger (and itself) is never committed."""
    folder.mkdir(parents=True, exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():
        ignore.write_text("*\n", encoding="utf-8")


def _fallback(target: Path, reason: str) -> LedgerOpen:
    warning = (f"provguard cannot use the ledger {target}: {reason}. "
               "Provenance is kept in memory for this session only.")
    return LedgerOpen(SqliteLedger(MEMORY), warning)
