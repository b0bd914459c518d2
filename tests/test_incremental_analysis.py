"""Analysis after edits: what a document edited in place reports equals a from-scratch analysis of its text.

An edited document reuses what the edits did not touch (marker comments, scope query answers, its line
index, the diagnostics' JSON); these tests type random edits into marked Python code (markers, `begin`/`end`
lines, line breaks, multi-byte text, test functions that scope rules look at) and compare after every step.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from provguard import languages
from provguard.analysis import Analysis, analyze
from provguard.documents import Document
from provguard.lsp.convert import diagnostic
from provguard.lsp.diagnostics import rendered
from provguard.policy.policy import Policy
from provguard.positions import Encoding, LineIndex
from rule_support import AGENT, default_policy, policy_from

PATH = "src/calc.py"

BASE = f"""\
import os


def helper():
    return 1


# provguard: begin {AGENT}
def test_sum():
    assert 1 + 1 == 2
# provguard: end


class Box:
    # provguard: next {AGENT}
    def test_method(self):
        return "é provguard: not a marker"

    # provguard: begin kind=ai-completion tool=copilot
    def value(self):
        return 2  # provguard: allow[ai-output-in-test-function] reason="kept"
    # provguard: end


# provguard: next kind=ai-agent tool=claude-code
@decorated
def test_decorated():
    x = "😀"
    return x
"""

FRAGMENTS = (
    "x", " ", "\n", "\r\n", "é", "😀", "#", ":", "(", ")", '"', "def test_new():\n    pass\n",
    "def f():\n", "    return 0\n", "class C:\n", f"# provguard: begin {AGENT}\n", "# provguard: end\n",
    f"# provguard: next {AGENT}\n", "# provguard: begin kind=bogus\n", "# provguard: file kind=human\n",
    "# provguard: allow[marker-unmatched-end]\n", "provguard:", " kind=ai-agent", "\n\n\n",
)


def _scoped_policy(tmp_path: Path) -> Policy:
    """Scope queries of both kinds: one rooted in a node anywhere (answers kept per top-level unit) and one
    rooted at the module (asked afresh every time)."""
    return policy_from(tmp_path, '''
        - id: ai-in-class
          severity: warning
          message: AI code in a class
          origins:
            - kind: [ai-agent, ai-completion]
          scope:
            python: |
              [(class_definition) (decorated_definition definition: (class_definition))] @scope
        - id: ai-in-top-function
          severity: info
          message: AI code in a top-level function
          origins:
            - kind: [ai-agent]
          scope:
            python: |
              (module (function_definition name: (identifier) @n (#match? @n "^test")) @scope)
        ''')


ANCHORS = ("test", "def ", "class", "provguard", "begin", "end", "kind=", "\n", "é", "assert", "return", " ==")
"""Places edits aim at (or else anywhere), so that renames of the same length hit names scopes look at."""

edits = st.lists(
    st.tuples(st.one_of(st.floats(0, 1), st.tuples(st.sampled_from(ANCHORS), st.integers(0, 5))),
              st.integers(0, 12), st.lists(st.sampled_from(FRAGMENTS), max_size=3)),
    min_size=1, max_size=12)


def _fresh(text: bytes) -> Document:
    return Document(PATH, languages.detect(PATH), text, 1)


def _differences(doc: Document, policies: list[Policy]) -> list[str]:
    """What differs from a fresh document of the same text: line index, spans and findings, the editor's
    diagnostics as built anew (empty when nothing does)."""
    fresh = _fresh(doc.source)
    found = []
    if list(doc.lines.starts) != list(LineIndex(doc.source).starts):
        found.append("line index")
    for policy in policies:
        got: Analysis = analyze(doc, PATH, policy)
        want = analyze(fresh, PATH, policy)
        if got != want:
            found.append(f"analysis: {got} != {want}")
    findings = analyze(doc, PATH, policies[0]).findings + analyze(doc, PATH, policies[1]).findings
    if rendered(findings, doc, Encoding.UTF16) != [diagnostic(f, fresh.lines, Encoding.UTF16, doc.version)
                                                   for f in findings]:
        found.append("diagnostics JSON")
    return found


def _char_offset(text: str, at: float | tuple[str, int]) -> int:
    """A byte offset at a character boundary: `at` of the way through the text, or at an anchor's n-th
    occurrence (the last one when there are fewer)."""
    if isinstance(at, float):
        index = int(at * len(text))
    else:
        anchor, nth = at
        places = [i for i in range(len(text)) if text.startswith(anchor, i)] or [0]
        index = places[min(nth, len(places) - 1)]
    return len(text[:index].encode("utf-8"))


@settings(derandomize=True, max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=edits)
def test_an_edited_document_reports_what_a_fresh_analysis_of_its_text_reports(
        steps: list[tuple[float | tuple[str, int], int, list[str]]]) -> None:
    policies = [default_policy(), _SCOPED]
    doc = _fresh(BASE.encode("utf-8"))
    assert _differences(doc, policies) == []
    for at, deleted, inserted in steps:
        text = doc.source.decode("utf-8")
        start = _char_offset(text, at)
        rest = text[len(doc.source[:start].decode("utf-8")):]
        if not inserted and deleted < 3 and rest[:1].isascii():
            # overtyping: a rename or a line break of the same length keeps offsets after it in place
            inserted = ["\n" if deleted == 1 and rest[:1] != "\n" else "x" if rest[:1] != "x" else "y"]
            deleted = 1
        end = start + len(rest[:deleted].encode("utf-8"))
        doc.replace(start, end, "".join(inserted))
        doc.version = (doc.version or 0) + 1
        assert _differences(doc, policies) == [], doc.source.decode("utf-8")


_SCOPED: Policy


def setup_module() -> None:
    import tempfile

    global _SCOPED
    with tempfile.TemporaryDirectory() as tmp:
        _SCOPED = _scoped_policy(Path(tmp))


def test_the_module_rooted_scope_rule_finds_what_the_property_test_compares() -> None:
    """The scoped pack fires on the base text, so the comparisons above are about findings, not empty lists."""
    rules = {f.rule_id for f in analyze(_fresh(BASE.encode("utf-8")), PATH, _SCOPED).findings}

    assert {"ai-in-class", "ai-in-top-function"} <= rules


def test_a_line_break_typed_over_a_character_moves_the_diagnostics_after_it_down_a_line() -> None:
    """Same byte offsets, other lines: the JSON kept from before the edit must not be reused."""
    doc = _fresh(BASE.encode("utf-8"))
    policy = default_policy()
    before = rendered(analyze(doc, PATH, policy).findings, doc, Encoding.UTF16)
    at = doc.source.index(b"1 + 1")

    doc.replace(at + 1, at + 2, "\n")
    findings = analyze(doc, PATH, policy).findings
    after = rendered(findings, doc, Encoding.UTF16)

    assert [d["range"] for d in after] == [d["range"] for d in
                                          (diagnostic(f, _fresh(doc.source).lines, Encoding.UTF16, None)
                                           for f in findings)]
    assert after[0]["range"]["end"]["line"] == before[0]["range"]["end"]["line"] + 1
