"""A pack's id (`pack:`) follows the rule-id syntax, `[A-Za-z0-9][A-Za-z0-9_.-]*`: `rules`, `health`, SARIF,
snapshots and attestations print it and a project's `requires` names it, so an id holding an escape sequence,
a line break or a space is an error at its first such character, where it is written, with the character
named; the pack does not load. The JSON Schema editors check packs with says the same, and every pack shipped
still loads."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from provguard.policy import loader
from provguard.policy.policy import shipped_packs_dir

SCHEMA: dict[str, Any] = json.loads((shipped_packs_dir() / "pack.schema.json").read_text(encoding="utf-8"))
RULES = "rules:\n  - {id: r, severity: warning, message: m, origins: {kind: ai-agent}}\n"
BAD = [
    ('"evil\\e]0;owned\\a"', 5, 1, 12, "U+001B"),
    ('"team\\npolicy"', 5, 1, 12, "U+000A"),
    ('"team policy"', 5, 1, 12, "U+0020"),
    ('"-team"', 1, 1, 8, "'-'"),
    ('"acme/team"', 5, 1, 12, "'/'"),
    ('"t\u00e9am"', 2, 1, 9, "'\u00e9'"),
]
"""(the YAML scalar, the character's 1-based index in the id, the error's line and column, how it is named)."""
GOOD = ["team", "team-policy", "strict-team", "acme.security_v2", "2026", "p"]


def schema_accepts(text: str) -> bool:
    return not list(Draft202012Validator(SCHEMA).iter_errors(yaml.safe_load(text)))


@pytest.mark.parametrize(("scalar", "index", "line", "column", "named"), BAD, ids=[b[0] for b in BAD])
def test_a_pack_id_outside_the_id_syntax_is_an_error_where_it_is_written(
        tmp_path: Path, scalar: str, index: int, line: int, column: int, named: str) -> None:
    (tmp_path / "pack.yaml").write_text(f"pack: {scalar}\n{RULES}", encoding="utf-8")

    result = loader.load_pack(tmp_path / "pack.yaml")

    assert result.pack is None
    (error,) = result.errors
    assert (error.line, error.column) == (line, column)
    assert f"may not hold {named} (character {index})" in error.message
    assert "pack ids are ASCII letters, digits" in error.message
    assert not schema_accepts(f"pack: {scalar}\n{RULES}")


@pytest.mark.parametrize("pack_id", GOOD)
def test_ids_in_the_syntax_load_and_validate(tmp_path: Path, pack_id: str) -> None:
    (tmp_path / "pack.yaml").write_text(f"pack: '{pack_id}'\n{RULES}", encoding="utf-8")

    result = loader.load_pack(tmp_path / "pack.yaml")

    assert result.pack is not None, [str(e) for e in result.errors]
    assert result.pack.id == pack_id
    assert schema_accepts(f"pack: '{pack_id}'\n{RULES}")


SHIPPED = [file for file in sorted(shipped_packs_dir().rglob("*.yaml"))
           if isinstance(data := yaml.safe_load(file.read_text(encoding="utf-8")), dict) and "pack" in data]
"""The packs provguard ships (default, the examples); not the rule tests' provenance files beside them."""


def test_the_shipped_packs_are_found() -> None:
    assert {file.name for file in SHIPPED} >= {"default.yaml", "strict-team.yaml"}


@pytest.mark.parametrize("pack", SHIPPED, ids=lambda p: p.name)
def test_every_shipped_pack_still_loads(pack: Path) -> None:
    result = loader.load_pack(pack)
    assert result.pack is not None, [str(e) for e in result.errors]


def test_a_project_whose_pack_id_holds_an_escape_is_refused_and_said_escaped(project: Path) -> None:
    (project / "pack.yaml").write_text(f'pack: "evil\\e]0;owned\\a"\n{RULES}', encoding="utf-8")
    (project / "provguard.toml").write_text('packs = ["pack.yaml"]\n', encoding="utf-8")
    (project / "made.py").write_text("x = 1\n", encoding="utf-8")

    done = subprocess.run([sys.executable, "-m", "provguard", "check", "made.py"], cwd=project, capture_output=True,
                          text=True, timeout=120, check=False)

    assert done.returncode == 2, done.stderr
    assert "pack.yaml:1:12: pack id 'evil\\x1b]0;owned\\x07' may not hold U+001B (character 5)" in done.stderr
    assert "\x1b" not in done.stderr + done.stdout
