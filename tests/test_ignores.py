"""Which files a walk selects: git's ignore rules (compared with git itself on generated trees), `.ignore`,
default excludes, virtual environments found by `pyvenv.cfg`, paths given by name, and ignore files read as
the walk reaches them."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from provguard.files import SkippedFile, walk
from provguard.ignores import Patterns, Selection, check_selection

HAS_GIT = shutil.which("git") is not None
IGNORING = Selection(ignore_files=True)


@pytest.fixture(autouse=True)
def no_personal_git_config(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """The user's own core.excludesFile must not decide what these tests see."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")


def make(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def selected(root: Path, *paths: str, selection: Selection | None = IGNORING) -> list[str]:
    """What the walk yields, as paths relative to `root` with forward slashes."""
    found = []
    for item in walk([root / p for p in paths or ["."]], root, selection):
        assert not isinstance(item, SkippedFile), item
        found.append(Path(os.path.relpath(item, root)).as_posix())
    return found


# -- git's rules, against git itself ---------------------------------------------------------------------

NAMES = ("a", "b", "c.py", "d.log")
PATTERNS = ("*.log", "!d.log", "/a", "a/", "b/*", "!b/c.py", "**/b", "c.py", "!a/", "b/", "a/**/c.py", "*", "!*.py",
            "!*/", "/b", "b", "!b", "a/b/", "\\!b", "#c.py", "c.py ", "[ab]/c.py", "?.py", "a/*/", "**/a/**")


@st.composite
def trees(draw: st.DrawFn) -> tuple[list[str], dict[str, list[str]]]:
    """Files (no path both a file and a folder) and .gitignore files with patterns from a pool meant to meet."""
    paths = draw(st.lists(st.lists(st.sampled_from(NAMES), min_size=1, max_size=3).map("/".join),
                          min_size=1, max_size=12, unique=True))
    files = [p for p in paths if not any(other.startswith(p + "/") for other in paths)]
    folders = sorted({"", *("/".join(f.split("/")[:i]) for f in files for i in range(1, f.count("/") + 1))})
    # Patterns made from the tree's own paths, so that they meet: folders excluded, files taken back in them.
    near = [*(f"{p}{end}" for p in files for end in ("", "/")), *(f"{sign}{f}/" for f in folders[1:] for sign in "!/"),
            *(f"!{f}" for f in files), *(f"{f}/*" for f in folders[1:])]
    pattern = st.one_of(st.sampled_from(near), st.sampled_from(PATTERNS))
    ignores = draw(st.dictionaries(st.sampled_from(folders), st.lists(pattern, min_size=1, max_size=5), max_size=3))
    return files, ignores


def git_selects(root: Path) -> list[str]:
    done = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=root, capture_output=True,
                          text=True, check=True)
    return sorted(done.stdout.splitlines())


@pytest.mark.skipif(not HAS_GIT, reason="git is not installed")
@settings(derandomize=True, max_examples=120, deadline=None)
@given(trees())
def test_the_walk_selects_what_git_selects(tree: tuple[list[str], dict[str, list[str]]]) -> None:
    files, ignores = tree
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        make(root, {f: "x = 1\n" for f in files})
        make(root, {f"{folder}/.gitignore".lstrip("/"): "".join(p + "\n" for p in patterns)
                    for folder, patterns in ignores.items()})
        subprocess.run(["git", "init", "-q"], cwd=root, check=True)

        assert sorted(selected(root)) == git_selects(root)


