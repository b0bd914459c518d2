"""Start-up costs measured in fresh interpreters: the bare interpreter and the imports a server needs."""

from __future__ import annotations

import subprocess
import sys
from time import perf_counter

DEPENDENCY_IMPORTS = (
    "import time; t=time.perf_counter(); import pygls.lsp.server, tree_sitter, lsprotocol.types; "
    "print(time.perf_counter()-t)"
)
PROVGUARD_ON_TOP = (
    "import time; import pygls.lsp.server, tree_sitter, lsprotocol.types; t=time.perf_counter(); "
    "from provguard.lsp.server import build; from provguard.session import Session; "
    "from provguard.settings import Settings; build(); Session([]).configure(Settings()); "
    "print(time.perf_counter()-t)"
)
"""provguard's own share: its modules, the server's features and the default pack, on top of the deps."""


def interpreter_start() -> float:
    """Wall seconds of `python -c pass`, spawn to exit."""
    start = perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    return perf_counter() - start


def timed_snippet(code: str) -> float:
    """The seconds a snippet prints about itself, run in a fresh interpreter."""
    done = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return float(done.stdout.strip().splitlines()[-1])
