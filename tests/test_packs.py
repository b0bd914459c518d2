"""Rule packs: what loads, and where a broken pack says it is broken.

Every error is a SourceError with a 1-based line and column in characters, pointing at the spot inside the
YAML file a team lead has to change. A broken pack never raises: it yields `pack=None` and all its errors.
Errors inside rules are in test_pack_rule_errors.py, path globs in test_globs.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pack_support import RULE, errors, load, only_error, rule_pack
from provguard.policy import loader, yaml_reader
from provguard.policy.model import FixKind, OriginSelector, Severity
from provguard.policy.policy import shipped_packs_dir

# -- packs that load ---------------------------------------------------------------------------------


def test_shipped_default_pack_loads_without_errors() -> None:
    result = loader.load_pack(shipped_packs_dir() / "default.yaml")

    assert result.errors == ()
    assert result.pack is not None
    assert result.pack.id == "default"
    assert [r.id for r in result.pack.rules] == [
        "rival-ai-output-in-training-data",
        "ai-output-in-test-task-file",
        "ai-output-in-test-function",
        "ai-output-unreviewed",
        "ai-output-unmarked",
        "undeclared-insertion",
        "rival-ai-commit-in-training-data",
        "ai-commit-in-test-task-file",
    ]


def test_default_pack_parameters_expand_where_rules_refer_to_them() -> None:
    pack = loader.load_pack(shipped_packs_dir() / "default.yaml").pack
    assert pack is not None
    rules = {r.id: r for r in pack.rules}

    rival = rules["rival-ai-output-in-training-data"]
    assert rival.origins[0].vendor[:3] == ("anthropic", "openai", "google")
    assert "$rival_vendors" not in rival.origins[0].vendor
    assert rival.origins[0].kind == ("ai-completion", "ai-agent", "ai-chat-paste")
    assert "**/data/train/**" in rival.paths.include
    assert "test_*.py" in rules["ai-output-in-test-function"].paths.exclude


def test_a_complete_rule_is_read_into_plain_data(tmp_path: Path) -> None:
    result = load(tmp_path, """\
        pack: team
        version: 2.1.0
        description: Team rules
        parameters:
          agents: [claude-code, codex]
          one: openai
          nothing:
        rules:
          - id: agents-in-data
            severity: error
            message: "{tool} code in {path}"
            note: Remove it.
            url: https://example.com/agents
            origins:
              - kind: [ai-agent, ai-chat-paste]
                tool: $agents
                vendor: [$one, anthropic, $nothing]
                model: "gpt-*"
                evidence: marker
                reviewed: false
              - kind: paste
            paths:
              include: data/**
              exclude: [data/public/**]
            languages: [python, go]
            scope:
              python: "(function_definition) @scope"
            fixes: [strip, mark-reviewed]
    """)

    assert result.errors == ()
    assert result.pack is not None
    assert (result.pack.id, result.pack.version, result.pack.description) == ("team", "2.1.0", "Team rules")
    (rule,) = result.pack.rules
    assert rule.id == "agents-in-data"
    assert rule.severity is Severity.ERROR
    assert rule.message == "{tool} code in {path}"
    assert (rule.note, rule.url) == ("Remove it.", "https://example.com/agents")
    assert rule.origins == (
        OriginSelector(kind=("ai-agent", "ai-chat-paste"), tool=("claude-code", "codex"),
                       vendor=("openai", "anthropic"), model=("gpt-*",), evidence=("marker",), reviewed=False),
        OriginSelector(kind=("paste",)),
    )
    assert (rule.paths.include, rule.paths.exclude) == (("data/**",), ("data/public/**",))
    assert rule.languages == ("python", "go")
    assert rule.scope == (("python", "(function_definition) @scope"),)
    assert rule.fixes == (FixKind.STRIP, FixKind.MARK_REVIEWED)


def test_optional_fields_default_sensibly(tmp_path: Path) -> None:
    result = load(tmp_path, "pack: p\nrules:\n" + RULE + "    note: ~\n")

    assert result.errors == ()
    assert result.pack is not None
    assert result.pack.version == "0"
    (rule,) = result.pack.rules
    assert rule.note is None
    assert rule.paths.matches("anything/at/all.py")
    assert (rule.languages, rule.scope, rule.fixes) == ((), (), ())


def test_a_single_origin_selector_may_be_written_without_a_list(tmp_path: Path) -> None:
    result = load(tmp_path, rule_pack("severity: info\nmessage: m\norigins: {kind: ai-completion}\n"))

    assert result.pack is not None
    assert result.pack.rules[0].origins == (OriginSelector(kind=("ai-completion",)),)


def test_a_byte_order_mark_does_not_shift_columns(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbfpack: p\nrules: []\nbogus: 1\n")

    (error,) = loader.load_pack(path).errors
    assert (error.line, error.column) == (3, 1)


# -- whole-file problems -----------------------------------------------------------------------------


def test_yaml_syntax_error_points_at_the_problem(tmp_path: Path) -> None:
    error = only_error(tmp_path, "pack: a: b\nrules: []\n")

    assert (error.line, error.column) == (1, 8)
    assert error.message.startswith("YAML syntax error: mapping values are not allowed here")
    assert error.file == str(tmp_path / "pack.yaml")


def test_unterminated_quote_is_a_syntax_error_at_the_end(tmp_path: Path) -> None:
    error = only_error(tmp_path, 'pack: p\nrules:\n  - id: "oops\n')

    assert (error.line, error.column) == (4, 1)
    assert "YAML syntax error" in error.message


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    error = only_error(tmp_path, "- pack\n- rules\n")

    assert (error.line, error.column) == (1, 1)
    assert "rule pack must be a mapping" in error.message


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n"])
def test_empty_file_says_what_a_pack_needs(tmp_path: Path, text: str) -> None:
    error = only_error(tmp_path, text)

    assert (error.line, error.column) == (1, 1)
    assert "rule pack is empty" in error.message
    assert "'pack' and 'rules'" in error.message


def test_unknown_top_level_key_suggests_the_close_one(tmp_path: Path) -> None:
    found = errors(tmp_path, "pack: p\nrule:\n" + RULE)

    assert [(e.line, e.column) for e in found] == [(1, 1), (2, 1)]
    assert "has no 'rules' list" in found[0].message
    assert found[1].message == "unknown key 'rule' in rule pack; did you mean 'rules'?"


def test_unknown_key_with_no_close_match_lists_the_choices(tmp_path: Path) -> None:
    error = only_error(tmp_path, "pack: p\nrules: []\nzzz: 1\n")

    assert (error.line, error.column) == (3, 1)
    assert "expected one of pack, version, description, parameters, rules" in error.message


def test_missing_pack_id(tmp_path: Path) -> None:
    error = only_error(tmp_path, "# header\nversion: 1\nrules: []\n")

    assert (error.line, error.column) == (2, 1)
    assert error.message == "missing required key 'pack'"


def test_missing_rules(tmp_path: Path) -> None:
    error = only_error(tmp_path, "pack: p\n")

    assert (error.line, error.column) == (1, 1)
    assert "rule pack has no 'rules' list" in error.message


def test_rules_must_be_a_list(tmp_path: Path) -> None:
    error = only_error(tmp_path, "pack: p\nrules: {id: a}\n")

    assert (error.line, error.column) == (2, 8)
    assert "rules must be a list" in error.message


# -- YAML features and file problems -----------------------------------------------------------------


def test_anchors_and_aliases_are_rejected(tmp_path: Path) -> None:
    found = errors(tmp_path, """\
        pack: p
        rules:
          - id: a
            severity: error
            message: m
            origins: &agents
              - kind: ai-agent
          - id: b
            severity: error
            message: m
            origins: *agents
    """)

    assert [(e.line, e.column) for e in found] == [(6, 14), (11, 14)]
    assert "anchor &agents" in found[0].message
    assert "alias *agents" in found[1].message
    assert all("not allowed in rule packs" in e.message for e in found)


def test_non_utf8_file_reports_the_bad_byte_in_characters(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    # "Über" is valid UTF-8 (two bytes for Ü); the lone Latin-1 byte for ü after it is not.
    path.write_bytes(b"pack: p\nrules: []\ndescription: \xc3\x9cber \xfc\n")

    (error,) = loader.load_pack(path).errors

    assert (error.line, error.column) == (3, 19)
    assert error.message == "rule pack is not valid UTF-8"


def test_oversized_file_is_not_parsed(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    path.write_text("pack: p\nrules: []\n" + "#" * (yaml_reader.MAX_PACK_BYTES + 1), encoding="utf-8")

    (error,) = loader.load_pack(path).errors

    assert (error.line, error.column) == (1, 1)
    assert "larger than" in error.message


def test_missing_file(tmp_path: Path) -> None:
    result = loader.load_pack(tmp_path / "nope.yaml")

    assert result.pack is None
    (error,) = result.errors
    assert (error.file, error.line, error.column) == (str(tmp_path / "nope.yaml"), 1, 1)
    assert error.message.startswith("cannot read rule pack")


def test_unreadable_path(tmp_path: Path) -> None:
    result = loader.load_pack(tmp_path)  # a directory

    assert result.pack is None
    (error,) = result.errors
    assert error.message.startswith("cannot read rule pack")


def test_several_errors_are_reported_at_once_in_file_order(tmp_path: Path) -> None:
    found = errors(tmp_path, """\
        pack: p
        rules:
          - id: a
            severity: eror
            message: "{tol}"
            origins: {kind: robot, reviewed: "no"}
            fixes: [rewrite]
            note: [not, text]
          - id: a
            severity: error
            message: m
            origins: {kind: ai-agent}
            languages: [klingon]
        extra: 1
    """)

    assert [(e.line, e.column, e.message.split(";")[0]) for e in found] == [
        (4, 15, "unknown severity 'eror'"),
        (5, 15, "unknown placeholder {tol} in message"),
        (6, 21, "unknown kind 'robot'"),
        (6, 38, "'reviewed' must be true or false"),
        (7, 13, "unknown fix 'rewrite'"),
        (8, 11, "'note' must be a single value"),
        (9, 9, "duplicate rule id 'a' (first defined on line 3)"),
        (13, 17, "unknown language 'klingon'"),
        (14, 1, "unknown key 'extra' in rule pack"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "[" * 5000,
        "pack: p\nrules: []\nx: \x0b\n",
        "pack: p\nrules:\n  - 1\n  - [a]\n  - {id: {x: 1}}\n",
        "pack: [p]\nrules: [{id: a, severity: [error], message: {m: 1}, origins: 7}]\n",
        "pack: p\nparameters: [a]\nrules: [{id: a, severity: off, message: m, origins: {kind: $a}}]\n",
        'pack: p\nrules: [{id: a, severity: off, message: m, origins: {}, paths: {include: "[!]"}}]\n',
        'pack: p\nrules: [{id: a, severity: off, message: m, origins: {}, scope: {python: ""}}]\n',
        "pack: p\nrules: [{id: a, severity: off, message: m, origins: {}, scope: [python]}]\n",
        "pack: p\nrules: [{id: a, severity: off, message: m, origins: []}]\n",
        "pack: p\n? [complex, key]\n: 1\nrules: []\n",
        "--- {pack: a, rules: []}\n--- {pack: b, rules: []}\n",
    ],
)
def test_a_broken_pack_never_raises(tmp_path: Path, text: str) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")

    result = loader.load_pack(path)

    assert result.pack is None
    assert result.errors
    assert all(e.line >= 1 and e.column >= 1 for e in result.errors)


def test_a_huge_pack_is_refused_without_being_read_whole(tmp_path: Path) -> None:
    """A cloned repository's 2 GiB pack (sparse here) costs no more memory than the limit: refused at its start."""
    path = tmp_path / "huge.yaml"
    with path.open("wb") as huge:
        huge.truncate(2 << 30)
    script = ("import resource, sys\n"
              "resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))\n"
              "from provguard.policy import loader\n"
              "(error,) = loader.load_pack(sys.argv[1]).errors\n"
              "print(error.line, error.column, error.message)\n")

    done = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True, text=True, timeout=120,
                          check=False)

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "1 1 rule pack is larger than 1 MiB"


def test_a_pack_that_is_a_fifo_is_refused_at_once(tmp_path: Path) -> None:
    path = tmp_path / "pack.yaml"
    os.mkfifo(path)  # nobody writes: reading it would wait forever

    (error,) = loader.load_pack(path).errors

    assert error.message.startswith("cannot read rule pack: not a regular file")
