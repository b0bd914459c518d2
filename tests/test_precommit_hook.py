"""The repository's `.pre-commit-hooks.yaml`, run by the real pre-commit on a scratch repository.

pre-commit clones this repository (a commit of the working tree as it is now, so uncommitted changes are
tested too), makes a virtualenv and pip-installs provguard into it, as it does for every user. pip is kept
off the network: it installs only from the wheel folder that `.ci/services/40-wheelhouse.sh` fills while
the registries are reachable (PROVGUARD_TEST_WHEELHOUSE). Without that folder the tests skip, except under
CI=true, where they fail.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from git_support import Repo
from test_cli import HUMAN_PY, REPO, UNREVIEWED_PY

IN_TEST_TASK = """\
# provguard: kind=ai-agent tool=claude-code vendor=anthropic reviewed-by=dana@example.com
def test_add():
    assert 1 + 1 == 2
"""


def wheelhouse() -> Path:
    folder = os.environ.get("PROVGUARD_TEST_WHEELHOUSE")
    problem = None
    if not folder:
        problem = "PROVGUARD_TEST_WHEELHOUSE is not set (.ci/services/40-wheelhouse.sh sets it)"
    elif not Path(folder).is_dir():
        problem = f"PROVGUARD_TEST_WHEELHOUSE={folder} is not a folder"
    else:
        try:
            import pre_commit  # noqa: F401
        except ImportError:
            problem = "pre-commit is not installed (it is in the test extra)"
    if problem is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(problem)
        pytest.skip(problem)
    assert folder is not None
    return Path(folder)


@pytest.fixture(scope="module")
def hook_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Environment for pre-commit and git: offline pip, a private pre-commit cache, no user git config."""
    wheels = wheelhouse()
    home = tmp_path_factory.mktemp("pre-commit-home")
    env = {**os.environ, "PRE_COMMIT_HOME": str(home / "cache"), "PIP_NO_INDEX": "1",
           "PIP_FIND_LINKS": str(wheels), "PIP_CONFIG_FILE": os.devnull, "PIP_DISABLE_PIP_VERSION_CHECK": "1",
           "VIRTUALENV_OVERRIDE_APP_DATA": str(home / "virtualenv"), "VIRTUALENV_NO_PERIODIC_UPDATE": "1",
           "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull,
           "GIT_AUTHOR_NAME": "Dana Reyes", "GIT_AUTHOR_EMAIL": "dana@example.com",
           "GIT_COMMITTER_NAME": "Dana Reyes", "GIT_COMMITTER_EMAIL": "dana@example.com"}
    for name in ("PYTHONPATH", "VIRTUAL_ENV", "PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_CONSTRAINT"):
        env.pop(name, None)
    yield env


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory, hook_env: dict[str, str]) -> tuple[Path, str]:
    """This repository's working tree (tracked and new files that git does not ignore) as one commit."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                            capture_output=True, check=True).stdout.decode().split("\0")
    snapshot = tmp_path_factory.mktemp("provguard-hooks")
    for name in filter(None, listed):
        source = REPO / name
        if source.is_file():  # deleted but not yet committed: left out, as a commit would
            (snapshot / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, snapshot / name)
    repo = Repo(snapshot)
    repo.git("add", "-A")
    repo.git("commit", "-q", "-m", "snapshot of the working tree")
    return snapshot, repo.git("rev-parse", "HEAD")


def pre_commit(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pre_commit", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600, check=False)


def git(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600,
                          check=False)


@pytest.fixture
def project(tmp_path: Path, hook_repo: tuple[Path, str], hook_env: dict[str, str]) -> Path:
    """A scratch repository whose .pre-commit-config.yaml uses the provguard hook, with the git hook installed."""
    repo_path, rev = hook_repo
    root = tmp_path / "project"
    Repo(root)
    (root / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {repo_path}\n    rev: {rev}\n    hooks:\n      - id: provguard\n")
    git(root, hook_env, "add", ".pre-commit-config.yaml")
    git(root, hook_env, "commit", "-q", "-m", "use provguard")
    done = pre_commit(root, hook_env, "install")
    assert done.returncode == 0, done.stdout + done.stderr
    return root


def write(root: Path, files: dict[str, str | bytes]) -> None:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())


def test_commit_with_ai_output_in_a_test_file_is_refused(project: Path, hook_env: dict[str, str]) -> None:
    write(project, {"src/app.py": HUMAN_PY, "tests/test_app.py": IN_TEST_TASK})
    git(project, hook_env, "add", "-A")
    done = git(project, hook_env, "commit", "-m", "add tests")
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert "provguard" in output and "Failed" in output
    assert ("tests/test_app.py:1:1: error ai-output-in-test-task-file Code written by Claude Code "
            "must not be used to create test tasks") in output
    assert "2 files checked: 1 error" in output  # the staged text files, passed by name
    assert git(project, hook_env, "log", "--format=%s").stdout.splitlines() == ["use provguard"]  # not committed


def test_commit_with_only_warnings_goes_through(project: Path, hook_env: dict[str, str]) -> None:
    write(project, {"src/app.py": UNREVIEWED_PY, "src/logo.png": b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0"})
    git(project, hook_env, "add", "-A")
    done = git(project, hook_env, "commit", "-m", "add app")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Passed" in done.stdout + done.stderr
    assert git(project, hook_env, "log", "--format=%s").stdout.split("\n")[0] == "add app"
    # the hook sees text files only: run it by hand to read its output
    verbose = pre_commit(project, hook_env, "run", "provguard", "--all-files", "--verbose")
    assert verbose.returncode == 0, verbose.stdout + verbose.stderr
    assert "src/app.py:5:1: warning ai-output-unreviewed" in verbose.stdout
    assert "2 files checked: 1 warning" in verbose.stdout  # .pre-commit-config.yaml and src/app.py, no logo
    assert "logo.png" not in verbose.stdout + verbose.stderr


def test_hook_fails_on_warnings_when_told_to(project: Path, hook_env: dict[str, str]) -> None:
    (project / ".pre-commit-config.yaml").write_text(
        (project / ".pre-commit-config.yaml").read_text() + "        args: [--fail-on, warning]\n")
    write(project, {"src/app.py": UNREVIEWED_PY})
    git(project, hook_env, "add", "-A")  # --all-files means the files git tracks
    done = pre_commit(project, hook_env, "run", "provguard", "--all-files")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "src/app.py:5:1: warning ai-output-unreviewed" in done.stdout


def test_files_the_project_excludes_stay_excluded_when_passed_by_name(project: Path, hook_env: dict[str, str]) -> None:
    write(project, {"provguard.toml": 'extend-exclude = ["vendor/"]\n', "vendor/tests/test_lib.py": IN_TEST_TASK,
                    "src/app.py": HUMAN_PY})
    git(project, hook_env, "add", "-A")
    done = git(project, hook_env, "commit", "-m", "vendor a library")
    assert done.returncode == 0, done.stdout + done.stderr
    # the same file outside the excluded folder is refused
    write(project, {"tests/test_lib.py": IN_TEST_TASK})
    git(project, hook_env, "add", "-A")
    done = git(project, hook_env, "commit", "-m", "copy its tests")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "tests/test_lib.py:1:1: error ai-output-in-test-task-file" in done.stdout + done.stderr

