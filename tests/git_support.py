"""Real git repositories for tests, made with `git` itself: commits with chosen authors and messages."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

PERSON = "Dana Reyes <dana@example.com>"

CLAUDE_FOOTER = ("🤖 Generated with [Claude Code](https://claude.com/claude-code)\n\n"
                 "Co-Authored-By: Claude Sonnet 4.5 <noreply@anthropic.com>")


class Repo:
    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")

    def git(self, *args: str, author: str = PERSON, committer: str = PERSON) -> str:
        name, _, email = author.partition(" <")
        by, _, by_email = committer.partition(" <")
        env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull,
               "GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email.rstrip(">"),
               "GIT_COMMITTER_NAME": by, "GIT_COMMITTER_EMAIL": by_email.rstrip(">")}
        done = subprocess.run(["git", *args], cwd=self.root, env=env, capture_output=True, text=True, check=True)
        return done.stdout.strip()

    def write(self, name: str, text: str) -> Path:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    def commit(self, files: dict[str, str], message: str, author: str = PERSON, committer: str = PERSON) -> str:
        """Writes the files, commits them with this message, author and committer; returns the commit id."""
        for name, text in files.items():
            self.write(name, text)
        self.git("add", "--", *files)
        self.git("commit", "-q", "-m", message, author=author, committer=committer)
        return self.git("rev-parse", "HEAD")
