"""rules/pack.schema.json: the JSON Schema editors use to complete, document and check packs.

It must accept what the loader accepts and reject what it rejects, so the tests tie it to the code: its enums
and keys are the code's, the shipped packs validate, and sample packs get the same verdict from both.
"""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from provguard.languages import known_ids
from provguard.policy import loader
from provguard.policy.extends import OVERRIDE_KEYS
from provguard.policy.model import FixKind, Severity
from provguard.policy.policy import shipped_packs_dir
from provguard.policy.versions import RangeError, parse_range
from provguard.provenance.origin import Evidence, Kind

SCHEMA_FILE = shipped_packs_dir() / "pack.schema.json"
SCHEMA: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
DEFS: dict[str, Any] = SCHEMA["$defs"]
SHIPPED = [shipped_packs_dir() / "default.yaml", shipped_packs_dir() / "examples" / "strict-team.yaml"]


class _Yaml12Loader(yaml.SafeLoader):
    """YAML as editors read it (1.2: only true/false are booleans), so `severity: off` stays a string."""


_Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Yaml12Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                                    list("tTfF"))


def as_json(text: str) -> Any:
    return yaml.load(text, Loader=_Yaml12Loader)  # a SafeLoader with YAML 1.2 booleans


def schema_errors(document: Any) -> list[str]:
    return [error.message for error in Draft202012Validator(SCHEMA).iter_errors(document)]


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("pack", SHIPPED, ids=lambda p: p.name)
def test_shipped_packs_validate_and_name_the_schema(pack: Path) -> None:
    text = pack.read_text(encoding="utf-8")
    first = text.splitlines()[0]

    assert schema_errors(as_json(text)) == []
    assert first.startswith("# yaml-language-server: $schema=")
    assert (pack.parent / first.split("$schema=", 1)[1]).resolve() == SCHEMA_FILE.resolve()


# -- the schema's vocabulary is the code's -------------------------------------------------------------


@pytest.mark.parametrize(("definition", "values"), [
    ("severity", [s.value for s in Severity]),
    ("kind", [k.value for k in Kind]),
    ("evidence", [e.value for e in Evidence]),
    ("fix", [f.value for f in FixKind if f is not FixKind.SUPPRESS]),  # suppress: offered by every rule
    ("language", list(known_ids())),
])
def test_schema_enums_equal_the_code_enums(definition: str, values: list[str]) -> None:
    assert DEFS[definition]["enum"] == values


def test_schema_keys_equal_the_keys_the_loader_reads() -> None:
    rule = DEFS["rule"]["properties"]

    assert sorted(SCHEMA["properties"]) == sorted(loader.PACK_KEYS)  # the schema orders them for reading
    assert list(rule) == list(loader.RULE_KEYS)
    assert list(DEFS["originSelector"]["properties"]) == list(loader.ORIGIN_KEYS)
    assert list(rule["paths"]["properties"]) == list(loader.PATH_KEYS)
    assert list(DEFS["override"]["properties"]) == list(OVERRIDE_KEYS)
    assert DEFS["rule"]["required"] == ["id", "severity", "message", "origins"]
    assert all(part.get("additionalProperties") is False
               for part in (SCHEMA, DEFS["rule"], DEFS["originSelector"], rule["paths"], DEFS["override"]))


