"""Which files a walk leaves out: default excludes, `--exclude`, virtual environments and ignore files.

Git's rules, with pathspec's gitignore patterns: a `.gitignore` in any folder speaks for the paths below it,
a deeper one overriding a higher one, then `.git/info/exclude`, then git's `core.excludesFile` (those two
only inside a git repository; a nested repository starts its own `.gitignore` chain, as in git). `.ignore`
files (ripgrep's) override every `.gitignore`. Each path is matched on its own and a folder excluded is not
descended, as git does, so nothing below it can be taken back (tests compare with `git ls-files`). Ignore
files are read as the walk reaches their folder, never the whole tree first.

`--exclude` patterns are the same gitignore syntax, relative to the project root (the configuration's own
folder for the ones it lists), and exclude whatever the ignore files say. In a walk over nested projects each
entry is judged by the excludes of its own project (a folder with its own configuration: by that one's), as
ruff does, so a file is selected the same whether its project or a folder above it was given. A virtual
environment is a folder holding `pyvenv.cfg`, whatever its name; a folder named `venv` without one (the
standard library's) is read.
A path given by name is read even if ignored (a folder: what is in it, by the same rules), unless
`force_exclude`.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathspec import GitIgnoreSpec, RegexPattern

DEFAULT_EXCLUDES = (".git", ".git-rewrite", ".hg", ".svn", ".bzr", ".jj", "_darcs", "node_modules", "__pycache__",
                    "__pypackages__", ".mypy_cache", ".ruff_cache", ".pytest_cache", ".pytype", ".tox", ".nox",
                    ".eggs", ".direnv", ".ipynb_checkpoints", "_build", "buck-out", ".pants.d", "site-packages",
                    ".provguard")
"""Like ruff's, without `venv`, `.venv` and `dist`: environments are found by `pyvenv.cfg`, build output by
the project's .gitignore (a package may be named `build` or `dist`)."""
IGNORE_FILES = (".gitignore", ".ignore")
VENV_MARKER = "pyvenv.cfg"
MAX_IGNORE_FILE_BYTES = 1 << 20
GIT_TIMEOUT = 10.0
_DIR_MARK = "ps_d"
"""The regex group pathspec's gitignore patterns (0.12 and later) match the slash after a folder with."""


@dataclass(frozen=True)
class Patterns:
    """Gitignore-style patterns and the folder they are relative to (None: the project root)."""

    lines: tuple[str, ...]
    base: Path | None = None


@dataclass(frozen=True)
class Selection:
    """What a walk leaves out besides what it cannot read. The default (no ignore files) is `export`'s: a
    corpus is often what .gitignore lists (`data/`), and leaving it out would hide it from the export."""

    exclude: tuple[Patterns, ...] = (Patterns(DEFAULT_EXCLUDES),)
    """In order; a later set overrides an earlier one (so `!node_modules` can take a default back)."""
    ignore_files: bool = False
    force_exclude: bool = False
    """Paths given by name are excluded too when they match; else they are read even if ignored."""
    projects: ProjectExcludes | None = None
    """For a walk over nested projects: each project's own excludes, in place of `exclude`."""


def pattern_error(pattern: str) -> str | None:
    """Why `pattern` is not a gitignore pattern, or None."""
    from pathspec import GitIgnoreSpec  # imported on first use: checking one file given by name needs none

    try:
        GitIgnoreSpec.from_lines([pattern])
    except ValueError as exc:
        return f"{pattern!r} is not a gitignore pattern: {exc}"
    return None


def check_selection(root_of: Callable[[str], str], exclude: Sequence[str] | None = None,
                    extend_exclude: Sequence[str] = (), force_exclude: bool = False) -> Selection | str:
    """`provguard check`'s selection: ignore files, then each project's excludes (`root_of` gives the project
    root of a folder, a real path). A wrong pattern on the command line is an error message."""
    for pattern in (*(exclude or ()), *extend_exclude):
        if (error := pattern_error(pattern)) is not None:
            return error
    return Selection(ignore_files=True, force_exclude=force_exclude,
                     projects=ProjectExcludes(root_of, exclude, tuple(extend_exclude)))


