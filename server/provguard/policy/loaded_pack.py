"""A pack as loaded, with where it came from: what a cached policy holds, kept apart from the reading of packs
(extends.py imports YAML), so that unpickling a policy from the policy cache imports no YAML."""

from __future__ import annotations

from dataclasses import dataclass

from provguard.policy.model import Pack


@dataclass(frozen=True)
class PackIdentity:
    id: str
    version: str
    source: str


@dataclass(frozen=True)
class LoadedPack(Pack):
    """A pack as loaded, with its metadata and where it came from. (Candidates for model.Pack itself.)"""

    owner: str | None = None
    requires: str | None = None
    """The provguard versions the pack works with, like ">=0.1"."""
    bases: tuple[PackIdentity, ...] = ()
    """The packs it extends, the one it names first."""
    files: tuple[str, ...] = ()
    """Every file it was read from (itself, its includes, its bases and theirs), to reload when one changes."""
