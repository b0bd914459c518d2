"""Fingerprints: the same code gives the same prints however it is laid out or named; little else does."""

from __future__ import annotations

import random
import sysconfig
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

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


@settings(max_examples=60, deadline=None)
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


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 300), st.sampled_from(
    ["", "x", "\n", "    return value\n", "'''\n", "def f(a, b):\n    pass\n", "# note\n", "\n\n\n"])),
    min_size=1, max_size=6))
def test_an_open_document_re_reads_only_what_changed_and_ends_as_if_read_afresh(
        edits: list[tuple[int, int, str]]) -> None:
    doc = Document.from_text("textwrap.py", detect("textwrap.py"), _stdlib_file())
    tokens = LineTokens()
    assert tokens.refresh(doc) == doc.lines.line_count
    read = 0
    for where, length, text in edits:
        start = where % (len(doc.source) + 1)
        end = min(len(doc.source), start + length)
        first, old_last, old_tree = doc.lines.line_of(start), doc.lines.line_of(end), doc.tree
        doc.replace(start, end, text)
        tokens.edited(first, old_last, doc.lines.line_of(start + len(text.encode())), doc, old_tree)
        read += tokens.refresh(doc)
    assert tokens.prints() == document_prints(Document.from_text("t.py", detect("t.py"), doc.text))


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
