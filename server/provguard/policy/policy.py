"""The policy in force: the rules of the selected packs plus severity overrides."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from provguard.policy.errors import SourceError
from provguard.policy.loader import load_pack
from provguard.policy.model import Pack, Rule, Severity

DEFAULT_PACK = "default"


def shipped_packs_dir() -> Path:
    """The packs shipped with provguard: inside the wheel, or `rules/` of a source checkout."""
    installed = Path(__file__).resolve().parent.parent / "rules"
    return installed if installed.is_dir() else Path(__file__).resolve().parents[3] / "rules"


def resolve_pack(reference: str, base: Path | None = None) -> Path:
    """A pack given by shipped name (`default`) or by path (relative to `base`)."""
    shipped = shipped_packs_dir() / f"{reference}.yaml"
    if "/" not in reference and "\\" not in reference and not reference.endswith((".yaml", ".yml")):
        return shipped
    path = Path(reference).expanduser()
    return path if path.is_absolute() or base is None else base / path


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
        return tuple(p.source for p in self.packs)


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
        path = resolve_pack(reference, base)
        if not path.is_file():
            errors.append(SourceError(str(path), 1, 1, f"rule pack {reference!r} not found at {path}"))
            continue
        result = load_pack(path)
        errors.extend(result.errors)
        if result.pack is not None:
            packs.append(result.pack)
    return PolicyLoad(Policy(tuple(packs), dict(severity_overrides)), tuple(errors))
