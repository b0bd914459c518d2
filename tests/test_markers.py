"""Provenance markers: what a user writes in a comment and which code provguard then attributes to whom."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from provguard import languages
from provguard.documents import Document
from provguard.provenance import markers
from provguard.provenance.marker_writer import marker_text
from provguard.provenance.origin import Evidence, Kind, Span

Wrap = Callable[[str], str]


def read(path: str, text: str) -> tuple[Document, markers.MarkerScan]:
    doc = Document.from_text(path, languages.detect(path), text)
    return doc, markers.scan(doc)


def problems_of(doc: Document, result: markers.MarkerScan) -> list[tuple[str, str]]:
    return [(p.code, doc.slice(p.start, p.end)) for p in result.problems]


def only_span(result: markers.MarkerScan) -> Span:
    assert (result.problems, len(result.spans)) == ((), 1)
    return result.spans[0]


def at(text: str, part: str) -> int:
    return text.encode().index(part.encode())


def end_of(text: str, part: str) -> int:
    return at(text, part) + len(part.encode())


def _line(prefix: str) -> Wrap:
    return lambda body: f"{prefix} {body}"


def _block(opener: str, closer: str) -> Wrap:
    return lambda body: f"{opener} {body} {closer}"


SLASHES, STAR = _line("//"), _block("/*", "*/")
JSDOC: Wrap = lambda body: f"/**\n * {body}\n */"  # noqa: E731
# language -> (path, code before the marked block, the marked code, code after, comment forms)
LANGUAGE_SAMPLES: dict[str, tuple[str, str, str, str, dict[str, Wrap]]] = {
    "python": ("m.py", "import os\n", "x = 1", "", {"line": _line("#")}),
    "javascript": ("m.js", "", "let x = 1;", "", {"line": SLASHES, "block": STAR, "jsdoc": JSDOC}),
    "typescript": ("m.ts", "", "let x: number = 1;", "", {"line": SLASHES, "block": STAR}),
    "tsx": ("m.tsx", "", "const e = <div>hi</div>;", "", {"line": SLASHES, "block": STAR}),
    "go": ("m.go", "package main\n\n", "var x = 1", "", {"line": SLASHES, "block": STAR}),
    "rust": ("m.rs", "", "fn f() {}", "", {"line": SLASHES, "block": STAR, "doc": _line("///")}),
    "java": ("A.java", "class A {\n", "int x = 1;", "}\n", {"line": SLASHES, "block": STAR, "jsdoc": JSDOC}),
    "c": ("m.c", "#include <stdio.h>\n", "int x = 1;", "", {"line": SLASHES, "block": STAR}),
    "cpp": ("m.cpp", "", "int x = 1;", "", {"line": SLASHES, "block": STAR}),
    "ruby": ("m.rb", "", "x = 1", "", {"line": _line("#"), "block": lambda b: f"=begin\n{b}\n=end"}),
    "lua": ("m.lua", "", "local x = 1", "", {
        "line": _line("--"), "block": _block("--[[", "]]"), "level-block": _block("--[==[", "]==]")}),
    "yaml": ("m.yaml", "a: 0\n", "x: 1", "", {"line": _line("#")}),
}
COMMENT_FORMS = [
    pytest.param(lang, form, id=f"{lang}-{form}")
    for lang, sample in LANGUAGE_SAMPLES.items() for form in sample[4]
]


@pytest.mark.parametrize(("lang", "form"), COMMENT_FORMS)
def test_begin_end_block_marks_the_code_between_the_comments(lang: str, form: str) -> None:
    path, before, code, after, forms = LANGUAGE_SAMPLES[lang]
    begin = forms[form]("provguard: begin kind=ai-agent tool=claude-code model=claude-sonnet-4")
    end = forms[form]("provguard: end")
    text = f"{before}{begin}\n{code}\n{end}\n{after}"
    doc, result = read(path, text)
    assert doc.language.id == lang
    span = only_span(result)
    assert (span.start, span.end) == (at(text, begin), end_of(text, end))
    assert (span.origin.kind, span.origin.evidence) == (Kind.AI_AGENT, Evidence.MARKER)
    assert (span.origin.tool, span.origin.vendor, span.origin.model) == (
        "claude-code", "anthropic", "claude-sonnet-4")
    assert [m.verb for m in span.markers] == ["begin", "end"]


@pytest.mark.parametrize(("lang", "form"), COMMENT_FORMS)
def test_file_marker_covers_the_whole_document(lang: str, form: str) -> None:
    path, before, code, after, forms = LANGUAGE_SAMPLES[lang]
    text = f"{before}{forms[form]('provguard: file kind=ai-chat-paste tool=chatgpt')}\n{code}\n{after}"
    doc, result = read(path, text)
    span = only_span(result)
    assert (span.start, span.end) == (0, len(doc.source))
    assert (span.origin.kind, span.origin.tool, span.origin.vendor) == (Kind.AI_CHAT_PASTE, "chatgpt", "openai")


NEXT = "provguard: kind=ai-completion tool=copilot"
# path and text, where <M> stands for NEXT and [[[...]]] marks the unit the marker must cover exactly
NEXT_UNIT_CASES = {
    "python-function": ("m.py", "x = 1\n# <M>\n[[[def f(a):\n    return a]]]\n\ny = 2\n"),
    "python-class": ("m.py", "# <M>\n[[[class C:\n    z = 1]]]\n"),
    "python-decorated": ("m.py", "# <M>\n[[[@cache\n@other(1)\ndef f():\n    pass]]]\ng = 1\n"),
    "python-method": ("m.py", "class C:\n    # <M>\n    [[[@property\n    def p(self):\n        return 1]]]\n\n"
                      "    def q(self):\n        pass\n"),
    "python-crlf": ("m.py", "# <M>\r\n[[[def f():\r\n    return 1]]]\r\n\r\nx = 2\r\n"),
    "python-comment-between": ("m.py", "# <M>\n[[[# helper\ndef h():\n    pass]]]\n"),
    "javascript-function": ("m.js", "// <M>\n[[[function f() { return 1; }]]]\nf();\n"),
    "javascript-method": ("m.js", "class C {\n  /* <M> */\n  [[[m() { return 1; }]]]\n  n() {}\n}\n"),
    "typescript-export": ("m.ts", "// <M>\n[[[export function f(a: number): number { return a; }]]]\nlet z = 1;\n"),
    "typescript-interface": ("m.ts", "// <M>\n[[[interface I { a: string }]]]\n"),
    "tsx-export-component": ("m.tsx", "// <M>\n[[[export const C = () => <div/>;]]]\n"),
    "go-function": ("m.go", "package main\n\n// <M>\n[[[func F() int {\n\treturn 1\n}]]]\n"),
    "go-method": ("m.go", "package main\n\n// <M>\n[[[func (r *R) M() int { return 1 }]]]\nvar x = 1\n"),
    "rust-test-function": ("m.rs", "// <M>\n[[[#[test]\nfn t() {\n    assert!(true);\n}]]]\nfn u() {}\n"),
    "rust-attributes-and-doc": ("m.rs", "/* <M> */\n[[[/// Doc.\n#[inline]\n#[must_use]\npub fn g() -> i32 { 1 }]]]\n"),
    "rust-impl": ("m.rs", "// <M>\n[[[impl S {\n    fn a(&self) {}\n}]]]\n"),
    "java-method-in-class": ("A.java", "class A {\n  int x;\n  // <M>\n  [[[@Override\n  public int m() {}]]]\n"
                             "  void n() {}\n}\n"),
    "java-javadoc-between": ("A.java", "class A {\n  // <M>\n  [[[/** Doc. */\n  void m() {}]]]\n}\n"),
    "java-class": ("A.java", "// <M>\n[[[public class A {\n  void m() {}\n}]]]\n"),
    "c-function": ("m.c", "// <M>\n[[[static int f(void) {\n  return 1;\n}]]]\nint y;\n"),
    "cpp-template": ("m.cpp", "// <M>\n[[[template <typename T> T id(T x) { return x; }]]]\n"),
    "cpp-class": ("m.cpp", "/* <M> */\n[[[class K {\n  int a;\n}]]];\n"),
    "ruby-method": ("m.rb", "class A\n  # <M>\n  [[[def m\n    1\n  end]]]\n\n  def n; end\nend\n"),
    "lua-function": ("m.lua", "-- <M>\n[[[function f()\n  return 1\nend]]]\nlocal y = 2\n"),
    "lua-local-function": ("m.lua", "--[==[ <M> ]==]\n[[[local function g() end]]]\n"),
    "yaml-mapping-pair": ("m.yaml", "top:\n  # <M>\n  [[[key:\n    - 1]]]\n  other: 2\n"),
}


def unit_case(template: str, marker: str = NEXT) -> tuple[str, int, int, int]:
    """The text, where its marker comment starts, and the unit's byte range."""
    text = template.replace("<M>", marker)
    comment = text[: text.index(marker)].rsplit("\n", 1)[-1].lstrip() + marker
    unit = text[text.index("[[[") + 3 : text.index("]]]")]
    text = text.replace("[[[", "").replace("]]]", "")
    return text, at(text, comment), at(text, unit), end_of(text, unit)


