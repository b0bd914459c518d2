"""`provguard check` under a home folder that is a git work tree (a dotfiles `.git`): the home folder is the
project the checked folder belongs to, but no `.provguard/` is made there (it would make home a project every
folder below shares, as the editor and the hooks already refuse); the check itself runs and reports."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

TRAINING = "# provguard: kind=ai-chat-paste tool=chatgpt vendor=openai\ndef tokens(text):\n    return text.split()\n"


def check(cwd: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOME": str(home), "PROVGUARD_DAEMON": "0"}
    return subprocess.run([sys.executable, "-m", "provguard", "check", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def test_a_check_below_a_dotfiles_home_makes_nothing_in_home(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "notes" / "training_data").mkdir(parents=True)
    subprocess.run(["git", "init", "-q", str(home)], check=True)
    (home / "notes" / "training_data" / "tok.py").write_text(TRAINING, encoding="utf-8")

    done = check(home / "notes", home, ".", "--format", "json")

    assert done.returncode == 1, done.stderr  # the AI code in training data is reported
    assert "rival-ai-output-in-training-data" in done.stdout
    assert sorted(p.name for p in home.rglob(".provguard")) == []


def test_a_check_of_the_same_tree_in_a_plain_project_keeps_its_cache(tmp_path: Path) -> None:
    home = tmp_path / "home"
    project = home / "work" / "shop"
    (project / "training_data").mkdir(parents=True)
    home.mkdir(exist_ok=True)
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    (project / "training_data" / "tok.py").write_text(TRAINING, encoding="utf-8")

    done = check(project, home, ".", "--format", "json")

    assert done.returncode == 1, done.stderr
    assert (project / ".provguard" / "cache").is_dir()
