"""Starting `provguard serve`: it parses its own command line alone (the other commands' parsers are not built),
and a mistake on that line still reads as the whole command line reports it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.parametrize("mistake", [["--bogus"], ["x"], ["--version"]])
def test_a_mistake_on_the_serve_line_is_reported_with_the_whole_usage(tmp_path: Path, mistake: list[str]) -> None:
    """`serve` parses with its own parser alone; a mistake outside it is still reported as the full command line
    reports it (the usage line naming every command)."""
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "provguard", *args], cwd=tmp_path, capture_output=True,
                              text=True, stdin=subprocess.DEVNULL, timeout=60)

    served = run("serve", *mistake)
    whole = run("--bogus")
    assert served.returncode == whole.returncode == 2
    usage = whole.stderr.split("provguard: error:")[0]
    assert "check" in usage and "report" in usage
    assert served.stderr.startswith(usage)