@pytest.mark.parametrize(("path", "template"), list(NEXT_UNIT_CASES.values()), ids=list(NEXT_UNIT_CASES))
def test_next_unit_marker_covers_exactly_the_following_unit(path: str, template: str) -> None:
    text, comment_start, _, unit_end = unit_case(template)
    _, result = read(path, text)
    span = only_span(result)
    assert (span.start, span.end) == (comment_start, unit_end)
    assert (span.origin.kind, span.origin.tool, span.origin.vendor) == (Kind.AI_COMPLETION, "copilot", "github")
    assert [m.verb for m in span.markers] == ["next"]


# Marker-like text in string literals: each would be a span or a problem if it were read as a marker.
STRING_CASES = {
    "python": ("m.py", 's = "# provguard: begin kind=ai-agent"\nt = """\n# provguard: end\n"""\n'),
    "javascript": ("m.js", 'const s = "// provguard: kind=bogus";\nconst t = `\n/* provguard: end */`;\n'),
    "typescript": ("m.ts", "const s: string = '// provguard: begin kind=ai-agent';\n"),
    "tsx": ("m.tsx", 'const e = <a title="/* provguard: file kind=ai-agent */">x</a>;\n'),
    "go": ("m.go", 'package main\n\nvar s = "// provguard: begin kind=ai-agent"\nvar t = `\n// provguard: end\n`\n'),
    "rust": ("m.rs", 'fn f() {\n    let s = "// provguard: kind=bogus";\n    let t = r#"/* provguard: end */"#;\n}\n'),
    "java": ("A.java", 'class A {\n  String s = "// provguard: begin kind=ai-agent";\n}\n'),
    "c": ("m.c", 'const char *s = "/* provguard: begin kind=ai-agent */";\n'),
    "cpp": ("m.cpp", 'auto s = R"(\n// provguard: end\n)";\nauto t = "// provguard: kind=bogus";\n'),
    "ruby": ("m.rb", 's = "# provguard: begin kind=ai-agent"\nt = <<~EOS\n  # provguard: end\nEOS\n'),
    "lua": ("m.lua", 'local s = "-- provguard: begin kind=ai-agent"\nlocal t = [[\n-- provguard: end\n]]\n'),
    "yaml": ("m.yaml", 'a: "# provguard: begin kind=ai-agent"\nb: |\n  # provguard: end\nc: x#provguard: end\n'),
}


