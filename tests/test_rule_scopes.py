"""Syntactic scopes: a rule with a tree-sitter query applies only inside the @scope nodes it captures.

Mostly the default pack's `ai-output-in-test-function`: AI code inside a test function of a file that is
not itself a test file. A finding covers the part of the marked span inside the scope node, whether the span
starts before, inside or after the start of that node.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rule_support import AGENT, default_policy, document, flagged, policy_from

# -- scopes: the default pack's test-function rule ---------------------------------------------------

PY_TESTS = """\
import os


def helper():
    return 1


def test_addition():
    a = 1
    b = 2
    assert a + b == 3


class TestThings:
    def test_method(self):
        assert True
"""


def with_block(text: str, first: str, last: str, marker: str = AGENT) -> str:
    """`text` with a begin marker before the line starting with `first` and an end after `last`."""
    lines = text.split("\n")
    start = next(i for i, line in enumerate(lines) if line.strip().startswith(first))
    end = next(i for i, line in enumerate(lines) if i >= start and line.strip().startswith(last))
    indent = lines[start][: len(lines[start]) - len(lines[start].lstrip())]
    comment = "//" if "func " in text else "#"
    lines.insert(end + 1, f"{indent}{comment} provguard: end")
    lines.insert(start, f"{indent}{comment} provguard: begin {marker}")
    return "\n".join(lines)


def test_ai_code_inside_a_test_function_of_a_non_test_file_is_flagged() -> None:
    doc = document("src/calc.py", with_block(PY_TESTS, "b = 2", "assert a + b"))

    (hit,) = flagged(doc, "src/calc.py", default_policy(), "ai-output-in-test-function")

    assert hit.startswith("# provguard: begin")
    assert hit.endswith("# provguard: end")  # wholly inside the test: the span itself


def test_ai_code_outside_test_functions_is_not_flagged_by_the_scope_rule() -> None:
    doc = document("src/calc.py", with_block(PY_TESTS, "def helper", "return 1"))

    assert flagged(doc, "src/calc.py", default_policy(), "ai-output-in-test-function") == []


def test_a_span_that_starts_before_a_test_function_is_clipped_to_it() -> None:
    doc = document("src/calc.py", with_block(PY_TESTS, "def helper", "b = 2"))

    (hit,) = flagged(doc, "src/calc.py", default_policy(), "ai-output-in-test-function")

    assert hit == "def test_addition():\n    a = 1\n    b = 2\n# provguard: end"


def test_a_span_over_several_test_functions_gives_one_finding_for_each() -> None:
    doc = document("src/calc.py", with_block(PY_TESTS, "import os", "assert True"))

    hits = flagged(doc, "src/calc.py", default_policy(), "ai-output-in-test-function")

    assert [h.split("\n")[0] for h in hits] == ["def test_addition():", "def test_method(self):"]
    assert hits[0].endswith("assert a + b == 3")


def test_nested_test_functions_give_one_finding() -> None:
    text = "def test_outer():\n    # provguard: begin " + AGENT + "\n    def test_inner():\n" \
           "        pass\n    # provguard: end\n"
    doc = document("src/nested.py", text)

    hits = flagged(doc, "src/nested.py", default_policy(), "ai-output-in-test-function")

    assert len(hits) == 1


def test_decorated_test_function_includes_its_decorators() -> None:
    text = "import pytest\n\n# provguard: begin " + AGENT + "\n@pytest.mark.slow\n# provguard: end\n" \
           "def test_slow():\n    pass\n"
    doc = document("src/slow.py", text)

    (hit,) = flagged(doc, "src/slow.py", default_policy(), "ai-output-in-test-function")

    assert hit == "@pytest.mark.slow\n# provguard: end"


def test_next_unit_marker_on_a_test_function() -> None:
    text = "# provguard: kind=ai-completion tool=copilot\ndef test_x():\n    assert 1\n\n\ndef other():\n    pass\n"
    doc = document("src/unit.py", text)

    (hit,) = flagged(doc, "src/unit.py", default_policy(), "ai-output-in-test-function")

    assert hit == "def test_x():\n    assert 1"


GO_TESTS = """\
package calc

import "testing"

func Add(a, b int) int {
	return a + b
}

