"""A hostile or broken pack (say, from a cloned repository) can neither hang nor crash provguard.

Pack patterns run in linear time: path globs and `#match?` predicates in RE2, whatever a pack writes. Patterns
that make a backtracking engine take minutes (nested or stacked repeats, a long run of `**/`) are matched at
once, by `check`, `rules`, the guard and the language server alike. A scope query too big or nested too deep
for tree-sitter's recursive parser (which crashes the process), or shaped so that tree-sitter's own engine
takes minutes to build or run it, is refused with its place in the pack.

Every run below is a real process with a timeout of a minute: only a hang trips it.
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient

from guard_support import decision, guard, payload
from lsp_support import SERVER, open_file, record_registrations, start
from pack_support import errors, load, pointed_at, scope_pack
from provguard.policy.paths import MAX_GLOB_CHARS, GlobError, GlobSet, glob_to_regex
from provguard.policy.scopes import (
    MAX_CHILD_PATTERNS,
    MAX_NODE_PATTERNS,
    MAX_QUANTIFIERS,
    MAX_QUERY_BYTES,
    MAX_QUERY_DEPTH,
    MAX_TOP_PATTERNS,
)

HANG = 60  # seconds: far beyond any real run, reached only by a hang

NAME = "a" * 40  # an identifier and a file name the patterns below get stuck on when they backtrack
STACKED_REPEATS = "a*" * 12 + "b"
DEEP = "/".join(f"d{i}" for i in range(30))
BEGIN = "# provguard: begin kind=ai-agent tool=claude-code vendor=anthropic"

HOSTILE_PACK = f"""\
pack: hostile
rules:
  - id: stacked-repeats-in-a-predicate
    severity: error
    message: m
    origins: [{{kind: ai-agent}}]
    scope:
      python: '((identifier) @scope (#match? @scope "{STACKED_REPEATS}"))'
  - id: many-double-stars
    severity: error
    message: m
    origins: [{{kind: ai-agent}}]
    paths: {{include: ["{'**/' * 12}zz"]}}
  - id: many-stars-in-one-segment
    severity: error
    message: m
    origins: [{{kind: ai-agent}}]
    paths: {{include: ["{'*a' * 15}*b"], exclude: ["{'[!x]*a' * 15}c"]}}
  - id: a-very-long-glob
    severity: error
    message: m
    origins: [{{kind: ai-agent}}]
    paths: {{include: ["{('*a' * (MAX_GLOB_CHARS // 2))[:MAX_GLOB_CHARS - 2]}*b"]}}
  - id: stacked-repeats-that-do-match
    severity: warning
    message: stacked repeats matched
    origins: [{{kind: ai-agent}}]
    agent-write: deny
    scope:
      python: '((identifier) @scope (#match? @scope "^a+$") (#not-match? @scope "{STACKED_REPEATS}"))'
"""
"""Only the last rule matches anything (NAME is all a's); the others are there to be slow to fail."""

NESTED_REPEATS_RULE = """\
  - id: nested-repeats
    severity: warning
    message: m
    origins: [{kind: ai-agent}]
    scope:
      python: '((identifier) @scope (#match? @scope "^(a+)+$") (#not-match? @scope "^(a|a)*b$"))'
"""
"""Patterns a backtracking engine can take exponential time on, which provguard once refused outright."""

SOURCE = f"{BEGIN}\n{NAME} = 1\n# provguard: end\n"


def hostile_project(root: Path) -> Path:
    """A project selecting HOSTILE_PACK, with AI code in a file NAME.py deep down; returns that file."""
    root.mkdir(parents=True, exist_ok=True)
    (root / ".git").mkdir(exist_ok=True)
    (root / "hostile.yaml").write_text(HOSTILE_PACK, encoding="utf-8")
    (root / "provguard.toml").write_text('packs = ["hostile.yaml"]\n', encoding="utf-8")
    file = root / "src" / DEEP / f"{NAME}.py"
    file.parent.mkdir(parents=True)
    file.write_text(SOURCE, encoding="utf-8")
    return file


def provguard(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "provguard", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=HANG, check=False)


# -- check and rules ----------------------------------------------------------------------------------


def test_check_matches_backtracking_patterns_at_once_and_finds_only_what_they_match(tmp_path: Path) -> None:
    file = hostile_project(tmp_path)

    done = provguard("check", "--format", "json", "--fail-on", "never", "src", cwd=tmp_path)

    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)["findings"]
    hostile = {f["rule"] for f in found if f["rule"] not in ("marker-incomplete", "ai-output-unreviewed")}
    assert hostile == {"stacked-repeats-that-do-match"}
    assert {f["path"] for f in found} == {f"src/{DEEP}/{file.name}"}