def test_every_language_has_a_sample_and_a_string_case() -> None:
    assert set(LANGUAGE_SAMPLES) == set(STRING_CASES) == set(languages.known_ids())


@pytest.mark.parametrize(("path", "text"), list(STRING_CASES.values()), ids=list(STRING_CASES))
def test_marker_text_inside_a_string_literal_is_not_a_marker(path: str, text: str) -> None:
    _, result = read(path, text)
    assert (result.spans, result.problems) == ((), ())


def test_prose_that_mentions_provguard_is_not_a_marker() -> None:
    _, result = read("m.py", "# see the provguard: docs for markers\nx = 1\n")
    assert (result.spans, result.problems) == ((), ())


# (text in a Python file, expected problems as (code, exact marked text))
PROBLEM_CASES = {
    "unknown-kind": ("# provguard: begin kind=robot tool=codex\nx = 1\n# provguard: end\n",
                     [("marker-invalid", "robot")]),
    "unknown-kind-quoted": ('# provguard: file kind="robot"\n', [("marker-invalid", "\"robot\"")]),
    "missing-kind": ("# provguard: file tool=copilot\n", [("marker-invalid", "# provguard: file tool=copilot")]),
    "unterminated-quote": ('# provguard: file kind=ai-agent model="gpt 4\n', [("marker-invalid", '"gpt 4')]),
    "empty-value": ("# provguard: file kind=ai-agent tool=\n", [("marker-invalid", "tool=")]),
    "bare-word": ("# provguard: file kind=ai-agent sloppy tool=x\n", [("marker-invalid", "sloppy")]),
    "verb-not-first": ("# provguard: kind=ai-agent file\n", [("marker-invalid", "file")]),
    "end-with-fields": ("# provguard: begin kind=ai-agent\nx = 1\n# provguard: end kind=human tool=x\n",
                        [("marker-invalid", "kind=human tool=x")]),
    "begin-never-closed": ("# provguard: begin kind=ai-agent\nx = 1\n",
                           [("marker-unterminated", "# provguard: begin kind=ai-agent")]),
    "end-without-begin": ("x = 1\n# provguard: end\n", [("marker-unmatched-end", "# provguard: end")]),
    "nested-begin": ("# provguard: begin kind=ai-agent\n# provguard: begin kind=human\nx = 1\n# provguard: end\n",
                     [("marker-invalid", "# provguard: begin kind=human")]),
    "no-unit-at-end": ("x = 1\n# provguard: kind=ai-agent\n", [("marker-no-unit", "# provguard: kind=ai-agent")]),
    "no-unit-statement": ("# provguard: kind=ai-agent\nx = 1\n", [("marker-no-unit", "# provguard: kind=ai-agent")]),
    "no-unit-another-marker": ("# provguard: kind=ai-agent\n# provguard: kind=human\ndef f(): pass\n",
                               [("marker-no-unit", "# provguard: kind=ai-agent")]),
    "duplicate-field": ("# provguard: file kind=ai-agent tool=a tool=b\n", [("marker-invalid", "tool=b")]),
    "duplicate-extra-field": ("# provguard: file kind=ai-agent ticket=1 ticket=2\n",
                              [("marker-invalid", "ticket=2")]),
}


