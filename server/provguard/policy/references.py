"""Where a pack reference points: a shipped pack, a pack installed by a Python package, or a file.

A team ships its packs as a Python distribution that declares an entry point in the `provguard.packs` group,
`acme = "acme_provguard_rules"`: the name is what `--pack`, `packs` and `extends` say, the value a module or
package whose folder holds `acme.yaml` (or `acme.yml`, or `acme/pack.yaml` for a pack split into several
files). The package is located without being imported, so resolving a pack never runs its code.
"""

from __future__ import annotations

import difflib
import importlib.util
from pathlib import Path

from provguard.policy.errors import SourceError, unlocated

PACK_ENTRY_POINT_GROUP = "provguard.packs"
PACK_SUFFIXES = (".yaml", ".yml")


def shipped_packs_dir() -> Path:
    """The packs shipped with provguard: inside the wheel, or `rules/` of a source checkout."""
    installed = Path(__file__).resolve().parent.parent / "rules"
    return installed if installed.is_dir() else Path(__file__).resolve().parents[3] / "rules"


def is_pack_name(reference: str) -> bool:
    """A name (`default`, `acme`) rather than a path (`packs/team.yaml`, `./team.yml`)."""
    return "/" not in reference and "\\" not in reference and not reference.endswith(PACK_SUFFIXES)


def resolve_pack(reference: str, base: Path | None = None) -> Path:
    """The file a pack reference names: a shipped pack, else an installed one, else a path relative to `base`.

    A shipped name wins over an installed one, so installing a package cannot replace `default`. A name found
    nowhere resolves to where a shipped pack of that name would be; `missing_pack_message` explains it."""
    if is_pack_name(reference):
        shipped = shipped_packs_dir() / f"{reference}.yaml"
        if shipped.is_file():
            return shipped
        return installed_pack(reference) or shipped
    path = Path(reference).expanduser()
    return path if path.is_absolute() or base is None else base / path


def shipped_pack_names() -> list[str]:
    return sorted(p.stem for p in shipped_packs_dir().glob("*.yaml"))


def installed_pack_names() -> list[str]:
    from importlib import metadata  # slow to import; only looked at when a name is not a shipped pack

    return sorted({entry.name for entry in metadata.entry_points(group=PACK_ENTRY_POINT_GROUP)})


def installed_pack(name: str) -> Path | None:
    """The pack file an installed distribution provides under `name`; the first one that has it wins."""
    from importlib import metadata

    for entry in metadata.entry_points(group=PACK_ENTRY_POINT_GROUP):
        if entry.name != name:
            continue
        for folder in _module_folders(entry.module):
            for candidate in (*(folder / f"{name}{suffix}" for suffix in PACK_SUFFIXES), folder / name / "pack.yaml"):
                if candidate.is_file():
                    return candidate
    return None


def missing_pack_message(reference: str, path: Path) -> str:
    """Why `reference` found no pack, with the names that do exist for a pack name."""
    if not is_pack_name(reference):
        return f"rule pack {reference!r} not found at {path}"
    shipped, installed = shipped_pack_names(), installed_pack_names()
    hint = difflib.get_close_matches(reference, shipped + installed, n=1)
    listed = f"shipped: {', '.join(shipped) or 'none'}; installed: {', '.join(installed) or 'none'}"
    return (f"no rule pack named {reference!r}: provguard ships none by that name and no installed package "
            f"provides one in the {PACK_ENTRY_POINT_GROUP!r} entry point group ({listed})"
            + (f"; did you mean {hint[0]!r}?" if hint else ""))


def missing_pack_error(reference: str, path: Path) -> SourceError:
    """The error for a reference that finds no pack: at the missing file for a path a person wrote, without a
    place for a name (where a shipped pack of that name would be is no file of theirs)."""
    message = missing_pack_message(reference, path)
    return unlocated(message) if is_pack_name(reference) else SourceError(str(path), 1, 1, message)


def _module_folders(module: str) -> list[Path]:
    """Folders that may hold the packs of `module` (a package's own folder, a module's parent folder).

    Only the top-level name is looked up with `find_spec`, which finds it without importing it; the rest of a
    dotted name is followed as folders, because finding a submodule would import (run) its parents."""
    top, *rest = module.strip().split(".")
    try:
        spec = importlib.util.find_spec(top)
    except (ImportError, ValueError):
        return []
    if spec is None:
        return []
    if spec.submodule_search_locations:
        roots = [Path(location) for location in spec.submodule_search_locations]
    elif spec.origin and spec.has_location:
        roots = [Path(spec.origin).parent]
        rest = []
    else:
        return []
    folders: list[Path] = []
    for root in roots:
        folders.append(root.joinpath(*rest))
        if rest:  # `pkg.module`: the folder the module file is in
            folders.append(root.joinpath(*rest[:-1]))
    return folders