def test_rules_loads_the_backtracking_pack_and_lists_its_rules(tmp_path: Path) -> None:
    hostile_project(tmp_path)
    with (tmp_path / "hostile.yaml").open("a", encoding="utf-8") as pack:
        pack.write(NESTED_REPEATS_RULE)

    done = provguard("rules", cwd=tmp_path)

    assert done.returncode == 0, done.stderr
    for rule in ("stacked-repeats-in-a-predicate", "many-double-stars", "nested-repeats"):
        assert rule in done.stdout


# -- a query too big or too deep ---------------------------------------------------------------------


def deep_query_project(root: Path, depth: int) -> None:
    query = "(" * depth + "identifier" + ")" * depth + " @scope"
    root.mkdir(parents=True, exist_ok=True)
    (root / "deep.yaml").write_text(scope_pack(f"python: '{query}'\n"), encoding="utf-8")
    (root / "provguard.toml").write_text('packs = ["deep.yaml"]\n', encoding="utf-8")
    (root / "x.py").write_text(SOURCE, encoding="utf-8")


@pytest.mark.parametrize("command", [["rules"], ["check", "x.py"]])
def test_fifty_thousand_nested_parentheses_are_an_error_not_a_crash(tmp_path: Path, command: list[str]) -> None:
    deep_query_project(tmp_path, 50_000)

    done = provguard(*command, cwd=tmp_path)

    assert done.returncode > 0, (done.returncode, done.stderr[-500:])  # an exit code, not a signal
    assert "deep.yaml:8:" in done.stderr
    assert f"a scope query may be at most {MAX_QUERY_BYTES} bytes" in done.stderr


def test_a_query_nested_too_deep_is_refused_at_the_parenthesis_too_many(tmp_path: Path) -> None:
    depth = MAX_QUERY_DEPTH + 1
    query = "(" * depth + "identifier" + ")" * depth + " @scope"

    [error] = errors(tmp_path, scope_pack(f"python: '{query}'\n"))

    assert pointed_at(tmp_path, error).startswith("(identifier)")  # the innermost one goes past the limit
    assert f"more than {MAX_QUERY_DEPTH} deep" in error.message


def test_a_query_at_the_depth_limit_loads(tmp_path: Path) -> None:
    query = "[" * (MAX_QUERY_DEPTH - 1) + "(identifier)" + "]" * (MAX_QUERY_DEPTH - 1) + " @scope"

    result = load(tmp_path, scope_pack(f"python: '{query}'\n"))

    assert [e.message for e in result.errors] == []


def test_parentheses_inside_strings_and_comments_do_not_count_as_nesting(tmp_path: Path) -> None:
    parens = "(" * (MAX_QUERY_DEPTH + 1)
    query = f'  ; {parens}\n  ((identifier) @scope (#not-eq? @scope "{parens}"))\n'

    result = load(tmp_path, scope_pack(f"python: |\n{query}"))

    assert [e.message for e in result.errors] == []


# -- queries tree-sitter itself is slow to build or run --------------------------------------------

SLOW_QUERIES = {
    # 500 quantified children of one node: building does not finish within a minute
    "stacked-repeats": "(module " + "(_)* " * 500 + ") @scope",
    # 16 quantified alternations of 31 branches under one node: building takes seconds to minutes
    "stacked-alternations": "(module " + " ".join(["[" + "(_) " * 31 + "]*"] * 16) + ") @scope",
    # a quantified capture under a wildcard, 16 times: tens of seconds to run on a 900-line file
    "wildcard-repeats": "((_ (_)* @a) @scope) " * 16,
}


def slow_query_project(root: Path, query: str) -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / "slow.yaml").write_text(scope_pack(f"python: '{query}'\n"), encoding="utf-8")
    (root / "provguard.toml").write_text('packs = ["slow.yaml"]\n', encoding="utf-8")
    (root / "x.py").write_text(SOURCE + "".join(f"def f{i}(a):\n    return [a, (a, a)]\n" for i in range(450)),
                               encoding="utf-8")


