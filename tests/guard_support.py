"""Running `provguard guard` as the agents do: a process with a fixture payload on stdin, its answer checked
against the agent's documented output schema."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import jsonschema

GUARD_FIXTURES = Path(__file__).parent / "fixtures" / "guard"
SAMPLE_ROOT = "/home/dana/work/shop"
ELSEWHERE = "/home/dana/elsewhere"


def payload(name: str, root: Path, elsewhere: Path | None = None, **changes: Any) -> bytes:
    """A fixture payload for a project at `root` (and another folder at `elsewhere`), with top-level changes."""
    text = GUARD_FIXTURES.joinpath(name).read_text(encoding="utf-8").replace(SAMPLE_ROOT, str(root))
    if elsewhere is not None:
        text = text.replace(ELSEWHERE, str(elsewhere))
    if not changes:
        return text.encode()
    data = json.loads(text)
    data.update(changes)
    return json.dumps(data).encode()


CACHE = Path(tempfile.mkdtemp(prefix="provguard-test-cache-"))
"""The guard's policy cache for the tests' runs: not the user's own."""


def guard(agent: str, stdin: bytes, *args: str, cwd: Path | None = None, cache: Path = CACHE,
          pythonpath: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The guard as the agent runs it (in the project's folder, as Claude Code and Codex do); `pythonpath`
    puts another installation of provguard first."""
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    if pythonpath is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(pythonpath), os.environ.get("PYTHONPATH")]))
    env.pop("PROVGUARD_GUARD_CACHE", None)
    return subprocess.run([sys.executable, "-m", "provguard", "guard", agent, *args], input=stdin.decode(),
                          capture_output=True, text=True, timeout=60, check=False, cwd=cwd, env=env)


def answer(agent: str, done: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    """The guard's answer, after checking it is the one JSON object the agent's schema allows, exit code 0."""
    assert done.returncode == 0, done.stderr
    assert done.stdout.endswith("\n") and done.stdout.count("\n") == 1, done.stdout
    found: dict[str, Any] = json.loads(done.stdout)
    schema = json.loads(GUARD_FIXTURES.joinpath(f"{agent}-pretooluse-output.schema.json").read_text("utf-8"))
    jsonschema.validate(found, schema)
    return found


def decision(agent: str, done: subprocess.CompletedProcess[str]) -> tuple[str, str]:
    output = answer(agent, done)["hookSpecificOutput"]
    return output["permissionDecision"], output["permissionDecisionReason"]


def allowed(done: subprocess.CompletedProcess[str]) -> str:
    """An allowed call: exit 0 and nothing on stdout; returns stderr."""
    assert (done.returncode, done.stdout) == (0, ""), done.stdout
    return done.stderr
