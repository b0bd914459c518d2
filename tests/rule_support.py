"""Helpers for the rule-evaluation tests: documents from text, policies from packs, findings by rule."""

from __future__ import annotations

import textwrap
from pathlib import Path

from provguard import languages
from provguard.analysis import analyze
from provguard.documents import Document
from provguard.findings import Finding
from provguard.policy.model import Severity
from provguard.policy.policy import Policy, load_policy
from provguard.provenance.origin import Span

AGENT = "kind=ai-agent tool=claude-code vendor=anthropic"


def document(path: str, text: str) -> Document:
    return Document.from_text(path, languages.detect(path), textwrap.dedent(text))


def policy_from(tmp_path: Path, rules: str, overrides: dict[str, Severity] | None = None) -> Policy:
    """A policy of one pack whose `rules:` list is `rules`."""
    pack = tmp_path / "team.yaml"
    pack.write_text("pack: team\nrules:\n" + textwrap.indent(textwrap.dedent(rules), "  "), encoding="utf-8")
    loaded = load_policy([str(pack)], overrides or {})
    assert loaded.errors == (), [str(e) for e in loaded.errors]
    return loaded.policy


def default_policy(overrides: dict[str, Severity] | None = None) -> Policy:
    loaded = load_policy(["default"], overrides or {})
    assert loaded.errors == ()
    return loaded.policy


def findings(doc: Document, path: str, policy: Policy, extra: tuple[Span, ...] = ()) -> list[Finding]:
    return list(analyze(doc, path, policy, extra).findings)


def flagged(doc: Document, path: str, policy: Policy, rule_id: str) -> list[str]:
    """The text of each finding of one rule."""
    return [doc.slice(f.start, f.end) for f in findings(doc, path, policy) if f.rule_id == rule_id]


def marked_block(marker: str, body: str = "x = 1") -> str:
    return f"# provguard: begin {marker}\n{body}\n# provguard: end\n"


def selector_rule(selector: str) -> str:
    """A rule `picked` whose `origins:` list is `selector`."""
    return "- id: picked\n  severity: warning\n  message: picked\n  origins:\n" + textwrap.indent(selector, "    ")
