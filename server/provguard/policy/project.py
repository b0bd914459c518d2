"""A project's own provguard configuration, and the policy it selects.

A project says which packs it uses in `[tool.provguard]` of its pyproject.toml, or at the top level of a
provguard.toml (which wins when a folder has both, as it exists only for provguard):

    [tool.provguard]
    packs = ["default", "rules/team.yaml", "acme"]   # shipped names, paths relative to this file, installed
    severity = { ai-output-unmarked = "off" }       # rule id -> error, warning, info, hint, off
    requires = { acme = ">=1.2,<2" }                # pack id -> version range its version must be in
    exclude = ["generated/"]                         # gitignore patterns, relative to this file's folder:
    extend-exclude = ["*.pb.py"]                     # instead of the default excludes, or added to them

The file that counts is the nearest one walking up from a file or folder, up to the filesystem root or the
folder holding `.git`; a pyproject.toml without `[tool.provguard]` is not a provguard file and the walk goes
on. Precedence with editor settings is in precedence.py. Every problem is a SourceError at its line and
column in the TOML file. The packs a project file selects, and what they extend or include by path, must be
inside its repository (confinement.py): a cloned repository is loaded without anyone choosing its packs.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from provguard.analysis import BUILTIN_RULES
from provguard.policy.confinement import is_inside, outside_message, reach
from provguard.policy.errors import SourceError, capped, suggest
from provguard.policy.model import Pack, Severity
from provguard.policy.policy import Policy, PolicyLoad, load_reference, resolve_pack
from provguard.policy.references import is_pack_name, missing_pack_message
from provguard.policy.toml_positions import TomlPositions, toml_positions
from provguard.policy.versions import RangeError, VersionRange, parse_range, parse_version
from provguard.untrusted_toml import NotToml, loads_toml

if TYPE_CHECKING:  # imported where a policy is loaded from its files: editor settings import cattrs, which a check
    # answered by the policy cache never needs
    from provguard.policy.loader import LoadResult
    from provguard.policy.precedence import Selection
    from provguard.settings import Settings

CONFIG_FILES = ("provguard.toml", "pyproject.toml")
"""Looked for in this order in each folder."""
PROJECT_KEYS = ("packs", "severity", "requires", "exclude", "extend-exclude")
PYPROJECT_SECTION = ("tool", "provguard")

V = TypeVar("V")


@dataclass(frozen=True)
class ProjectConfig:
    file: Path
    packs: tuple[str, ...] | None = None
    """None when the file does not say, so the defaults (or the editor) decide."""
    severity: Mapping[str, Severity] = field(default_factory=dict)
    requires: Mapping[str, VersionRange] = field(default_factory=dict)
    errors: tuple[SourceError, ...] = ()
    section: tuple[str, ...] = ()
    """Where provguard's keys are: ("tool", "provguard") in pyproject.toml, the top level of provguard.toml."""
    positions: TomlPositions = field(default_factory=TomlPositions, repr=False, compare=False)
    exclude: tuple[str, ...] | None = None
    """Gitignore patterns replacing the default excludes of `check`; None when the file does not say."""
    extend_exclude: tuple[str, ...] = ()

    @property
    def root(self) -> Path:
        """The folder the file is in: relative pack paths start there."""
        return self.file.parent

    def at_key(self, path: tuple[str | int, ...], message: str) -> SourceError:
        return SourceError(str(self.file), *self.positions.key((*self.section, *path)), message)

    def at_value(self, path: tuple[str | int, ...], message: str, offset: int = 0) -> SourceError:
        line, column = self.positions.value((*self.section, *path))
        return SourceError(str(self.file), line, column + offset, message)


@dataclass(frozen=True)
class ProjectPolicyLoad(PolicyLoad):
    config: ProjectConfig | None = None
    selection: Selection | None = None


def find_project_config(start: Path) -> ProjectConfig | None:
    """The configuration nearest to `start` (a file or a folder), or None when the project has none."""
    folder = Path(os.path.abspath(start))
    if not folder.is_dir():
        folder = folder.parent
    for current in (folder, *folder.parents):
        for name in CONFIG_FILES:
            # lexists, not is_file: a FIFO, a device or a dangling link there is an error, not "no configuration"
            if os.path.lexists(current / name) and (config := read_project_config(current / name)) is not None:
                return config
        if (current / ".git").exists():
            return None
    return None


