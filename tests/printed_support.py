"""What the hostile-printing tests share: a name built to forge CI log lines and drive a terminal, how every text
output must show it, and the checks that a real CLI run printed nothing a terminal or log viewer would obey."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HOSTILE = "a\n::error file=ci.yml,line=1::forged\x1b]0;owned\x07\r\u202eb"
"""A line a CI log obeys, a terminal title change, a carriage return and a right-to-left override."""
SHOWN = "a\\n::error file=ci.yml,line=1::forged\\x1b]0;owned\\x07\\r\\u202eb"
"""The same name as every text output writes it."""
OBEYED = {*map(chr, range(0x20)), *map(chr, range(0x7f, 0xa0)), "\u2028", "\u2029",
          *map(chr, range(0x202a, 0x202f)), *map(chr, range(0x2066, 0x206a))} - {"\n"}
"""What a terminal or log viewer acts on, besides the line break that ends each line of output."""


def provguard(*args: str, cwd: Path, stdin: str = "", home: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The real CLI; its output read back with undecodable bytes kept (a raw name must show, not crash the test)."""
    env = None if home is None else {**os.environ, "HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "provguard", *args], cwd=cwd, input=stdin, capture_output=True,
                          text=True, errors="surrogateescape", timeout=120, check=False, env=env)


def obeyed(text: str) -> list[str]:
    """The characters in `text` a terminal or log viewer would act on, as U+XXXX."""
    return sorted({f"U+{ord(c):04X}" for c in text if c in OBEYED})


def assert_printable(done: subprocess.CompletedProcess[str]) -> None:
    """Nothing on stdout or stderr a terminal or log would obey, and no line starting with a forged command."""
    assert "Traceback" not in done.stderr, done.stderr
    for name, text in (("stdout", done.stdout), ("stderr", done.stderr)):
        assert not obeyed(text), f"{name} holds {obeyed(text)}: {text!r}"
        forged = [line for line in text.splitlines() if line.startswith("::error file=ci.yml")]
        assert not forged, f"{name}: {forged}"


def strings(value: object) -> list[str]:
    """Every string in parsed JSON, keys included."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for key, item in value.items() for s in (key, *strings(item))]
    if isinstance(value, list):
        return [s for item in value for s in strings(item)]
    return []