@pytest.mark.parametrize("command", [["rules"], ["check", "x.py"]])
@pytest.mark.parametrize("name", list(SLOW_QUERIES))
def test_queries_tree_sitter_is_slow_on_are_refused_at_their_place(tmp_path: Path, command: list[str],
                                                                     name: str) -> None:
    slow_query_project(tmp_path, SLOW_QUERIES[name])

    done = provguard(*command, cwd=tmp_path)

    assert done.returncode == 2, (done.returncode, done.stderr[-500:])
    assert re.search(r"slow\.yaml:8:\d+:", done.stderr), done.stderr[-500:]


def test_a_node_with_too_many_children_is_refused_at_the_child_too_many(tmp_path: Path) -> None:
    children = " ".join(f"(c{i})" for i in range(MAX_CHILD_PATTERNS - 1)) + " [(last) (one)]"

    [error] = errors(tmp_path, scope_pack(f"python: (module {children}) @scope\n"))

    assert pointed_at(tmp_path, error).startswith("(one)")  # each alternative counts
    assert f"more than {MAX_CHILD_PATTERNS} children" in error.message


def test_children_in_groups_and_alternations_count_for_the_node_around_them(tmp_path: Path) -> None:
    group = "(" + " ".join("(identifier)" for _ in range(MAX_CHILD_PATTERNS)) + ")"

    [error] = errors(tmp_path, scope_pack(f"python: (module [{group} (string)]) @scope\n"))

    assert pointed_at(tmp_path, error).startswith("(string)")


def test_too_many_quantifiers_are_refused_at_the_one_too_many(tmp_path: Path) -> None:
    patterns = " ".join(f"(module (c{i})?) @scope" for i in range(MAX_QUANTIFIERS)) + " (module (last)+) @scope"

    [error] = errors(tmp_path, scope_pack(f"python: {patterns}\n"))

    assert pointed_at(tmp_path, error) == "+) @scope"
    assert f"more than {MAX_QUANTIFIERS} quantifiers" in error.message


def test_too_many_top_level_patterns_are_refused_at_the_one_too_many(tmp_path: Path) -> None:
    patterns = " ".join(f"(c{i}) @scope" for i in range(MAX_TOP_PATTERNS + 1))

    [error] = errors(tmp_path, scope_pack(f"python: {patterns}\n"))

    assert pointed_at(tmp_path, error) == f"(c{MAX_TOP_PATTERNS}) @scope"
    assert f"more than {MAX_TOP_PATTERNS} top-level patterns" in error.message


def test_too_many_node_patterns_are_refused_at_the_one_too_many(tmp_path: Path) -> None:
    nested = "(block " * (MAX_NODE_PATTERNS - 1) + "(last) (over)" + ")" * (MAX_NODE_PATTERNS - 1)

    [error] = errors(tmp_path, scope_pack(f"python: ({nested}) @scope\n"))

    assert pointed_at(tmp_path, error).startswith("(over)")
    assert f"more than {MAX_NODE_PATTERNS} node patterns" in error.message


def test_a_query_at_every_shape_limit_loads(tmp_path: Path) -> None:
    optional = ["(expression_statement)?"] * (MAX_CHILD_PATTERNS - 2)
    widest = f"(module {' '.join(optional)} [(comment) (if_statement)]) @scope"
    depth = MAX_NODE_PATTERNS - MAX_TOP_PATTERNS - MAX_CHILD_PATTERNS
    deepest = "(_ " * depth + "(comment)" + ")" * depth + " @scope"
    patterns = [widest, deepest] + ["(identifier)? @scope"] * (MAX_QUANTIFIERS - len(optional))
    patterns += ["(string) @scope"] * (MAX_TOP_PATTERNS - len(patterns))

    result = load(tmp_path, scope_pack(f"python: '{' '.join(patterns)}'\n"))

    assert [e.message for e in result.errors] == []


def test_brackets_quantifiers_and_text_inside_predicates_and_comments_are_not_patterns(tmp_path: Path) -> None:
    noise = " ".join(["(a) (b) (c) (d) (e) * + ?"] * MAX_QUANTIFIERS)
    query = f'  ; {noise}\n  ((identifier) @scope (#any-of? @scope "{noise}" "x" "y" "z" "w" "v"))\n'

    result = load(tmp_path, scope_pack(f"python: |\n{query}"))

    assert [e.message for e in result.errors] == []


