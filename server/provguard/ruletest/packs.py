"""The rule packs under a folder, for `provguard rules test DIR`.

A pack is a `.yaml` / `.yml` file with a top-level `pack:` key, found by reading its text, not by parsing it: a
pack with a syntax error is still a pack, and its test reports the error. Fixture folders of the packs found
(`tests/<pack>/`), side files, hidden folders and Python's compiled files are not packs.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from provguard.policy.references import PACK_SUFFIXES
from provguard.policy.yaml_reader import read_source
from provguard.ruletest.fixtures import COMPILED_DIRS, SIDE_SUFFIX, fixture_root

_PACK_KEY = re.compile(r"^(?:pack|'pack'|\"pack\")[ \t]*:", re.MULTILINE)


@dataclass(frozen=True)
class Found:
    packs: tuple[Path, ...]
    """Sorted by path."""
    yaml_files: int
    """YAML files looked at, so an empty answer can say what was there."""


def packs_under(folder: Path) -> Found:
    candidates: list[Path] = []
    looked = 0
    for parent, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in COMPILED_DIRS)
        for name in sorted(files):
            if not name.endswith(PACK_SUFFIXES) or name.endswith(SIDE_SUFFIX) or name.startswith("."):
                continue
            looked += 1
            path = Path(parent) / name
            text = read_source(path)
            if isinstance(text, str) and _PACK_KEY.search(text):
                candidates.append(path)
    homes = [fixture_root(str(p)) for p in candidates]
    packs = [p for p in candidates if not any(p.is_relative_to(home) for home in homes)]
    return Found(tuple(sorted(packs)), looked)


def no_packs_message(shown: str, found: Found) -> str:
    what = (f"none of its {found.yaml_files} YAML files is one" if found.yaml_files
            else "it holds no .yaml or .yml file")
    return (f"no rule packs under {shown}: {what} (a pack is a .yaml or .yml file with a top-level 'pack:' key; "
            "its rule tests live in tests/<pack>/ beside it)")
