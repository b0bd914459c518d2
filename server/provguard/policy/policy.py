"""The policy in force: the rules of the selected packs plus severity overrides.

A pack reference is a shipped name (`default`), the name of a pack an installed Python package provides
(entry point group `provguard.packs`, see references.py) or a path; extends.py merges each pack with the
packs it extends. Which packs a project selects, and from where, is project.py's business.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from provguard.policy.errors import SourceError
from provguard.policy.model import Pack, Rule, Severity
from provguard.policy.references import (
    PACK_ENTRY_POINT_GROUP,
    missing_pack_error,
    resolve_pack,
    shipped_packs_dir,
)

if TYPE_CHECKING:  # loading packs (YAML, the loader) is imported when a pack is loaded: `guard` seldom does
    from provguard.policy.loader import LoadResult

__all__ = ["DEFAULT_PACK", "PACK_ENTRY_POINT_GROUP", "Policy", "PolicyLoad", "load_policy", "load_reference",
           "resolve_pack", "shipped_packs_dir"]

DEFAULT_PACK = "default"


@dataclass(frozen=True)
class Policy:
    packs: tuple[Pack, ...] = ()
    severity_overrides: Mapping[str, Severity] = field(default_factory=dict)

    @property
    def rules(self) -> tuple[Rule, ...]:
        """Rules of all packs; a later pack's rule replaces an earlier one with the same id."""
        by_id: dict[str, Rule] = {}
        for pack in self.packs:
            for rule in pack.rules:
                by_id[rule.id] = rule
        return tuple(by_id.values())

    @property
    def pack_files(self) -> tuple[str, ...]:
        """Every file the packs were read from, included and extended ones too: a change to any is a reload."""
        files = (getattr(p, "files", ()) or (p.source,) for p in self.packs)  # extends.LoadedPack has files
        return tuple(dict.fromkeys(f for group in files for f in group))


@dataclass(frozen=True)
class PolicyLoad:
    policy: Policy
    errors: tuple[SourceError, ...]


def load_policy(
    references: Sequence[str], severity_overrides: Mapping[str, Severity], base: Path | None = None
) -> PolicyLoad:
    packs: list[Pack] = []
    errors: list[SourceError] = []
    for reference in references:
        result = load_reference(reference, base)
        errors.extend(result.errors)
        if result.pack is not None:
            packs.append(result.pack)
    return PolicyLoad(Policy(tuple(packs), dict(severity_overrides)), tuple(errors))


def load_reference(reference: str, base: Path | None = None) -> LoadResult:
    """The pack a reference names, merged with what it extends; a path that finds no file is an error at that
    (missing) file, a name found nowhere an error without a place."""
    from provguard.policy.loader import LoadResult, load_pack

    path = resolve_pack(reference, base)
    if not path.is_file():
        return LoadResult(None, (missing_pack_error(reference, path),))
    return load_pack(path)