class ProjectExcludes:
    """The excludes of each project a walk meets: those of the project configuration (found from the project
    root up, as the project's policy is) and the command line, combined as ruff does: `--exclude` replaces the
    configured `exclude`, which replaces the defaults; `extend-exclude` adds, the command line's last. Command
    line patterns are relative to each project's root."""

    def __init__(self, root_of: Callable[[str], str], exclude: Sequence[str] | None,
                 extend_exclude: Sequence[str]) -> None:
        self.root_of = root_of
        self.exclude = tuple(exclude) if exclude is not None else None
        self.extend_exclude = tuple(extend_exclude)
        self._roots: dict[str, str] = {}
        self._patterns: dict[str, tuple[Patterns, ...]] = {}

    def of(self, folder: str) -> tuple[str, tuple[Patterns, ...]]:
        """(the project root, its excludes) for the entries of `folder`, a real path; each looked up once."""
        root = self._roots.get(folder)
        if root is None:
            root = self._roots[folder] = self.root_of(folder)
        found = self._patterns.get(root)
        if found is None:
            found = self._patterns[root] = self._combined(Path(root))
        return root, found

    def _combined(self, root: Path) -> tuple[Patterns, ...]:
        from provguard.policy.project import find_project_config

        config = find_project_config(root)
        if config is not None and config.errors:
            config = None  # the policy's loading reports every error of the file, and stops the run
        configured = config.exclude if config is not None else None
        base = config.root if config is not None else root
        sets = [Patterns(self.exclude, root) if self.exclude is not None
                else Patterns(configured, base) if configured is not None else Patterns(DEFAULT_EXCLUDES, root)]
        if config is not None and config.extend_exclude:
            sets.append(Patterns(config.extend_exclude, base))
        if self.extend_exclude:
            sets.append(Patterns(self.extend_exclude, root))
        return tuple(sets)


@dataclass(frozen=True)
class _Rules:
    """One ignore file's patterns (or one set of excludes), relative to `base`, a real absolute path."""

    base: str
    spec: GitIgnoreSpec
    git: bool = False
    """From .gitignore, info/exclude or core.excludesFile: dropped at a nested repository's top."""
    everywhere: bool = False
    """Excludes: outside `base`, matched against the absolute path, so `node_modules` is still left out of a
    folder outside the project root (and an anchored `/build` matches nothing there)."""

    def verdict(self, path: str, is_dir: bool) -> bool | None:
        """True: excluded, False: taken back by a `!` pattern, None: no pattern names `path` itself.

        As git, each path on its own: a pattern naming a folder above `path` (`build/`, `!logs/`) says
        nothing of it; a folder excluded is not descended, which is how its contents go. So a folder given
        by name is read even though `build/` excludes it, and `!logs/` does not take back `logs/*.tmp`."""
        from provguard.policy.linear_regex import encodable  # imports RE2, as matching here does anyway

        relative = self._relative(path)
        if relative is None:
            return None
        query = encodable(relative + "/" if is_dir else relative)  # pathspec's RE2 backend takes UTF-8 only
        if self.spec.check_file(query).include is None:
            return None  # the common case, in one call: no pattern matches it, nor a folder above it
        for pattern in reversed(self.spec.patterns):
            if pattern.include is not None and _names_itself(pattern, query):
                return pattern.include
        return None

    def _relative(self, path: str) -> str | None:
        if path == self.base:
            return None  # a project's root, judged by its own excludes: nothing in them names it
        prefix = self.base if self.base.endswith(os.sep) else self.base + os.sep
        if path.startswith(prefix):
            return _posix(path[len(prefix):])
        return _posix(path).lstrip("/") if self.everywhere else None


def _names_itself(pattern: RegexPattern, query: str) -> bool:
    """Whether `pattern` matches `query` itself rather than only a folder above it. pathspec marks where a
    match ends at a folder with its `ps_d` group (the slash after it); past the end of a folder query's
    last name is the query itself."""
    found = pattern.match_file(query)
    if found is None:
        return False
    match, last = found.match, len(query) - 1
    if _DIR_MARK not in match.re.groupindex or match.start(_DIR_MARK) in (-1, last):
        return True
    # An unanchored pattern (`**/`) first matched higher up: try it at the query's own last slash.
    again = match.re.search(query, last) if query.endswith("/") else None
    return again is not None and again.start(_DIR_MARK) == last


