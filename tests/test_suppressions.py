"""In-source suppressions: `provguard: allow[rule-id] reason: ...` comments, as people write them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from lsp_support import apply, edits_of, open_file, pushed, quick_fixes, send_edits, start
from provguard.analysis import analyze
from provguard.documents import Document
from provguard.findings import Finding
from provguard.fixes import fixes_for
from provguard.policy.model import FixKind, Severity
from provguard.policy.policy import Policy, load_policy
from rule_support import AGENT, default_policy, document, policy_from
from test_cli import check, sarif_of, write

UNREVIEWED = "ai-output-unreviewed"
MARKED_FN = f"# provguard: {AGENT}\ndef generated():\n    return 1\n"


@pytest.fixture(scope="module")
def policy() -> Policy:
    return default_policy()


def run(doc: Document, policy: Policy, path: str = "src/app.py") -> tuple[list[Finding], list[Finding]]:
    analysis = analyze(doc, path, policy)
    return list(analysis.findings), list(analysis.suppressed)


def rules(found: list[Finding]) -> list[str]:
    return [f.rule_id for f in found]


def text_at(doc: Document, finding: Finding) -> str:
    return doc.slice(finding.start, finding.end)


# -- what a suppression reaches --------------------------------------------------------------------------


def test_a_suppression_above_a_finding_hides_it_and_keeps_the_reason(policy: Policy) -> None:
    doc = document("src/app.py", "# provguard: allow[ai-output-unreviewed] reason: vendored, reviewed upstream\n"
                   + MARKED_FN)

    visible, suppressed = run(doc, policy)

    assert rules(visible) == []
    [finding] = suppressed
    assert finding.rule_id == UNREVIEWED
    assert finding.suppressed is not None and finding.suppressed.reason == "vendored, reviewed upstream"
    assert text_at(doc, Finding(UNREVIEWED, finding.severity, finding.suppressed.start, finding.suppressed.end,
                                "", None, None)).startswith("# provguard: allow[")


def test_a_trailing_suppression_covers_its_own_line(policy: Policy) -> None:
    doc = document("src/app.py", f"""\
        # provguard: begin {AGENT} reviewed-by=dana
        def test_one():  # provguard: allow[ai-output-in-test-function] reason: generated fixture, checked by QA
            pass
        def test_two():
            pass
        # provguard: end
        """)

    visible, suppressed = run(doc, policy)

    assert [text_at(doc, f).split("(")[0] for f in suppressed] == ["def test_one"]
    assert [text_at(doc, f).split("(")[0] for f in visible] == ["def test_two"]


def test_a_suppression_above_a_function_covers_findings_inside_it(policy: Policy) -> None:
    doc = document("src/app.py", f"""\
        # provguard: allow[ai-output-unreviewed] reason: the whole helper was pair-programmed and reviewed
        def helper():
            # provguard: begin {AGENT}
            x = 1
            # provguard: end
            return x

        # provguard: begin {AGENT}
        y = 2
        # provguard: end
        """)

    visible, suppressed = run(doc, policy)

    assert [text_at(doc, f).splitlines()[1] for f in suppressed] == ["    x = 1"]
    assert [text_at(doc, f).splitlines()[1] for f in visible] == ["y = 2"]


def test_stacked_suppressions_all_reach_the_line_below_them(policy: Policy) -> None:
    doc = document("src/app.py", """\
        # provguard: allow[ai-output-unreviewed] reason: reviewed in PR 12
        # provguard: allow[marker-incomplete] reason: the vendor is obvious here
        # provguard: kind=ai-agent tool=claude-code
        def generated():
            return 1
        """)

    visible, suppressed = run(doc, policy)

    assert rules(visible) == []
    assert sorted(rules(suppressed)) == ["ai-output-unreviewed", "marker-incomplete"]


def test_only_the_named_rules_are_suppressed(policy: Policy) -> None:
    doc = document("src/app.py", "# provguard: allow[ai-output-unreviewed] reason: reviewed in PR 12\n"
                   "# provguard: kind=ai-agent tool=claude-code\ndef generated():\n    return 1\n")

    visible, suppressed = run(doc, policy)

    assert rules(visible) == ["marker-incomplete"] and rules(suppressed) == [UNREVIEWED]


def test_a_blank_line_ends_the_reach_and_the_suppression_is_unused(policy: Policy) -> None:
    doc = document("src/app.py", "# provguard: allow[ai-output-unreviewed] reason: reviewed\n\n" + MARKED_FN)

    visible, suppressed = run(doc, policy)

    assert sorted(rules(visible)) == [UNREVIEWED, "suppression-unused"] and suppressed == []


def test_a_suppression_in_a_string_is_not_a_comment(policy: Policy) -> None:
    doc = document("src/app.py", 'X = "provguard: allow[ai-output-unreviewed] reason: no"\n' + MARKED_FN)

    visible, _ = run(doc, policy)

    assert rules(visible) == [UNREVIEWED]


def test_a_suppression_between_a_marker_and_its_function_is_not_a_marker(policy: Policy) -> None:
    doc = document("src/app.py", f"""\
        # provguard: {AGENT}
        # provguard: allow[ai-output-in-test-function] reason: fixture generator, reviewed by QA
        def test_generated():
            return 1
        """)

    visible, suppressed = run(doc, policy)

    assert rules(visible) == [UNREVIEWED]  # the marker still covers the function: no marker-invalid or -no-unit
    assert rules(suppressed) == ["ai-output-in-test-function"]


@pytest.mark.parametrize(("path", "text"), [
    ("web/a.ts", "// provguard: allow[ai-output-unreviewed] reason: ok\n// provguard: {m}\nfunction f() {{}}\n"),
    ("svc/a.go", "package a\n\n/* provguard: allow[ai-output-unreviewed] reason: ok */\n// provguard: {m}\n"
                 "func F() {{}}\n"),
    ("src/a.rs", "// provguard: allow[ai-output-unreviewed] reason: ok\n// provguard: {m}\nfn f() {{}}\n"),
    ("lib/a.rb", "# provguard: allow[ai-output-unreviewed] reason: ok\n# provguard: {m}\ndef f\nend\n"),
    ("lib/a.lua", "-- provguard: allow[ai-output-unreviewed] reason: ok\n-- provguard: {m}\nfunction f() end\n"),
    ("docs/notes.txt", "# provguard: allow[ai-output-unreviewed] reason: ok\n# provguard: {m}\nsome text\n"),
])
def test_suppressions_use_each_languages_comments(policy: Policy, path: str, text: str) -> None:
    doc = document(path, text.format(m=AGENT))

    visible, suppressed = run(doc, policy, path)

    assert rules(visible) == [] and rules(suppressed) == [UNREVIEWED]


# -- what is wrong with a suppression --------------------------------------------------------------------


@pytest.mark.parametrize(("comment", "message", "pointed"), [
    ("allow[ai-output-unreviewed]", "a suppression needs a reason", "# provguard: allow[ai-output-unreviewed]"),
    ("allow[ai-output-unreviewed] reason:", "the reason is empty: write why", "reason:"),
    ("allow[ai-output-unreviewed] reason: <why>", "replace <why> with why", "reason: <why>"),
    ("allow ai-output-unreviewed reason: x", "name the rules to allow in brackets", "# provguard: allow ai-"),
    ("allow[ai-output-unreviewed reason: x", "'[' is never closed", "[ai-output-unreviewed reason: x"),
    ("allow[] reason: x", "the brackets name no rule", "[]"),
    ("allow[ai-output-unreviewd] reason: x", "did you mean 'ai-output-unreviewed'?", "ai-output-unreviewd"),
    ("allow[suppression-unused] reason: x", "is about suppressions themselves", "suppression-unused"),
])
def test_a_broken_suppression_suppresses_nothing_and_says_why_where(
        policy: Policy, comment: str, message: str, pointed: str) -> None:
    doc = document("src/app.py", f"# provguard: {comment}\n" + MARKED_FN)

    visible, suppressed = run(doc, policy)

    assert suppressed == []
    [problem] = [f for f in visible if f.rule_id == "suppression-invalid"]
    assert message in problem.message
    assert text_at(doc, problem).startswith(pointed)
    assert UNREVIEWED in rules(visible)


def test_a_rule_that_forbids_suppression_keeps_its_finding(policy: Policy) -> None:
    doc = document("data/train/x.py",
                   "# provguard: allow[rival-ai-output-in-training-data, ai-output-unreviewed] reason: we asked\n"
                   + MARKED_FN)

    visible, suppressed = run(doc, policy, "data/train/x.py")

    assert sorted(rules(visible)) == ["rival-ai-output-in-training-data", "suppression-forbidden"]
    assert rules(suppressed) == [UNREVIEWED]
    [forbidden] = [f for f in visible if f.rule_id == "suppression-forbidden"]
    assert text_at(doc, forbidden) == "rival-ai-output-in-training-data"
    assert "may not be suppressed" in forbidden.message


def test_each_unused_rule_of_a_suppression_is_reported_at_its_name(policy: Policy) -> None:
    doc = document("src/app.py",
                   "# provguard: allow[ai-output-unreviewed, ai-output-unmarked] reason: reviewed in PR 12\n"
                   + MARKED_FN)

    visible, suppressed = run(doc, policy)

    [unused] = visible
    assert unused.rule_id == "suppression-unused" and text_at(doc, unused) == "ai-output-unmarked"
    assert rules(suppressed) == [UNREVIEWED]


def test_suppression_problems_follow_severity_overrides() -> None:
    policy = default_policy({"suppression-unused": Severity.OFF})
    doc = document("src/app.py", "# provguard: allow[ai-output-unreviewed] reason: stale\nx = 1\n")

    visible, _ = run(doc, policy)

    assert visible == []


# -- packs say which rules may be suppressed ---------------------------------------------------------------


def test_a_pack_rule_can_forbid_suppression(tmp_path: Path) -> None:
    policy = policy_from(tmp_path, """\
        - id: no-agents
          severity: error
          message: agent code
          origins: {kind: ai-agent}
          suppressible: false
        """)
    doc = document("a.py", "# provguard: allow[no-agents] reason: please\n" + MARKED_FN)

    visible, _ = run(doc, policy, "a.py")

    assert sorted(rules(visible)) == ["no-agents", "suppression-forbidden"]
    finding = next(f for f in visible if f.rule_id == "no-agents")
    assert FixKind.SUPPRESS not in finding.fixes


def test_a_team_pack_can_forbid_suppressing_an_inherited_rule(tmp_path: Path) -> None:
    pack = tmp_path / "team.yaml"
    pack.write_text("pack: team\nextends: default\noverrides:\n  ai-output-unreviewed: {suppressible: false}\n",
                    encoding="utf-8")
    loaded = load_policy([str(pack)], {})
    assert loaded.errors == ()
    doc = document("src/app.py", "# provguard: allow[ai-output-unreviewed] reason: x\n" + MARKED_FN)

    visible, _ = run(doc, loaded.policy)

    assert sorted(rules(visible)) == [UNREVIEWED, "suppression-forbidden"]


@pytest.mark.parametrize(("line", "message", "value"), [
    ("    suppressible: maybe\n", "'suppressible' must be true or false", "maybe"),
    ("    fixes: [suppress]\n", "unknown fix 'suppress'", "suppress"),
])
def test_pack_mistakes_about_suppression_are_errors_at_their_value(
        tmp_path: Path, line: str, message: str, value: str) -> None:
    pack = tmp_path / "team.yaml"
    pack.write_text("pack: team\nrules:\n  - id: r\n    severity: error\n    message: m\n"
                    "    origins: {kind: ai-agent}\n" + line, encoding="utf-8")

    [error] = load_policy([str(pack)], {}).errors

    assert message in error.message and (error.line, error.column) == (7, line.index(value) + 1)


# -- the quick fix ---------------------------------------------------------------------------------------


def test_the_suppress_fix_writes_a_comment_with_a_reason_placeholder_above_the_finding(policy: Policy) -> None:
    doc = document("src/app.py", f"class A:\n    # provguard: {AGENT}\n    def f(self):\n        return 1\n")
    finding = next(f for f in run(doc, policy)[0] if f.rule_id == UNREVIEWED)

    [fix] = [f for f in fixes_for(doc, finding, "rev@example.com") if f.kind is FixKind.SUPPRESS]
    [edit] = fix.edits
    fixed = doc.source[:edit.start] + edit.new_text.encode() + doc.source[edit.end:]

    assert not fix.safe
    assert fixed.decode().splitlines()[1] == "    # provguard: allow[ai-output-unreviewed] reason: <why>"
    still, _ = run(document("src/app.py", fixed.decode()), policy)
    assert "suppression-invalid" in rules(still) and UNREVIEWED in rules(still)  # until the reason is written
    reasoned = fixed.decode().replace("<why>", "reviewed in PR 12")
    visible, suppressed = run(document("src/app.py", reasoned), policy)
    assert rules(visible) == [] and rules(suppressed) == [UNREVIEWED]


def test_the_suppress_fix_uses_the_languages_comment_syntax(policy: Policy) -> None:
    doc = document("lib/a.lua", f"-- provguard: {AGENT}\nfunction f() end\n")
    finding = next(f for f in run(doc, policy, "lib/a.lua")[0] if f.rule_id == UNREVIEWED)

    [fix] = [f for f in fixes_for(doc, finding, None) if f.kind is FixKind.SUPPRESS]

    assert fix.edits[0].new_text == "-- provguard: allow[ai-output-unreviewed] reason: <why>\n"


def test_no_suppress_fix_for_a_rule_that_forbids_it(policy: Policy) -> None:
    doc = document("data/train/x.py", MARKED_FN)
    finding = next(f for f in run(doc, policy, "data/train/x.py")[0]
                   if f.rule_id == "rival-ai-output-in-training-data")

    assert [f.kind for f in fixes_for(doc, finding, None)] == [FixKind.STRIP]


# -- reports ------------------------------------------------------------------------------------------------


SUPPRESSED_PY = ("# provguard: allow[ai-output-unreviewed] reason: vendored from upstream, reviewed there\n"
                 + MARKED_FN)


def test_text_and_json_reports_leave_suppressed_findings_out_and_count_them(tmp_path: Path) -> None:
    write(tmp_path, {"src/app.py": SUPPRESSED_PY})

    text = check(tmp_path, "--fail-on", "warning")
    report = json.loads(check(tmp_path, "--format", "json").stdout)

    assert text.returncode == 0
    assert text.stdout == "1 file checked: no findings (1 suppressed)\n"
    assert report["findings"] == [] and report["suppressed"] == 1


def test_sarif_lists_suppressed_results_with_their_justification(tmp_path: Path) -> None:
    write(tmp_path, {"src/app.py": SUPPRESSED_PY + "\n" + MARKED_FN.replace("generated", "other")})

    results = sarif_of(tmp_path)["runs"][0]["results"]  # validated against the SARIF 2.1.0 schema

    plain, allowed = results
    assert "suppressions" not in plain and plain["locations"][0]["physicalLocation"]["region"]["startLine"] == 6
    assert allowed["ruleId"] == UNREVIEWED and "fixes" not in allowed
    [suppression] = allowed["suppressions"]
    assert suppression["kind"] == "inSource" and suppression["status"] == "accepted"
    assert suppression["justification"] == "vendored from upstream, reviewed there"
    assert suppression["location"]["physicalLocation"]["region"]["startLine"] == 1


# -- in the editor --------------------------------------------------------------------------------------


async def test_the_editor_hides_a_suppressed_finding_once_the_quick_fix_has_a_reason(
        client: LanguageClient, tmp_path: Path) -> None:
    await start(client, tmp_path, pull=False)
    text = MARKED_FN
    uri = open_file(client, tmp_path / "src" / "app.py", text)
    [diag] = await pushed(client, uri, 1)
    assert diag.code == UNREVIEWED

    [suppress] = [a for a in await quick_fixes(client, uri, diag) if a.title.startswith("Suppress")]
    edits = edits_of(suppress)
    send_edits(client, uri, 2, edits)
    text = apply(text, edits)
    assert sorted(str(d.code) for d in await pushed(client, uri, 2)) == [UNREVIEWED, "suppression-invalid"]

    reason = text.index("<why>")
    send_edits(client, uri, 3, [types.TextEdit(types.Range(types.Position(0, reason), types.Position(0, reason + 5)),
                                               "reviewed in PR 12")])
    assert await pushed(client, uri, 3) == []
