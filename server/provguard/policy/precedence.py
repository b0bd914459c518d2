"""Which packs and severities are in force when the editor, the project file and the defaults disagree.

Precedence, highest first: editor settings (or command-line flags) that are explicitly set, then the project
file (`[tool.provguard]` in pyproject.toml, or provguard.toml), then provguard's defaults (the `default`
pack, each rule's own severity). `packs` is taken whole from the highest source that sets it (lists are not
merged: selecting packs in the editor means exactly those packs); `severity` is merged rule by rule.

"Explicitly set" is the catch: settings.Settings fills every field with its default, so a Settings value
cannot tell "packs = ['default'] because the user chose it" from "packs = ['default'] because nothing was
said". `parse_settings(raw).explicit` answers it; without it, a field counts as set when it differs from its
default.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Literal

from provguard.policy.model import Severity
from provguard.policy.policy import DEFAULT_PACK
from provguard.settings import Settings

Source = Literal["editor", "project", "default"]


@dataclass(frozen=True)
class PackChoice:
    reference: str
    base: Path
    """The folder a relative reference is relative to: the project file's for project packs."""
    source: Source
    index: int = 0
    """Its place in the list that selected it, to point at it in the project file."""


@dataclass(frozen=True)
class Selection:
    packs: tuple[PackChoice, ...]
    severity: Mapping[str, Severity] = field(default_factory=dict)
    severity_sources: Mapping[str, Source] = field(default_factory=dict)


def select(project_packs: tuple[str, ...] | None, project_severity: Mapping[str, Severity], project_root: Path,
           editor: Settings | None, explicit: Collection[str] | None, editor_base: Path) -> Selection:
    """Applies the precedence: explicit editor settings, then the project file, then the defaults."""
    given = _given(editor, explicit)
    if editor is not None and "packs" in given:
        packs = tuple(PackChoice(ref, editor_base, "editor", i) for i, ref in enumerate(editor.packs))
    elif project_packs is not None:
        packs = tuple(PackChoice(ref, project_root, "project", i) for i, ref in enumerate(project_packs))
    else:
        packs = (PackChoice(DEFAULT_PACK, editor_base, "default"),)
    severity: dict[str, Severity] = dict(project_severity)
    sources: dict[str, Source] = dict.fromkeys(project_severity, "project")
    if editor is not None and "severity" in given:
        severity.update(editor.severity)
        sources.update(dict.fromkeys(editor.severity, "editor"))
    return Selection(packs, severity, sources)


def _given(editor: Settings | None, explicit: Collection[str] | None) -> Collection[str]:
    if editor is None:
        return ()
    if explicit is not None:
        return explicit
    defaults = Settings()
    return {f.name for f in fields(Settings) if getattr(editor, f.name) != getattr(defaults, f.name)}
