"""Which files the real `provguard check` reads: .gitignore, .ignore and git's excludes, virtual environments,
paths given by name, --exclude / --extend-exclude / --force-exclude and the configuration's excludes, and how
the files it could not read are told (one line, or each with --verbose)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from provguard.policy.project import read_project_config

REPO = Path(__file__).resolve().parents[1]
HANG = 120
"""Seconds: only a hang reaches it."""
AI_FILE = "# provguard: kind=ai-agent tool=claude-code\ndef generated():\n    return 1\n"
HAS_GIT = shutil.which("git") is not None


def tree(root: Path, files: dict[str, str | bytes]) -> Path:
    """A project (its provguard.toml makes `root` its root) with these files; "" stands for AI-written code,
    which check always reports, so what it reports is what it read."""
    for name, content in {"provguard.toml": 'packs = ["default"]\n', **files}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content or AI_FILE)
    return root


def provguard(cwd: Path, *args: str, git_on_path: bool = True, env: dict[str, str] | None = None,
              ) -> subprocess.CompletedProcess[str]:
    """`provguard check` as a user runs it, with no personal git configuration (and, if asked, no git)."""
    home = cwd.parent / f"{cwd.name}-home"
    run_env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
               "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1", "PYTHONIOENCODING": "utf-8",
               "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO / "server"), os.environ.get("PYTHONPATH")])),
               **(env or {})}
    if not git_on_path:
        empty = cwd.parent / f"{cwd.name}-bin"
        empty.mkdir(exist_ok=True)
        run_env["PATH"] = str(empty)
    return subprocess.run([sys.executable, "-m", "provguard", "check", "--no-git", "--no-cache", *args], cwd=cwd,
                          env=run_env, capture_output=True, text=True, encoding="utf-8", timeout=HANG, check=False)


def checked(cwd: Path, *args: str, **options: Any) -> list[str]:
    """The files check read and reported."""
    done = provguard(cwd, "--format", "json", "--fail-on", "never", *args, **options)
    assert done.returncode == 0, done.stderr
    return sorted({finding["path"] for finding in json.loads(done.stdout)["findings"]})


def git_init(root: Path) -> None:
    subprocess.run(["git", "init", "-q"], cwd=root, check=True, capture_output=True)


# -- ignore files ------------------------------------------------------------------------------------------

GITIGNORED = {
    ".gitignore": "build/\n*.gen.py\n/local.py\n",
    "src/app.py": "", "src/local.py": "", "local.py": "", "build/out.py": "", "src/build/out.py": "",
    "src/api.gen.py": "",
    "lib/.gitignore": "!keep.gen.py\nscratch/\n", "lib/keep.gen.py": "", "lib/drop.gen.py": "",
    "lib/scratch/x.py": "", "lib/deep/scratch/y.py": "", "lib/scratch.py": "",
}
"""Outside any git repository: the .gitignore files count all the same, as in ruff."""


def test_gitignore_files_at_the_root_and_below_decide_what_is_read(tmp_path: Path) -> None:
    root = tree(tmp_path / "project", GITIGNORED)

    assert checked(root) == ["lib/keep.gen.py", "lib/scratch.py", "src/app.py", "src/local.py"]


@pytest.mark.skipif(not HAS_GIT, reason="git is not installed")
def test_dot_ignore_info_exclude_and_core_excludes_file(tmp_path: Path) -> None:
    root = tree(tmp_path / "project", {"app.py": "", "private.py": "", "mine.py": "", "notes/todo.py": "",
                                       ".gitignore": "*.gen.py\n", ".ignore": "notes/\n!wanted.gen.py\n",
                                       "wanted.gen.py": "", "other.gen.py": ""})
    git_init(root)
    (root / ".git/info").mkdir(exist_ok=True)
    (root / ".git/info/exclude").write_text("private.py\n")
    (tmp_path / "global-ignore").write_text("mine.py\n")
    (tmp_path / "gitconfig").write_text(f"[core]\n\texcludesFile = {tmp_path / 'global-ignore'}\n")

    assert checked(root, env={"GIT_CONFIG_GLOBAL": str(tmp_path / "gitconfig")}) == ["app.py", "wanted.gen.py"]


@pytest.mark.skipif(not HAS_GIT, reason="git is needed to make the repository")
def test_without_git_installed_the_ignore_files_still_count(tmp_path: Path) -> None:
    root = tree(tmp_path / "project", {**GITIGNORED, "private.py": "", "mine.py": ""})
    git_init(root)
    (root / ".git/info").mkdir(exist_ok=True)
    (root / ".git/info/exclude").write_text("private.py\n")
    default_global = tmp_path / "project-home/.config/git/ignore"  # git's default core.excludesFile
    default_global.parent.mkdir(parents=True)
    default_global.write_text("mine.py\n")

    assert checked(root, git_on_path=False) == checked(root) == \
        ["lib/keep.gen.py", "lib/scratch.py", "src/app.py", "src/local.py"]


def test_an_ignore_file_that_is_a_fifo_does_not_stall_the_check(tmp_path: Path) -> None:
    root = tree(tmp_path / "project", {"a/x.py": ""})
    os.mkfifo(root / "a/.gitignore")

    assert checked(root) == ["a/x.py"]


# -- virtual environments and default excludes -------------------------------------------------------------

def test_virtual_environments_are_recognised_by_pyvenv_cfg_not_by_name(tmp_path: Path) -> None:
    root = tree(tmp_path / "project", {
        "Lib/venv/__init__.py": "", "Lib/venv/__main__.py": "",  # the standard library's venv package
        ".env/pyvenv.cfg": "home = /usr/bin\n", ".env/lib/python3.12/site.py": "",
        "py312/pyvenv.cfg": "home = /usr/bin\n", "py312/bin/tool.py": "",
        "node_modules/pkg/setup.py": "", "src/__pycache__/x.py": "", "src/x.py": ""})

    assert checked(root) == ["Lib/venv/__init__.py", "Lib/venv/__main__.py", "src/x.py"]


# -- paths given by name ------------------------------------------------------------------------------------

def test_a_path_given_by_name_is_checked_even_if_ignored_unless_force_exclude(tmp_path: Path) -> None:
    root = tree(tmp_path / "project", GITIGNORED)

    assert checked(root, "build/out.py", "src/api.gen.py", "lib/scratch") == \
        ["build/out.py", "lib/scratch/x.py", "src/api.gen.py"]
    assert checked(root, "--force-exclude", "build/out.py", "src/api.gen.py", "lib/scratch", "src/app.py") == \
        ["src/app.py"]


# -- --exclude, --extend-exclude and the configuration -------------------------------------------------------

def test_exclude_and_extend_exclude_from_the_command_line(tmp_path: Path) -> None:
    root = tree(tmp_path / "project", {"src/app.py": "", "src/schema_pb2.py": "", "gen/a.py": "",
                                       "node_modules/pkg/setup.py": ""})

    assert checked(root, "--extend-exclude", "*_pb2.py", "--extend-exclude", "/gen/") == ["src/app.py"]
    # --exclude replaces the defaults: node_modules is read unless named again
    assert checked(root, "--exclude", "gen") == ["node_modules/pkg/setup.py", "src/app.py", "src/schema_pb2.py"]


def test_exclude_and_extend_exclude_from_the_configuration(tmp_path: Path) -> None:
    root = tree(tmp_path / "project", {
        "provguard.toml": 'packs = ["default"]\nexclude = ["vendor/"]\nextend-exclude = ["*_pb2.py"]\n',
        "src/app.py": "", "src/schema_pb2.py": "", "vendor/lib.py": "", "node_modules/pkg/setup.py": ""})

    assert checked(root) == ["node_modules/pkg/setup.py", "src/app.py"]
    assert checked(root, "--exclude", "node_modules") == ["src/app.py", "vendor/lib.py"]  # replaces `exclude`
    assert checked(root, "--extend-exclude", "src/app.py") == ["node_modules/pkg/setup.py"]  # adds


def test_nested_projects_each_select_files_by_their_own_excludes(tmp_path: Path) -> None:
    """Checked from the top or from each project's folder, every file gets the same verdict: it is selected
    by the excludes of its own project's configuration, not those of the first path's project."""
    top = tree(tmp_path / "mono", {
        "provguard.toml": 'packs = ["default"]\nextend-exclude = ["gen/"]\n',
        "app.py": "", "gen/a.py": "", "api_pb2.py": "",
        "one/provguard.toml": 'packs = ["default"]\nextend-exclude = ["*_pb2.py"]\n',
        "one/gen/b.py": "", "one/x_pb2.py": "", "one/src/c.py": "",
        "two/pyproject.toml": '[tool.provguard]\npacks = ["default"]\nexclude = ["vendor/"]\n',
        "two/node_modules/m/d.py": "", "two/vendor/e.py": "", "two/gen/f.py": ""})

    def findings(cwd: Path, *args: str, shown_from: str = ".") -> dict[str, list[dict[str, Any]]]:
        """Each file's findings, by its path from the top (reports show paths from `shown_from`)."""
        done = provguard(cwd, "--format", "json", "--fail-on", "never", *args)
        assert done.returncode == 0, done.stderr
        by_file: dict[str, list[dict[str, Any]]] = {}
        for finding in json.loads(done.stdout)["findings"]:
            path = os.path.normpath(os.path.join(shown_from, finding["path"])).replace(os.sep, "/")
            by_file.setdefault(path, []).append({**finding, "path": None})
        return by_file

    everything = findings(top)
    assert sorted(everything) == ["api_pb2.py", "app.py", "one/gen/b.py", "one/src/c.py",
                                  "two/gen/f.py", "two/node_modules/m/d.py"]
    one, two = findings(top / "one", shown_from="one"), findings(top / "two", shown_from="two")
    assert sorted(one) == ["one/gen/b.py", "one/src/c.py"] and sorted(two) == ["two/gen/f.py",
                                                                            "two/node_modules/m/d.py"]
    assert {**one, **two} == {k: v for k, v in everything.items() if k.startswith(("one/", "two/"))}
    assert findings(top, "one", "two") == {**one, **two}
    assert findings(top / "one" / "src", "..", "../../two") == {**one, **two}


