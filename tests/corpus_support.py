"""Running `provguard filter` and `provguard export` as subprocesses, and building corpora for them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def provguard(cwd: Path, *args: str, stdin: bytes | None = None,
              timeout: float = 240) -> subprocess.CompletedProcess[bytes]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO / "server"), env.get("PYTHONPATH")]))
    env["PYTHONIOENCODING"] = "utf-8"
    return subprocess.run([sys.executable, "-m", "provguard", *args], cwd=cwd, env=env, input=stdin,
                          capture_output=True, timeout=timeout, check=False)


def jsonl(*records: dict[str, Any]) -> bytes:
    return b"".join(json.dumps(r).encode("utf-8") + b"\n" for r in records)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