@pytest.mark.skipif(not HAS_GIT, reason="git is not installed")
def test_info_exclude_and_core_excludes_file_are_read_in_a_repository(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    root = make(tmp_path / "repo", {"a.py": "", "private.py": "", "mine.py": "", "src/mine.py": ""})
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    (root / ".git/info").mkdir(exist_ok=True)
    (root / ".git/info/exclude").write_text("private.py\n")
    (tmp_path / "global-ignore").write_text("mine.py\n")
    (tmp_path / "gitconfig").write_text(f"[core]\n\texcludesFile = {tmp_path / 'global-ignore'}\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "gitconfig"))

    assert sorted(selected(root)) == git_selects(root) == ["a.py"]


def test_a_gitignore_outside_any_repository_is_still_read(tmp_path: Path) -> None:
    root = make(tmp_path, {".gitignore": "out/\n", "a.py": "", "out/b.py": "", ".git-free/c.py": ""})

    assert selected(root) == [".gitignore", "a.py", ".git-free/c.py"]


def test_a_nested_repository_starts_its_own_gitignore_chain(tmp_path: Path) -> None:
    root = make(tmp_path, {".gitignore": "*.gen.py\n", ".ignore": "*.tmp.py\n", "a.gen.py": "",
                           "vendor/lib/.git/HEAD": "", "vendor/lib/b.gen.py": "", "vendor/lib/c.tmp.py": ""})

    assert selected(root, "vendor") == ["vendor/lib/b.gen.py"]


def test_dot_ignore_overrides_every_gitignore(tmp_path: Path) -> None:
    root = make(tmp_path, {".ignore": "!keep.gen.py\nsecret/\n", "src/.gitignore": "*.gen.py\n",
                           "src/keep.gen.py": "", "src/drop.gen.py": "", "secret/a.py": ""})

    assert selected(root) == [".ignore", "src/.gitignore", "src/keep.gen.py"]


# -- excludes and virtual environments --------------------------------------------------------------------

def test_virtual_environments_are_found_by_pyvenv_cfg_not_by_name(tmp_path: Path) -> None:
    root = make(tmp_path, {"venv/__init__.py": "", "venv/scripts/common/activate": "",
                           ".env/pyvenv.cfg": "home = /usr/bin\n", ".env/lib/site.py": "",
                           "tools/py311/pyvenv.cfg": "", "tools/py311/bin/x.py": "",
                           "node_modules/m/index.js": "", "pkg/__pycache__/a.cpython-311.pyc": "", "pkg/a.py": ""})

    assert selected(root, selection=None) == ["pkg/a.py", "venv/__init__.py", "venv/scripts/common/activate"]


def test_exclude_sets_override_in_order_with_their_own_base(tmp_path: Path) -> None:
    root = make(tmp_path, {"node_modules/m.js": "", "gen/a.py": "", "sub/gen/b.py": "", "sub/c.py": ""})
    selection = Selection((Patterns(("node_modules",)), Patterns(("/gen/", "!node_modules")),
                           Patterns(("/gen/",), tmp_path / "sub")))

    assert selected(root, selection=selection) == ["node_modules/m.js", "sub/c.py"]


def test_check_selection_combines_configuration_and_command_line_like_ruff(tmp_path: Path) -> None:
    make(tmp_path, {"provguard.toml": 'exclude = ["a/"]\nextend-exclude = ["b/"]\n', "a/x.py": "", "b/x.py": "",
                    "c/x.py": "", "d/x.py": "", ".git/x.py": ""})

    def chosen(exclude: list[str] | None, extend: list[str]) -> list[str]:
        selection = check_selection(lambda _folder: os.path.realpath(tmp_path), exclude, extend)
        assert isinstance(selection, Selection)
        return sorted({p.split("/")[0] for p in selected(tmp_path, selection=selection)} - {"provguard.toml"})

    assert chosen(None, []) == [".git", "c", "d"]  # the configured exclude replaces the defaults
    assert chosen(None, ["c"]) == [".git", "d"]
    assert chosen(["d/"], []) == [".git", "a", "c"]  # the command line's replaces the configured one
    assert str(check_selection(lambda _folder: str(tmp_path), ["!"])).startswith("'!' is not a gitignore pattern")


# -- paths given by name ----------------------------------------------------------------------------------

def test_a_path_given_by_name_is_selected_even_if_ignored_unless_force_exclude(tmp_path: Path) -> None:
    root = make(tmp_path, {".gitignore": "build/\n*.log.py\n", "build/out.py": "", "build/deep/x.log.py": "",
                           "notes.log.py": "", ".venv/pyvenv.cfg": "", ".venv/lib/m.py": ""})
    forced = Selection(ignore_files=True, force_exclude=True)

    assert selected(root, "build", "notes.log.py", ".venv/lib") == ["build/out.py", "notes.log.py",
                                                                       ".venv/lib/m.py"]
    assert selected(root, "build/deep") == []  # what the folder's own patterns say still holds inside it
    assert selected(root, "build", "notes.log.py", ".venv/lib", "build/deep", selection=forced) == []


# -- read as the walk goes ---------------------------------------------------------------------------------

def test_ignore_files_are_read_as_the_walk_reaches_their_folder(tmp_path: Path) -> None:
    root = make(tmp_path, {"a.py": "", "z/b.py": "", "z/c.py": ""})
    items: Iterator[Path | SkippedFile] = walk([root], root, IGNORING)

    first = next(items)
    (root / "z/.gitignore").write_text("b.py\n")  # written after the walk started, before it reached z/

    assert first == root / "a.py"
    assert [Path(os.path.relpath(p, root)).as_posix() for p in items if isinstance(p, Path)] == \
        ["z/.gitignore", "z/c.py"]


def test_an_ignore_file_that_is_not_a_regular_file_is_not_read(tmp_path: Path) -> None:
    """A FIFO would wait for a writer forever; a link may lead anywhere (git does not follow one either)."""
    outside = make(tmp_path / "outside", {"patterns": "*.py\n"})
    root = make(tmp_path / "project", {"a/x.py": "", "b/x.py": "", "c/x.py": ""})
    os.mkfifo(root / "a/.gitignore")
    (root / "b/.gitignore").symlink_to(outside / "patterns")
    (root / "c/.ignore").symlink_to("/dev/zero")

    found = list(walk([root], root, IGNORING))

    assert sorted(Path(os.path.relpath(p, root)).as_posix() for p in found if isinstance(p, Path)) == \
        ["a/.gitignore", "a/x.py", "b/x.py", "c/x.py"]  # the FIFO is yielded: reading it says what it is
