"""`marked: false`: a rule applies to exactly the parts of a tracked span that no AI marker covers.

Rule evaluation looks up, for each span, only the AI-marked spans it overlaps (sorted by start, with the
furthest end reached so far). These tests check the result against the definition, byte by byte, on files of
random marked code: `begin`/`end` blocks holding next-unit markers (an outer mark reaching past shorter ones
after it), next-unit markers alone, plain code, and tracked spans of AI completions laid anywhere.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from provguard import languages
from provguard.analysis import analyze
from provguard.documents import Document
from provguard.policy.policy import Policy
from provguard.provenance.origin import Evidence, Kind, Origin, Span
from rule_support import AGENT, policy_from

PATH = "src/calc.py"
RULE = "completion-unmarked"
COMPLETION = Origin(Kind.AI_COMPLETION, Evidence.EDITOR_EVENT, "copilot", "github")


def _unit(name: str, lines: int) -> str:
    body = "".join(f"    v{i} = {i}\n" for i in range(lines))
    return f"def {name}():\n{body}    return 0\n\n\n"


UNITS = {
    "plain": lambda n, k: _unit(f"p{n}", k),
    "next": lambda n, k: f"# provguard: next {AGENT}\n" + _unit(f"n{n}", k),
    "human": lambda n, k: "# provguard: next kind=human\n" + _unit(f"h{n}", k),
    "block": lambda n, k: (f"# provguard: begin {AGENT}\n" + _unit(f"b{n}", k)
                           + "# provguard: next kind=ai-completion tool=copilot vendor=github\n"
                           + _unit(f"bn{n}", 1) + _unit(f"bp{n}", k) + "# provguard: end\n\n"),
}
"""Pieces of a file by kind: a marked block holds a next-unit marker and plain code after it."""

files = st.lists(st.tuples(st.sampled_from(sorted(UNITS)), st.integers(0, 4)), min_size=1, max_size=8)
tracked = st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1)), min_size=1, max_size=12)


def _policy() -> Policy:
    with tempfile.TemporaryDirectory() as tmp:
        return policy_from(Path(tmp), f'''
            - id: {RULE}
              severity: warning
              message: AI completion not marked
              origins:
                - kind: [ai-completion]
                  evidence: [editor-event]
                  marked: false
            ''')


POLICY = _policy()


@settings(derandomize=True, max_examples=200, deadline=None)
@given(units=files, places=tracked)
def test_a_marked_false_rule_flags_the_tracked_code_outside_every_ai_marker_and_nothing_else(
        units: list[tuple[str, int]], places: list[tuple[float, float]]) -> None:
    text = "import os\n\n\n" + "".join(UNITS[kind](n, k) for n, (kind, k) in enumerate([("block", 1), *units]))
    source = text.encode()
    doc = Document(PATH, languages.detect(PATH), source, 1)
    spans = tuple(Span(int(min(a, b) * len(source)), int(max(a, b) * len(source)), COMPLETION, span_id=f"s{n}")
                  for n, (a, b) in enumerate(places))

    found = analyze(doc, PATH, POLICY, spans)

    marks = [s for s in found.spans if s.origin.evidence is Evidence.MARKER and s.origin.is_ai]
    for span in spans:
        outside = {at for at in range(span.start, span.end) if not any(m.start <= at < m.end for m in marks)}
        flagged: set[int] = set()
        for finding in found.findings:
            if finding.rule_id == RULE and finding.span is not None and finding.span.span_id == span.span_id:
                flagged.update(range(finding.start, finding.end))
        assert flagged <= outside
        assert {at for at in outside if not source[at:at + 1].isspace()} <= flagged


def test_tracked_code_after_a_short_mark_inside_a_long_one_is_covered_by_the_long_one() -> None:
    """The mark starting last before the span (a next-unit marker's function) ends before it; the marked
    block around both still covers it."""
    text = ("import os\n\n\n" + UNITS["block"](0, 2)).encode()
    doc = Document(PATH, languages.detect(PATH), text, 1)
    inside = text.index(b"def bp0")
    span = Span(inside, inside + len(b"def bp0():"), COMPLETION, span_id="s0")
    outside_at = text.index(b"import os")
    before = Span(outside_at, outside_at + len(b"import os"), COMPLETION, span_id="s1")

    found = analyze(doc, PATH, POLICY, (span, before))

    assert [(f.start, f.end) for f in found.findings if f.rule_id == RULE] == [(before.start, before.end)]