@pytest.mark.parametrize(("text", "position", "message"), [
    ('[tool.provguard]\nexclude = "build/"\n', (2, 11), "'exclude' must be a list of gitignore patterns"),
    ('[tool.provguard]\nextend-exclude = ["a/",\n  "!"]\n', (3, 3),
     "'extend-exclude': '!' is not a gitignore pattern"),
    ('[tool.provguard]\nexclude = [3]\n', (2, 12), "'exclude': each entry must be a gitignore pattern"),
])
def test_configured_excludes_that_are_wrong_are_errors_at_their_position(tmp_path: Path, text: str,
                                                                         position: tuple[int, int],
                                                                         message: str) -> None:
    (tmp_path / "pyproject.toml").write_text(text)
    config = read_project_config(tmp_path / "pyproject.toml")
    assert config is not None

    [error] = config.errors
    assert (error.line, error.column) == position
    assert error.message.startswith(message)
    done = provguard(tmp_path, ".")
    assert done.returncode == 2
    assert f"pyproject.toml:{position[0]}:{position[1]}" in done.stderr


def test_a_wrong_exclude_pattern_on_the_command_line_is_a_usage_error(tmp_path: Path) -> None:
    root = tree(tmp_path / "project", {"a.py": ""})

    done = provguard(root, "--extend-exclude", "!")

    assert done.returncode == 2
    assert done.stderr.startswith("provguard: '!' is not a gitignore pattern")


# -- what is said of files not read --------------------------------------------------------------------------

def test_skipped_files_are_counted_in_one_line_and_listed_with_verbose(tmp_path: Path) -> None:
    binary = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"
    root = tree(tmp_path / "project", {"a.py": "", "img/1.png": binary, "img/2.png": binary, "img/3.png": binary,
                                       ".gitignore": "dist/\n", "dist/4.png": binary})
    os.mkfifo(root / "pipe.py")

    quiet = provguard(root)
    verbose = provguard(root, "--verbose")

    summary = "provguard: skipped 4 files: 3 binary, 1 not a regular file"
    assert quiet.stderr.splitlines() == [f"{summary} (--verbose lists them)"]  # ignored dist/ is not mentioned
    assert sorted(verbose.stderr.splitlines()[:-1]) == [
        "provguard: skipped img/1.png: binary file", "provguard: skipped img/2.png: binary file",
        "provguard: skipped img/3.png: binary file", "provguard: skipped pipe.py: not a regular file (FIFO)"]
    assert verbose.stderr.splitlines()[-1] == summary