def properties(schema: dict[str, Any], where: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    for name, value in schema.get("properties", {}).items():
        yield f"{where}{name}", value
        yield from properties(value, f"{where}{name}.")


@pytest.mark.parametrize("part", ["", "rule", "originSelector", "override"])
def test_every_key_is_documented_for_completion(part: str) -> None:
    schema = DEFS[part] if part else SCHEMA
    undocumented = [name for name, value in properties(schema)
                    if "description" not in value and "description" not in DEFS.get(value.get("$ref", "#/$defs/")
                                                                                     .rsplit("/", 1)[1], {})]
    assert undocumented == []


@pytest.mark.parametrize("text", [
    ">=0.1", ">=0.2,<1", " >= 1.2 , < 2 ", "~=1.4", "~=1.4.2", "==1.0rc1", "!=1.3", "<2.0.dev1", ">1",
    "", "0.1", ">=", ">=0.x", ">=1,", "~=1", "=>1.0", ">=1.0RC1", ">=1.0+local", ",>=1",
])
def test_the_requires_pattern_agrees_with_the_version_range_parser(text: str) -> None:
    pattern = SCHEMA["properties"]["requires"]["pattern"]

    assert bool(re.search(pattern, text)) == (not isinstance(parse_range(text), RangeError))


# -- the schema and the loader agree -------------------------------------------------------------------

RULE = "{id: r, severity: warning, message: m, origins: {kind: ai-agent}}"
VERDICTS = [
    (f"pack: p\nrules: [{RULE}]\n", True),
    ("pack: p\nversion: 1.0\nowner: ~\ndescription: d\nrequires: '>=0.1'\nrules: []\n", True),
    ("pack: p\nextends: base.yaml\n", True),
    ("pack: p\ninclude: [more.yaml]\n", True),
    ("pack: p\ninclude: more.yaml\nextends: base.yaml\n", True),
    ("pack: p\nextends: base.yaml\nparameters: {kinds: [$kinds, ai-completion], none: ~, one: x}\n"
     "overrides: {b: {severity: off}, c: {disabled: true}}\nrules:\n"
     "  - {id: n, severity: hint, message: '{tool} in {path}', origins: [{kind: $kinds, reviewed: false}],"
     " paths: {include: $one, exclude: [a/**]}, languages: [python, $none],"
     " scope: {go: '(function_declaration) @scope'}, fixes: strip}\n", True),
    ("pack: p\n", False),
    ("pack: ''\nrules: []\n", False),
    ("rules: []\n", False),
    ("pack: p\nrules: []\nextend: base.yaml\n", False),
    ("pack: p\nrules: ~\n", False),
    ("pack: p\nextends: ''\n", False),
    ("pack: p\nrequires: 0.1\nrules: []\n", False),
    ("pack: p\nrequires: '>=0.x'\nrules: []\n", False),
    ("pack: p\nextends: base.yaml\noverrides: {b: {}}\n", False),
    ("pack: p\nextends: base.yaml\noverrides: {b: {severity: loud}}\n", False),
    ("pack: p\nextends: base.yaml\noverrides: {b: {disable: true}}\n", False),
    ("pack: p\nextends: base.yaml\noverrides: {b: error}\n", False),
    ("pack: p\ninclude: [[more.yaml]]\n", False),
    ("pack: p\nparameters: [a]\nrules: []\n", False),
    ("pack: p\nrules: [{id: r, severity: loud, message: m, origins: {}}]\n", False),
    ("pack: p\nrules: [{id: r, severity: info, message: m, origins: []}]\n", False),
    ("pack: p\nrules: [{id: r, severity: info, message: m, origins: {kind: robot}}]\n", False),
    ("pack: p\nrules: [{id: r, severity: info, message: m, origins: {evidence: [rumour]}}]\n", False),
    ("pack: p\nrules: [{id: r, severity: info, message: m, origins: {reviewed: 'no'}}]\n", False),
    ("pack: p\nrules: [{id: r, severity: info, message: m, origins: {vendr: x}}]\n", False),
    ("pack: p\nrules: [{id: r, severity: info, message: m, origins: {}, languages: klingon}]\n", False),
    ("pack: p\nrules: [{id: r, severity: info, message: m, origins: {}, fixes: [rewrite]}]\n", False),
    ("pack: p\nrules: [{id: r, severity: info, message: m, origins: {}, scope: {cobol: x}}]\n", False),
    ("pack: p\nrules: [{id: r, severity: info, message: m, origins: {}, paths: {inclde: x}}]\n", False),
    ("pack: p\nrules: [{id: r, severity: info, origins: {}}]\n", False),
]


@pytest.mark.parametrize(("text", "valid"), VERDICTS, ids=range(len(VERDICTS)))
def test_schema_and_loader_give_the_same_verdict(tmp_path: Path, text: str, valid: bool) -> None:
    (tmp_path / "base.yaml").write_text("pack: base\nparameters: {kinds: [ai-agent]}\nrules:\n"
                                        "  - {id: b, severity: info, message: m, origins: {kind: $kinds}}\n"
                                        "  - {id: c, severity: info, message: m, origins: {kind: paste}}\n")
    (tmp_path / "more.yaml").write_text(textwrap.dedent(f"- {RULE.replace('id: r', 'id: more')}\n"))
    (tmp_path / "pack.yaml").write_text(text, encoding="utf-8")

    result = loader.load_pack(tmp_path / "pack.yaml")

    assert (result.pack is not None) is valid, [str(e) for e in result.errors]
    assert (schema_errors(as_json(text)) == []) is valid
