"""Which files a project's own packs may reach: only files inside the project, and packs by name.

`provguard check` in CI and the editor load the packs a cloned repository selects without anyone choosing
them, so a pull request could otherwise write `extends: /proc/self/environ` or `include: ~/.ssh/id_rsa` and
learn from CI logs whether such a file exists and what shape it has. Ruff's `extend` follows any path a
configuration names and leaves trust to the editor (VS Code's workspace trust); CI has no trust prompt, so
provguard draws the line itself, by where a pack came from:

- A pack the project selects (`packs` in provguard.toml or `[tool.provguard]`) and every file it extends or
  includes by path must be inside the project (`reach`): the repository holding the configuration file in force
  (the nearest folder with `.git` at or above it), so a monorepo's subprojects share `../shared/team.yaml`; else,
  or when that folder is the home folder or above it (a dotfiles repository), the configuration file's own
  folder. Each path is resolved first (`..` folded, `~` expanded, symlinks followed), so a link inside the
  project that points out is refused, and a link to another file inside is followed.
- A pack named (`default`, an installed `acme`) is provguard's or was installed by whoever set up the
  environment, not written by the repository: it may be extended, and what it extends in turn is not confined.
- A pack the person chose (editor settings, `--pack`) reaches where it says: the person trusts it.

The check runs before the file is looked at, so a refused path says the same whether or not something is there.
"""

from __future__ import annotations

import os
from pathlib import Path

_WHY = {
    "extend": "packs in a repository may only extend files in it, or packs by name like 'default'",
    "include": "packs in a repository may only include files in it",
    "select": "a repository's configuration may only select pack files in it, or packs by name like 'default'",
}


def reach(config_root: Path) -> Path:
    """The folder a project's packs may reach into, for the configuration file in `config_root`."""
    home = Path(os.path.expanduser("~")).resolve()
    for folder in (config_root, *config_root.parents):
        if os.path.lexists(folder / ".git"):
            return config_root if folder == home or home.is_relative_to(folder) else folder
    return config_root


def outside_message(verb: str, reference: str, root: Path) -> str:
    """Why a reference is refused; `verb` is what was tried: "extend", "include" or "select"."""
    return f"cannot {verb} {reference!r}: outside the project ({root}): {_WHY[verb]}"


def is_inside(path: Path, root: Path) -> bool:
    """Whether `path`, with `..`, `~` and every symlink resolved, is inside `root` (resolved the same way)."""
    try:
        target = Path(os.path.expanduser(path)).resolve()
        folder = root.resolve()
    except (OSError, RuntimeError):  # a symlink loop, a path the system will not resolve: not provably inside
        return False
    return target == folder or target.is_relative_to(folder)