@pytest.mark.parametrize(("text", "expected"), list(PROBLEM_CASES.values()), ids=list(PROBLEM_CASES))
def test_malformed_marker_is_reported_at_the_exact_text(text: str, expected: list[tuple[str, str]]) -> None:
    doc, result = read("m.py", text)
    assert problems_of(doc, result) == expected


def test_nested_begin_keeps_the_outer_block() -> None:
    text = "# provguard: begin kind=ai-agent\n# provguard: begin kind=human\nx = 1\n# provguard: end\n"
    _, result = read("m.py", text)
    assert [(s.start, s.end, s.origin.kind) for s in result.spans] == [(0, len(text) - 1, Kind.AI_AGENT)]


@pytest.mark.parametrize(("path", "text", "expected"), [
    ("m.c", '/* provguard: file kind=ai-agent model="gpt 4 */\n', [("marker-invalid", '"gpt 4')]),
    ("m.c", "/* provguard: file kind=bot */\n", [("marker-invalid", "bot")]),
    ("m.c", "/*\n * provguard: file kind=ai-agent\n * tool=a tool=b\n */\n", [("marker-invalid", "tool=b")]),
    ("m.lua", "--[[ provguard: file kind=ai-agent oops ]]\n", [("marker-invalid", "oops")]),
    ("m.rs", "// provguard: end\r\n", [("marker-unmatched-end", "// provguard: end")]),
    ("m.py", "# provguard: begin kind=human\r\nx = 1\r\n", [("marker-unterminated", "# provguard: begin kind=human")]),
], ids=["c-unterminated-quote", "c-unknown-kind", "c-multiline-duplicate", "lua-bare-word", "crlf-end", "crlf-begin"])
def test_problem_ranges_in_other_comment_forms(path: str, text: str, expected: list[tuple[str, str]]) -> None:
    doc, result = read(path, text)
    assert problems_of(doc, result) == expected


