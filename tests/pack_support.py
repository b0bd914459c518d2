"""Helpers for the rule-pack tests: write a pack into a temporary folder, load it, read its errors."""

from __future__ import annotations

import textwrap
from pathlib import Path

from provguard.policy import loader
from provguard.policy.errors import SourceError

RULE = """\
  - id: no-agents
    severity: warning
    message: agent code
    origins:
      - kind: ai-agent
"""


def write(tmp_path: Path, text: str, name: str = "pack.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def load(tmp_path: Path, text: str) -> loader.LoadResult:
    return loader.load_pack(write(tmp_path, text))


def errors(tmp_path: Path, text: str) -> list[SourceError]:
    result = load(tmp_path, text)
    assert result.pack is None, "a pack with errors must not load"
    assert result.errors, "expected at least one error"
    return list(result.errors)


def pointed_at(tmp_path: Path, error: SourceError, name: str = "pack.yaml") -> str:
    """The rest of the line from the error's position."""
    line = (tmp_path / name).read_text(encoding="utf-8").splitlines()[error.line - 1]
    return line[error.column - 1 :]


def only_error(tmp_path: Path, text: str) -> SourceError:
    found = errors(tmp_path, text)
    assert len(found) == 1, [str(e) for e in found]
    return found[0]


def rule_pack(rule_body: str, extra: str = "") -> str:
    """A pack with one rule whose lines after `- id: r` are `rule_body` (indented by four spaces)."""
    body = textwrap.indent(textwrap.dedent(rule_body), "    ")
    return f"pack: p\n{extra}rules:\n  - id: r\n{body}"


def scope_pack(query_yaml: str) -> str:
    return rule_pack("severity: error\nmessage: m\norigins: {kind: ai-agent}\nscope:\n"
                     + textwrap.indent(query_yaml, "  "))
