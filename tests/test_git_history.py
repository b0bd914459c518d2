"""Git history as provenance: commits that name an AI tool mark the lines they added, as whole-commit evidence.

Every repository here is made by the test with `git` itself.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from git_support import CLAUDE_FOOTER, PERSON, Repo
from lsp_support import (
    insert_at_line,
    open_file,
    published_until,
    pushed,
    quick_fixes,
    start,
)
from provguard.analysis import analyze
from provguard.documents import Document
from provguard.languages import detect
from provguard.policy.loader import parse_pack
from provguard.provenance.git import HISTORY_CONFIDENCE, PATTERNS, GitHistory, attribute
from provguard.provenance.git import history as history_module
from provguard.provenance.git.attribution import Field
from provguard.provenance.origin import Evidence, Kind, Span
from rule_support import default_policy
from test_cli import check

# -- what a commit says ------------------------------------------------------------------------------

# (pattern, author, message, (tool, vendor, model)): one case per pattern of the table, in its order.
CASES = [
    ("claude-code-co-author", PERSON, "Add parser\n\nCo-Authored-By: Claude <noreply@anthropic.com>",
     ("claude-code", "anthropic", None)),
    ("claude-code-co-author", PERSON, "Add parser\n\nCo-Authored-By: Claude Sonnet 4.5 <noreply@anthropic.com>",
     ("claude-code", "anthropic", "claude-sonnet-4.5")),
    ("claude-code-footer", PERSON, "Add parser\n\n🤖 Generated with [Claude Code](https://claude.ai/code)",
     ("claude-code", "anthropic", None)),
    ("codex-co-author", PERSON, "Add parser\n\nCo-authored-by: Codex <noreply@openai.com>",
     ("codex", "openai", None)),
    ("copilot-agent-author", "Copilot <198982749+Copilot@users.noreply.github.com>", "Add parser",
     ("copilot", "github", None)),
    ("copilot-co-author", PERSON,
     "Add parser (#12)\n\nCo-authored-by: copilot-swe-agent[bot] <198982749+Copilot@users.noreply.github.com>",
     ("copilot", "github", None)),
    ("cursor-co-author", PERSON, "Add parser\n\nCo-authored-by: Cursor Agent <cursoragent@cursor.com>",
     ("cursor", "anysphere", None)),
    ("cursor-made-with", PERSON, "Add parser\n\nMade-with: Cursor", ("cursor", "anysphere", None)),
    ("aider-co-author", PERSON,
     "feat: add parser\n\nCo-authored-by: aider (anthropic/claude-sonnet-4-20250514) <aider@aider.chat>",
     ("aider", "anthropic", "claude-sonnet-4-20250514")),
    ("aider-author", "Dana Reyes (aider) <dana@example.com>", "feat: add parser", ("aider", None, None)),
    ("assisted-by", PERSON, "net: fix parser\n\nSigned-off-by: Dana Reyes <dana@example.com>\n"
                            "Assisted-by: Claude:claude-opus-4-6 coccinelle sparse",
     ("claude", "anthropic", "claude-opus-4-6")),
    ("assisted-by-tool", PERSON, "Fix parser\n\nAssisted-by: GitHub Copilot", ("copilot", "github", None)),
]


@pytest.mark.parametrize(("pattern", "author", "message", "expected"), CASES)
def test_each_known_form_names_its_tool_vendor_and_model(
        pattern: str, author: str, message: str, expected: tuple[str, str | None, str | None]) -> None:
    found = attribute(author, message)

    assert found is not None
    assert (found.pattern, (found.tool, found.vendor, found.model)) == (pattern, expected)
    assert found.kind is Kind.AI_AGENT
    by_author = next(p for p in PATTERNS if p.name == pattern).field is Field.AUTHOR
    assert found.evidence == (("author", author) if by_author else ("trailer", message.splitlines()[-1]))


def test_every_pattern_of_the_table_has_a_case() -> None:
    assert [p.name for p in PATTERNS] == list(dict.fromkeys(case[0] for case in CASES))


@pytest.mark.parametrize(("author", "message"), [
    (PERSON, "Paint\n\nCo-authored-by: Claude Monet <claude@monet.example>"),
    (PERSON, "Pair session\n\nCo-authored-by: Aider Smith <aider@example.com>"),
    (PERSON, "Pair session\n\nCo-authored-by: Jo Cursor <jo@cursor.com>"),
    (PERSON, "Pair session\n\nCo-authored-by: Codex Team <team@example.com>"),
    (PERSON, "Review\n\nAssisted-by: Sam Lee <sam@example.com>"),
    (PERSON, "Fix the parser that was generated with Claude Code last week"),
    ("Copilot Fan <fan@example.com>", "Add parser"),
    ("Dana Reyes <dana@example.com>", "aider (the tool) is not mentioned in a trailer here"),
])
def test_people_are_not_taken_for_tools(author: str, message: str) -> None:
    assert attribute(author, message) is None


def test_a_trailer_naming_the_model_wins_over_a_footer_that_does_not() -> None:
    found = attribute(PERSON, "Add parser\n\n" + CLAUDE_FOOTER)

    assert found is not None
    assert (found.pattern, found.model) == ("claude-code-co-author", "claude-sonnet-4.5")


# -- lines of a real repository ----------------------------------------------------------------------

HUMAN = "def parse(text):\n    return text.split()\n"
AGENT = "\n\ndef tokens(text):\n    return [t for t in parse(text) if t]\n"


def spans_of(history: GitHistory, path: Path, text: str | None = None) -> list[tuple[str, Span]]:
    """(the spanned text, span) for the file's text, or for an editor's unsaved `text`."""
    source = (text if text is not None else path.read_text()).encode()
    found = history.spans(path, source)
    assert found.problem is None
    return [(source[s.start:s.end].decode(), s) for s in found.spans]


def test_lines_of_an_ai_commit_become_one_span_with_whole_commit_evidence(tmp_path: Path) -> None:
    repo = Repo(tmp_path)
    repo.commit({"lib.py": HUMAN}, "Add parse")
    sha = repo.commit({"lib.py": HUMAN + AGENT}, "Add tokens\n\n" + CLAUDE_FOOTER)

    [(text, span)] = spans_of(GitHistory(), tmp_path / "lib.py")

    assert text == "def tokens(text):\n    return [t for t in parse(text) if t]"
    origin = span.origin
    assert (origin.kind, origin.evidence, origin.tool, origin.vendor, origin.model) == (
        Kind.AI_AGENT, Evidence.GIT_TRAILER, "claude-code", "anthropic", "claude-sonnet-4.5")
    assert origin.confidence == HISTORY_CONFIDENCE < 1
    assert origin.extra == (("scope", "whole-commit"), ("commit", sha), ("subject", "Add tokens"),
                            ("trailer", "Co-Authored-By: Claude Sonnet 4.5 <noreply@anthropic.com>"))
    assert origin.date is not None


def test_each_ai_commit_gets_its_own_runs_and_people_commits_get_none(tmp_path: Path) -> None:
    repo = Repo(tmp_path)
    repo.commit({"app.py": "a = 1\n"}, "Start")
    codex = repo.commit({"app.py": "a = 1\nb = 2\nc = 3\n"}, "More\n\nCo-authored-by: Codex <noreply@openai.com>")
    repo.commit({"app.py": "a = 1\nb = 2\nc = 3\nd = 4\n"}, "Mine")
    aider = repo.commit({"app.py": "a = 1\nb = 2\nc = 3\nd = 4\ne = 5\n"}, "feat: e",
                        author="Dana Reyes (aider) <dana@example.com>")
    copilot = repo.commit({"app.py": "a = 1\nb = 2\nc = 3\nd = 4\ne = 5\nf = 6\n"}, "Add f",
                          author="Copilot <198982749+Copilot@users.noreply.github.com>")

    found = spans_of(GitHistory(), tmp_path / "app.py")

    assert [(text, s.origin.tool, dict(s.origin.extra)["commit"]) for text, s in found] == [
        ("b = 2\nc = 3", "codex", codex), ("e = 5", "aider", aider), ("f = 6", "copilot", copilot)]
    assert dict(found[1][1].origin.extra)["author"] == "Dana Reyes (aider) <dana@example.com>"


def test_a_committer_named_aider_proves_nothing(tmp_path: Path) -> None:
    """aider renames the committer for a person's own /commit too; only the author says aider wrote it."""
    repo = Repo(tmp_path)
    repo.commit({"app.py": "a = 1\n"}, "Mine", committer="Dana Reyes (aider) <dana@example.com>")

    assert repo.git("log", "-1", "--format=%cn") == "Dana Reyes (aider)"
    assert spans_of(GitHistory(), tmp_path / "app.py") == []