MARKER_BODY = st.text(st.sampled_from(list("kind=ai-agent tool=\"'\\ begin end file next*/]]-->=\n\r\té中🎉")))


@settings(max_examples=300, deadline=None)
@given(path_and_opener=st.sampled_from([("m.py", "#"), ("m.c", "//"), ("m.c", "/*"), ("m.rs", "///"), ("m.lua", "--[["),
                                        ("m.rb", "#"), ("m.yaml", "#"), ("notes.txt", "#"), ("notes.txt", "/*")]),
       body=MARKER_BODY, code=st.sampled_from(["", "\n", "\nx = 1\n", "\ndef f(): pass\n", "*/\n", "]]\n"]))
def test_a_malformed_marker_never_raises(path_and_opener: tuple[str, str], body: str, code: str) -> None:
    path, opener = path_and_opener
    doc, result = read(path, f"{opener} provguard: {body}{code}")
    assert all(0 <= r.start <= r.end <= len(doc.source) for r in (*result.problems, *result.spans))


def test_unknown_fields_are_kept_in_order_next_to_the_known_ones() -> None:
    _, result = read("m.py", '# provguard: file ticket=PG-12 kind=ai-agent tool=aider session="a b" reviewed-by=alice '
                             "declared-by=bob date=2025-01-02 x.y=1\n")
    origin = only_span(result).origin
    assert origin.extra == (("ticket", "PG-12"), ("session", "a b"), ("x.y", "1"))
    assert (origin.reviewed_by, origin.declared_by, origin.date) == ("alice", "bob", "2025-01-02")


@pytest.mark.parametrize(("fields", "vendor"), [
    ("tool=claude-code", "anthropic"), ("tool=Copilot", "github"), ("tool=aider model=gpt-4o", "openai"),
    ("tool=copilot model=claude-sonnet-4", "anthropic"), ("tool=aider", None), ("model=gemini-2.5-pro", "google"),
    ("tool=cursor vendor=acme", "acme"),
])
def test_vendor_is_inferred_from_model_then_tool_unless_given(fields: str, vendor: str | None) -> None:
    _, result = read("m.py", f"# provguard: file kind=ai-agent {fields}\n")
    assert only_span(result).origin.vendor == vendor