def read_project_config(file: Path) -> ProjectConfig | None:
    """The configuration in `file`; None for a pyproject.toml that has no `[tool.provguard]`. A link out of the
    project is an error at its first line, never read (confinement.py: a repository's file must not make
    provguard read another); so is a file that cannot be read (a FIFO, a device, a folder, a dangling link: never
    opened, so never a hang). Both hold for a pyproject.toml too, as its `[tool.provguard]` cannot be known to
    be absent: skipped silently, a team's own rules would not be in force and nothing would say so."""
    pyproject = file.name == "pyproject.toml"
    section = PYPROJECT_SECTION if pyproject else ()
    if not is_inside(file, reach(file.parent)) and os.path.isfile(file):  # else read_source says what it is
        error = SourceError(str(file), 1, 1, "a link out of the project: a repository's configuration file may "
                            "only lead to a file in it, so it is not read")
        return ProjectConfig(file, errors=(error,), section=section)
    from provguard.policy.yaml_reader import read_source  # imports YAML: not wanted by a check the policy cache answers

    text = read_source(file, "project configuration")
    if isinstance(text, SourceError):
        return ProjectConfig(file, errors=(text,), section=section)
    data = loads_toml(text)
    if isinstance(data, NotToml):
        if pyproject and "provguard" not in text:
            return None  # broken, but not ours to report
        error = SourceError(str(file), data.line, data.column, f"TOML syntax error: {data.reason}")
        return ProjectConfig(file, errors=(error,), section=section)
    settings: object = data
    for key in section:
        settings = settings.get(key) if isinstance(settings, dict) else None
    if settings is None:
        return None
    return _Reader(ProjectConfig(file, section=section, positions=toml_positions(text))).read(settings)


class _Reader:
    def __init__(self, config: ProjectConfig) -> None:
        self.config = config
        self.errors: list[SourceError] = []

    def read(self, data: object) -> ProjectConfig:
        config = self.config
        if not isinstance(data, dict):
            self.errors.append(config.at_value((), "[tool.provguard] must be a table of settings"))
            return ProjectConfig(config.file, errors=tuple(self.errors), section=config.section)
        for key in data:
            if key not in PROJECT_KEYS:
                self.errors.append(config.at_key((key,), f"unknown key {key!r} in provguard configuration"
                                                          f"{suggest(key, PROJECT_KEYS)}"))
        packs = self.packs(data["packs"]) if "packs" in data else None
        severity = self.table(data.get("severity", {}), "severity", self.severity)
        requires = self.table(data.get("requires", {}), "requires", self.version_range)
        exclude = self.patterns(data["exclude"], "exclude") if "exclude" in data else None
        extend_exclude = self.patterns(data.get("extend-exclude", []), "extend-exclude") or ()
        return ProjectConfig(config.file, packs, severity, requires, capped(self.errors), config.section,
                             config.positions, exclude, extend_exclude)

    def packs(self, value: object) -> tuple[str, ...] | None:
        if not isinstance(value, list):
            self.errors.append(self.config.at_value(("packs",), "'packs' must be a list of pack names or paths, "
                                                                'like ["default", "rules/team.yaml"]'))
            return None
        good: list[str] = []
        for index, item in enumerate(value):
            if isinstance(item, str) and item.strip():
                good.append(item.strip())
            else:
                self.errors.append(self.config.at_value(("packs", index), "each entry of 'packs' must be a pack "
                                                                          "name or path"))
        return tuple(good) if len(good) == len(value) else None

    def patterns(self, value: object, key: str) -> tuple[str, ...] | None:
        from provguard.ignores import pattern_error

        if not isinstance(value, list):
            self.errors.append(self.config.at_value((key,), f"{key!r} must be a list of gitignore patterns, "
                                                            'like ["generated/", "*.pb.py"]'))
            return None
        good: list[str] = []
        for index, item in enumerate(value):
            problem = "each entry must be a gitignore pattern" if not isinstance(item, str) or not item.strip() \
                else pattern_error(item)
            if problem is None:
                good.append(item)
            else:
                self.errors.append(self.config.at_value((key, index), f"{key!r}: {problem}"))
        return tuple(good) if len(good) == len(value) else None

    def table(self, value: object, key: str, read: Callable[[str, object], V | None]) -> dict[str, V]:
        if not isinstance(value, dict):
            example = '{ ai-output-unmarked = "off" }' if key == "severity" else '{ acme = ">=1.2,<2" }'
            self.errors.append(self.config.at_value((key,), f"{key!r} must be a table, like {key} = {example}"))
            return {}
        out: dict[str, V] = {}
        for name, item in value.items():
            result = read(name, item)
            if result is not None:
                out[name] = result
        return out

    def severity(self, rule: str, value: object) -> Severity | None:
        if isinstance(value, str) and value in list(Severity):
            return Severity(value)
        shown = repr(value) if isinstance(value, str) else f"a {type(value).__name__}"
        self.errors.append(self.config.at_value(("severity", rule), f"unknown severity {shown} for rule {rule!r}"
                                                                    f"{suggest(str(value), list(Severity))}"))
        return None

    def version_range(self, pack: str, value: object) -> VersionRange | None:
        if not isinstance(value, str):
            self.errors.append(self.config.at_value(("requires", pack), f"the version range for {pack!r} must be "
                                                                        'a string, like ">=1.2,<2"'))
            return None
        wanted = parse_range(value)
        if isinstance(wanted, RangeError):
            # At the character: after the opening quote, as a range has nothing to escape.
            self.errors.append(self.config.at_value(("requires", pack), wanted.message, 1 + wanted.index))
            return None
        return wanted


