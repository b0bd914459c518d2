"""Rule evaluation: which marked code a rule flags, where, with which message and severity.

Documents are built from text; provenance comes from `provguard:` markers in that text (or, for other
evidence, from spans handed to `analyze`). Paths are relative to the project root. Syntactic scopes are in
test_rule_scopes.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from provguard.analysis import MARKER_RULES
from provguard.policy.evaluate import evaluate
from provguard.policy.model import Severity
from provguard.policy.policy import load_policy
from provguard.provenance.markers import scan
from provguard.provenance.origin import Evidence, Kind, Origin, Span
from rule_support import (
    AGENT,
    default_policy,
    document,
    findings,
    flagged,
    marked_block,
    policy_from,
    selector_rule,
)

# -- origin selectors --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("selector", "marker", "selected"),
    [
        ("- kind: ai-agent", AGENT, True),
        ("- kind: ai-agent", "kind=ai-completion tool=copilot", False),
        ("- kind: [ai-completion, ai-agent]", "kind=ai-completion tool=copilot", True),
        ("- kind: ai-agent", "kind=human", False),
        ("- tool: claude-*", AGENT, True),
        ("- tool: CLAUDE-CODE", AGENT, True),
        ("- tool: codex", AGENT, False),
        ("- vendor: [openai, anthr*]", AGENT, True),
        ("- vendor: openai", AGENT, False),
        ("- vendor: anthropic", "kind=ai-agent tool=claude-code", True),  # vendor inferred from the tool
        ("- model: 'claude-sonnet-*'", AGENT + " model=claude-sonnet-4", True),
        ("- model: 'gpt-*'", AGENT + " model=claude-sonnet-4", False),
        ("- model: 'gpt-*'", AGENT, False),
        ("- evidence: marker", AGENT, True),
        ("- evidence: editor-event", AGENT, False),
        ("- {kind: ai-agent, reviewed: true}", AGENT + " reviewed-by=alice", True),
        ("- {kind: ai-agent, reviewed: true}", AGENT, False),
        ("- {kind: ai-agent, reviewed: false}", AGENT, True),
        ("- {kind: ai-agent, reviewed: false}", AGENT + " reviewed-by=alice", False),
        ("- {kind: ai-agent, tool: codex}", AGENT, False),  # every field of one selector must match
        ("- {kind: paste}\n- {tool: claude-code}", AGENT, True),  # any selector may match
        ("- {kind: paste}\n- {tool: codex}", AGENT, False),
    ],
)
def test_origin_selectors(tmp_path: Path, selector: str, marker: str, selected: bool) -> None:
    policy = policy_from(tmp_path, selector_rule(selector))
    doc = document("src/app.py", marked_block(marker))

    assert bool(flagged(doc, "src/app.py", policy, "picked")) is selected


def test_evidence_selector_reads_spans_from_other_sources(tmp_path: Path) -> None:
    policy = policy_from(tmp_path, selector_rule("- evidence: [editor-event, transcript]"))
    doc = document("src/app.py", "a = 1\nb = 2\n")
    typed = Span(0, 6, Origin(Kind.AI_COMPLETION, Evidence.EDITOR_EVENT, tool="copilot"))
    hinted = Span(6, 12, Origin(Kind.AI_COMPLETION, Evidence.CLIENT_HINT, tool="copilot"))

    picked = [f for f in findings(doc, "src/app.py", policy, (typed, hinted)) if f.rule_id == "picked"]

    assert [(f.start, f.end) for f in picked] == [(0, 6)]
    assert picked[0].origin == typed.origin


# -- paths and languages -----------------------------------------------------------------------------


def test_paths_are_matched_relative_to_the_project_root(tmp_path: Path) -> None:
    policy = policy_from(tmp_path, """\
        - id: data
          severity: error
          message: "{path}"
          origins: [{kind: ai-agent}]
          paths:
            include: [data/**, "*.jsonl"]
            exclude: [data/public/**]
        """)
    text = marked_block(AGENT)

    def hits(path: str) -> list[str]:
        return [f.message for f in findings(document(path, text), path, policy) if f.rule_id == "data"]

    assert hits("data/train/x.py") == ["data/train/x.py"]
    assert hits("corpus/part.jsonl") == ["corpus/part.jsonl"]
    assert hits("data/public/x.py") == []  # exclude wins
    assert hits("src/data/x.py") == []  # `data/**` is anchored at the root
    assert hits("src/x.py") == []


def test_the_document_path_does_not_matter_only_the_relative_path(tmp_path: Path) -> None:
    policy = policy_from(tmp_path, """\
        - id: data
          severity: error
          message: m
          origins: [{kind: ai-agent}]
          paths: {include: data/**}
        """)
    doc = document("/home/me/project/src/x.py", marked_block(AGENT))

    assert flagged(doc, "src/x.py", policy, "data") == []
    assert flagged(doc, "data/x.py", policy, "data") != []


def test_languages_limit_a_rule_to_some_languages(tmp_path: Path) -> None:
    policy = policy_from(tmp_path, """\
        - id: go-only
          severity: error
          message: "{language}"
          origins: [{kind: ai-agent}]
          languages: go
        """)
    go = document("main.go", f"package main\n\n// provguard: begin {AGENT}\nvar x = 1\n// provguard: end\n")
    py = document("main.py", marked_block(AGENT))

    assert [f.message for f in findings(go, "main.go", policy) if f.rule_id == "go-only"] == ["go"]
    assert flagged(py, "main.py", policy, "go-only") == []


# -- messages and severities -------------------------------------------------------------------------


def test_message_placeholders_are_filled_in(tmp_path: Path) -> None:
    policy = policy_from(tmp_path, """\
        - id: says-all
          severity: info
          message: "{origin}|{kind}|{tool}|{vendor}|{model}|{path}|{language}|{rule} {{literal}}"
          origins: [{kind: ai-agent}]
        """)
    doc = document("src/a.py", marked_block(AGENT + " model=claude-sonnet-4"))
    bare = document("src/b.py", marked_block("kind=ai-agent"))

    (full,) = [f.message for f in findings(doc, "src/a.py", policy) if f.rule_id == "says-all"]
    (empty,) = [f.message for f in findings(bare, "src/b.py", policy) if f.rule_id == "says-all"]

    assert full == ("written by Claude Code|AI agent|Claude Code|anthropic|claude-sonnet-4|src/a.py|python|"
                    "says-all {literal}")
    assert empty == ("written by an AI agent|AI agent|an unnamed tool|an unknown vendor|an unnamed model|src/b.py|"
                     "python|says-all {literal}")


def test_findings_carry_the_rule_details(tmp_path: Path) -> None:
    policy = default_policy()
    doc = document("data/train/x.py", marked_block(AGENT))

    (finding,) = [f for f in findings(doc, "data/train/x.py", policy)
                  if f.rule_id == "rival-ai-output-in-training-data"]

    assert finding.severity is Severity.ERROR
    assert finding.message == ("Code written by Claude Code (anthropic) must not be in training data: "
                               "data/train/x.py is a training-data path")
    assert finding.origin is not None and finding.origin.tool == "claude-code"
    assert finding.span is not None and (finding.span.start, finding.span.end) == (finding.start, finding.end)
    assert [f.value for f in finding.fixes] == ["strip"]
    assert finding.note and finding.url and finding.url.startswith("https://")


def test_a_whole_file_marker_is_reported_at_the_marker(tmp_path: Path) -> None:
    doc = document("src/a.py", f"# provguard: file {AGENT}\nx = 1\ny = 2\n")

    (hit,) = flagged(doc, "src/a.py", default_policy(), "ai-output-unreviewed")

    assert hit == f"# provguard: file {AGENT}"


def test_severity_overrides_change_or_silence_a_rule() -> None:
    doc = document("src/a.py", marked_block(AGENT))

    def severities(overrides: dict[str, Severity]) -> list[Severity]:
        return [f.severity for f in findings(doc, "src/a.py", default_policy(overrides))
                if f.rule_id == "ai-output-unreviewed"]

    assert severities({}) == [Severity.WARNING]
    assert severities({"ai-output-unreviewed": Severity.ERROR}) == [Severity.ERROR]
    assert severities({"ai-output-unreviewed": Severity.OFF}) == []


def test_a_rule_that_is_off_in_its_pack_can_be_switched_on(tmp_path: Path) -> None:
    rules = "- {id: quiet, severity: off, message: m, origins: [{kind: ai-agent}]}\n"  # YAML's `off`, unquoted
    doc = document("src/a.py", marked_block(AGENT))

    assert flagged(doc, "src/a.py", policy_from(tmp_path, rules), "quiet") == []
    loud = policy_from(tmp_path, rules, {"quiet": Severity.HINT})
    assert [f.severity for f in findings(doc, "src/a.py", loud) if f.rule_id == "quiet"] == [Severity.HINT]


def test_evaluate_takes_overrides_directly() -> None:
    doc = document("src/a.py", marked_block(AGENT))
    spans = scan(doc).spans
    rules = default_policy().rules

    plain = evaluate(doc, "src/a.py", spans, rules)
    quiet = evaluate(doc, "src/a.py", spans, rules, {"ai-output-unreviewed": Severity.OFF})

    assert [f.rule_id for f in plain] == ["ai-output-unreviewed"]
    assert quiet == []


def test_a_later_pack_replaces_a_rule_with_the_same_id(tmp_path: Path) -> None:
    pack = tmp_path / "team.yaml"
    pack.write_text("pack: team\nrules:\n  - id: ai-output-unreviewed\n    severity: hint\n"
                    "    message: team says {tool}\n    origins: [{kind: ai-agent}]\n", encoding="utf-8")
    policy = load_policy(["default", str(pack)], {}).policy
    doc = document("src/a.py", marked_block(AGENT + " reviewed-by=alice"))

    (finding,) = [f for f in findings(doc, "src/a.py", policy) if f.rule_id == "ai-output-unreviewed"]

    assert (finding.severity, finding.message) == (Severity.HINT, "team says Claude Code")


# -- built-in findings about the markers themselves --------------------------------------------------


@pytest.mark.parametrize(
    ("rule_id", "text"),
    [
        ("marker-invalid", "# provguard: begin kind=robot\nx = 1\n# provguard: end\n"),
        ("marker-invalid", "# provguard: begin tool=codex\nx = 1\n# provguard: end\n"),
        ("marker-unterminated", f"# provguard: begin {AGENT}\nx = 1\n"),
        ("marker-unmatched-end", "x = 1\n# provguard: end\n"),
        ("marker-no-unit", f"x = 1\n# provguard: {AGENT}\n"),
        ("marker-incomplete", marked_block("kind=ai-agent tool=claude-code reviewed-by=a")),
    ],
)
def test_marker_problems_are_findings_with_default_severities(rule_id: str, text: str) -> None:
    doc = document("src/a.py", text)

    found = [f for f in findings(doc, "src/a.py", default_policy()) if f.rule_id == rule_id]

    assert len(found) == 1
    assert found[0].severity is MARKER_RULES[rule_id][0]
    assert doc.slice(found[0].start, found[0].end).lstrip().startswith(("# provguard", "robot"))


def test_default_severities_of_marker_rules() -> None:
    assert {rule: severity for rule, (severity, _) in MARKER_RULES.items()} == {
        "marker-invalid": Severity.ERROR,
        "marker-unterminated": Severity.ERROR,
        "marker-unmatched-end": Severity.WARNING,
        "marker-no-unit": Severity.ERROR,
        "marker-incomplete": Severity.INFO,
    }


def test_marker_rule_severities_can_be_overridden() -> None:
    doc = document("src/a.py", "x = 1\n# provguard: end\n")

    def severities(overrides: dict[str, Severity]) -> list[Severity]:
        return [f.severity for f in findings(doc, "src/a.py", default_policy(overrides))
                if f.rule_id == "marker-unmatched-end"]

    assert severities({"marker-unmatched-end": Severity.ERROR}) == [Severity.ERROR]
    assert severities({"marker-unmatched-end": Severity.OFF}) == []


def test_marker_incomplete_names_the_vendor_to_add() -> None:
    doc = document("src/a.py", "# provguard: begin kind=ai-agent tool=claude-code\nx = 1\n# provguard: end\n")

    (finding,) = [f for f in findings(doc, "src/a.py", default_policy()) if f.rule_id == "marker-incomplete"]

    assert "anthropic" in finding.message
    assert doc.slice(finding.start, finding.end) == "# provguard: begin kind=ai-agent tool=claude-code"
    assert [f.value for f in finding.fixes] == ["complete-marker"]


def test_a_complete_marker_is_not_incomplete() -> None:
    doc = document("src/a.py", marked_block(AGENT))

    assert flagged(doc, "src/a.py", default_policy(), "marker-incomplete") == []


# -- what the README promises about the default pack -------------------------------------------------


def rule_ids(path: str, text: str) -> set[str]:
    return {f.rule_id for f in findings(document(path, text), path, default_policy())}


def test_readme_rival_vendor_output_in_training_data() -> None:
    ids = rule_ids("data/train/x.py", marked_block("kind=ai-agent tool=claude-code vendor=anthropic reviewed-by=a"))

    assert ids == {"rival-ai-output-in-training-data"}


def test_readme_output_of_a_vendor_that_is_no_rival_may_be_training_data() -> None:
    ids = rule_ids("data/train/x.py", marked_block("kind=ai-completion tool=tabnine vendor=tabnine reviewed-by=a"))

    assert "rival-ai-output-in-training-data" not in ids


def test_readme_ai_code_in_a_test_file() -> None:
    ids = rule_ids("tests/test_x.py", marked_block("kind=ai-completion tool=copilot vendor=github reviewed-by=a"))

    assert ids == {"ai-output-in-test-task-file"}


def test_readme_unreviewed_ai_marker_is_flagged_and_a_reviewed_one_is_not() -> None:
    assert rule_ids("src/x.py", marked_block(AGENT)) == {"ai-output-unreviewed"}
    assert rule_ids("src/x.py", marked_block(AGENT + " reviewed-by=alice")) == set()


def test_readme_human_code_is_never_flagged() -> None:
    assert rule_ids("data/train/tests/test_x.py", marked_block("kind=human")) == set()


def test_readme_unmarked_ai_code_from_the_editor_is_flagged() -> None:
    doc = document("src/x.py", "x = 1\n")
    typed = Span(0, 5, Origin(Kind.AI_COMPLETION, Evidence.EDITOR_EVENT, tool="copilot", vendor="github"))

    ids = {f.rule_id for f in findings(doc, "src/x.py", default_policy(), (typed,))}

    assert ids == {"ai-output-unmarked", "ai-output-unreviewed"}
