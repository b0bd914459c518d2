"""Running git: one place that sets the environment, the time limit and turns failures into values."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

DEFAULT_TIMEOUT = 10.0
"""Seconds one git command may take; blame of a long history is the slow one."""

_ENV = {"LC_ALL": "C", "GIT_OPTIONAL_LOCKS": "0", "GIT_TERMINAL_PROMPT": "0"}
"""English messages (callers classify them), and no index refresh that would take the index lock while the
person commits."""


@dataclass(frozen=True)
class GitFailure:
    """A git command that did not give an answer: why, in one line."""

    reason: str
    not_found: bool = False
    """git itself is missing."""


def run_git(cwd: Path, args: list[str], stdin: bytes = b"", timeout: float = DEFAULT_TIMEOUT) -> bytes | GitFailure:
    """Standard output of `git args` run in `cwd`, or why there is none."""
    try:
        done = subprocess.run(["git", *args], cwd=cwd, input=stdin, capture_output=True, timeout=timeout,
                              env={**os.environ, **_ENV}, check=False)
    except FileNotFoundError:
        return GitFailure("git is not installed (no `git` on PATH)", not_found=True)
    except subprocess.TimeoutExpired:
        return GitFailure(f"`git {args[0]}` took longer than {timeout:g} s")
    except OSError as exc:
        return GitFailure(f"cannot run git: {exc.strerror or exc}")
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        return GitFailure(message[-1] if message else f"`git {args[0]}` exited with {done.returncode}")
    return done.stdout
