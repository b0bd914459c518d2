"""Fingerprints: the same code gives the same prints however it is laid out or named; little else does."""

from __future__ import annotations

import random
import sysconfig
from pathlib import Path

from hypothesis import example, given, settings
from hypothesis import strategies as st
from tree_sitter import Tree

from provguard.documents import Document
from provguard.languages import detect
from provguard.provenance.fingerprints import LineTokens, document_prints, insertion_prints
from provguard.provenance.matching import MIN_PRINTS
from provguard.provenance.winnow import GUARANTEE, WINDOW, K, is_lexical, kgram_hashes, winnow
from snippet_support import DISGUISED, SNIPPET, UNRELATED


def prints_of(text: str, path: str) -> set[int]:
    return set(insertion_prints(text, path).fingerprints)


def doc_prints(text: str, path: str) -> set[int]:
    return {p.hash for p in document_prints(Document.from_text(path, detect(path), text))}


def shape(prints: set[int]) -> set[int]:
    """The structural fingerprints: blind to names and literals."""
    return {h for h in prints if not is_lexical(h)}


def spelled(prints: set[int]) -> set[int]:
    """The lexical fingerprints: names and literals kept."""
    return {h for h in prints if is_lexical(h)}


def test_a_snippet_has_a_few_fingerprints_per_line_and_no_code() -> None:
    prints = insertion_prints(SNIPPET, "src/intervals.py")
    assert prints.lines == 11
    assert prints.lines <= len(shape(set(prints.fingerprints))) <= 3 * prints.lines, "dense code: 10 tokens a line"
    assert len(spelled(set(prints.fingerprints))) <= 3 * prints.lines
    assert len(prints.line_hashes) == 11
    assert all(-(2**63) <= h < 2**63 for h in prints.fingerprints + prints.line_hashes)


def test_renaming_changes_only_the_lexical_prints_and_reindenting_and_comments_change_nothing() -> None:
    renamed = SNIPPET.replace("merge_intervals", "coalesce").replace("intervals", "ranges").replace(
        "ordered", "srt").replace("merged", "acc").replace("start", "a").replace("end", "b")
    indented = "class Holder:\n" + "".join(f"        {line}\n" if line else "\n" for line in renamed.splitlines())
    commented = indented.replace("        for a", "        # walk them in order\n        for a")
    original = prints_of(SNIPPET, "src/intervals.py")
    assert shape(original) <= shape(prints_of(commented, "lib/holder.py")), "only the class line adds any"
    assert spelled(prints_of(commented, "lib/holder.py")) != spelled(original), "names are the lexical prints' own"
    moved = "class Holder:\n" + "".join(f"        {line}\n" if line else "\n" for line in SNIPPET.splitlines())
    assert original <= prints_of(moved.replace("    for start", "    # walk them\n    for start"), "lib/holder.py"), (
        "moved into a class, indented and commented, every print is still there")


def test_literals_and_line_wrapping_change_nothing_in_the_shape() -> None:
    js = "function area(w, h) {\n  const scale = 2.5;\n  return w * h * scale + offset('x', [1, 2, 3]);\n}\n"
    rewrapped = "function size(a,\n  b) { const k = 7\n  return a * b * k\n    + offset(\"y\", [4, 5, 6,]) }"
    assert shape(doc_prints(js * 3, "a.js")) == shape(doc_prints(rewrapped * 3, "b.js"))
    quoted = js.replace("'x'", '"x"')
    assert doc_prints(quoted * 3, "c.js") == doc_prints(js * 3, "a.js"), "quotes are not part of a literal's name"


def test_names_of_one_or_two_characters_make_no_lexical_prints() -> None:
    short = "function f(a, b) {\n  return a * b + g(a) - h(b, a)\n}\n" * 4
    assert spelled(doc_prints(short, "a.js")) == set(), "they tell no code apart"


