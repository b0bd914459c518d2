"""The GitHub Action (`action.yml`) and the example workflow that uploads its SARIF to code scanning.

GitHub cannot run here, so the tests read both files as GitHub does and run the action's own check step
with bash, as a composite action's `shell: bash` step runs, with the inputs the example gives it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import yaml

from git_support import Repo
from test_cli import REPO, SARIF_SCHEMA, TRAINING_PY, UNREVIEWED_PY, run_cli, write

ACTION = REPO / "action.yml"
EXAMPLE = REPO / "examples" / "github" / "provguard.yml"
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
INPUT = re.compile(r"inputs\.([A-Za-z0-9_-]+)")


def load(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return document


def action_step(example: dict[str, Any]) -> dict[str, Any]:
    [step] = [s for job in example["jobs"].values() for s in job["steps"]
              if s.get("uses", "").startswith("provguard/provguard@")]
    return step


def checkout(tmp_path: Path, files: dict[str, str | bytes]) -> Path:
    """A git work tree with these files, as actions/checkout leaves one."""
    root = tmp_path / "repo"
    Repo(root)
    write(root, files)
    return root


def check_choices(option: str) -> set[str]:
    """The choices `provguard check --help` offers for an option."""
    done = run_cli(REPO, "check", "--help")
    assert done.returncode == 0, done.stderr
    found = re.search(re.escape(option) + r" \{([^}]*)\}", done.stdout)
    assert found, done.stdout
    return set(found.group(1).split(","))


def run_action(cwd: Path, given: dict[str, str], tmp_path: Path) -> tuple[subprocess.CompletedProcess[str], str]:
    """The action's check step, as GitHub runs it: inputs (defaults for those not given) into the step's
    environment, then the script with `bash --noprofile --norc -eo pipefail`; returns the run and what the
    step wrote to $GITHUB_OUTPUT."""
    action = load(ACTION)
    inputs = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}
    assert set(given) <= set(inputs)
    inputs.update(given)

    def evaluate(value: str) -> str:
        whole = EXPRESSION.fullmatch(value)
        name = INPUT.fullmatch(whole.group(1)) if whole else None
        assert name, f"only ${{{{ inputs.NAME }}}} is supported here: {value}"
        return inputs[name.group(1)]

    [step] = [s for s in action["runs"]["steps"] if s.get("id") == "check"]
    assert step["shell"] == "bash"
    script = tmp_path / "check-step.sh"
    script.write_text(step["run"], encoding="utf-8")
    outputs = tmp_path / "github-output"
    outputs.write_text("")
    env = {**os.environ, **{k: evaluate(v) for k, v in step["env"].items()}, "GITHUB_OUTPUT": str(outputs),
           "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]),
           "PYTHONPATH": str(REPO / "server"), "PYTHONIOENCODING": "utf-8"}
    done = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
                          cwd=cwd / evaluate(step["working-directory"]), env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    return done, outputs.read_text()


# --- the action itself -----------------------------------------------------------------------------


def test_action_uses_every_input_it_declares_and_no_other() -> None:
    action = load(ACTION)
    declared = set(action["inputs"])
    used = set(INPUT.findall(" ".join(EXPRESSION.findall(yaml.safe_dump(action["runs"])))))
    assert used == declared
    for name, spec in action["inputs"].items():
        assert spec.get("description") and "default" in spec, name
    assert action["runs"]["using"] == "composite"


def test_action_scripts_read_inputs_from_the_environment_only() -> None:
    for step in load(ACTION)["runs"]["steps"]:
        if "run" in step:
            assert step["shell"] == "bash"  # a composite step must name its shell
            assert "${{" not in step["run"], step.get("name")  # an input spliced in could run commands


def test_action_defaults_are_choices_of_the_cli() -> None:
    inputs = load(ACTION)["inputs"]
    formats = check_choices("--format")
    assert {"github", "gitlab", "sarif"} <= formats
    assert inputs["format"]["default"] in formats
    assert inputs["fail-on"]["default"] in check_choices("--fail-on")
    for name in formats:
        assert name in inputs["format"]["description"]


def test_action_installs_provguard_from_its_own_folder() -> None:
    steps = load(ACTION)["runs"]["steps"]
    assert any(s.get("uses", "").startswith("actions/setup-python@") for s in steps)
    [install] = [s for s in steps if "pip install" in s.get("run", "")]
    assert '"$GITHUB_ACTION_PATH[fast]"' in install["run"]  # with the extra that makes big trees faster
    assert not any("upload" in s.get("uses", "") for s in steps)  # uploading is the workflow's choice


def test_action_with_defaults_annotates_and_fails_on_errors(tmp_path: Path) -> None:
    repo = checkout(tmp_path, {"data/train/tok.py": TRAINING_PY, "src/app.py": UNREVIEWED_PY})
    done, outputs = run_action(repo, {}, tmp_path)
    assert done.returncode == 1, done.stderr
    assert outputs == "exit-code=1\n"
    lines = done.stdout.splitlines()
    assert any(line.startswith("::error file=data/train/tok.py,line=3,") for line in lines)
    assert any(line.startswith("::warning file=src/app.py,line=5,") for line in lines)


def test_action_passes_paths_and_args_as_words(tmp_path: Path) -> None:
    repo = checkout(tmp_path, {"data/train/tok.py": TRAINING_PY, "src/app.py": UNREVIEWED_PY, "docs/*.py": "x = 1\n"})
    done, outputs = run_action(repo, {"paths": "src\ndocs/*.py", "fail-on": "warning",
                                                   "args": "--severity ai-output-unreviewed=info --no-git"}, tmp_path)
    assert (done.returncode, outputs) == (0, "exit-code=0\n"), done.stderr
    assert done.stdout.splitlines() == [
        "::notice file=src/app.py,line=5,endLine=7,title=ai-output-unreviewed::Code written by Claude Code has "
        "not been reviewed by a person",
        "2 files checked: 1 info",  # docs/*.py is the file of that name, not a glob
    ]


# --- the example workflow --------------------------------------------------------------------------


def test_example_uploads_the_sarif_the_action_writes() -> None:
    example = load(EXAMPLE)
    [job] = example["jobs"].values()
    assert job["permissions"]["security-events"] == "write"
    step = action_step(example)
    assert set(step["with"]) <= set(load(ACTION)["inputs"])
    assert step["with"]["format"] == "sarif"
    [upload] = [s for s in job["steps"] if s.get("uses", "").startswith("github/codeql-action/upload-sarif@")]
    assert upload["with"]["sarif_file"] == step["with"]["output"]
    assert job["steps"].index(upload) > job["steps"].index(step)
    assert "!cancelled()" in upload["if"] or "always()" in upload["if"]  # findings fail the job, yet upload


def test_example_command_line_writes_valid_sarif(tmp_path: Path) -> None:
    repo = checkout(tmp_path, {"data/train/tok.py": TRAINING_PY, "src/app.py": UNREVIEWED_PY})
    given = {k: str(v) for k, v in action_step(load(EXAMPLE))["with"].items()}
    done, outputs = run_action(repo, given, tmp_path)
    assert done.returncode == 1, done.stderr
    assert outputs == "exit-code=1\n"
    log = json.loads((repo / given["output"]).read_text(encoding="utf-8"))
    jsonschema.validate(log, json.loads(SARIF_SCHEMA.read_text(encoding="utf-8")))
    [run] = log["runs"]
    assert run["automationDetails"] == {"id": "provguard/check/"}
    assert {r["ruleId"] for r in run["results"]} >= {"rival-ai-output-in-training-data", "ai-output-unreviewed"}
    assert given["output"] in done.stdout