func TestAdd(t *testing.T) {
	got := Add(1, 2)
	if got != 3 {
		t.Fatal(got)
	}
}
"""


def test_go_test_function_is_a_test_scope() -> None:
    doc = document("calc/calc.go", with_block(GO_TESTS, "got :=", "if got"))

    (hit,) = flagged(doc, "calc/calc.go", default_policy(), "ai-output-in-test-function")

    assert hit.startswith("// provguard: begin") and "got := Add(1, 2)" in hit


def test_go_span_from_a_helper_into_a_test_is_clipped_to_the_test() -> None:
    doc = document("calc/calc.go", with_block(GO_TESTS, "func Add", "got :="))

    (hit,) = flagged(doc, "calc/calc.go", default_policy(), "ai-output-in-test-function")

    assert hit.startswith("func TestAdd(t *testing.T) {")
    assert "return a + b" not in hit


def test_go_code_outside_tests_is_not_flagged() -> None:
    doc = document("calc/calc.go", with_block(GO_TESTS, "func Add", "}"))

    assert flagged(doc, "calc/calc.go", default_policy(), "ai-output-in-test-function") == []


def test_javascript_describe_and_it_blocks_give_one_finding() -> None:
    text = f"// provguard: begin {AGENT}\ndescribe('a', () => {{\n  it('b', () => {{}});\n}});\n" \
           "// provguard: end\nfunction helper() {}\n"
    doc = document("src/spec.js", text)

    (hit,) = flagged(doc, "src/spec.js", default_policy(), "ai-output-in-test-function")

    assert hit.startswith("describe('a'") and hit.endswith("})")


@pytest.mark.parametrize(
    ("path", "text", "expected"),
    [
        ("src/lib.rs", "#[test]\nfn it_works() {\n    assert!(true);\n}\n", "fn it_works()"),
        ("src/T.java", "class T {\n  @Test(timeout = 5)\n  void a() {}\n}\n", "@Test(timeout = 5)"),
        ("src/T.java", "class T {\n  @ParameterizedTest\n  void a(int x) {}\n}\n", "@ParameterizedTest"),
    ],
)
def test_other_languages_test_scopes(path: str, text: str, expected: str) -> None:
    doc = document(path, f"// provguard: file {AGENT}\n{text}")

    (hit,) = flagged(doc, path, default_policy(), "ai-output-in-test-function")

    assert hit.lstrip().startswith(expected)


def test_scope_rule_does_not_apply_to_test_files_or_languages_without_a_query() -> None:
    policy = default_policy()
    in_test_file = document("tests/test_calc.py", with_block(PY_TESTS, "b = 2", "assert a + b"))
    ruby = document("lib/calc_test.rb", f"# provguard: begin {AGENT}\ndef test_x\nend\n# provguard: end\n")

    assert flagged(in_test_file, "tests/test_calc.py", policy, "ai-output-in-test-function") == []
    assert flagged(in_test_file, "tests/test_calc.py", policy, "ai-output-in-test-task-file") != []
    assert flagged(ruby, "lib/calc_test.rb", policy, "ai-output-in-test-function") == []


def test_custom_scope_query_in_a_pack(tmp_path: Path) -> None:
    policy = policy_from(tmp_path, """\
        - id: no-ai-classes
          severity: info
          message: m
          origins: [{kind: ai-agent}]
          scope:
            python: (class_definition) @scope
        """)
    doc = document("src/calc.py", with_block(PY_TESTS, "def test_addition", "assert True"))

    (hit,) = flagged(doc, "src/calc.py", policy, "no-ai-classes")

    assert hit.startswith("class TestThings:") and hit.endswith("assert True")


@pytest.mark.parametrize(("predicate", "expected"), [
    ('(#match? @n "^test_")', ["test_addition"]),
    ('(#not-match? @n "^test_")', ["helper"]),
    ('(#any-match? @n "^te.t_a")', ["test_addition"]),
    ('(#any-not-match? @n "^test_")', ["helper"]),
    ('(#match? @n "(?i)^HELP")', ["helper"]),
])
def test_match_predicates_select_functions_by_name(tmp_path: Path, predicate: str, expected: list[str]) -> None:
    policy = policy_from(tmp_path, f"""\
        - id: by-name
          severity: info
          message: m
          origins: [{{kind: ai-agent}}]
          scope:
            python: '((function_definition name: (identifier) @n) @scope {predicate})'
        """)
    doc = document("src/calc.py", with_block(PY_TESTS, "def helper", "assert a + b"))

    hits = flagged(doc, "src/calc.py", policy, "by-name")

    assert [h.split("(")[0].removeprefix("def ") for h in hits] == expected


# -- a query that runs into tree-sitter's match limit ------------------------------------------------

CALLS = "def f{i}(a, b):\n    return g(a, b, [1, 2, 3], {{'k': (a, b)}})\n\n"
MATCHES_NOTHING = '((_ (_)+ @a) @scope (#eq? @a "no-such-name"))'
"""Every node with children is a candidate, so on a big file tree-sitter keeps more in-progress matches than
MATCH_LIMIT; in full it matches nothing (no node's children are all `no-such-name`)."""


@pytest.mark.parametrize(("functions", "covered"), [(3, False), (300, True)])
def test_a_query_cut_short_by_the_match_limit_covers_the_whole_span(tmp_path: Path, functions: int,
                                                                   covered: bool) -> None:
    policy = policy_from(tmp_path, f"""\
        - id: costly
          severity: info
          message: m
          origins: [{{kind: ai-agent}}]
          scope:
            python: '{MATCHES_NOTHING}'
        """)
    body = "".join(CALLS.format(i=i) for i in range(functions))
    doc = document("src/calls.py", f"# provguard: begin {AGENT}\n{body}# provguard: end\n")

    hits = flagged(doc, "src/calls.py", policy, "costly")

    # fail closed: a query that may have missed scopes never narrows its rule
    assert hits == ([doc.text[: -len("\n")]] if covered else [])


PAST_THE_LAST_UNIT = """\
import sys
from provguard import languages
from provguard.documents import Document
from provguard.policy.scopes import scope_ranges

QUERY = "(function_definition) @scope"
for text in (b"", b"x", b"x = 1\\n\\n\\n", b"def f():\\n    pass\\n", b"(", b"# only a comment"):
    doc = Document("a.py", languages.detect("a.py"), text, 1)
    for start in range(len(text) + 3):
        for end in (start, start + 1, len(text) + 5):
            scope_ranges(doc, "python", QUERY, start, end)
print("answered")
"""


def test_a_scope_asked_about_a_range_past_the_last_statement_answers() -> None:
    """An empty file, or a span in trailing blank lines: py-tree-sitter 0.26.1 crashes the process when asked
    for the root's first child at a byte no child reaches (found by the guard's fuzz test). A process of its
    own, so that a crash fails this test rather than ending the run."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", PAST_THE_LAST_UNIT], capture_output=True, text=True, timeout=120,
                          check=False)

    assert (done.returncode, done.stdout) == (0, "answered\n"), done.stderr[-2000:]
