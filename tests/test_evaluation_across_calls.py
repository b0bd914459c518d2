"""Rule evaluation keeps, per document, the origins it met and the messages it wrote; what a document reports
must not depend on what was evaluated in it before: another path, another rule set, an edit, a reloaded pack."""

from __future__ import annotations

from pathlib import Path

from provguard import languages
from provguard.analysis import analyze
from provguard.documents import Document
from rule_support import AGENT, marked_block, policy_from

RULES = '''
- id: ai-here
  severity: warning
  message: "Code {origin} in {path} ({language})"
  origins:
    - kind: [ai-agent]
'''


def _doc(text: str, path: str = "src/a.py") -> Document:
    return Document(path, languages.detect(path), text.encode(), 1)


def test_messages_name_the_path_asked_about_each_time(tmp_path: Path) -> None:
    policy = policy_from(tmp_path, RULES)
    text = marked_block(AGENT) + "\n\n" + marked_block(AGENT, "y = 2")
    doc = _doc(text)

    for path in ("src/a.py", "src/b.py", "src/a.py"):
        got = analyze(doc, path, policy)

        assert got == analyze(_doc(text), path, policy)
        assert {f.message for f in got.findings} == {f"Code written by Claude Code in {path} (python)"}


def test_an_edit_and_a_reloaded_pack_give_what_a_fresh_document_gives(tmp_path: Path) -> None:
    doc = _doc(marked_block(AGENT))
    analyze(doc, "src/a.py", policy_from(tmp_path, RULES))
    doc.replace(0, 0, marked_block("kind=ai-agent tool=codex vendor=openai") + "\n")
    reloaded = policy_from(tmp_path, RULES.replace("Code {origin} in {path} ({language})", "Changed: {tool}"))

    got = analyze(doc, "src/a.py", reloaded)

    assert got == analyze(_doc(doc.source.decode()), "src/a.py", reloaded)
    assert sorted(f.message for f in got.findings) == ["Changed: Claude Code", "Changed: Codex"]