def test_the_same_snippet_inside_another_file_shares_most_of_its_prints() -> None:
    recorded = shape(prints_of(SNIPPET, "src/intervals.py"))
    shared = recorded & doc_prints(DISGUISED, "app/calendar.py")
    assert len(shared) >= max(MIN_PRINTS, len(recorded) // 2), "renamed, it keeps the structural prints"
    assert not recorded & doc_prints(UNRELATED, "tools/copy.py")


def test_boilerplate_is_never_a_fingerprint() -> None:
    imports = "import os\nimport sys\nimport json\nfrom pathlib import Path\nfrom typing import Any\nimport re\n"
    getters = "".join(f"    @property\n    def {n}(self):\n        return self._{n}\n\n" for n in "abcdef")
    licence = "# Copyright 2024 Example Corp.\n# Licensed under the Apache License, Version 2.0\n" * 5
    main = 'if __name__ == "__main__":\n    main()\n'
    for text in (imports, "class Point:\n" + getters, licence + main):
        assert len(prints_of(text, "boiler.py")) < MIN_PRINTS, text


@settings(derandomize=True, max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 40), min_size=GUARANTEE, max_size=GUARANTEE + 30),
       st.lists(st.integers(0, 40), max_size=50), st.lists(st.integers(0, 40), max_size=50))
def test_any_shared_run_of_guarantee_tokens_shares_a_fingerprint(shared: list[int], left: list[int],
                                                                 right: list[int]) -> None:
    first = [*left, *shared]
    second = [*shared, *right]
    a, b = kgram_hashes(first), kgram_hashes(second)
    assert {a[i] for i in winnow(a)} & {b[i] for i in winnow(b)}


def test_runs_shorter_than_k_tokens_never_share_one() -> None:
    rng = random.Random(3)
    first = [rng.randrange(10**6) for _ in range(200)]
    second = [rng.randrange(10**6) for _ in range(200)]
    second[50:50 + K - 1] = first[20:20 + K - 1]
    assert not set(kgram_hashes(first)) & set(kgram_hashes(second))
    assert WINDOW + K - 1 == GUARANTEE


def test_plain_text_keeps_words_and_finds_a_copied_paragraph() -> None:
    paragraph = "The quick brown fox jumps over the lazy dog near the river bank at 10 am every day.\n" * 3
    assert prints_of(paragraph, "notes.txt") <= doc_prints("intro\n\n" + paragraph.upper(), "other.md")
    assert not prints_of(paragraph, "notes.txt") & doc_prints(paragraph.replace("fox", "cat"), "x.txt") - \
        doc_prints(paragraph, "x.txt")


def _stdlib_file() -> str:
    return (Path(sysconfig.get_paths()["stdlib"]) / "textwrap.py").read_text()


def _edit_as_typed(doc: Document, tokens: LineTokens, where: int, length: int, text: str) -> None:
    """Replaces `length` bytes at `where` (wrapped into the text) as an editor does, and refreshes the tokens."""
    start = where % (len(doc.source) + 1)
    end = min(len(doc.source), start + length)
    first, old_last, old_tree = doc.lines.line_of(start), doc.lines.line_of(end), doc.tree
    doc.replace(start, end, text)
    tokens.edited(first, old_last, doc.lines.line_of(start + len(text.encode())), doc, old_tree)
    tokens.refresh(doc)


@settings(derandomize=True, max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 300), st.sampled_from(
    ["", "x", "\n", "    return value\n", "'''\n", "def f(a, b):\n    pass\n", "# note\n", "\n\n\n"])),
    min_size=1, max_size=6))
@example(edits=[(0, 83, ""), (0, 300, ""), (0, 300, ""), (168470, 0, "x")])  # inside a string concatenated to one above
def test_an_open_document_re_reads_only_what_changed_and_ends_as_if_read_afresh(
        edits: list[tuple[int, int, str]]) -> None:
    doc = Document.from_text("textwrap.py", detect("textwrap.py"), _stdlib_file())
    tokens = LineTokens()
    assert tokens.refresh(doc) == doc.lines.line_count
    for where, length, text in edits:
        _edit_as_typed(doc, tokens, where, length, text)
    assert tokens.prints() == document_prints(Document.from_text("t.py", detect("t.py"), doc.text))


