"""The VS Code extension in a real VS Code: code-server in headless Chromium, driven like a person would.

Needs what `.ci/services/30-vscode.sh` sets up (Node 24, code-server, Chromium, the built .vsix and the
extension's npm packages, which the lint and unit-test run below uses too), named by
PROVGUARD_VSCODE_E2E. Without it the test is skipped, except under CI=true, where that is a failure. The
browser steps are in editors/vscode/e2e/run.mjs; screenshots are kept in test-artifacts/vscode/.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from provguard.ledger.sqlite import SqliteLedger
from provguard.provenance.origin import Evidence, Kind

ROOT = Path(__file__).resolve().parent.parent
EXTENSION = ROOT / "editors" / "vscode"
ARTIFACTS = ROOT / "test-artifacts" / "vscode"
VARIABLE = "PROVGUARD_VSCODE_E2E"

APP = (
    "# provguard: begin kind=ai-agent tool=claude-code\n"
    "def generated():\n"
    "    return 1\n"
    "# provguard: end\n"
    "\n"
    "\n"
    "def mine():\n"
    "    return 2\n"
)
PASTED = "def pasted(rows):\n    return sorted(set(rows), key=len)\n"  # the text run.mjs pastes
COMPLETED = "def completed(rows):\n    return sorted(rows, reverse=True)"  # typed, then the accepted suggestion


def e2e_setup() -> Path:
    value = os.environ.get(VARIABLE)
    if not value:
        reason = f"{VARIABLE} is unset: run .ci/services/30-vscode.sh (code-server, Chromium, the .vsix) first"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    folder = Path(value)
    missing = [p for p in ("bin/code-server", "node24/bin/node", "provguard.vsix") if not (folder / p).exists()]
    if missing:
        pytest.fail(f"{VARIABLE}={folder} lacks {', '.join(missing)}; run .ci/services/30-vscode.sh again")
    return folder


def npm(setup: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": f"{setup / 'node24' / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run(["npm", "run", "--silent", *args], capture_output=True, text=True, timeout=300,
                          cwd=EXTENSION, env=env)


def test_the_extension_lints_clean_and_passes_its_unit_tests() -> None:
    setup = e2e_setup()
    lint = npm(setup, "lint")
    assert lint.returncode == 0, f"eslint:\n{lint.stdout}{lint.stderr}"
    unit = npm(setup, "test")
    assert unit.returncode == 0, f"unit tests:\n{unit.stdout}{unit.stderr}"
    assert " passing" in unit.stdout and " failing" not in unit.stdout, unit.stdout


def run_e2e(setup: Path, scenario: str, project: Path, python: str) -> str:
    """Runs one scenario of editors/vscode/e2e/run.mjs; returns its report, failing the test when it failed."""
    result = subprocess.run(
        [str(setup / "node24" / "bin" / "node"), str(EXTENSION / "e2e" / "run.mjs"), "--scenario", scenario,
         "--code-server", str(setup / "bin" / "code-server"), "--vsix", str(setup / "provguard.vsix"),
         "--python", python, "--workspace", str(project), "--artifacts", str(ARTIFACTS)],
        capture_output=True, text=True, timeout=300, cwd=EXTENSION,
    )
    report = f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert result.returncode == 0 and "e2e: passed" in result.stdout, report
    return report


def project_with_app(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    (project / "src").mkdir(parents=True)
    (project / "src" / "app.py").write_text(APP)
    return project


def test_marker_squiggle_paste_and_completion_hints_and_quick_fix_in_a_real_vscode(tmp_path: Path) -> None:
    setup = e2e_setup()
    project = project_with_app(tmp_path)
    run_e2e(setup, "edit", project, sys.executable)  # the worktree's own interpreter runs the server
    assert (ARTIFACTS / "vscode-after-fix.png").stat().st_size > 0

    saved = (project / "src" / "app.py").read_text()
    first_line = saved.splitlines()[0]
    assert first_line == "# provguard: begin kind=ai-agent tool=claude-code reviewed-by=e2e@example.com", saved
    assert PASTED in saved and COMPLETED in saved

    ledger = SqliteLedger(project / ".provguard" / "ledger.sqlite3")
    try:
        spans = ledger.load_spans("src/app.py")
    finally:
        ledger.close()
    recorded = sorted((s.origin.kind.value, s.origin.evidence.value) for s in spans)
    assert recorded == [(Kind.AI_COMPLETION, Evidence.CLIENT_HINT), (Kind.PASTE, Evidence.CLIENT_HINT)], (
        "both hints reached the server and were recorded")


def test_a_python_without_provguard_gets_a_message_that_says_how_to_fix_it(tmp_path: Path) -> None:
    setup = e2e_setup()
    bare = tmp_path / "bare-venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(bare)], check=True, timeout=120)
    run_e2e(setup, "broken-server", project_with_app(tmp_path), str(bare / "bin" / "python"))
    assert (ARTIFACTS / "vscode-broken-server.png").stat().st_size > 0