def test_unsaved_edits_are_not_committed_and_the_rest_keeps_its_lines(tmp_path: Path) -> None:
    repo = Repo(tmp_path)
    repo.commit({"lib.py": HUMAN + AGENT}, "Add\n\nCo-authored-by: Cursor Agent <cursoragent@cursor.com>")
    buffer = "# a comment typed in the editor\n" + HUMAN + AGENT.replace("if t", "if t.strip()")

    found = spans_of(GitHistory(), tmp_path / "lib.py", buffer)

    [(text, span)] = found
    assert text == HUMAN + "\n\ndef tokens(text):"
    assert span.origin.tool == "cursor"


def test_a_renamed_file_keeps_the_history_of_its_lines(tmp_path: Path) -> None:
    repo = Repo(tmp_path)
    repo.commit({"old/lib.py": HUMAN}, "Add\n\nCo-Authored-By: Claude <noreply@anthropic.com>")
    (tmp_path / "new").mkdir()
    repo.git("mv", "old/lib.py", "new/lib.py")
    repo.git("commit", "-q", "-m", "Move")

    [(text, span)] = spans_of(GitHistory(), tmp_path / "new" / "lib.py")

    assert (text, span.origin.tool) == (HUMAN.rstrip("\n"), "claude-code")


def test_a_merge_commit_claims_only_lines_it_wrote_itself(tmp_path: Path) -> None:
    repo = Repo(tmp_path)
    repo.commit({"lib.py": "base = 0\n"}, "Start")
    repo.git("checkout", "-q", "-b", "side")
    repo.commit({"lib.py": "base = 0\nside = 1\n"}, "Side work by a person")
    repo.git("checkout", "-q", "main")
    repo.commit({"other.py": "x = 1\n"}, "Elsewhere")
    repo.git("merge", "-q", "--no-ff", "side", "-m", "Merge side\n\nCo-Authored-By: Claude <noreply@anthropic.com>")

    assert spans_of(GitHistory(), tmp_path / "lib.py") == []


