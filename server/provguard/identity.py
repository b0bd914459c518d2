"""Who the person at the keyboard is, for "reviewed by" and "declared by" fields."""

from __future__ import annotations

import getpass
import subprocess
from pathlib import Path


def current_person(cwd: Path | None = None, login: bool = True) -> str | None:
    """git's user.email, else user.name, else (with `login`) the login name; None when nothing is known.
    A bulk fix that writes a person's name asks for `login=False`: an account name is not a person's word."""
    for key in ("user.email", "user.name"):
        try:
            done = subprocess.run(["git", "config", "--get", key], cwd=cwd, capture_output=True, text=True,
                                  timeout=5, check=False)
        except (OSError, subprocess.SubprocessError):
            break
        if done.returncode == 0 and done.stdout.strip():
            return done.stdout.strip()
    if not login:
        return None
    try:
        return getpass.getuser() or None
    except (OSError, KeyError):
        return None
