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


def test_diagnostics_are_made_and_pushed_without_the_protocol_stack() -> None:
    """Rendering a document's diagnostics and answering `initialize` need neither lsprotocol nor pygls in memory:
    importing those is most of a cold start, and a first answer can be made before them (issue 18)."""
    light = ("provguard.lsp.diagnostics", "provguard.lsp.convert", "provguard.lsp.made_diagnostic",
             "provguard.lsp.plain_json", "provguard.lsp.initialize_result", "provguard.lsp.first_answer",
             "provguard.session")
    code = (f"import sys\nimport {', '.join(light)}\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('lsprotocol', 'pygls')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == "[]"
