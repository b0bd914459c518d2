"""Many open files: only recently analysed documents keep a syntax tree, and the others still analyse right."""

from __future__ import annotations

from pathlib import Path

from provguard.session import MAX_TREES, Session
from provguard.settings import Settings

MARKED = "# provguard: kind=ai-agent tool=codex vendor=openai\ndef f():\n    pass\n"


def test_idle_documents_release_their_trees_and_parse_again_when_edited(tmp_path: Path) -> None:
    session = Session([tmp_path])
    session.configure(Settings())
    opened = [session.open(f"file:///{i}.py", str(tmp_path / f"m{i}.py"), "python", MARKED, 1)
              for i in range(MAX_TREES + 4)]
    for doc in opened:
        assert [f.rule_id for f in session.analysis(doc).findings] == ["ai-output-unreviewed"]
    assert sum(doc.document.tree is not None for doc in opened) == MAX_TREES
    idle = opened[0]
    assert idle.document.tree is None

    idle.capture.edit(idle.document, 0, 0, "import os\n", 2)
    idle.document.version = 2
    [finding] = session.analysis(idle).findings
    assert (finding.rule_id, idle.document.lines.line_of(finding.start)) == ("ai-output-unreviewed", 1)
    assert idle.document.tree is not None and opened[1].document.tree is None