def _posix(path: str) -> str:
    return path if os.sep == "/" else path.replace(os.sep, "/")


def _compile(lines: Iterable[str]) -> GitIgnoreSpec:
    """Every valid pattern of `lines`; an invalid one is passed over, as git does."""
    from pathspec import GitIgnoreSpec

    return GitIgnoreSpec.from_lines([line for line in lines if pattern_error(line) is None])


def _read_ignore_file(path: str, follow: bool = False) -> GitIgnoreSpec | None:
    """The patterns of an ignore file, or None when there is none to read. In a tree only a regular file is
    read (git does not follow a linked .gitignore either, and a FIFO would wait forever); bounded in size."""
    from provguard.files import read_limited

    try:
        mode = (os.stat if follow else os.lstat)(path).st_mode
    except OSError:
        return None
    if not stat.S_ISREG(mode):
        return None
    data = read_limited(Path(path), MAX_IGNORE_FILE_BYTES)
    if isinstance(data, str):
        return None
    spec = _compile(data.decode("utf-8", "replace").splitlines())
    return spec if spec.patterns else None


@dataclass
class Folder:
    """The rules in force for the entries of one folder (a real absolute path); its own ignore files are read
    on first use, as the walk reaches it."""

    path: str
    matcher: Matcher
    inherited: tuple[_Rules, ...]
    _rules: tuple[_Rules, ...] | None = field(default=None, repr=False)
    _excludes: tuple[_Rules, ...] | None = field(default=None, repr=False)

    def rules(self) -> tuple[_Rules, ...]:
        if self._rules is None:
            self._rules = self.matcher.folder_rules(self.path, self.inherited)
        return self._rules

    def excluded(self, name: str, is_dir: bool) -> bool:
        """Whether the entry `name` of this folder is left out (`is_dir`: a folder, or a link to one)."""
        path = os.path.join(self.path, name)
        if self._excludes is None:
            self._excludes = self.matcher.excludes_in(self.path)
        own = is_dir and self.matcher.selection.projects is not None and not os.path.islink(path)
        excludes = self.matcher.excludes_in(path) if own else self._excludes  # a folder: by its own project's
        if _last_verdict(excludes, path, is_dir):
            return True
        if is_dir and os.path.isfile(os.path.join(path, VENV_MARKER)):
            return True
        return _last_verdict(self.rules(), path, is_dir)

    def child(self, name: str) -> Folder:
        return Folder(os.path.join(self.path, name), self.matcher, self.rules())


def _last_verdict(rules: Sequence[_Rules], path: str, is_dir: bool) -> bool:
    """What the last rules speaking of `path` say; not excluded when none does."""
    for one in reversed(rules):
        verdict = one.verdict(path, is_dir)
        if verdict is not None:
            return verdict
    return False


