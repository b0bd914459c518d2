"""Many open files: only recently analysed documents keep a syntax tree, and the others still analyse right."""

from __future__ import annotations

import sys
from pathlib import Path

from provguard.kept_trees import MAX_TREE_LINES, MAX_TREES
from provguard.session import OpenDocument, Session
from provguard.settings import Settings
from snippet_support import DISGUISED, SNIPPET, recorded

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


def pull_session(tmp_path: Path, count: int) -> tuple[Session, list[OpenDocument]]:
    """Documents opened as a pulling client opens them: none analysed until its editor asks."""
    session = Session([tmp_path])
    session.configure(Settings())
    session.ledger.add_agent_edits([recorded(SNIPPET, "src/intervals.py")])
    opened = [session.open(f"file:///{i}.py", str(tmp_path / f"m{i}.py"), "python", MARKED + DISGUISED, 1)
              for i in range(count)]
    return session, opened


def test_documents_a_pulling_client_never_asked_about_hold_no_tree(tmp_path: Path) -> None:
    session, opened = pull_session(tmp_path, MAX_TREES + 4)
    assert all(doc.document.tree is None for doc in opened)
    for doc in opened:
        assert session.match(doc.uri), "each looked up in the ledger (after open) finds the copy"
    assert all(doc.document.tree is None for doc in opened), "the lookup gave back the tree it parsed"

    asked = opened[-1]
    codes = sorted(f.rule_id for f in session.analysis(asked).findings)
    assert "ai-output-unmarked" in codes and "ai-output-unreviewed" in codes
    assert [doc.document.tree is not None for doc in opened].count(True) == 1


def test_trees_kept_together_hold_a_bounded_number_of_lines(tmp_path: Path) -> None:
    session = Session([tmp_path])
    session.configure(Settings())
    long_text = MARKED + "x = 1\n" * (MAX_TREE_LINES // 3)
    opened = [session.open(f"file:///{i}.py", str(tmp_path / f"l{i}.py"), "python", long_text, 1) for i in range(5)]
    for doc in opened:
        [finding] = session.analysis(doc).findings
        assert finding.rule_id == "ai-output-unreviewed"
    kept = [doc for doc in opened if doc.document.tree is not None]
    assert kept == opened[-2:], "the most recently analysed, as many as fit"
    assert sum(doc.document.lines.line_count for doc in kept) <= MAX_TREE_LINES



def test_a_document_edited_after_giving_its_tree_up_is_judged_as_if_opened_with_its_new_text(
        tmp_path: Path) -> None:
    session = Session([tmp_path])
    session.configure(Settings())
    long_text = MARKED + "x = 1\n" * (MAX_TREE_LINES // 2)
    opened = [session.open(f"file:///{i}.py", str(tmp_path / f"e{i}.py"), "python", long_text, 1) for i in range(3)]
    for doc in opened:
        session.analysis(doc)
    idle = opened[0]
    assert idle.document.tree is None, "gave its tree up to the documents analysed after it"

    session.edit(idle, 0, 0, "import os\n", 2)
    end = len(idle.document.source)
    session.edit(idle, end - 2, end - 1, "2", 3)
    idle.document.version = 3
    fresh = Session([tmp_path])
    fresh.configure(Settings())
    same = fresh.open("file:///same.py", str(tmp_path / "same.py"), "python", idle.document.text, 3)
    found = [(f.rule_id, f.start, f.end) for f in session.analysis(idle).findings]
    assert found == [(f.rule_id, f.start, f.end) for f in fresh.analysis(same).findings]
    assert [rule for rule, _, _ in found] == ["ai-output-unreviewed"]
    assert idle.document.text.endswith("x = 1\nx = 2\n")
    assert idle.document.tree is not None and same.document.tree is not None
    assert str(idle.document.tree.root_node) == str(same.document.tree.root_node)

def test_a_released_tree_is_freed_after_scope_queries_with_regex_predicates_ran_on_it(tmp_path: Path) -> None:
    session = Session([tmp_path])
    session.configure(Settings())
    assert any("#match?" in query for rule in session.policy.rules for _, query in rule.scope), \
        "the default pack's scope queries use regex predicates"
    first = session.open("file:///first.py", str(tmp_path / "first.py"), "python", MARKED + DISGUISED, 1)
    session.analysis(first)
    tree = first.document.tree
    for i in range(MAX_TREES):
        session.analysis(session.open(f"file:///{i}.py", str(tmp_path / f"m{i}.py"), "python", MARKED, 1))
    assert first.document.tree is None
    assert sys.getrefcount(tree) == 2, "only this test's name and getrefcount's argument hold it"