def test_a_shallow_clone_does_not_give_older_lines_to_its_oldest_commit(tmp_path: Path) -> None:
    """Blame gives every line older than a shallow clone's boundary to the boundary commit: it says nothing."""
    origin = Repo(tmp_path / "origin")
    origin.commit({"lib.py": HUMAN}, "Add parse")
    origin.commit({"lib.py": HUMAN + AGENT}, "Add tokens\n\n" + CLAUDE_FOOTER)
    clone = tmp_path / "clone"
    origin.git("clone", "-q", "--depth", "1", (tmp_path / "origin").as_uri(), str(clone))

    assert spans_of(GitHistory(), clone / "lib.py") == []
    assert len(spans_of(GitHistory(), origin.root / "lib.py")) == 1


def test_windows_line_endings_leave_the_line_break_out_of_the_span(tmp_path: Path) -> None:
    repo = Repo(tmp_path)
    repo.git("config", "core.autocrlf", "false")
    repo.commit({"lib.py": "a = 1\r\n"}, "Start")
    repo.commit({"lib.py": "a = 1\r\nb = 2\r\nc = 3\r\n"}, "More\n\nMade-with: Cursor")

    [(text, _)] = spans_of(GitHistory(), tmp_path / "lib.py", "a = 1\r\nb = 2\r\nc = 3\r\n")

    assert text == "b = 2\r\nc = 3"