MULTI_LINE_LITERALS = {
    "m.py": ('def f(a):\n' '    """Doc\n' '    more doc\n' '    """\n' '    s = ("one "\n' '         "two "\n'
             '         f"{a!r} {\'x\'}"\n' '         """three\n' 'four""")\n' "    return s + '''tail\n"
             "end'''\n" '\n' 'class C:\n' '    x = 1\n' '    def g(self):\n' '        return f"""{self.x}\n'
             '{"y"}"""\n'),
    "m.js": ('const a = `line\n' '${b + `inner\n' '${c}`}\n' 'end`;\n' 'function f(x) {\n'
             '  return \'q\' + "r" + `s\n' '${x}`;\n' '}\n' 'const re = /ab+c/g;\n'),
    "m.rs": ('fn main() {\n' '    let s = r#"raw\n' 'string "quoted"\n' '"#;\n' '    let t = "multi\n' 'line";\n'
             '    println!("{} {}", s, t);\n' '}\n'),
    "m.rb": ('def f(x)\n' '  s = <<~EOS\n' '    heredoc #{x}\n' '    more\n' '  EOS\n' '  t = %w[a b\n' ' c]\n'
             '  "#{s} done\n' '"\n' 'end\n'),
    "m.go": ('package main\n' '\n' 'func f() string {\n' '\ts := `raw\n' 'line`\n' '\treturn s + "x"\n' '}\n'),
    "m.lua": ('local s = [[long\n' 'string]]\n' 'local function f(x)\n' '  return s .. "y" .. [==[more\n' ']]\n'
             ']==]\n' 'end\n'),
    "m.c": ('int f(void) {\n' '  const char *s = "one"\n' '    "two"\n' '    "three";\n' '  return s[0];\n'
             '}\n'),
}
"""Strings spanning lines in every form: each is one token on its first line, named by its whole text."""
QUOTES_AND_BRACKETS = ['"""', "'''", '"', "'", "`", "${", "}", 'f"{', "#{", "\n", "x", "(", ")", "[[", "]]", 'r#"',
                       '"#', "<<~EOS\n", "EOS\n", "/*", "*/", "\\", " ", "s = 'a'\n"]


@settings(derandomize=True, max_examples=600, deadline=None)
@given(st.sampled_from(sorted(MULTI_LINE_LITERALS)), st.integers(1, 4), st.lists(st.tuples(
    st.integers(0, 10**6), st.integers(0, 12), st.lists(st.sampled_from(QUOTES_AND_BRACKETS), max_size=3).map("".join)),
    min_size=1, max_size=8))
@example(path="m.rb", copies=1, edits=[(0, 1, "")])  # `def` becomes `ef`: every `end` after it changes meaning
@example(path="m.py", copies=3, edits=[(16380, 0, ")")])  # a string concatenated over lines loses its last part
@example(path="m.rb", copies=1, edits=[(0, 0, '"""""'), (0, 5, '""'), (21, 10, '""'), (0, 5, '""'), (0, 10, ""),
                                      (1723, 4, "")])  # a heredoc running to the end of the text loses its tail
@example(path="m.c", copies=1, edits=[(7, 6, ""), (0, 0, "")])  # inside an error, a keyword is read as a name again
def test_edits_opening_closing_and_changing_strings_that_span_lines_end_as_if_read_afresh(
        path: str, copies: int, edits: list[tuple[int, int, str]]) -> None:
    doc = Document.from_text(path, detect(path), MULTI_LINE_LITERALS[path] * copies)
    tokens = LineTokens()
    tokens.refresh(doc)
    for where, length, text in edits:
        _edit_as_typed(doc, tokens, where, length, text)
        whole = LineTokens()
        whole.refresh(doc)
        assert tokens.prints() == whole.prints(), "as if the document's whole tree were read again"
        assert tokens.names(0, doc.lines.line_count - 1) == whole.names(0, doc.lines.line_count - 1)
    fresh = Document.from_text(path, detect(path), doc.text)
    assert fresh.tree is not None and doc.tree is not None
    if _nodes(fresh.tree) == _nodes(doc.tree):  # tree-sitter's error recovery may parse an edited text otherwise
        assert tokens.prints() == document_prints(fresh)


