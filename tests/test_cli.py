"""The real `provguard check` command as a subprocess: output formats, exit codes, errors, odd files."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest

REPO = Path(__file__).resolve().parents[1]
SARIF_SCHEMA = Path(__file__).with_name("sarif-2.1.0.json")

UNREVIEWED_PY = """\
def add(a, b):
    return a + b


# provguard: kind=ai-agent tool=claude-code vendor=anthropic
def sub(a, b):
    return a - b
"""

REVIEWED_TEST_PY = """\
# provguard: kind=ai-completion tool=copilot reviewed-by=dana@example.com
def test_add():
    assert 1 + 1 == 2
"""

HUMAN_PY = """\
def mul(a, b):
    return a * b
"""

TRAINING_PY = """\
\"\"\"Shipped with the corpus.\"\"\"

# provguard: begin kind=ai-chat-paste tool=chatgpt vendor=openai reviewed-by=dana@example.com
def normalize(text: str) -> str:
    return " ".join(text.split())
# provguard: end


def count(text: str) -> int:
    return len(text.split())
"""


def run_cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO / "server"), env.get("PYTHONPATH")]))
    env["PYTHONIOENCODING"] = "utf-8"
    return subprocess.run([sys.executable, "-m", "provguard", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, encoding="utf-8", timeout=120, check=False)


def check(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(cwd, "check", "--reviewer", "rita@example.com", *args)


def write(root: Path, files: dict[str, str | bytes]) -> None:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_bytes(content.encode("utf-8"))


def sarif_of(cwd: Path, *args: str) -> dict[str, Any]:
    done = check(cwd, "--format", "sarif", *args)
    assert done.returncode in (0, 1), done.stderr
    log: dict[str, Any] = json.loads(done.stdout)
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.validators.validator_for(schema)
    validator.check_schema(schema)
    validator(schema, format_checker=validator.FORMAT_CHECKER).validate(log)
    return log


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    shutil.copytree(REPO / "demo", tmp_path / "demo")
    return tmp_path


# --- text output and exit codes ------------------------------------------------------------------


def test_text_output_exact_lines(tmp_path: Path) -> None:
    write(tmp_path, {"src/app.py": UNREVIEWED_PY, "tests/test_app.py": REVIEWED_TEST_PY, "src/human.py": HUMAN_PY})
    done = check(tmp_path, "src", "tests")
    assert done.stdout.splitlines() == [
        "src/app.py:5:1: warning ai-output-unreviewed Code written by Claude Code has not been reviewed by a person",
        "tests/test_app.py:1:1: info marker-incomplete marker names copilot but not its vendor (github); "
        "write it so every tool reading the marker sees it",
        "tests/test_app.py:1:1: error ai-output-in-test-task-file Code suggested by Copilot must not "
        "be used to create test tasks: tests/test_app.py is a test or evaluation file",
        "3 files checked: 1 error, 1 warning, 1 info",
    ]
    assert done.returncode == 1
    assert done.stderr == ""


def test_clean_run_exits_zero(tmp_path: Path) -> None:
    write(tmp_path, {"human.py": HUMAN_PY})
    done = check(tmp_path, "--fail-on", "hint")
    assert (done.returncode, done.stdout, done.stderr) == (0, "1 file checked: no findings\n", "")


@pytest.mark.parametrize(("fail_on", "expected"), [
    ([], 0), (["--fail-on", "error"], 0), (["--fail-on", "warning"], 1), (["--fail-on", "hint"], 1),
    (["--fail-on", "never"], 0),
])
def test_fail_on_with_a_warning(tmp_path: Path, fail_on: list[str], expected: int) -> None:
    write(tmp_path, {"app.py": UNREVIEWED_PY})
    done = check(tmp_path, *fail_on)
    assert done.returncode == expected, done.stdout + done.stderr
    assert done.stdout.endswith("1 file checked: 1 warning\n")


def test_fail_on_never_with_errors(tmp_path: Path) -> None:
    write(tmp_path, {"app.py": UNREVIEWED_PY, "tests/test_app.py": REVIEWED_TEST_PY})
    assert check(tmp_path).returncode == 1
    done = check(tmp_path, "--fail-on", "never")
    assert done.returncode == 0
    assert done.stdout.splitlines()[-1] == "2 files checked: 1 error, 1 warning, 1 info"


def test_severity_override_changes_level_and_exit(tmp_path: Path) -> None:
    write(tmp_path, {"app.py": UNREVIEWED_PY})
    done = check(tmp_path, "--severity", "ai-output-unreviewed=error")
    assert done.returncode == 1
    assert done.stdout.startswith("app.py:5:1: error ai-output-unreviewed ")
    done = check(tmp_path, "--severity", "ai-output-unreviewed=off", "--fail-on", "hint")
    assert (done.returncode, done.stdout) == (0, "1 file checked: no findings\n")
    run = sarif_of(tmp_path, "--severity", "ai-output-unreviewed=hint")["runs"][0]
    [result] = run["results"]
    assert (result["level"], result["properties"]["severity"]) == ("note", "hint")
    [override] = run["invocations"][0]["ruleConfigurationOverrides"]
    assert override["descriptor"]["id"] == "ai-output-unreviewed"
    assert run["tool"]["driver"]["rules"][override["descriptor"]["index"]]["id"] == "ai-output-unreviewed"
    assert override["configuration"] == {"level": "note"}


# --- usage and configuration errors --------------------------------------------------------------


@pytest.mark.parametrize(("args", "needle"), [
    (["--bogus"], "unrecognized arguments: --bogus"),
    (["--severity", "x"], "--severity expects RULE=LEVEL"),
    (["--severity", "ai-output-unreviewed=loud"], "--severity expects RULE=LEVEL"),
    (["--format", "xml"], "invalid choice: 'xml'"),
    (["--fail-on", "sometimes"], "invalid choice: 'sometimes'"),
    (["no/such/file.py"], "no such file or folder: no/such/file.py"),
])
def test_usage_errors_exit_two(tmp_path: Path, args: list[str], needle: str) -> None:
    write(tmp_path, {"app.py": UNREVIEWED_PY})
    done = check(tmp_path, *args)
    assert done.returncode == 2
    assert needle in done.stderr
    assert done.stdout == ""


@pytest.mark.parametrize(("link", "needle"), [
    ("loop", "loop: symbolic link loop"),
    ("dangling", "dangling: dangling symbolic link: its target does not exist"),
])
def test_a_link_named_on_the_command_line_that_leads_nowhere_says_why(tmp_path: Path, link: str,
                                                                        needle: str) -> None:
    write(tmp_path, {"app.py": UNREVIEWED_PY})
    (tmp_path / link).symlink_to(tmp_path / ("loop" if link == "loop" else "gone"))
    done = check(tmp_path, link)
    assert (done.returncode, done.stdout) == (2, "")
    assert needle in done.stderr


def test_broken_pack_is_reported_with_position(tmp_path: Path) -> None:
    write(tmp_path, {
        "app.py": UNREVIEWED_PY,
        "packs/broken.yaml": "pack: broken\nversion: 1.0.0\nrules:\n  - id: x\n    severity: loud\n"
                             "    message: m\n    origins:\n      - kind: [ai-agent]\n",
        "packs/syntax.yaml": "pack: [\n",
    })
    done = check(tmp_path, "--pack", "packs/broken.yaml", "--pack", "packs/syntax.yaml", "app.py")
    assert done.returncode == 2
    assert done.stdout == ""
    errors = done.stderr.splitlines()
    assert len(errors) == 2
    assert "broken.yaml:5:15: unknown severity 'loud'" in errors[0]
    assert "syntax.yaml:2:1: YAML syntax error" in errors[1]
    missing = check(tmp_path, "--pack", "packs/absent.yaml", "app.py")
    assert missing.returncode == 2
    assert "absent.yaml:1:1: rule pack 'packs/absent.yaml' not found" in missing.stderr


# --- JSON ------------------------------------------------------------------------------------------


def test_json_has_findings_origins_and_fixes(tmp_path: Path) -> None:
    write(tmp_path, {"app.py": UNREVIEWED_PY})
    done = check(tmp_path, "--format", "json")
    assert done.returncode == 0
    report = json.loads(done.stdout)
    assert report["filesChecked"] == 1
    assert report["skipped"] == []
    [finding] = report["findings"]
    assert finding["path"] == "app.py"
    assert finding["rule"] == "ai-output-unreviewed"
    assert finding["severity"] == "warning"
    assert finding["range"]["start"] == {"line": 5, "column": 1}
    assert finding["range"]["end"] == {"line": 7, "column": 17}
    assert finding["origin"] == {"kind": "ai-agent", "evidence": "marker", "tool": "claude-code",
                                 "vendor": "anthropic", "confidence": 1.0}
    fixes = {fix["kind"]: fix for fix in finding["fixes"]}
    assert set(fixes) == {"mark-reviewed", "strip", "suppress"}
    [edit] = fixes["mark-reviewed"]["edits"]
    assert edit["newText"] == " reviewed-by=rita@example.com"
    marker_end = UNREVIEWED_PY.index("anthropic") + len("anthropic")
    assert edit["bytes"] == [marker_end, marker_end]
    [strip] = fixes["strip"]["edits"]
    assert strip["newText"] == ""
    assert strip["bytes"] == [UNREVIEWED_PY.index("# provguard"), len(UNREVIEWED_PY)]


# --- SARIF -----------------------------------------------------------------------------------------


def test_sarif_is_valid_and_complete(demo: Path) -> None:
    log = sarif_of(demo, "demo")
    assert log["version"] == "2.1.0"
    [run] = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "provguard"
    assert driver["version"] and driver["informationUri"].startswith("https://")
    rule_ids = [rule["id"] for rule in driver["rules"]]
    assert len(rule_ids) == len(set(rule_ids))
    assert set(rule_ids) >= pack_rule_ids(demo) | marker_rule_ids(demo)
    levels = {rule["id"]: rule["defaultConfiguration"]["level"] for rule in driver["rules"]}
    assert levels["rival-ai-output-in-training-data"] == "error"
    assert levels["ai-output-unreviewed"] == "warning"
    assert levels["marker-incomplete"] == "note"
    for rule in driver["rules"]:
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"] and rule["help"]["text"]
    assert run["invocations"][0]["executionSuccessful"] is True
    assert run["originalUriBaseIds"]["%SRCROOT%"]
    assert run["results"]
    assert len(run["results"]) == len(json.loads(check(demo, "demo", "--format", "json").stdout)["findings"])
    for result in run["results"]:
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        assert location["artifactLocation"]["uri"].startswith("demo/")
        assert run["artifacts"][location["artifactLocation"]["index"]]["location"]["uri"] == \
            location["artifactLocation"]["uri"]
        assert set(location["region"]) == {"startLine", "startColumn", "endLine", "endColumn"}
        assert result["partialFingerprints"]["provguard/v1"]
    fingerprints = [r["partialFingerprints"]["provguard/v1"] for r in run["results"]]
    assert len(set(fingerprints)) == len(fingerprints)
    assert any(r.get("fixes") for r in run["results"])


def test_sarif_fix_deletes_region(tmp_path: Path) -> None:
    write(tmp_path, {"data/train/tok.py": TRAINING_PY})
    [result] = sarif_of(tmp_path)["runs"][0]["results"]
    assert (result["ruleId"], result["level"]) == ("rival-ai-output-in-training-data", "error")
    assert result["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 3, "startColumn": 1, "endLine": 6, "endColumn": 17}
    assert result["properties"]["origin"] == {
        "kind": "ai-chat-paste", "evidence": "marker", "tool": "chatgpt", "vendor": "openai",
        "reviewedBy": "dana@example.com", "confidence": 1.0}
    [strip] = result["fixes"]
    assert strip["description"]["text"] == "Remove the ai-chat-paste code (lines 3-6)"
    assert strip["properties"] == {"kind": "strip", "safe": False}
    [change] = strip["artifactChanges"]
    assert change["artifactLocation"]["uri"] == "data/train/tok.py"
    assert change["replacements"] == [{"deletedRegion": {"startLine": 3, "startColumn": 1,
                                                         "endLine": 7, "endColumn": 1}}]


def test_sarif_fix_inserts_text(tmp_path: Path) -> None:
    write(tmp_path, {"app.py": UNREVIEWED_PY})
    [result] = sarif_of(tmp_path)["runs"][0]["results"]
    fixes = {fix["properties"]["kind"]: fix for fix in result["fixes"]}
    [replacement] = fixes["mark-reviewed"]["artifactChanges"][0]["replacements"]
    column = len("# provguard: kind=ai-agent tool=claude-code vendor=anthropic") + 1
    assert replacement == {"deletedRegion": {"startLine": 5, "startColumn": column, "endLine": 5,
                                             "endColumn": column},
                           "insertedContent": {"text": " reviewed-by=rita@example.com"}}
    assert result["properties"]["origin"] == {"kind": "ai-agent", "evidence": "marker", "tool": "claude-code",
                                              "vendor": "anthropic", "confidence": 1.0}


def test_partial_fingerprints_survive_lines_inserted_above(tmp_path: Path) -> None:
    write(tmp_path, {"app.py": UNREVIEWED_PY, "tests/test_app.py": REVIEWED_TEST_PY})
    before = sarif_of(tmp_path)["runs"][0]["results"]
    write(tmp_path, {"app.py": "import os\n\n\n" + UNREVIEWED_PY.replace("    return a - b", "    return  a - b"),
                     "tests/test_app.py": "import sys\n" + REVIEWED_TEST_PY})
    after = sarif_of(tmp_path)["runs"][0]["results"]
    assert [r["ruleId"] for r in before] == [r["ruleId"] for r in after]
    lines_before = [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in before]
    lines_after = [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in after]
    assert lines_after == [n + shift for n, shift in zip(lines_before, (3, 1, 1), strict=True)]
    assert [r["partialFingerprints"] for r in before] == [r["partialFingerprints"] for r in after]


def test_partial_fingerprints_tell_identical_code_apart(tmp_path: Path) -> None:
    write(tmp_path, {"app.py": UNREVIEWED_PY + "\n\n" + UNREVIEWED_PY[UNREVIEWED_PY.index("# provguard"):]})
    results = sarif_of(tmp_path)["runs"][0]["results"]
    prints = [r["partialFingerprints"]["provguard/v1"] for r in results]
    assert len(prints) == 2
    assert prints[0].split(":")[0] == prints[1].split(":")[0]
    assert prints[0] != prints[1]


def test_sarif_columns_are_utf16(tmp_path: Path) -> None:
    write(tmp_path, {"e.py": "# provguard: begin tool=\U0001f916 kind=robot\n"})
    text = check(tmp_path).stdout.splitlines()
    assert "e.py:1:32: error marker-invalid unknown kind 'robot'" in "\n".join(text)
    run = sarif_of(tmp_path)["runs"][0]
    assert run.get("columnKind", "utf16CodeUnits") == "utf16CodeUnits"
    invalid = next(r for r in run["results"] if r["ruleId"] == "marker-invalid")
    assert invalid["locations"][0]["physicalLocation"]["region"] == {
        "startLine": 1, "startColumn": 33, "endLine": 1, "endColumn": 38}


def test_same_findings_in_text_json_and_sarif(demo: Path) -> None:
    text_rows = []
    for line in check(demo, "demo").stdout.splitlines()[:-1]:
        location, severity, rule, message = _split_text_line(line)
        path, row, column = location.rsplit(":", 2)
        text_rows.append((path, int(row), int(column), severity, rule, message))
    report = json.loads(check(demo, "demo", "--format", "json").stdout)
    json_rows = [(f["path"], f["range"]["start"]["line"], f["range"]["start"]["column"], f["severity"],
                  f["rule"], f["message"]) for f in report["findings"]]
    run = sarif_of(demo, "demo")["runs"][0]
    sarif_rows = []
    for r in run["results"]:
        location = r["locations"][0]["physicalLocation"]
        sarif_rows.append((location["artifactLocation"]["uri"], location["region"]["startLine"],
                           location["region"]["startColumn"], r["properties"]["severity"], r["ruleId"],
                           r["message"]["text"]))
    assert len(text_rows) == 12
    assert text_rows == json_rows == sarif_rows
    json_fixes = [[fix["title"] for fix in f["fixes"]] for f in report["findings"]]
    sarif_fixes = [[fix["description"]["text"] for fix in r.get("fixes", [])] for r in run["results"]]
    assert json_fixes == sarif_fixes
    assert any(json_fixes)


def _split_text_line(line: str) -> tuple[str, str, str, str]:
    location, rest = line.split(": ", 1)
    severity, rule, message = rest.split(" ", 2)
    return location, severity, rule, message


def pack_rule_ids(cwd: Path) -> set[str]:
    done = run_cli(cwd, "rules")
    assert done.returncode == 0, done.stderr
    return {line.split()[0] for line in done.stdout.splitlines() if line.startswith("  ")}


def marker_rule_ids(cwd: Path) -> set[str]:
    env = dict(os.environ, PYTHONPATH=str(REPO / "server"))
    done = subprocess.run([sys.executable, "-c", "from provguard.analysis import MARKER_RULES; print(*MARKER_RULES)"],
                          cwd=cwd, env=env, capture_output=True, text=True, check=True)
    return set(done.stdout.split())


# --- files that cannot be checked as usual ---------------------------------------------------------


def test_binary_and_huge_files_are_skipped(tmp_path: Path) -> None:
    write(tmp_path, {"app.py": UNREVIEWED_PY, "blob.bin": b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "big.py": ""})
    with (tmp_path / "big.py").open("r+b") as big:  # sparse: larger than the limit without writing it all
        big.seek(64 << 20)
        big.write(b"\n")
    done = check(tmp_path)
    assert done.returncode == 0
    assert done.stderr.splitlines() == \
        ["provguard: skipped 2 files: 1 binary, 1 larger than 8 MiB (--verbose lists them)"]
    listed = check(tmp_path, "--verbose").stderr.splitlines()
    assert sorted(listed[:-1]) == ["provguard: skipped big.py: larger than 8 MiB",
                                   "provguard: skipped blob.bin: binary file"]
    assert done.stdout.splitlines()[-1] == "1 file checked, 2 skipped: 1 warning"
    report = json.loads(check(tmp_path, "--format", "json").stdout)
    assert {s["path"] for s in report["skipped"]} == {"big.py", "blob.bin"}
    notes = sarif_of(tmp_path)["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert [n["level"] for n in notes] == ["note", "note"]
    assert {n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for n in notes} == \
        {"big.py", "blob.bin"}
    assert all("skipped" in n["message"]["text"] for n in notes)


def test_invalid_utf8_is_still_checked(tmp_path: Path) -> None:
    write(tmp_path, {"bad.py": b'x = "\xff\xfe\xc3"\n' + UNREVIEWED_PY.encode()})
    done = check(tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0].startswith("bad.py:6:1: warning ai-output-unreviewed ")
    [finding] = json.loads(check(tmp_path, "--format", "json").stdout)["findings"]
    assert finding["range"]["start"]["line"] == 6
    [result] = sarif_of(tmp_path)["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == 6