@pytest.mark.parametrize(("written", "value"), [
    ('"claude sonnet 4"', "claude sonnet 4"), ("'claude sonnet 4'", "claude sonnet 4"), ('""', ""),
    (r'"the \"best\" one"', 'the "best" one'), (r'"C:\\models\\x"', r"C:\models\x"), ('"it\'s"', "it's"),
    ('"中文 🎉"', "中文 🎉"),
])
def test_quoted_values_keep_spaces_and_escaped_quotes(written: str, value: str) -> None:
    text = f"# provguard: file kind=ai-agent model={written} tool=aider\n"
    doc, result = read("m.py", text)
    origin = only_span(result).origin
    assert (origin.model, origin.tool) == (value, "aider")
    field = result.spans[0].markers[0].field("model")
    assert field is not None and doc.slice(field.start, field.end) == f"model={written}"


@pytest.mark.parametrize("path", ["notes.txt", "Makefile", "README", "data.unknownext"])
def test_unknown_language_reads_markers_line_by_line(path: str) -> None:
    text = "intro\n# provguard: begin kind=ai-agent tool=aider model=gpt-4o\nbody\n# provguard: end\nafter\n"
    doc, result = read(path, text)
    assert doc.language is languages.PLAIN
    span = only_span(result)
    assert (span.start, span.end) == (at(text, "# provguard: begin"), end_of(text, "# provguard: end"))
    assert (span.origin.tool, span.origin.vendor) == ("aider", "openai")


@pytest.mark.parametrize("eol", ["\n", "\r\n"])
def test_unknown_language_next_unit_marker_covers_the_next_paragraph(eol: str) -> None:
    text = eol.join(["intro", "", "// provguard: kind=ai-chat-paste tool=chatgpt", "para 1", "para 2", "",
                     "next para", ""])
    doc, result = read("notes.txt", text)
    span = only_span(result)
    assert span.start == at(text, "// provguard:")
    covered = doc.slice(span.start, span.end)
    assert covered.rstrip("\r\n").endswith("para 2")
    assert "next para" not in covered


def test_unknown_language_ignores_markers_that_are_not_at_a_line_comment_start() -> None:
    text = 'all:\n\techo "# provguard: begin kind=ai-agent"\n\tmake x # provguard: end\n'
    _, result = read("Makefile", text)
    assert (result.spans, result.problems) == ((), ())


@pytest.mark.parametrize("path", ["notes.txt", *(LANGUAGE_SAMPLES[lang][0] for lang in LANGUAGE_SAMPLES)])
def test_empty_document_has_no_markers(path: str) -> None:
    _, result = read(path, "")
    assert (result.spans, result.problems) == ((), ())


@pytest.mark.parametrize("path", ["m.py", "notes.txt", "m.yaml", "m.rb"])
@pytest.mark.parametrize(("marker", "code"), [
    ("# provguard: file kind=ai-agent", None), ("# provguard: kind=ai-agent", "marker-no-unit"),
    ("# provguard: begin kind=ai-agent", "marker-unterminated"), ("# provguard: end", "marker-unmatched-end"),
])
def test_document_of_only_a_marker(path: str, marker: str, code: str | None) -> None:
    doc, result = read(path, marker)
    if code is None:
        span = only_span(result)
        assert (span.start, span.end) == (0, len(marker))
    else:
        assert problems_of(doc, result) == [(code, marker)]


@pytest.mark.parametrize("path", ["m.py", "m.c", "m.rs", "notes.txt"])
def test_crlf_line_endings_do_not_leak_into_ranges(path: str) -> None:
    c = "//" if path.endswith((".c", ".rs")) else "#"
    text = f"{c} x\r\n{c} provguard: begin kind=ai-agent tool=codex\r\ncode\r\n{c} provguard: end\r\nmore\r\n"
    _, result = read(path, text)
    span = only_span(result)
    assert (span.start, span.end) == (at(text, f"{c} provguard: begin"), end_of(text, f"{c} provguard: end"))
    assert span.origin.tool == "codex"


