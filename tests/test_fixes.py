"""Quick fixes as the core computes them: applying one yields text that provguard reads back correctly."""

from __future__ import annotations

import pytest

from provguard.analysis import analyze
from provguard.documents import Document
from provguard.fixes import Fix, fixes_for
from provguard.languages import detect
from provguard.policy.model import FixKind
from provguard.policy.policy import Policy, load_policy
from provguard.provenance.markers import scan
from provguard.provenance.origin import Evidence, Kind, Origin, Span


@pytest.fixture(scope="module")
def default_policy() -> Policy:
    loaded = load_policy(["default"], {})
    assert loaded.errors == ()
    return loaded.policy


def doc_of(path: str, text: str) -> Document:
    return Document.from_text(path, detect(path), text)


def applied(doc: Document, fix: Fix) -> str:
    source = doc.source
    for edit in sorted(fix.edits, key=lambda e: e.start, reverse=True):
        source = source[: edit.start] + edit.new_text.encode() + source[edit.end :]
    return source.decode()


def only_fix(doc: Document, policy: Policy, rule: str, kind: FixKind, extra: tuple[Span, ...] = ()) -> Fix:
    findings = [f for f in analyze(doc, doc.path, policy, extra).findings if f.rule_id == rule]
    assert len(findings) == 1, findings
    fixes = [f for f in fixes_for(doc, findings[0], "rev@example.com") if f.kind is kind]
    assert len(fixes) == 1
    return fixes[0]


def test_add_marker_wraps_unmarked_ai_code_in_markers_that_read_back(default_policy: Policy) -> None:
    text = "class A:\n    def f(self):\n        return 1\n\n    def g(self):\n        return 2\n"
    doc = doc_of("src/a.py", text)
    start = text.index("    def f")
    end = text.index("\n\n") + 1
    origin = Origin(Kind.AI_COMPLETION, Evidence.CLIENT_HINT, tool="copilot", vendor="github")
    fix = only_fix(doc, default_policy, "ai-output-unmarked", FixKind.ADD_MARKER, (Span(start, end, origin),))
    assert fix.safe
    new_text = applied(doc, fix)
    assert new_text == (
        "class A:\n"
        "    # provguard: begin kind=ai-completion tool=copilot vendor=github\n"
        "    def f(self):\n        return 1\n"
        "    # provguard: end\n"
        "\n    def g(self):\n        return 2\n"
    )
    [span] = scan(doc_of("src/a.py", new_text)).spans
    assert (span.origin.kind, span.origin.tool, span.origin.vendor) == (Kind.AI_COMPLETION, "copilot", "github")


def test_add_marker_uses_the_languages_comment_syntax_and_line_endings(default_policy: Policy) -> None:
    text = "package a\r\n\r\nfunc A() {}\r\n"
    doc = doc_of("a.go", text)
    start = text.index("func")
    origin = Origin(Kind.AI_AGENT, Evidence.TRANSCRIPT, tool="codex", vendor="openai")
    fix = only_fix(doc, default_policy, "ai-output-unmarked", FixKind.ADD_MARKER,
                   (Span(start, len(text) - 2, origin),))
    new_text = applied(doc, fix)
    assert new_text == ("package a\r\n\r\n// provguard: begin kind=ai-agent tool=codex vendor=openai\r\n"
                        "func A() {}\r\n// provguard: end\r\n")
    assert len(scan(doc_of("a.go", new_text)).spans) == 1


def test_mark_reviewed_adds_the_reviewer_and_silences_the_rule(default_policy: Policy) -> None:
    text = "# provguard: kind=ai-agent tool=claude-code vendor=anthropic\ndef f():\n    pass\n"
    doc = doc_of("src/f.py", text)
    fix = only_fix(doc, default_policy, "ai-output-unreviewed", FixKind.MARK_REVIEWED)
    assert not fix.safe
    new_doc = doc_of("src/f.py", applied(doc, fix))
    assert "vendor=anthropic reviewed-by=rev@example.com\n" in new_doc.text
    assert [f.rule_id for f in analyze(new_doc, "src/f.py", default_policy).findings] == []


def test_mark_reviewed_quotes_a_reviewer_name_with_spaces(default_policy: Policy) -> None:
    doc = doc_of("f.ts", "/* provguard: kind=ai-agent tool=codex vendor=openai */\nfunction f() {}\n")
    finding = next(f for f in analyze(doc, "f.ts", default_policy).findings if f.rule_id == "ai-output-unreviewed")
    [fix] = [f for f in fixes_for(doc, finding, "Dana Lee") if f.kind is FixKind.MARK_REVIEWED]
    new_text = applied(doc, fix)
    assert new_text.startswith('/* provguard: kind=ai-agent tool=codex vendor=openai reviewed-by="Dana Lee" */\n')
    [span] = scan(doc_of("f.ts", new_text)).spans
    assert span.origin.reviewed_by == "Dana Lee"


def test_strip_removes_a_block_with_its_markers(default_policy: Policy) -> None:
    text = "a = 1\n    # provguard: begin kind=ai-agent tool=codex\n    b = 2\n    # provguard: end\nc = 3\n"
    doc = doc_of("src/s.py", text)
    fix = only_fix(doc, default_policy, "ai-output-unreviewed", FixKind.STRIP)
    assert fix.title == "Remove the ai-agent code (lines 2-4)"
    assert applied(doc, fix) == "a = 1\nc = 3\n"


def test_strip_removes_a_next_unit_marker_and_its_function(default_policy: Policy) -> None:
    text = "import os\n\n# provguard: kind=ai-completion tool=copilot\ndef f():\n    return os.sep\n\nx = 1\n"
    doc = doc_of("src/s.py", text)
    fix = only_fix(doc, default_policy, "ai-output-unreviewed", FixKind.STRIP)
    assert applied(doc, fix) == "import os\n\n\nx = 1\n"


def test_complete_marker_writes_the_inferred_vendor(default_policy: Policy) -> None:
    doc = doc_of("src/c.rs", "// provguard: kind=ai-agent tool=gemini reviewed-by=me\nfn f() {}\n")
    fix = only_fix(doc, default_policy, "marker-incomplete", FixKind.COMPLETE_MARKER)
    assert fix.safe and fix.title == "Complete the marker: vendor=google"
    new_doc = doc_of("src/c.rs", applied(doc, fix))
    assert new_doc.text.startswith("// provguard: kind=ai-agent tool=gemini reviewed-by=me vendor=google\n")
    assert analyze(new_doc, "src/c.rs", default_policy).findings == ()


def test_no_strip_is_offered_for_a_whole_file_marker(default_policy: Policy) -> None:
    doc = doc_of("src/w.py", "# provguard: file kind=ai-agent tool=codex vendor=openai\nx = 1\n")
    finding = next(f for f in analyze(doc, "src/w.py", default_policy).findings if f.rule_id == "ai-output-unreviewed")
    kinds = [f.kind for f in fixes_for(doc, finding, "me")]
    assert kinds == [FixKind.MARK_REVIEWED, FixKind.SUPPRESS]
    assert (finding.start, finding.end) == (0, doc.source.index(b"\n")), "reported at the marker, not the file"