def _nodes(tree: Tree) -> list[tuple[str, int, int, bool]]:
    """Every node of a tree, anonymous ones too, as (type, start byte, end byte, missing)."""
    found = []
    cursor = tree.walk()
    while True:
        node = cursor.node
        assert node is not None
        found.append((node.type, node.start_byte, node.end_byte, node.is_missing))
        if cursor.goto_first_child():
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():
                return found


def test_typing_inside_a_function_re_reads_one_line() -> None:
    doc = Document.from_text("textwrap.py", detect("textwrap.py"), _stdlib_file())
    tokens = LineTokens()
    tokens.refresh(doc)
    where = doc.source.index(b"return text") + len(b"return text")
    line, old_tree = doc.lines.line_of(where), doc.tree
    doc.replace(where, where, ".strip()")
    tokens.edited(line, line, line, doc, old_tree)
    assert tokens.refresh(doc) == 1
    assert tokens.prints() == document_prints(Document.from_text("t.py", detect("t.py"), doc.text))


def test_imports_are_not_code_a_copy_is_made_of() -> None:
    python = "import os\nfrom collections import OrderedDict as OD\nimport numpy.linalg\n\n"
    assert prints_of(SNIPPET, "a.py")
    assert prints_of(python + SNIPPET, "a.py") == prints_of(SNIPPET, "a.py") == prints_of(
        "from itertools import chain\n" + SNIPPET, "b.py")
    js = "function area(w, h) {\n  const scale = 2.5;\n  return w * h * scale + offset('x', [1, 2, 3]);\n}\n" * 3
    assert prints_of(js, "a.js")
    assert prints_of("import React, { useState } from 'react';\nimport fs from 'fs';\n" + js, "a.js") == prints_of(
        "import { join } from 'path';\n" + js, "b.js")


PINNED_SNIPPETS = {
    "pin.py": (
        "def running_mean(values, window):\n"
        "    total = 0.0\n"
        "    out = []\n"
        "    for i, value in enumerate(values):\n"
        "        total += value\n"
        "        if i >= window:\n"
        "            total -= values[i - window]\n"
        "        out.append(total / min(i + 1, window))\n"
        "    return out\n"
    ),
    "pin.go": (
        "func countWords(text string) map[string]int {\n"
        "\tcounts := make(map[string]int)\n"
        "\tfor _, word := range strings.Fields(text) {\n"
        "\t\tcounts[strings.ToLower(word)]++\n"
        "\t}\n"
        "\treturn counts\n"
        "}\n"
    ),
    "pin.rs": (
        "fn checksum(data: &[u8]) -> u32 {\n"
        "    let mut sum: u32 = 0;\n"
        "    for byte in data.iter() {\n"
        "        sum = sum.wrapping_mul(31).wrapping_add(*byte as u32);\n"
        "    }\n"
        "    sum\n"
        "}\n"
    ),
    "pin.js": (
        "function debounce(callback, delay) {\n"
        "  let timer = null;\n"
        "  return (...args) => {\n"
        "    clearTimeout(timer);\n"
        "    timer = setTimeout(() => callback(...args), delay);\n"
        "  };\n"
        "}\n"
    ),
    "pin.rb": (
        "def group_by_length(words)\n"
        "  groups = Hash.new { |hash, key| hash[key] = [] }\n"
        "  words.each { |word| groups[word.length] << word }\n"
        "  groups.sort.to_h\n"
        "end\n"
    ),
    "pin.md": "Release notes: the parser now keeps comments, and the formatter wraps lines at 100 columns.\n",
}
"""Short code of several languages whose recorded fingerprints must never change (see below)."""

