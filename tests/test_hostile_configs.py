"""A hostile project configuration (say, a cloned repository's pyproject.toml) can neither crash nor hang provguard.

Python's TOML reader recurses per level of nested arrays and inline tables and fails with a RecursionError a few
hundred levels down; provguard reads every configuration through one bounded reader, so `x = [[[...]]]` is a
configuration error at its line and column (exit 2 for `check`), the guard still answers, and the language server
keeps serving.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from guard_support import allowed, guard, payload
from provguard.untrusted_toml import MAX_DEPTH, NotToml, loads_toml
from raw_lsp_support import RawServer

HANG = 60  # seconds: far beyond any real run, reached only by a hang


def nested(levels: int, opening: str = "[", closing: str = "]", inner: str = "") -> str:
    return opening * levels + inner + closing * levels


def project(root: Path, name: str, text: str) -> Path:
    (root / ".git").mkdir(parents=True)
    (root / name).write_text(text, encoding="utf-8")
    (root / "app.py").write_text("def f():\n    return 1\n", encoding="utf-8")
    return root


def check(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "provguard", "check", "."], cwd=root, capture_output=True,
                          text=True, timeout=HANG, check=False)


DEEP = {
    "arrays past the parser's own limit": ("provguard.toml", "x = " + nested(5_000), 1, 5 + MAX_DEPTH),
    "inline tables past the parser's own limit": ("pyproject.toml", "[tool.provguard]\nx = "
                                                  + nested(5_000, "{a=", "}", "1"), 2, 5 + 3 * MAX_DEPTH),
    "deep but parsable": ("provguard.toml", 'packs = ["a.yaml"]\nx = ' + nested(300), 2, 5 + MAX_DEPTH),
    "after a multi-line string holding brackets": (
        "pyproject.toml", '[project]\ndescription = """\n[[[[\n"""\n# [[[[\n[tool.provguard]\nx = ' + nested(900),
        7, 5 + MAX_DEPTH),
}


@pytest.mark.parametrize("name, text, line, column", DEEP.values(), ids=DEEP.keys())
def test_check_refuses_a_configuration_nested_too_deep_at_its_place(tmp_path: Path, name: str, text: str,
                                                                     line: int, column: int) -> None:
    root = project(tmp_path / "repo", name, text)

    done = check(root)

    assert done.returncode == 2, done.stderr
    assert f"{root / name}:{line}:{column}: TOML syntax error: nested deeper than {MAX_DEPTH} levels" in done.stderr
    assert "Traceback" not in done.stderr


REAL = Path(__file__).parent / "fixtures" / "toml"  # iarna/toml-spec-tests' stress tests (SOURCES.md there)


@pytest.mark.parametrize("sample, column", [("qa-array-inline-nested-1000.toml", 7 + MAX_DEPTH),
                                            ("qa-table-inline-nested-1000.toml", 7 + 7 * MAX_DEPTH)])
@pytest.mark.parametrize("name", ["provguard.toml", "pyproject.toml"])
def test_real_toml_that_crashes_other_readers_is_a_configuration_error(tmp_path: Path, sample: str, column: int,
                                                                        name: str) -> None:
    text = (REAL / sample).read_text(encoding="utf-8")
    header, line = ("[tool.provguard]\n", 2) if name == "pyproject.toml" else ("", 1)
    root = project(tmp_path / "repo", name, header + text)

    done = check(root)

    assert done.returncode == 2, done.stderr
    assert f"{root / name}:{line}:{column}: TOML syntax error: nested deeper than {MAX_DEPTH} levels" in done.stderr


def test_a_configuration_nested_within_the_limit_is_read(tmp_path: Path) -> None:
    """Deep nesting elsewhere in pyproject.toml is not provguard's business below the limit."""
    root = project(tmp_path / "repo", "pyproject.toml",
                   f"[project]\nx = {nested(MAX_DEPTH - 3)}\n[tool.provguard]\npacks = []\n")

    done = check(root)

    assert done.returncode == 0, done.stderr
    assert not isinstance(loads_toml((root / "pyproject.toml").read_text(encoding="utf-8")), NotToml)


def test_the_reader_says_where_a_syntax_error_is() -> None:
    assert loads_toml("a = 1\nb = [1,,]\n") == NotToml("Invalid value", 2, 8)


def test_the_guard_answers_in_a_project_whose_pyproject_is_hostile(tmp_path: Path) -> None:
    root = project(tmp_path / "shop", "pyproject.toml", "[tool.provguard]\nx = " + nested(5_000))
    write = json.loads(payload("claude-code-write-source.json", root))
    write["tool_input"]["file_path"] = str(root / "app.py")

    done = guard("claude-code", json.dumps(write).encode(), "--timeout", "30", cwd=root)

    assert allowed(done).splitlines() == [  # as with any broken configuration: let through, saying where
        f"provguard guard: {root / 'pyproject.toml'}:2:69: TOML syntax error: nested deeper than 64 levels",
    ]


def test_the_language_server_keeps_serving_in_a_project_whose_configuration_is_hostile(tmp_path: Path) -> None:
    root = project(tmp_path / "repo", "provguard.toml", "x = " + nested(5_000))
    with RawServer(root) as server:
        server.initialize()
        uri = server.open("app.py", "def f():\n    return 1\n")
        summary = server.call("provguard/summary", {"textDocument": {"uri": uri}})
        assert "result" in summary, summary
        assert server.alive()
        assert "RecursionError" not in server.log()