def test_outside_a_repository_untracked_or_before_the_first_commit_there_is_no_history(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "a.py").write_text(HUMAN)
    repo = Repo(tmp_path / "repo")
    repo.write("new.py", HUMAN)
    empty = Repo(tmp_path / "empty")
    empty.write("a.py", HUMAN)
    history = GitHistory()

    for path in (plain / "a.py", repo.root / "new.py", empty.root / "a.py", tmp_path / "gone" / "x.py"):
        found = history.spans(path, HUMAN.encode())
        assert (found.spans, found.problem) == ((), None), path


def test_outside_any_repository_no_git_process_is_started(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A tree with no `.git` above it costs no git process per folder (check of a plain tree asked git once for
    each of its folders); a folder in a repository still asks git."""
    calls = tmp_path / "calls"
    tools = tmp_path / "bin"
    tools.mkdir()
    (tools / "git").write_text(f'#!/bin/sh\necho "$@" >> {calls}\nexit 128\n')
    (tools / "git").chmod(0o755)
    monkeypatch.setenv("PATH", f"{tools}:{os.environ['PATH']}")
    monkeypatch.delenv("GIT_DIR", raising=False)
    monkeypatch.delenv("GIT_WORK_TREE", raising=False)
    plain = tmp_path / "plain" / "sub"
    plain.mkdir(parents=True)
    history = GitHistory()

    assert history.spans(plain / "a.py", HUMAN.encode()) == history.spans(plain.parent / "b.py", HUMAN.encode())
    assert not calls.exists()
    (tmp_path / "plain" / ".git").mkdir()
    GitHistory().spans(plain / "a.py", HUMAN.encode())
    assert calls.read_text().split() == ["rev-parse", "--show-toplevel"]


def test_each_commit_is_read_once_for_all_files(tmp_path: Path) -> None:
    repo = Repo(tmp_path)
    repo.commit({"a.py": HUMAN, "b.py": HUMAN}, "Add\n\nCo-Authored-By: Claude <noreply@anthropic.com>")
    history = GitHistory()

    assert len(spans_of(history, tmp_path / "a.py")) == len(spans_of(history, tmp_path / "b.py")) == 1
    assert history.commits.reads == 1


def test_git_missing_is_noted_once_then_history_is_quietly_skipped(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = Repo(tmp_path)
    repo.commit({"a.py": HUMAN}, "Add\n\nCo-Authored-By: Claude <noreply@anthropic.com>")
    monkeypatch.setenv("PATH", str(tmp_path / "no-tools-here"))
    history = GitHistory()

    first = history.spans(tmp_path / "a.py", HUMAN.encode(), "a.py")
    second = history.spans(tmp_path / "a.py", HUMAN.encode(), "a.py")

    assert first.spans == () and str(first.problem) == "a.py: git history not used: git is not installed " \
                                                       "(no `git` on PATH)"
    assert (second.spans, second.problem) == ((), None)


def test_a_blame_over_its_time_limit_or_a_huge_text_is_a_note(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = Repo(tmp_path)
    repo.commit({"a.py": HUMAN}, "Add\n\nCo-Authored-By: Claude <noreply@anthropic.com>")
    history = GitHistory()
    history.spans(tmp_path / "a.py", HUMAN.encode())  # the repository root is known now
    history.timeout = 1e-9

    slow = history.spans(tmp_path / "a.py", HUMAN.encode(), "a.py")
    monkeypatch.setattr(history_module, "MAX_BLAME_BYTES", 10)
    huge = history.spans(tmp_path / "a.py", HUMAN.encode(), "a.py")

    assert slow.spans == () and str(slow.problem) == "a.py: git history not used: `git blame` took longer than 1e-09 s"
    assert huge.spans == () and str(huge.problem) == "a.py: git history not used: larger than 0 MiB"


# -- rules and markers --------------------------------------------------------------------------------


def test_a_marker_takes_precedence_over_the_commit(tmp_path: Path) -> None:
    text = "# provguard: begin kind=human\n" + HUMAN + "# provguard: end\n" + AGENT
    repo = Repo(tmp_path)
    repo.commit({"tests/test_lib.py": text}, "Add\n\nCo-Authored-By: Claude <noreply@anthropic.com>")
    path = tmp_path / "tests" / "test_lib.py"
    doc = Document(str(path), detect(str(path)), text.encode())
    history = GitHistory().spans(path, doc.source)

    result = analyze(doc, "tests/test_lib.py", default_policy(), (), history.spans)

    assert [(f.rule_id, doc.slice(f.start, f.end)) for f in result.findings] == [
        ("ai-commit-in-test-task-file", AGENT.strip("\n"))]


def test_min_confidence_selects_sure_origins_and_takes_a_parameter() -> None:
    pack = parse_pack("""\
pack: p
parameters:
  sure: 0.8
rules:
  - id: sure-only
    severity: error
    message: m
    origins: {kind: ai-agent, min-confidence: $sure}
  - id: any
    severity: error
    message: m
    origins: {kind: ai-agent, min-confidence: 0}
""", "p.yaml")

    assert pack.errors == () and pack.pack is not None
    assert [r.origins[0].min_confidence for r in pack.pack.rules] == [0.8, 0.0]


@pytest.mark.parametrize(("value", "message"), [
    ("1.5", "'min-confidence' must be a number from 0 to 1 (0.8 leaves out whole-commit git evidence), got '1.5'"),
    ("high", "'min-confidence' must be a number from 0 to 1 (0.8 leaves out whole-commit git evidence), got 'high'"),
    ("[0.5, 0.8]", "'min-confidence' is one number from 0 to 1, got 2 values"),
])
def test_a_bad_min_confidence_is_an_error_at_the_value(value: str, message: str) -> None:
    text = ("pack: p\nrules:\n  - id: r\n    severity: error\n    message: m\n"
            f"    origins: {{min-confidence: {value}}}\n")

    result = parse_pack(text, "p.yaml")

    [error] = result.errors
    assert (error.line, error.column, error.message) == (6, 31, message)


# -- the CLI -------------------------------------------------------------------------------------------

TEST_FILE = "def test_tokens():\n    assert tokens('a b') == ['a', 'b']\n"


def claude_repo(root: Path) -> str:
    repo = Repo(root)
    repo.commit({"src/lib.py": HUMAN}, "Add parse")
    return repo.commit({"tests/test_lib.py": TEST_FILE, "src/lib.py": HUMAN + AGENT}, "Tests\n\n" + CLAUDE_FOOTER)


def test_check_reports_ai_commits_in_test_files_as_warnings_and_no_git_turns_it_off(tmp_path: Path) -> None:
    sha = claude_repo(tmp_path)

    with_git = check(tmp_path, "--format", "json", "--fail-on", "warning")
    without = check(tmp_path, "--format", "json", "--fail-on", "warning", "--no-git")

    assert with_git.returncode == 1, with_git.stderr
    findings = json.loads(with_git.stdout)["findings"]
    assert [(f["rule"], f["path"], f["severity"]) for f in findings] == [
        ("ai-commit-in-test-task-file", "tests/test_lib.py", "warning")]
    origin = findings[0]["origin"]
    assert (origin["evidence"], origin["tool"], origin["model"], origin["confidence"]) == (
        "git-trailer", "claude-code", "claude-sonnet-4.5", 0.5)
    assert sha in json.dumps(origin)
    assert (without.returncode, json.loads(without.stdout)["findings"]) == (0, [])


def test_a_project_that_trusts_git_history_gets_the_error_rules(tmp_path: Path) -> None:
    claude_repo(tmp_path)
    (tmp_path / "team.yaml").write_text("pack: team\nextends: default\nparameters:\n  line_level_confidence: 0.5\n")

    done = check(tmp_path, "--pack", "team.yaml", "--format", "json")

    rules = sorted({f["rule"] for f in json.loads(done.stdout)["findings"]})
    assert done.returncode == 1
    assert rules == ["ai-commit-in-test-task-file", "ai-output-in-test-task-file", "ai-output-unmarked",
                     "ai-output-unreviewed"]


# -- the editor ----------------------------------------------------------------------------------------


async def git_diagnostics(client: LanguageClient, uri: str, version: int) -> list[types.Diagnostic]:
    """The diagnostics of a version once git history is in: the first push comes before git answers."""
    found = await pushed(client, uri, version)
    while not found:
        found = await pushed(client, uri, version)
    return found


async def test_opening_a_file_from_a_claude_commit_shows_the_finding_and_hover_names_the_commit(
        client: LanguageClient, tmp_path: Path) -> None:
    sha = claude_repo(tmp_path)
    await start(client, tmp_path, pull=False)
    uri = open_file(client, tmp_path / "tests" / "test_lib.py", TEST_FILE)

    [diag] = await git_diagnostics(client, uri, 1)
    assert (diag.code, diag.severity) == ("ai-commit-in-test-task-file", types.DiagnosticSeverity.Warning)
    assert (diag.range.start.line, diag.range.end.line) == (0, 1)
    hover = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=1, character=4)))
    assert hover is not None and isinstance(hover.contents, types.MarkupContent)
    assert f"- commit: {sha}" in hover.contents.value
    assert "- Confidence: 50%" in hover.contents.value
    assert "- scope: whole-commit" in hover.contents.value
    assert [a.title for a in await quick_fixes(client, uri, diag)] == [
        "Mark with a provenance comment", "Suppress ai-commit-in-test-task-file here (write the reason)"]



async def test_history_follows_edits_and_saving_reads_it_again(client: LanguageClient, tmp_path: Path) -> None:
    claude_repo(tmp_path)
    await start(client, tmp_path, pull=False)
    path = tmp_path / "tests" / "test_lib.py"
    uri = open_file(client, path, TEST_FILE)
    await git_diagnostics(client, uri, 1)

    insert_at_line(client, uri, 2, 0, "import pytest\n\n")
    [moved] = await pushed(client, uri, 2)
    Repo(tmp_path).commit({"tests/test_lib.py": "import pytest\n\n" + TEST_FILE}, "Import pytest\n\n" + CLAUDE_FOOTER)
    client.text_document_did_save(types.DidSaveTextDocumentParams(
        text_document=types.TextDocumentIdentifier(uri=uri)))
    after_save = await published_until(client, uri, lambda found: any(d.range.start.line == 0 for d in found))

    assert (moved.range.start.line, moved.range.end.line) == (2, 3)  # the edit moved the span
    assert sorted((d.range.start.line, d.range.end.line) for d in after_save) == [(0, 0), (2, 3)]


async def test_the_git_setting_turns_history_off(client: LanguageClient, tmp_path: Path) -> None:
    claude_repo(tmp_path)
    await start(client, tmp_path, pull=False, options={"git": False})
    uri = open_file(client, tmp_path / "tests" / "test_lib.py", TEST_FILE)
    assert await pushed(client, uri, 1) == []

    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings={"git": True}))

    [diag] = await git_diagnostics(client, uri, 1)
    assert diag.code == "ai-commit-in-test-task-file"
