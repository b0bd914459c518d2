"""Errors inside the rules of a pack, each at the exact line and column of the offending value.

For scope queries that is the spot inside the query, inside the YAML file, whether the query is written as a
block scalar (`|`) or on one line, plain or quoted.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pack_support import RULE, errors, load, only_error, pointed_at, rule_pack, scope_pack
from provguard.policy.errors import MAX_ERRORS_PER_FILE

# -- rule problems -----------------------------------------------------------------------------------


@pytest.mark.parametrize("missing", ["id", "severity", "message", "origins"])
def test_rule_missing_a_required_key(tmp_path: Path, missing: str) -> None:
    fields = {
        "id": "id: r",
        "severity": "severity: error",
        "message": "message: m",
        "origins": "origins: [{kind: ai-agent}]",
    }
    del fields[missing]
    lines = list(fields.values())
    text = "pack: p\nrules:\n  - " + "\n    ".join(lines) + "\n"

    error = only_error(tmp_path, text)

    assert (error.line, error.column) == (3, 5)  # the rule itself
    assert f"missing required key '{missing}'" in error.message


def test_unknown_severity_suggests_the_close_one(tmp_path: Path) -> None:
    error = only_error(tmp_path, rule_pack("severity: eror\nmessage: m\norigins: {kind: ai-agent}\n"))

    assert (error.line, error.column) == (4, 15)
    assert error.message == "unknown severity 'eror'; did you mean 'error'?"


def test_duplicate_rule_id_points_at_the_second_and_names_the_first(tmp_path: Path) -> None:
    error = only_error(tmp_path, "pack: p\nrules:\n" + RULE + RULE)

    assert (error.line, error.column) == (8, 9)
    assert error.message == "duplicate rule id 'no-agents' (first defined on line 3)"


@pytest.mark.parametrize(("written", "bad"), [
    ('"r\\e[31m\\nnext"', "\\e"),      # an escape sequence and a line break, as a double-quoted YAML string
    ('"line\\nbreak"', "\\n"),
    ("'two words'", " "),
    ("r\u00e8gle", "\u00e8"),                # what a suppression comment's `allow[...]` could not name
    ("-leading-dash", "-leading"),
])
def test_a_rule_id_holding_what_a_suppression_could_not_name_is_refused_at_that_character(
        tmp_path: Path, written: str, bad: str) -> None:
    error = only_error(tmp_path, "pack: p\nrules:\n" + RULE.replace("no-agents", written))

    assert error.line == 3
    assert pointed_at(tmp_path, error).startswith(bad)
    assert "rule ids are ASCII letters, digits, '_', '.' and '-', starting with a letter or digit" in error.message


def test_a_rule_id_of_letters_digits_dots_dashes_and_underscores_loads(tmp_path: Path) -> None:
    result = load(tmp_path, "pack: p\nrules:\n" + RULE.replace("no-agents", "Team_2.no-agents"))

    assert result.errors == ()
    assert result.pack is not None and [rule.id for rule in result.pack.rules] == ["Team_2.no-agents"]


def test_a_pack_with_thousands_of_broken_rules_says_the_first_fifty_and_how_many_more(tmp_path: Path) -> None:
    broken = 3_000
    found = errors(tmp_path, "pack: p\nrules:\n" + "  - 1\n" * broken)

    assert len(found) == MAX_ERRORS_PER_FILE + 1
    assert [e.line for e in found[:MAX_ERRORS_PER_FILE]] == list(range(3, 3 + MAX_ERRORS_PER_FILE))
    assert all(e.message == "rule must be a mapping of keys to values" for e in found[:-1])
    last = found[-1]
    assert (last.line, last.column) == (3 + MAX_ERRORS_PER_FILE, 5)  # where the first one not listed is
    assert last.message == f"... and {broken - MAX_ERRORS_PER_FILE:,} more errors in this file, not listed"


def test_unknown_rule_key_suggests_the_close_one(tmp_path: Path) -> None:
    found = errors(tmp_path, rule_pack("severty: error\nmessage: m\norigins: {kind: ai-agent}\n"))

    unknown = [e for e in found if "unknown key" in e.message]
    assert [(e.line, e.column) for e in unknown] == [(4, 5)]
    assert unknown[0].message == "unknown key 'severty' in rule; did you mean 'severity'?"
    assert any("missing required key 'severity'" in e.message for e in found)


def test_unknown_origin_key_suggests_the_close_one(tmp_path: Path) -> None:
    error = only_error(tmp_path, rule_pack("""\
        severity: error
        message: m
        origins:
          - kind: ai-agent
            vendr: openai
    """))

    assert (error.line, error.column) == (8, 9)
    assert error.message == "unknown key 'vendr' in origin selector; did you mean 'vendor'?"


def test_unknown_kind_points_at_the_value(tmp_path: Path) -> None:
    error = only_error(tmp_path, rule_pack("severity: error\nmessage: m\norigins: {kind: [ai-agent, robot]}\n"))

    assert (error.line, error.column) == (6, 32)
    assert pointed_at(tmp_path, error).startswith("robot")
    assert "unknown kind 'robot'" in error.message
    assert "ai-completion" in error.message


def test_unknown_evidence_points_at_the_value(tmp_path: Path) -> None:
    error = only_error(tmp_path, rule_pack("severity: error\nmessage: m\norigins: {evidence: telepathy}\n"))

    assert (error.line, error.column) == (6, 25)
    assert pointed_at(tmp_path, error).startswith("telepathy")
    assert "unknown evidence 'telepathy'" in error.message
    assert "editor-event" in error.message


def test_unknown_value_in_a_parameter_is_reported_once_at_the_parameter(tmp_path: Path) -> None:
    text = "pack: p\nparameters:\n  kinds: [ai-agent, robot]\nrules:\n"
    for name in ("a", "b"):
        text += f"  - id: {name}\n    severity: error\n    message: m\n    origins: {{kind: $kinds}}\n"

    error = only_error(tmp_path, text)

    assert (error.line, error.column) == (3, 21)
    assert "unknown kind 'robot'" in error.message


@pytest.mark.parametrize("value", ['"yes"', "1", "maybe", "[true]"])
def test_reviewed_must_be_a_boolean(tmp_path: Path, value: str) -> None:
    error = only_error(tmp_path, rule_pack(f"severity: error\nmessage: m\norigins: {{reviewed: {value}}}\n"))

    assert (error.line, error.column) == (6, 25)
    assert pointed_at(tmp_path, error).startswith(value)
    assert error.message == "'reviewed' must be true or false"


def test_undefined_parameter(tmp_path: Path) -> None:
    text = rule_pack("severity: error\nmessage: m\norigins: {vendor: [openai, $rivals]}\n",
                     extra="parameters:\n  rival: [openai]\n")

    error = only_error(tmp_path, text)

    assert (error.line, error.column) == (8, 32)
    assert pointed_at(tmp_path, error).startswith("$rivals")
    assert error.message == "unknown parameter '$rivals' (parameters: rival)"


@pytest.mark.parametrize(
    ("pattern", "column", "reason"),
    [
        ("data/[abc", 27, "has no closing ']'"),
        ("data/**.py", 27, "'**' must stand alone between slashes"),
        ("a**/b", 27, "'**' must stand alone between slashes"),
        ("[z-a].py", 27, "backwards"),
    ],
)
def test_bad_glob_points_at_the_pattern(tmp_path: Path, pattern: str, column: int, reason: str) -> None:
    text = rule_pack("severity: error\nmessage: m\norigins: {kind: ai-agent}\n"
                     f'paths: {{include: [ok, "{pattern}"]}}\n')

    error = only_error(tmp_path, text)

    assert (error.line, error.column) == (7, column)
    assert pointed_at(tmp_path, error).startswith(f'"{pattern}"')
    assert error.message.startswith(f"bad glob {pattern!r}")
    assert reason in error.message


def test_unknown_language(tmp_path: Path) -> None:
    error = only_error(tmp_path, rule_pack("severity: error\nmessage: m\norigins: {kind: ai-agent}\n"
                                           "languages: [python, pyhton]\n"))

    assert (error.line, error.column) == (7, 25)
    assert pointed_at(tmp_path, error).startswith("pyhton")
    assert error.message == "unknown language 'pyhton'; did you mean 'python'?"


def test_unknown_scope_language(tmp_path: Path) -> None:
    error = only_error(tmp_path, rule_pack("severity: error\nmessage: m\norigins: {kind: ai-agent}\n"
                                           "scope:\n  cobol: '(x) @scope'\n"))

    assert (error.line, error.column) == (8, 7)
    assert "unknown language 'cobol'" in error.message


def test_unknown_fix(tmp_path: Path) -> None:
    error = only_error(tmp_path, rule_pack("severity: error\nmessage: m\norigins: {kind: ai-agent}\n"
                                           "fixes: [strip, rewrite]\n"))

    assert (error.line, error.column) == (7, 20)
    assert pointed_at(tmp_path, error).startswith("rewrite")
    assert "unknown fix 'rewrite'" in error.message
    assert "mark-reviewed" in error.message


# -- scope queries: errors point inside the query, inside the YAML file ------------------------------


def test_query_error_in_a_block_scalar_points_at_the_bad_node(tmp_path: Path) -> None:
    # The second query line is indented two more than the block: the column counts those two spaces once.
    error = only_error(tmp_path, scope_pack("python: |\n  ((function_definition) @scope\n    (identifer))\n"))

    assert (error.line, error.column) == (10, 12)
    assert pointed_at(tmp_path, error).startswith("identifer")
    assert "Invalid node type" in error.message
    assert "identifer" in error.message


def test_query_error_in_a_folded_scalar(tmp_path: Path) -> None:
    one_line = only_error(tmp_path, scope_pack("python: >\n  (identifer) @scope\n"))
    assert (one_line.line, one_line.column) == (9, 10)
    assert pointed_at(tmp_path, one_line).startswith("identifer")

    # Folding joins lines, so the query's columns no longer match the file's: point at the value.
    joined = only_error(tmp_path, scope_pack("python: >\n  (function_definition)\n  (identifer) @scope\n"))
    assert (joined.line, joined.column) == (8, 15)
    assert pointed_at(tmp_path, joined) == ">"


def test_query_error_in_a_plain_scalar(tmp_path: Path) -> None:
    error = only_error(tmp_path, scope_pack("python: (function_definition (identifer)) @scope\n"))

    assert (error.line, error.column) == (8, 37)
    assert pointed_at(tmp_path, error).startswith("identifer")
    assert "Invalid node type" in error.message


def test_query_error_for_an_invalid_field_name(tmp_path: Path) -> None:
    error = only_error(tmp_path, scope_pack("python: '(function_definition nme: (identifier)) @scope'\n"))

    assert (error.line, error.column) == (8, 37)
    assert pointed_at(tmp_path, error).startswith("nme:")
    assert "Invalid field name" in error.message


def test_query_error_in_a_single_quoted_scalar(tmp_path: Path) -> None:
    error = only_error(tmp_path, scope_pack("python: '((string) @scope (#eq? @scope \"it''s\") (fooo))'\n"))

    assert pointed_at(tmp_path, error).startswith("fooo")
    assert (error.line, error.column) == (8, 56)


def test_query_error_in_a_double_quoted_scalar_with_escapes(tmp_path: Path) -> None:
    error = only_error(tmp_path, scope_pack('python: "((string) @scope (#eq? @scope \\"é\\") (fooo))"\n'))

    assert pointed_at(tmp_path, error).startswith("fooo")
    assert (error.line, error.column) == (8, 54)


def test_query_syntax_error_at_end_of_query(tmp_path: Path) -> None:
    error = only_error(tmp_path, scope_pack("python: |\n  ((function_definition) @scope\n"))

    assert (error.line, error.column) == (9, 38)  # just after the last character written
    assert pointed_at(tmp_path, error) == ""
    assert "Unexpected EOF" in error.message


def test_query_without_scope_capture(tmp_path: Path) -> None:
    error = only_error(tmp_path, scope_pack("python: (function_definition) @fn\n"))

    assert (error.line, error.column) == (8, 15)
    assert pointed_at(tmp_path, error).startswith("(function_definition) @fn")
    assert "captures no @scope node" in error.message


def test_query_with_unknown_predicate_is_refused(tmp_path: Path) -> None:
    # tree-sitter itself would ignore #mach? and the rule would then cover every function.
    error = only_error(tmp_path, scope_pack(
        'python: |\n  ((function_definition name: (identifier) @n) @scope\n   (#mach? @n "^test"))\n'))

    assert (error.line, error.column) == (10, 11)
    assert pointed_at(tmp_path, error).startswith("#mach?")
    assert "unknown predicate #mach?" in error.message


@pytest.mark.parametrize("regex", ["(\\\\w)\\\\1", "(?=a)b", "(?<!a)b"])
def test_query_regex_that_cannot_run_in_linear_time_is_refused(tmp_path: Path, regex: str) -> None:
    error = only_error(tmp_path, scope_pack(f'python: ((identifier) @scope (#match? @scope "{regex}"))\n'))

    assert (error.line, error.column) == (8, 52)
    assert pointed_at(tmp_path, error).startswith(f'"{regex}"')
    assert "#match? pattern" in error.message


def test_query_regex_that_does_not_compile_is_refused(tmp_path: Path) -> None:
    error = only_error(tmp_path, scope_pack('python: ((identifier) @scope (#match? @scope "[a-"))\n'))

    assert (error.line, error.column) == (8, 52)
    assert "not a valid regular expression" in error.message


# -- messages ----------------------------------------------------------------------------------------


def test_message_with_unknown_placeholder_points_at_it(tmp_path: Path) -> None:
    error = only_error(tmp_path, rule_pack('severity: error\nmessage: "from {tol} in {path}"\n'
                                           "origins: {kind: ai-agent}\n"))

    assert (error.line, error.column) == (5, 20)
    assert pointed_at(tmp_path, error).startswith("{tol}")
    assert error.message.startswith("unknown placeholder {tol} in message")
    assert "{tool}" in error.message


@pytest.mark.parametrize("placeholder", ["{tool!r}", "{tool:>10}", "{tool!s:^3}"])
def test_message_placeholders_take_no_format_spec_or_conversion(tmp_path: Path, placeholder: str) -> None:
    error = only_error(tmp_path, rule_pack(f"severity: error\nmessage: 'by {placeholder}'\n"
                                           "origins: {kind: ai-agent}\n"))

    assert (error.line, error.column) == (5, 18)
    assert pointed_at(tmp_path, error).startswith(placeholder)
    assert "has a format spec or conversion" in error.message


def test_message_with_unbalanced_brace(tmp_path: Path) -> None:
    error = only_error(tmp_path, rule_pack("severity: error\nmessage: 'a { b'\norigins: {kind: ai-agent}\n"))

    assert (error.line, error.column) == (5, 15)  # the start of the message text
    assert "not a valid template" in error.message


def test_message_may_use_doubled_braces_for_literal_ones(tmp_path: Path) -> None:
    result = load(tmp_path, rule_pack("severity: error\nmessage: '{{literal}} {rule}'\norigins: {kind: ai-agent}\n"))

    assert result.errors == ()