PINNED_PRINTS: dict[str, tuple[tuple[int, ...], tuple[int, ...], list[tuple[int, int]]]] = {
    "pin.py": (
        (-8876603266780457595, 5210482117608164352, -8258251246845583991, 2605235480453775364, -2828901699126061436,
         -8501605815365243335, -2132994632903372254, -3705076912494127906, -4556170310967124528,
         -5580104760051414298, -9014696251095769475, -7764325928881024772, -7916293277927425667,
         -6833936980808461874, 1899518756288474484, -7628982514003626552, -4875925391851861018,
         -7519243446374989396, -8493434808422352668),
        (36692318, 199555549, 226333244),
        [(0, 2), (1, 3), (3, 4), (3, 4), (3, 5), (4, 5), (4, 6), (5, 6), (5, 6), (5, 6), (5, 6), (6, 7), (6, 7), (6,
         7), (6, 7), (7, 7), (7, 7), (7, 7), (7, 8)],
    ),
    "pin.go": (
        (-8352150230065906524, -7365044808421509988, -9117526427660180572, -8201900910898383643,
         -5999507981891093877, -2738846141141907930, -3651657743311068256, -8679441629927311031,
         -4530640746157838232, -7401541513703418534, -8586135515322025036, -5328603880200273154,
         -2449151398914456142, -8861070308287887878, -9209928074234956137),
        (60078206, 943134267, 976030831),
        [(0, 0), (0, 0), (0, 1), (0, 1), (1, 1), (2, 2), (2, 2), (2, 3), (2, 3), (2, 3), (2, 3), (2, 3), (3, 3), (3,
         5), (3, 5)],
    ),
    "pin.rs": (
        (-5052169796747833279, -2410273161714357560, -2760687610605017666, -3112907878255441552,
         -4330838730709468154, -5165685528375210592, -8473951481484878276, 1759050930472682916,
         -7113782964450638815, 7541776791506129090, -8394554415230706967, 1100807107178197462, -7335738857713267398,
         -7227342371553579510),
        (510648218, 762336043, 963117421),
        [(0, 0), (0, 1), (0, 1), (0, 1), (0, 1), (1, 2), (1, 2), (1, 2), (2, 3), (3, 3), (3, 3), (3, 3), (3, 3), (3,
         3)],
    ),
    "pin.js": (
        (310875789486524294, -9062607926338116265, -7025587314526956218, -6477769385974259972, -6478732846514732011,
         -204834098175165566, -2414557943887000268, -4765738570969911126, -4614596750497121312,
         -7831873086541781023, -2585013149530671692, -5104431663467880614, -8281409971247474839,
         -7981688552266029508, -8764838616006151234, -9194579687130210074),
        (468928400, 718331418, 848986267, 1071915814),
        [(0, 1), (0, 1), (0, 2), (1, 2), (2, 3), (2, 3), (2, 3), (2, 3), (2, 4), (3, 4), (3, 4), (3, 4), (3, 4), (4,
         4), (4, 4), (4, 5)],
    ),
    "pin.rb": (
        (-3524299338735357609, -1512350350765566949, -3644226242152371638, 4343305976317725358, 6380141288791270096,
         -7605313045129441430, -6459473793208201904, -8760251893745881688, 7129729054944654483,
         -3489801873703474097),
        (34786713, 953732155),
        [(0, 1), (0, 1), (1, 2), (1, 2), (1, 2), (2, 2), (2, 3), (2, 3), (2, 3), (2, 4)],
    ),
    "pin.md": (
        (-6989680212060758374, -6721615960422346956, -5808789723407360334, -8600282669488204192),
        (2166072972, 2300492994, 2350376651, 2516752048, 2677970474, 2899230903, 3158666726),
        [(0, 0), (0, 0), (0, 0), (0, 0)],
    ),
}
"""(fingerprints, names) of `insertion_prints` and the lines of each of `document_prints`, as the fingerprinting of
2026-12-07 made them (before it was made faster): ledgers hold such hashes, so a change to tokens, k-gram hashing or
winnowing that alters one would silently stop recorded edits from being found."""


def test_recorded_fingerprints_and_names_of_known_snippets_never_change() -> None:
    for path, text in PINNED_SNIPPETS.items():
        fingerprints, names, lines = PINNED_PRINTS[path]
        recorded = insertion_prints(text, path)
        assert (recorded.fingerprints, recorded.names) == (fingerprints, names), path
        found = document_prints(Document.from_text(path, detect(path), text))
        assert [(p.first_line, p.last_line) for p in found] == lines, path
        assert tuple(dict.fromkeys(p.hash for p in found)) == fingerprints, path
