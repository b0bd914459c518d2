"""SARIF as GitHub code scanning takes it: a category, readable rule names and help links that lead
somewhere, descriptions in one shape, and the upload limits kept."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest

from git_support import Repo
from test_cli import REPO, REVIEWED_TEST_PY, SARIF_SCHEMA, UNREVIEWED_PY, check, sarif_of, write

REPOSITORY_BLOB = "https://github.com/provguard/provguard/blob/main/"
RESULTS_LIMIT = 25_000
"""GitHub's documented hard limit of results per SARIF run ("SARIF support for code scanning")."""



@pytest.fixture(autouse=True)
def _checkout(tmp_path: Path) -> None:
    """CI reads these reports in a checkout: each test's tree is a git work tree, so it is the project root."""
    Repo(tmp_path)

def driver_rules(cwd: Path, *args: str) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = sarif_of(cwd, *args)["runs"][0]["tool"]["driver"]["rules"]
    return rules


def heading_anchors(markdown: str) -> set[str]:
    """The anchors GitHub gives a Markdown file's headings (code blocks left out)."""
    anchors: set[str] = set()
    fenced = False
    for line in markdown.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and (m := re.match(r"#{1,6} (.+)", line)):
            anchors.add(re.sub(r"[^\w\- ]", "", m.group(1).strip().lower()).replace(" ", "-"))
    return anchors


def test_automation_details_default_category(tmp_path: Path) -> None:
    write(tmp_path, {"app.py": UNREVIEWED_PY})
    run = sarif_of(tmp_path)["runs"][0]
    assert run["automationDetails"] == {"id": "provguard/check/"}


@pytest.mark.parametrize(("category", "expected"), [("backend", "backend/"), ("provguard/web/", "provguard/web/")])
def test_automation_details_category_option(tmp_path: Path, category: str, expected: str) -> None:
    write(tmp_path, {"app.py": UNREVIEWED_PY})
    run = sarif_of(tmp_path, "--sarif-category", category)["runs"][0]
    assert run["automationDetails"] == {"id": expected}


def test_every_rule_has_a_pascal_case_name_and_a_help_link(tmp_path: Path) -> None:
    write(tmp_path, {"app.py": UNREVIEWED_PY})
    rules = driver_rules(tmp_path)
    names = {rule["id"]: rule["name"] for rule in rules}
    assert names["ai-output-unreviewed"] == "AIOutputUnreviewed"
    assert names["marker-unmatched-end"] == "MarkerUnmatchedEnd"
    assert all(re.fullmatch(r"[A-Z][A-Za-z0-9]*", name) for name in names.values())
    assert len(set(names.values())) == len(names)
    assert all(rule["helpUri"].startswith("https://") for rule in rules)


def test_help_links_into_the_repository_reach_an_existing_section(tmp_path: Path) -> None:
    write(tmp_path, {"app.py": UNREVIEWED_PY})
    links = {rule["id"]: rule["helpUri"] for rule in driver_rules(tmp_path)}
    assert links["marker-invalid"].endswith("rules/README.md#built-in-rules")
    for rule_id, link in links.items():
        assert link.startswith(REPOSITORY_BLOB), (rule_id, link)
        path, _, anchor = link.removeprefix(REPOSITORY_BLOB).partition("#")
        target = REPO / path
        assert target.is_file(), (rule_id, link)
        assert anchor in heading_anchors(target.read_text(encoding="utf-8")), (rule_id, link)


def test_descriptions_have_one_shape(tmp_path: Path) -> None:
    write(tmp_path, {"app.py": UNREVIEWED_PY})
    rules = {rule["id"]: rule for rule in driver_rules(tmp_path)}
    for rule_id, rule in rules.items():
        short, full = rule["shortDescription"]["text"], rule["fullDescription"]["text"]
        assert full.startswith(short), rule_id  # the full description goes on from the short one
        assert short[0].isupper() or short[0] == "<", rule_id
        assert short.endswith((".", "?", "!")) and "{" not in short and "\n" not in short, rule_id
    # a pack rule's short description says what it reports (its message); the note says why, after it
    unreviewed = rules["ai-output-unreviewed"]
    assert unreviewed["shortDescription"]["text"] == "Code <origin> has not been reviewed by a person."
    assert unreviewed["fullDescription"]["text"] == (
        "Code <origin> has not been reviewed by a person. "
        "Mark it reviewed once a person has read and understood it.")


def test_a_run_under_the_limit_keeps_every_result_and_says_nothing(tmp_path: Path) -> None:
    write(tmp_path, {"app.py": UNREVIEWED_PY, "tests/test_app.py": REVIEWED_TEST_PY})
    done = check(tmp_path, "--format", "sarif")
    run = json.loads(done.stdout)["runs"][0]
    assert len(run["results"]) == 3
    assert "toolExecutionNotifications" not in run["invocations"][0]
    assert done.stderr == ""


def test_results_over_the_code_scanning_limit_are_capped_with_a_warning(tmp_path: Path) -> None:
    # every unmatched `provguard: end` is a warning; the bad marker at the end makes two errors after them
    write(tmp_path, {"many.py": "# provguard: end\n" * (RESULTS_LIMIT + 3) + "# provguard: begin kind=robot\n"})
    total = RESULTS_LIMIT + 5
    done = check(tmp_path, "--format", "sarif")
    assert done.returncode == 1
    message = f"{total:,} results, more than the {RESULTS_LIMIT:,} code scanning accepts in one run: kept the " \
              f"{RESULTS_LIMIT:,} most severe, left out 5"
    assert done.stderr.splitlines() == [f"provguard: {message}"]
    log = json.loads(done.stdout)
    run = log["runs"][0]
    results = run["results"]
    assert len(results) == RESULTS_LIMIT
    levels = [r["level"] for r in results]
    assert levels.count("error") == 2  # the errors come last in the file, yet are kept
    lines = [r["locations"][0]["physicalLocation"]["region"]["startLine"] for r in results]
    assert lines == sorted(lines)  # the kept results stay in file order
    [notification] = run["invocations"][0]["toolExecutionNotifications"]
    assert notification["level"] == "warning"
    assert notification["message"]["text"] == message
    descriptor = run["tool"]["driver"]["notifications"][notification["descriptor"]["index"]]
    assert descriptor["id"] == notification["descriptor"]["id"]
    fingerprints = [r["partialFingerprints"]["provguard/v1"] for r in results]
    assert len(set(fingerprints)) == len(fingerprints)
    run["results"] = results[:100]  # the schema check of every result takes longer than the run
    jsonschema.validate(log, json.loads(SARIF_SCHEMA.read_text(encoding="utf-8")))
