"""Texts a grammar's own parser would crash on (tree-sitter-yaml 0.7 overflows its scanner state at about 255
nested block levels: a segmentation fault) are read line by line instead: the CLI, the editor's documents and
the fingerprints keep working, and rules scoped to syntax cover the whole text rather than none of it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from provguard.documents import Document
from provguard.languages import detect
from provguard.provenance.fingerprints import document_prints

REPO = Path(__file__).resolve().parent.parent
DEEP_SEQUENCE = "key:\n  " + "- " * 300 + "1\n"
DEEP_MAPPING = "".join(" " * i + f"k{i}:\n" for i in range(300))


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "provguard", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120, check=False, env={**os.environ, "PYTHONPATH": str(REPO / "server")})


def test_check_reads_yaml_nested_past_the_grammars_limit_without_crashing(tmp_path: Path) -> None:
    (tmp_path / "deep.yaml").write_text("# provguard: kind=ai-agent tool=codex vendor=openai\n" + DEEP_SEQUENCE)
    (tmp_path / "mapping.yml").write_text(DEEP_MAPPING)

    for jobs in ("1", "2"):
        done = run(tmp_path, "check", "--format", "json", "--jobs", jobs, ".")
        assert done.returncode in (0, 1), done.stderr
        report = json.loads(done.stdout)
        assert report["filesChecked"] == 2
        assert {f["path"] for f in report["findings"]} == {"deep.yaml"}, "the marker is still read"


def test_a_document_is_refused_to_the_grammar_not_to_the_user() -> None:
    doc = Document.from_text("deep.yaml", detect("deep.yaml"), DEEP_SEQUENCE)
    assert doc.tree is None and doc.refused is not None and "line 2" in doc.refused
    assert document_prints(doc) == document_prints(Document.from_text("d.yaml", detect("d.yaml"), DEEP_SEQUENCE))

    shallow = Document.from_text("ok.yaml", detect("ok.yaml"), "key:\n  - 1\n")
    assert shallow.tree is not None and shallow.refused is None
    shallow.replace(len(shallow.source), len(shallow.source), DEEP_MAPPING)  # typed or pasted into an open file
    assert shallow.tree is None and shallow.refused is not None
    shallow.set_text("key: 1\n")
    assert shallow.tree is not None and shallow.refused is None


def test_a_rule_scoped_to_syntax_covers_a_refused_text_whole() -> None:
    from provguard.policy.scopes import scope_ranges

    doc = Document.from_text("deep.yaml", detect("deep.yaml"), DEEP_SEQUENCE)
    query = "(block_mapping_pair) @scope"
    assert scope_ranges(doc, "yaml", query, 0, len(doc.source)) == [(0, len(doc.source))]
