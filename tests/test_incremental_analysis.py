"""Analysis after edits: what a document edited in place reports equals a from-scratch analysis of its text.

An edited document reuses what the edits did not touch (marker comments, scope query answers, its line
index, the diagnostics' JSON and its encoding); these tests type random edits into marked Python code (markers,
`begin`/`end` lines, line breaks, multi-byte text, test functions that scope rules look at) and compare after
every step.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from provguard import languages
from provguard.analysis import Analysis, analyze
from provguard.documents import Document
from provguard.findings import one_per_place
from provguard.lsp import plain_json
from provguard.lsp.convert import diagnostic
from provguard.lsp.diagnostics import encoded, rendered
from provguard.policy.policy import Policy
from provguard.positions import Encoding, LineIndex
from rule_support import AGENT, default_policy, policy_from

PATH = "src/calc.py"
URI = "file:///work/src/calc.py"

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



def _plain(name: str) -> str:
    return f"def {name}(a):\n    b = a + 1\n    return b\n\n\n"


SPREAD = (f"import os\n\n\n{_plain('p1')}{_plain('p2')}# provguard: begin {AGENT}\ndef test_sum():\n"
          f"    assert 1 + 1 == 2\n# provguard: end\n\n\n{_plain('p3')}{_plain('p4')}# provguard: next {AGENT}\n"
          f"def test_next():\n    return 1\n\n\n{_plain('p5')}# provguard: begin {AGENT}\nclass Box:\n"
          f"    # provguard: next kind=ai-completion tool=copilot\n    def test_method(self):\n        return 2\n"
          f"# provguard: end\n\n\n{_plain('p6')}{_plain('p7')}# provguard: next kind=ai-agent tool=claude-code\n"
          f"\nx = 1\n\n\n{_plain('p8')}")
"""Marked code far apart, with plain code between, a next-unit marker inside a marked block (two findings of a
rule on the same lines: one diagnostic with related information) and one that covers no unit: most edits
land away from every marker comment, where the last marker scan is moved instead of made again."""

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


ANCHORS = ("test", "def ", "class", "provguard", "begin", "end", "kind=", "\n", "é", "assert", "return", " ==",
           "# provguard", "\n# provguard", "tool=", "\n\n", "):\n", "    return", "@decorated", "x = ")
"""Places edits aim at (or else anywhere), so that renames of the same length hit names scopes look at: marker
comments themselves (their fields, the line before them, whole marker lines deleted) and the code next-unit
markers cover (a unit's last line, the blank lines after it)."""

edits = st.lists(
    st.tuples(st.one_of(st.floats(0, 1), st.tuples(st.sampled_from(ANCHORS), st.integers(0, 5))),
              st.one_of(st.integers(0, 12), st.sampled_from((30, 60, 80))),
              st.lists(st.sampled_from(FRAGMENTS), max_size=3), st.booleans()),
    min_size=1, max_size=12)
"""(where, bytes deleted, text inserted, whether to compare right after it or only after the next edits)."""


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
    findings = one_per_place(analyze(doc, PATH, policies[0]).findings + analyze(doc, PATH, policies[1]).findings)
    want = [diagnostic(f, fresh.lines, Encoding.UTF16, doc.version, URI) for f in findings]
    # pushed (encoded text, its pieces kept across edits) and pulled (JSON values) in turn, sharing one memo
    if (doc.version or 0) % 2 == 0:
        if encoded(findings, doc, Encoding.UTF16, URI) != [plain_json.dumps(value) for value in want]:
            found.append("pushed diagnostics")
    elif rendered(findings, doc, Encoding.UTF16, URI) != want:
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


@pytest.mark.parametrize("base", [BASE, SPREAD], ids=["close", "spread"])
@settings(derandomize=True, max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=edits)
def test_an_edited_document_reports_what_a_fresh_analysis_of_its_text_reports(
        base: str, steps: list[tuple[float | tuple[str, int], int, list[str], bool]]) -> None:
    policies = [default_policy(), _SCOPED]
    doc = _fresh(base.encode("utf-8"))
    assert _differences(doc, policies) == []
    for step, (at, deleted, inserted, compare) in enumerate(steps):
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
        if compare or step == len(steps) - 1:
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


def test_a_function_typed_after_a_marker_that_covered_nothing_is_covered_by_it() -> None:
    """The edit is away from the marker's comment (a blank line between), so the marker reads the same; what
    it covers is worked out again all the same."""
    marker = "# provguard: next kind=ai-agent tool=claude-code\n"
    doc = _fresh(f"{marker}\nx = 1\n".encode())
    policy = default_policy()
    assert [f.rule_id for f in analyze(doc, PATH, policy).findings] == ["marker-no-unit"]
    at = doc.source.index(b"x = 1")

    doc.replace(at, at + len("x = 1"), "def x(): pass")
    found = analyze(doc, PATH, policy)

    assert [(s.start, s.end) for s in found.spans] == [(0, len(doc.source.rstrip()))]
    assert "marker-no-unit" not in {f.rule_id for f in found.findings}
    assert found == analyze(_fresh(doc.source), PATH, policy)
