"""The VS Code extension in a real VS Code: code-server in headless Chromium, driven like a person would.

Needs what `.ci/services/30-vscode.sh` sets up (Node 24, code-server, Chromium, the built .vsix with its
bundled provguard, a Python with only provguard's compiled dependencies, and the extension's npm packages,
which the lint and unit-test run below uses too), named by PROVGUARD_VSCODE_E2E. Without it the test is
skipped, except under CI=true, where that is a failure. The browser steps are in editors/vscode/e2e/run.mjs;
screenshots are kept in test-artifacts/vscode/.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from provguard.ledger.sqlite import SqliteLedger
from provguard.provenance.origin import Evidence, Kind
from test_project_selection import TEAM_PACK

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
    needed = ("bin/code-server", "node24/bin/node", "provguard.vsix", "compiled-venv/bin/python")
    missing = [p for p in needed if not (folder / p).exists()]
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


def project_with_app(tmp_path: Path, config: bool = False) -> Path:
    """A project with an AI marker block; with `config`, a provguard.toml that makes the extension start."""
    project = tmp_path / "project"
    (project / "src").mkdir(parents=True)
    (project / "src" / "app.py").write_text(APP)
    if config:
        (project / "provguard.toml").write_text("")
    return project


def test_the_vsix_is_bundled_and_ships_only_what_runs() -> None:
    setup = e2e_setup()
    with zipfile.ZipFile(setup / "provguard.vsix") as vsix:
        names = [n.removeprefix("extension/") for n in vsix.namelist()]
        manifest = json.loads(vsix.read("extension/package.json"))
    assert not [n for n in names if n.startswith(("node_modules/", "src/", "test/", "e2e/", "out/", "scripts/"))]
    assert [n for n in names if n.endswith(".js")] == ["dist/extension.js"], "one bundled script"
    assert "bundled/libs/provguard/lsp/server.py" in names and "bundled/libs/pygls/__init__.py" in names
    compiled = [n for n in names if n.endswith((".so", ".pyd", ".pyc"))]
    assert not compiled, "no compiled code: one .vsix for every platform"
    for shipped in (manifest["main"].removeprefix("./"), manifest["icon"], "CHANGELOG.md", "README.md"):
        assert any(n.lower() == shipped.lower() for n in names), shipped
    schema = manifest["contributes"]["yamlValidation"][0]["url"].removeprefix("./")
    assert schema in names, "the rule-pack schema the YAML extension is pointed at is in the .vsix"
    assert "onStartupFinished" not in manifest["activationEvents"]


def test_a_python_with_only_the_compiled_dependencies_runs_the_bundled_server(tmp_path: Path) -> None:
    """Zero set-up: no provguard on PATH or in the interpreter, the .vsix's own copy runs on it."""
    setup = e2e_setup()
    python = setup / "compiled-venv" / "bin" / "python"
    lacks = subprocess.run([str(python), "-c", "import provguard"], capture_output=True, text=True, timeout=60)
    assert lacks.returncode != 0, "the interpreter must not have provguard of its own"
    run_e2e(setup, "zero-setup", project_with_app(tmp_path, config=True), str(python))
    assert (ARTIFACTS / "vscode-zero-setup.png").stat().st_size > 0


def test_a_project_that_never_uses_provguard_gets_no_server_and_no_message(tmp_path: Path) -> None:
    setup = e2e_setup()
    project = tmp_path / "plain"
    project.mkdir()
    (project / "pyproject.toml").write_text('[project]\nname = "plain"\n\n[tool.ruff]\nline-length = 100\n')
    (project / "app.py").write_text("def plain():\n    return 1\n")
    bare = tmp_path / "bare-venv"  # a start would fail with this interpreter, and show a message
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(bare)], check=True, timeout=120)
    run_e2e(setup, "not-applicable", project, str(bare / "bin" / "python"))
    assert not (project / ".provguard").exists(), "no server ran there"


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


def test_a_python_without_the_compiled_dependencies_gets_one_message_naming_them(tmp_path: Path) -> None:
    setup = e2e_setup()
    bare = tmp_path / "bare-venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(bare)], check=True, timeout=120)
    run_e2e(setup, "broken-server", project_with_app(tmp_path, config=True), str(bare / "bin" / "python"))
    assert (ARTIFACTS / "vscode-broken-server.png").stat().st_size > 0


CODEX = "# provguard: kind=ai-agent tool=codex vendor=openai\ndef marked():\n    pass\n"


def test_a_multi_root_workspace_judges_each_folder_under_its_own_packs_and_ledger(tmp_path: Path) -> None:
    """Three workspace folders of one `.code-workspace`, the same Codex code in each, different packs; the third
    folder's own settings file keeps its ledger in memory."""
    setup = e2e_setup()
    for name, packs in (("plain", '["default"]'), ("team", '["team.yaml"]')):
        (tmp_path / name / "src").mkdir(parents=True)
        (tmp_path / name / "provguard.toml").write_text(f"packs = {packs}\n")
        (tmp_path / name / "src" / f"{name}_app.py").write_text(CODEX)
    (tmp_path / "team" / "team.yaml").write_text(TEAM_PACK)
    scratch = tmp_path / "scratch"  # a folder whose own .vscode/settings.json keeps its ledger in memory
    (scratch / "src").mkdir(parents=True)
    (scratch / "provguard.toml").write_text('packs = ["default"]\n')
    (scratch / "src" / "scratch_app.py").write_text(CODEX)
    (scratch / ".vscode").mkdir()
    (scratch / ".vscode" / "settings.json").write_text(json.dumps({"provguard.ledger": ":memory:"}))
    workspace = tmp_path / "three.code-workspace"
    workspace.write_text(json.dumps({"folders": [{"path": "plain"}, {"path": "team"}, {"path": "scratch"}]}))
    run_e2e(setup, "multi-root", workspace, sys.executable)
    assert (ARTIFACTS / "vscode-multi-root.png").stat().st_size > 0
    for name in ("plain", "team"):  # each project keeps its own ledger, none is made above them
        assert (tmp_path / name / ".provguard" / "ledger.sqlite3").is_file()
    assert not (tmp_path / ".provguard").exists()
    assert not (scratch / ".provguard" / "ledger.sqlite3").exists()  # a folder's own settings reach the server