@pytest.mark.parametrize("path", ["m.py", "notes.txt"])
def test_non_ascii_text_before_a_marker_keeps_byte_offsets_right(path: str) -> None:
    text = '# 注释 🎉 émoji\n# provguard: begin kind=ai-agent model="模型 🎉" 中文 tool=x\nbody\n# provguard: end\n'
    doc, result = read(path, text)
    assert problems_of(doc, result) == [("marker-invalid", "中文")]
    text = text.replace(" 中文", "")
    doc, result = read(path, text)
    span = only_span(result)
    assert (span.start, span.end) == (at(text, "# provguard: begin"), end_of(text, "# provguard: end"))
    assert span.origin.model == "模型 🎉"
    field = span.markers[0].field("tool")
    assert field is not None and doc.slice(field.value_start, field.value_end) == "x"


@pytest.mark.parametrize("path", ["notes.txt", "m.py", "m.c"])
def test_invalid_utf8_keeps_byte_offsets_right(path: str) -> None:
    c = b"//" if path == "m.c" else b"#"
    raw = b"\xff\xfe bad\n" + c + b" provguard: file kind=ai-agent note=\xc3\x28\xff oops tool=\xe2\x82\n"
    doc = Document(path, languages.detect(path), raw)
    result = markers.scan(doc)
    assert [(p.code, raw[p.start:p.end]) for p in result.problems] == [("marker-invalid", b"oops")]
    doc = Document(path, languages.detect(path), raw.replace(b" oops", b""))
    marker = only_span(markers.scan(doc)).markers[0]
    note, tool = marker.field("note"), marker.field("tool")
    assert note is not None and doc.source[note.value_start:note.value_end] == b"\xc3\x28\xff"
    assert note.value == "\ufffd(\ufffd"  # readable, not lone surrogates
    assert tool is not None and doc.source[tool.start:tool.end] == b"tool=\xe2\x82"


ROUND_TRIP_LANGUAGES = [*languages.LANGUAGES, languages.PLAIN]
ROUND_TRIP_FIELDS = [
    ("kind", "ai-agent"), ("tool", "claude-code"), ("model", 'claude "sonnet" 4'), ("reviewed-by", "Ada Lovelace"),
    ("path", "C:\\dir\\f"), ("empty", ""), ("quote", "it's"), ("unicode", "中文 🎉"), ("eq", "a=b"),
]


def _round_trip_text(language: languages.Language, verb: str, fields: list[tuple[str, str]]) -> str:
    path, before, code, after, _ = LANGUAGE_SAMPLES.get(language.id, ("notes.txt", "", "code", "", {}))
    marker = marker_text(language, verb, fields)
    if verb == "next" and language.has_grammar:
        template = next(t for p, t in NEXT_UNIT_CASES.values() if p == path)
        return unit_case(template.replace(f"{language.comment.line} <M>", "<M>"), marker)[0]
    head = f"{before}{marker}\n{code}\n"
    return head + (f"{marker_text(language, 'end')}\n" if verb == "begin" else "") + after


@pytest.mark.parametrize("language", ROUND_TRIP_LANGUAGES, ids=lambda lang: lang.id)
@pytest.mark.parametrize("verb", ["begin", "file", "next"])
@pytest.mark.parametrize("last", ["tail", "tail]]", "tail*/", "tail-->", "=end", "x]==]"])
def test_written_marker_reads_back_with_the_same_fields(language: languages.Language, verb: str, last: str) -> None:
    fields = [*ROUND_TRIP_FIELDS, ("last", last)]
    text = _round_trip_text(language, verb, fields)
    path = LANGUAGE_SAMPLES.get(language.id, ("notes.txt",))[0]
    _, result = read(path, text)
    span = only_span(result)
    assert [(f.key, f.value) for f in span.markers[0].fields] == fields
    assert span.markers[0].verb == verb
    assert (span.origin.kind, span.origin.tool, span.origin.vendor) == (Kind.AI_AGENT, "claude-code", "anthropic")
    assert (span.origin.model, span.origin.reviewed_by) == ('claude "sonnet" 4', "Ada Lovelace")
    assert span.origin.extra == tuple(fields[4:])