def load_project_policy(start: Path, editor_settings: Settings | None = None, *,
                        explicit: Collection[str] | None = None, editor_base: Path | None = None) -> ProjectPolicyLoad:
    """The policy for the project around `start`: its configuration file, overridden by explicit editor
    settings (see precedence.py; `explicit` from parse_settings(raw).explicit, `editor_base` the folder the
    editor's pack paths are relative to: the workspace root). Errors are in `errors`; the policy then holds
    what did load, and a caller keeping the last good policy should keep it."""
    from provguard.policy.precedence import select

    config = find_project_config(start)
    folder = Path(os.path.abspath(start))
    folder = folder if folder.is_dir() else folder.parent
    base = editor_base or (config.root if config else folder)
    selection = select(config.packs if config else None, config.severity if config else {},
                       config.root if config else folder, editor_settings, explicit, base)
    errors = list(config.errors) if config else []
    packs: list[Pack] = []
    for choice in selection.packs:
        path = resolve_pack(choice.reference, choice.base)
        if config is not None and choice.source == "project":
            result = _load_project_pack(config, choice.reference, choice.index, path)
        else:
            result = load_reference(choice.reference, choice.base)
        errors.extend(result.errors)
        if result.pack is not None:
            packs.append(result.pack)
    if config is not None and not errors:
        errors.extend(_check_requires(config, packs))
        errors.extend(_check_severity(config, selection, packs))
    policy = Policy(tuple(packs), dict(selection.severity))
    return ProjectPolicyLoad(policy, tuple(errors), config, selection)


def _load_project_pack(config: ProjectConfig, reference: str, index: int, path: Path) -> LoadResult:
    """A pack the project file selects: a path must lead inside the project, and so must every path the pack
    extends or includes; a pack by name is provguard's or installed, and reaches where its author says."""
    from provguard.policy.loader import LoadResult, load_pack

    named, root = is_pack_name(reference), reach(config.root)
    if not named and not is_inside(path, root):
        return LoadResult(None, (config.at_value(("packs", index), outside_message("select", reference, root)),))
    if not path.is_file():
        return LoadResult(None, (config.at_value(("packs", index), missing_pack_message(reference, path)),))
    return load_pack(path, None if named else root)


def _check_requires(config: ProjectConfig, packs: list[Pack]) -> list[SourceError]:
    """Each `requires` entry against every loaded pack with that id, selected or extended by one."""
    from provguard.policy.loaded_pack import LoadedPack

    found: dict[str, list[tuple[str, str]]] = {}
    for pack in packs:
        found.setdefault(pack.id, []).append((pack.version, pack.source))
        for base in pack.bases if isinstance(pack, LoadedPack) else ():
            found.setdefault(base.id, []).append((base.version, base.source))
    errors: list[SourceError] = []
    for pack_id, wanted in config.requires.items():
        if pack_id not in found:
            errors.append(config.at_key(("requires", pack_id), f"'requires' names pack {pack_id!r}, which is not "
                                        f"selected or extended{suggest(pack_id, sorted(found) or ['none'])}"))
            continue
        for version, source in found[pack_id]:
            have = parse_version(version)
            if have is None or not wanted.allows(have):
                why = "is not a version number" if have is None else "is outside that range"
                errors.append(config.at_value(("requires", pack_id), f"this project requires {pack_id} {wanted}, "
                                              f"but pack {pack_id!r} from {source} is version {version}, which {why}"))
    return errors


def _check_severity(config: ProjectConfig, selection: Selection, packs: list[Pack]) -> list[SourceError]:
    """Rule ids in the project's `severity` that no selected pack has: a typo, unless the editor chose other
    packs than the project file, whose rules the project file cannot be expected to name."""
    if any(choice.source == "editor" for choice in selection.packs):
        return []
    known = sorted({rule.id for pack in packs for rule in pack.rules} | set(BUILTIN_RULES))
    return [config.at_key(("severity", rule), f"'severity' names unknown rule {rule!r}{suggest(rule, known)}")
            for rule, source in selection.severity_sources.items() if source == "project" and rule not in known]
