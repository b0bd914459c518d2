"""Fuzzing pack loading: whatever a pack file holds, loading it gives a pack or errors with positions.

Random and mutated packs, scope queries and globs must never raise, hang or crash the process. The fuzzing runs
in a child process (this file run as a script), so a crash inside tree-sitter or RE2 fails the test with the
child's signal instead of killing the test run, and a hang trips the child's timeout.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from provguard.policy import loader
from provguard.policy.policy import shipped_packs_dir

QUERY_PIECES = ["(", ")", "[", "]", "(identifier)", "(function_definition", "name:", "_", "@scope", "@n", " ",
                "\n", "*", "+", "?", ".", "!", ";", '"', "\\", "#match?", ".match?", "#eq?", "#any-of?",
                "#not-match?", "#mach?", "#is?", "(#match? @n ", '"^test"', '"(a)\\\\1"', '"(?=a)"', '"a*a*a*b"',
                '"[a-"', '"\\ud800"', "é", "\u00a0", "\u2028", "\x00", "((", "))", "[[", "]]"]
GLOB_PIECES = ["*", "**", "**/", "?", "[", "]", "!", "^", "-", "/", "./", "a", "z", ".py", "\\", " ", "é",
               "\udc80", "\x00", "[!a]", "[]]", "[z-a]", "{", "}", "(", ")", "|", "$"]

queries = st.one_of(
    st.lists(st.sampled_from(QUERY_PIECES), max_size=40).map("".join),
    st.text(max_size=120),
    st.integers(min_value=0, max_value=30_000).map(lambda depth: "(" * depth + "identifier" + ")" * depth
                                                     + " @scope"),
    st.builds(lambda depth, inner: "[" * depth + inner + "]" * depth,
              st.integers(min_value=0, max_value=200), st.sampled_from(["(identifier) @scope", "(_) @scope"])),
)
globs = st.one_of(st.lists(st.sampled_from(GLOB_PIECES), min_size=1, max_size=30).map("".join),
                  st.text(min_size=1, max_size=60))


def pack_text(query: str, include: list[str], exclude: list[str]) -> str:
    """A pack with one rule holding the query and globs, each as a JSON (so YAML double-quoted) string."""
    return (f"pack: fuzz\nrules:\n  - id: r\n    severity: error\n    message: m\n    origins: [{{kind: ai-agent}}]\n"
            f"    paths: {{include: {json.dumps(include)}, exclude: {json.dumps(exclude)}}}\n"
            f"    scope:\n      python: {json.dumps(query)}\n")


def mutated(text: str, edits: list[tuple[int, int, str]]) -> str:
    """`text` with characters deleted, replaced and inserted at the given places."""
    for at, cut, insert in edits:
        at %= len(text) + 1
        text = text[:at] + insert + text[at + cut :]
    return text


def assert_loads_or_reports(folder: Path, text: str) -> None:
    path = folder / "pack.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogateescape")
    result = loader.load_pack(path)
    assert (result.pack is None) == bool(result.errors), result
    for error in result.errors:
        assert error.line >= 1 and error.column >= 1, error
        assert error.file and error.message, error


FOLDER = Path(tempfile.mkdtemp(prefix="provguard-fuzz-packs-"))
BASE = pack_text("((function_definition name: (identifier) @n) @scope (#match? @n \"^test\"))",
                 ["src/**/*.py"], ["**/vendor/"])
DEFAULT = (shipped_packs_dir() / "default.yaml").read_text(encoding="utf-8")


@settings(derandomize=True, max_examples=400, deadline=None, database=None)
@given(query=queries, include=st.lists(globs, max_size=3), exclude=st.lists(globs, max_size=2))
def fuzz_queries_and_globs(query: str, include: list[str], exclude: list[str]) -> None:
    assert_loads_or_reports(FOLDER, pack_text(query, include, exclude))


edits = st.lists(st.tuples(st.integers(min_value=0), st.integers(min_value=0, max_value=8),
                           st.text(max_size=6) | st.sampled_from(QUERY_PIECES + GLOB_PIECES + [":", "- ", "{", "&a",
                                                                                                 "*a", "'", "|"])),
                 min_size=1, max_size=6)


@settings(derandomize=True, max_examples=300, deadline=None, database=None)
@given(base=st.sampled_from([BASE, DEFAULT]), changes=edits)
def fuzz_mutated_packs(base: str, changes: list[tuple[int, int, str]]) -> None:
    assert_loads_or_reports(FOLDER, mutated(base, changes))


def test_random_and_mutated_packs_load_or_report_errors_with_positions() -> None:
    done = subprocess.run([sys.executable, __file__], capture_output=True, text=True, timeout=240, check=False)

    assert done.returncode == 0, f"exit {done.returncode}\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"


if __name__ == "__main__":
    fuzz_queries_and_globs()
    fuzz_mutated_packs()
