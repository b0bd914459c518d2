"""`provguard health`: can provguard work in this project? Version, grammars, ledger, packs.

Editor plugins run `provguard health --json` for their health checks (Neovim's `:checkhealth provguard`),
so what is checked lives here once, not in each plugin. Checking changes nothing: a ledger that does not
exist yet is not created, only its folder's permissions are looked at.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from provguard.printable import printable

from .common import EXIT_CLEAN, EXIT_FINDINGS, add_parser


@dataclass(frozen=True)
class Grammar:
    language: str
    loaded: bool
    error: str | None = None


@dataclass(frozen=True)
class LedgerState:
    path: str
    exists: bool
    writable: bool
    problem: str | None = None
    """Why the server would fall back to an in-memory ledger; None when it can use the file."""
    stale_edits: int = 0
    """Agent edits fingerprinted by an older scheme: found in other files again only after an import."""


@dataclass(frozen=True)
class PackState:
    id: str
    version: str
    source: str


@dataclass(frozen=True)
class PackError:
    file: str
    line: int
    column: int
    message: str


@dataclass(frozen=True)
class Health:
    version: str
    python: str
    root: str
    grammars: list[Grammar]
    ledger: LedgerState
    packs: list[PackState]
    pack_errors: list[PackError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (all(g.loaded for g in self.grammars) and self.ledger.problem is None and not self.pack_errors)


def register(subparsers: Any) -> None:
    parser = add_parser(subparsers, "health", "check that provguard can work here: grammars, ledger, packs")
    parser.add_argument("--root", type=Path, default=Path("."), help="the project root (default: .)")
    parser.add_argument("--pack", action="append", dest="packs", metavar="PACK",
                        help="rule pack name or path, as the editor's `packs` setting; repeatable "
                             "(default: the project's packs)")
    parser.add_argument("--ledger", metavar="FILE|URL",
                        help="the editor's `ledger` setting (default: $PROVGUARD_LEDGER_URL, else "
                             "ROOT/.provguard/ledger.sqlite3)")
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout, for editor plugins")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from provguard import __version__
    from provguard.policy.policy import DEFAULT_PACK
    from provguard.policy.project import load_project_policy
    from provguard.settings import Settings

    root = args.root.resolve()
    # as the server sees them: the editor's pack paths are relative to the workspace root
    explicit = frozenset(["packs"] if args.packs else [])
    loaded = load_project_policy(root, Settings(packs=tuple(args.packs or (DEFAULT_PACK,))), explicit=explicit,
                                 editor_base=root)
    health = Health(
        version=__version__,
        python=platform.python_version(),
        root=str(root),
        grammars=_grammars(),
        ledger=_ledger(root, args.ledger),
        packs=[PackState(p.id, p.version, p.source) for p in loaded.policy.packs],
        pack_errors=[PackError(e.file, e.line, e.column, e.message) for e in loaded.errors],
    )
    if args.json:
        sys.stdout.write(json.dumps({**asdict(health), "ok": health.ok}, indent=2) + "\n")
    else:
        sys.stdout.write(_text(health))
    return EXIT_CLEAN if health.ok else EXIT_FINDINGS


def _grammars() -> list[Grammar]:
    from provguard.languages import LANGUAGES

    found: list[Grammar] = []
    for language in LANGUAGES:
        if not language.has_grammar:
            continue
        try:
            language.ts_language()
        except Exception as exc:  # an import error, an ABI mismatch: each is the answer for this grammar
            found.append(Grammar(language.id, False, f"{type(exc).__name__}: {exc}"))
        else:
            found.append(Grammar(language.id, True))
    return found


def _ledger(root: Path, setting: str | None) -> LedgerState:
    """Whether the server could keep its ledger in the file it would use."""
    from provguard.ledger.location import default_location, ledger_url, open_postgres, redact
    from provguard.ledger.sqlite import MEMORY, SqliteLedger
    from provguard.ledger.store import LedgerError

    url = ledger_url(setting)
    if url is not None:  # a team ledger: reachable and migrated is all that can be known without writing
        try:
            team = open_postgres(url)
            try:
                stale = team.stale_edits()
            finally:
                team.close()
        except LedgerError as exc:
            return LedgerState(redact(url), False, False, str(exc))
        return LedgerState(redact(url), True, True, stale_edits=stale)
    if setting == MEMORY:
        return LedgerState(MEMORY, False, False, "the ledger setting keeps provenance in memory only")
    target = Path(setting).expanduser() if setting else default_location(root)
    target = target if target.is_absolute() else root / target
    if target.exists():
        if not target.is_file():
            return LedgerState(str(target), True, False, "it is not a file")
        if not (os.access(target, os.W_OK) and os.access(target.parent, os.W_OK)):
            return LedgerState(str(target), True, False, "it or its folder is not writable")
        try:
            local = SqliteLedger(target)  # what the server does on start: open, and migrate if older
            try:
                stale = local.stale_edits()
            finally:
                local.close()
        except LedgerError as exc:
            return LedgerState(str(target), True, False, str(exc))
        return LedgerState(str(target), True, True, stale_edits=stale)
    existing = next(p for p in (target.parent, *target.parent.parents) if p.exists())
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        return LedgerState(str(target), False, False, f"{existing} is not a writable folder")
    return LedgerState(str(target), False, True)


def _text(health: Health) -> str:
    lines = [f"provguard {health.version} (Python {health.python}), project {health.root}"]
    loaded = [g.language for g in health.grammars if g.loaded]
    lines.append(f"grammars: {len(loaded)} of {len(health.grammars)} loaded ({', '.join(loaded)})")
    lines += [f"grammar {g.language} failed: {g.error}" for g in health.grammars if not g.loaded]
    ledger = health.ledger
    state = ledger.problem or ("writable" if ledger.exists else "will be created on first use")
    lines.append(f"ledger: {ledger.path}: {state}")
    if ledger.stale_edits:
        were = "edit was" if ledger.stale_edits == 1 else "edits were"
        lines.append(f"ledger: {ledger.stale_edits} {were} fingerprinted by an older scheme; run provguard import "
                     "again to refresh")
    lines += [f"pack: {p.id} {p.version} ({p.source})" for p in health.packs]
    lines += [f"pack error: {e.file}:{e.line}:{e.column}: {e.message}" if e.line > 0 else f"pack error: {e.message}"
              for e in health.pack_errors]  # line 0: about a pack found nowhere, which has no place to point at
    lines.append("ok" if health.ok else "problems found")
    return "\n".join(printable(line) for line in lines) + "\n"  # names and messages from the project's packs