# -- predicates --------------------------------------------------------------------------------------


@pytest.mark.parametrize("regex", ["^(a+)+$", "(x|xy)*z", "(a|a)*b", STACKED_REPEATS])
def test_patterns_a_backtracking_engine_chokes_on_load_and_run_in_linear_time(tmp_path: Path, regex: str) -> None:
    result = load(tmp_path, scope_pack(f'python: ((identifier) @scope (#match? @scope "{regex}"))\n'))

    assert result.errors == ()


def test_a_dot_predicate_is_checked_like_a_hash_one(tmp_path: Path) -> None:
    # tree-sitter reads `(.name? ...)` as a predicate too; it must not slip past the checks
    [unknown] = errors(tmp_path, scope_pack('python: ((identifier) @scope (.mach? @scope "x"))\n'))
    [backref] = errors(tmp_path, scope_pack('python: ((identifier) @scope (.match? @scope "(a)\\\\1"))\n'))

    assert "unknown predicate #mach?" in unknown.message
    assert "not a valid regular expression for RE2" in backref.message


def test_a_match_predicate_needs_a_capture_and_a_pattern(tmp_path: Path) -> None:
    [error] = errors(tmp_path, scope_pack('python: ((identifier) @scope (#match? "x" @scope))\n'))

    assert pointed_at(tmp_path, error).startswith('#match? "x"')
    assert "takes a capture and a pattern" in error.message


# -- the guard and the language server --------------------------------------------------------------


def test_the_guard_answers_within_its_timeout_with_the_backtracking_pack(tmp_path: Path) -> None:
    root = tmp_path / "shop"
    hostile_project(root)
    write = json.loads(payload("claude-code-write-source.json", root))
    write["tool_input"]["file_path"] = str(root / "src" / DEEP / f"{NAME}.py")
    write["tool_input"]["content"] = f"{NAME} = 2\n"

    done = guard("claude-code", json.dumps(write).encode(), "--timeout", "30", cwd=root)

    verdict, reason = decision("claude-code", done)  # judged, not let through when its time ran out
    assert verdict == "deny"
    assert "(provguard rule stacked-repeats-that-do-match)" in reason


@pytest_lsp.fixture(config=SERVER)
async def client(lsp_client: LanguageClient) -> object:
    record_registrations(lsp_client)
    yield
    async with asyncio.timeout(HANG):  # a server stuck matching never answers shutdown either
        await lsp_client.shutdown_session()


async def test_the_language_server_answers_hover_in_a_project_with_the_backtracking_pack(
    client: LanguageClient, tmp_path: Path
) -> None:
    file = hostile_project(tmp_path)
    await start(client, tmp_path, pull=True)
    uri = open_file(client, file, SOURCE)

    async with asyncio.timeout(HANG):
        hover = await client.text_document_hover_async(types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(1, 4)))

    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    assert "claude-code" in hover.contents.value


# -- globs -------------------------------------------------------------------------------------------


def test_a_run_of_double_stars_means_what_one_does() -> None:
    many, one = GlobSet((("**/" * 4) + "zz",)), GlobSet(("**/zz",))  # more would hang a backtracking engine

    for path in ("zz", "a/zz", "a/b/c/zz", "a/b/c/d/e/zz", "a/b/c/d/e/x", "zzz", "a/zz/b"):
        assert many.matches(path) == one.matches(path), path
    assert glob_to_regex("data/**/**/**/x.py") == glob_to_regex("data/**/x.py")


def test_a_glob_longer_than_the_limit_is_refused() -> None:
    with pytest.raises(GlobError, match=f"at most {MAX_GLOB_CHARS} characters"):
        glob_to_regex("a" * (MAX_GLOB_CHARS + 1))


def test_globs_match_file_names_that_are_not_utf8() -> None:
    name = b"caf\xe9.py".decode("utf-8", errors="surrogateescape")  # as os.listdir gives such a name

    assert GlobSet(("*.py",)).matches(f"src/{name}")
    assert GlobSet(("src/caf?.py",)).matches(f"src/{name}")