class Matcher:
    """The selection of one walk under one project root."""

    def __init__(self, root: Path, selection: Selection) -> None:
        self.root = os.path.realpath(root)
        self.selection = selection
        self._excludes: tuple[_Rules, ...] | None = None
        self._by_project: dict[str, tuple[_Rules, ...]] = {}
        self._global: GitIgnoreSpec | bool | None = False
        """core.excludesFile's patterns once read (None: none); False: not read yet."""

    def excludes_in(self, folder: str) -> tuple[_Rules, ...]:
        """The excludes in force for the entries of `folder` (a real path): its project's, in a walk over
        several projects."""
        if self.selection.projects is None:
            if self._excludes is None:
                self._excludes = self._compiled(self.selection.exclude)
            return self._excludes
        root, patterns = self.selection.projects.of(folder)
        rules = self._by_project.get(root)
        if rules is None:
            rules = self._by_project[root] = self._compiled(patterns)
        return rules

    def _compiled(self, sets: Sequence[Patterns]) -> tuple[_Rules, ...]:
        return tuple(_Rules(os.path.realpath(p.base) if p.base else self.root, _compile(p.lines), everywhere=True)
                     for p in sets)

    def folder_rules(self, path: str, inherited: tuple[_Rules, ...]) -> tuple[_Rules, ...]:
        """The rules for the entries of the folder at `path`: inherited, then its own ignore files; .ignore
        files after every .gitignore, so that they win."""
        if not self.selection.ignore_files:
            return ()
        rules = list(inherited)
        if os.path.lexists(os.path.join(path, ".git")):
            rules = [*self._repository_rules(path), *(r for r in rules if not r.git)]
        git = [r for r in rules if r.git]
        other = [r for r in rules if not r.git]
        for name in IGNORE_FILES:
            spec = _read_ignore_file(os.path.join(path, name))
            if spec is not None:
                (git if name == ".gitignore" else other).append(_Rules(path, spec, git=name == ".gitignore"))
        return (*git, *other)

    def _repository_rules(self, top: str) -> list[_Rules]:
        """core.excludesFile, then info/exclude, of the repository whose work tree starts at `top`."""
        found = []
        if self._global is False:
            self._global = _global_excludes(top)
        if self._global is not None and not isinstance(self._global, bool):
            found.append(_Rules(top, self._global, git=True))
        info = _git_dir(top)
        spec = _read_ignore_file(os.path.join(info, "info", "exclude"), follow=True) if info else None
        if spec is not None:
            found.append(_Rules(top, spec, git=True))
        return found

    def start(self, top: Path) -> Folder | None:
        """The rules in force inside the folder `top` given by name, read from the top of its repository (else
        the project root, when `top` is in it) down; None when `--force-exclude` and `top` is excluded."""
        return self._chain(os.path.realpath(top), is_dir=True)

    def excludes_file(self, path: Path) -> bool:
        """Whether a file given by name is left out: asked only with `--force-exclude`."""
        return self._chain(os.path.realpath(path), is_dir=False) is None

    def _chain(self, target: str, is_dir: bool) -> Folder | None:
        """The folder `target` is (or is in), its ignore files read from above; None when it (or a folder
        above it) is excluded and `--force-exclude`."""
        holder = target if is_dir else os.path.dirname(target)
        start = _repository_top(holder) or (self.root if _within(holder, self.root) else holder)
        names = Path(os.path.relpath(target, start)).parts if target != start else ()
        folder = Folder(start, self, ())
        for index, name in enumerate(names):
            entry_is_dir = is_dir or index < len(names) - 1
            if self.selection.force_exclude and folder.excluded(name, entry_is_dir):
                return None
            if entry_is_dir:
                folder = folder.child(name)
        return folder


def _within(path: str, base: str) -> bool:
    return path == base or path.startswith(base.rstrip(os.sep) + os.sep)


def _repository_top(folder: str) -> str | None:
    """The nearest folder at or above `folder` holding `.git` (a folder, or a file for worktrees)."""
    for current in (folder, *map(str, Path(folder).parents)):
        if os.path.lexists(os.path.join(current, ".git")):
            return current
    return None


def _git_dir(top: str) -> str | None:
    """Where the repository at `top` keeps info/exclude: `.git`, or the common folder a `.git` file leads to."""
    dot_git = os.path.join(top, ".git")
    if os.path.isdir(dot_git):
        return dot_git
    try:
        with open(dot_git, encoding="utf-8") as text:
            first = text.readline(4096).strip()
    except (OSError, UnicodeDecodeError):
        return None
    if not first.startswith("gitdir:"):
        return None
    git_dir = os.path.join(top, first.removeprefix("gitdir:").strip())
    try:
        with open(os.path.join(git_dir, "commondir"), encoding="utf-8") as text:
            return os.path.join(git_dir, text.readline(4096).strip())
    except (OSError, UnicodeDecodeError):
        return git_dir


def _global_excludes(top: str) -> GitIgnoreSpec | None:
    """The patterns of git's `core.excludesFile` (asked of git when it is installed), else of its default,
    $XDG_CONFIG_HOME/git/ignore."""
    configured = None
    if (git := shutil.which("git")) is not None:
        try:
            done = subprocess.run([git, "config", "--get", "core.excludesFile"], cwd=top, capture_output=True,
                                  text=True, timeout=GIT_TIMEOUT, check=False, stdin=subprocess.DEVNULL)
            configured = done.stdout.strip() if done.returncode == 0 and done.stdout.strip() else None
        except (OSError, subprocess.SubprocessError, UnicodeDecodeError):
            configured = None
    if configured is None:
        config_home = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
        configured = os.path.join(config_home, "git", "ignore")
    return _read_ignore_file(os.path.expanduser(configured), follow=True)
