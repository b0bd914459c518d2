"""`provguard import git-ai`: git-ai's authorship notes (`refs/notes/ai`) read into the ledger as evidence.

The notes are written the way git-ai writes them (specs/git_ai_standard_v3.0.0.md in git-ai's repository):
attestation lines, `---`, pretty-printed JSON. Repositories are made by the tests with `git`, notes added with
`git notes --ref=ai add -F`, and the lines are judged by the real `provguard check`.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from corpus_support import provguard
from git_support import Repo
from provguard.exchange.git_ai import Attestation, parse_note
from provguard.exchange.git_ai_import import CONFIDENCE, GitAiReport, import_git_ai
from provguard.ledger.sqlite import SqliteLedger
from provguard.provenance.origin import Evidence

FIXTURES = Path(__file__).parent / "fixtures" / "git-ai"
SCHEMA = "authorship/3.0.0"
CLAUDE = "s_4be1c07d9a3f52"
CURSOR = "s_91d0e6b3c2a7f4"
TRACE = "::t_0c7e2a91b4d6f3"
CLAUDE_MODEL = "claude-sonnet-4-5-20250929"

SHIPPING = """\
def shipping_cost(weight_kg: float, zone: str) -> float:
    base_rate = 4.50 + weight_kg * 1.25
    if zone == "remote":
        base_rate += 7.00
    return round(base_rate, 2)
"""
HANDLING = """\
def handling_fee(parcels: int, fragile: bool) -> float:
    per_parcel = 0.80 if fragile else 0.35
    return round(parcels * per_parcel, 2)
"""
HEADER = "# Shipping rules agreed with the warehouse team.\n# Rates are in euros.\n\n"


def session(tool: str, conversation: str, model: str) -> dict[str, Any]:
    return {"agent_id": {"tool": tool, "id": conversation, "model": model}, "human_author": "dana@example.com"}


SESSIONS = {CLAUDE: session("claude", "e2f4a6c8-1b3d-4e5f-8a9b-0c1d2e3f4a5b", CLAUDE_MODEL),
            CURSOR: session("cursor", "0b6c1f7e-3a52-4d89-9e14-5c2a7b3d8f60", "gpt-4.1")}


def note_text(commit: str, files: dict[str, list[tuple[str, str]]], version: str = SCHEMA) -> str:
    """A note as git-ai serialises one: paths with white space quoted, entries indented by two spaces."""
    lines: list[str] = []
    for path, entries in files.items():
        lines.append(f'"{path}"' if any(c in path for c in " \t") else path)
        lines += [f"  {key} {ranges}" for key, ranges in entries]
    used = {key.split("::")[0] for entries in files.values() for key, _ in entries}
    metadata = {"schema_version": version, "git_ai_version": "1.4.5", "base_commit_sha": commit, "prompts": {},
                "sessions": {key: record for key, record in SESSIONS.items() if key in used}}
    return "\n".join([*lines, "---", json.dumps(metadata, indent=2)])


def add_note(repo: Repo, commit: str, text: str) -> None:
    note = repo.root.parent / f"note-{commit[:12]}.txt"
    note.write_text(text, encoding="utf-8")
    repo.git("notes", "--ref=ai", "add", "-F", str(note), commit)


def ai_findings(root: Path, *paths: str) -> list[tuple[str, int, int, str, str | None, str | None]]:
    """(path, first line, last line, evidence, tool, model) of every AI finding `provguard check` reports."""
    done = provguard(root, "check", "--format", "json", "--fail-on", "never", *paths)
    assert done.returncode == 0, done.stderr.decode()
    found = []
    for finding in json.loads(done.stdout)["findings"]:
        origin = finding["origin"]
        if origin["kind"].startswith("ai"):
            found.append((finding["path"], finding["range"]["start"]["line"], finding["range"]["end"]["line"],
                          origin["evidence"], origin.get("tool"), origin.get("model")))
    return sorted(set(found))


def import_cli(root: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return provguard(root, "import", "git-ai", *args)


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return Repo(tmp_path / "shop")


# -- the note format --------------------------------------------------------------------------------------


def test_a_note_in_every_key_format_is_read_with_the_sessions_tool_and_model() -> None:
    parsed = parse_note("3f2a9c1e", (FIXTURES / "mixed.note").read_bytes())

    assert parsed.problems == ()
    assert parsed.note is not None
    assert parsed.note.attestations == (
        # two traces of one session, each its own entry; the known human's lines 13-19 are not AI
        Attestation("src/billing/invoice.py", CLAUDE, ((1, 12), (20, 20)), 2),
        Attestation("src/billing/invoice.py", CLAUDE, ((30, 34),), 3),
        # a legacy prompt key, under a quoted path with a space
        Attestation("docs/release notes.md", "8e51f0c2d7a9b364", ((3, 3), (5, 6)), 6),
    )
    claude, cursor = parsed.note.agents[CLAUDE], parsed.note.agents["8e51f0c2d7a9b364"]
    assert (claude.tool, claude.session, claude.model) == ("claude", "e2f4a6c8-1b3d-4e5f-8a9b-0c1d2e3f4a5b",
                                                           CLAUDE_MODEL)
    assert (cursor.tool, cursor.model, cursor.human_author) == ("cursor", "gpt-4.1", "Dana Reyes <dana@example.com>")
    assert (parsed.note.base_commit, parsed.note.git_ai_version) == ("3f2a9c1e7b5d4f6a8c0e2b4d6f8a1c3e5b7d9f0a",
                                                                     "1.4.5")


GOOD_META = '{\n  "schema_version": "authorship/3.0.0",\n  "base_commit_sha": "c0ffee",\n  "prompts": {},\n' \
            '  "sessions": {\n    "s_4be1c07d9a3f52": {"agent_id": {"tool": "claude", "id": "c1", "model": "m"}}\n' \
            '  }\n}'


@pytest.mark.parametrize(("note", "problems"), [
    ("src/a.py\n  s_4be1c07d9a3f52::t_0c7e2a91b4d6f3 1-3\n" + GOOD_META.replace("{\n", "", 1),
     [(0, "not a git-ai authorship note: no `---` line between the attestations and the metadata")]),
    ("src/a.py\n  s_4be1c07d9a3f52::t_0c7e2a91b4d6f3 1-3\n" + GOOD_META,
     [(3, "not a git-ai authorship note: no `---` line before its metadata")]),
    ("src/a.py\n  s_4be1c07d9a3f52::t_0c7e2a91b4d6f3 1-3\n---\n{\n  \"schema_version\": \"authorship/3.0.0\",\n"
     "  \"prompts\": {,\n}",
     [(6, "metadata is not JSON: Expecting property name enclosed in double quotes (column 15)")]),
    ("src/a.py\n  s_4be1c07d9a3f52::t_0c7e2a91b4d6f3 1-3\n---\n" + GOOD_META.replace("3.0.0", "4.0.0"),
     [(5, "unknown schema_version 'authorship/4.0.0': only authorship/3.0.0 is read; the note is skipped")]),
    ("src/a.py\n  s_4be1c07d9a3f52::t_0c7e2a91b4d6f3 1-3\n---\n" + GOOD_META.replace('"prompts": {}', '"prompts": []'),
     [(7, "prompts is not a JSON object")]),
    ("  s_4be1c07d9a3f52::t_0c7e2a91b4d6f3 1-3\nsrc/a.py\n  s_4be1c07d9a3f52::t_0c7e2a91b4d6f3 2-3,9-x\n"
     "  s_4be1c07d9a3f52::t_0c7e2a91b4d6f3 5-4\n  s_4be1c07d9a3f52::t_0c7e2a91b4d6f3\n  agent 7\n"
     "  s_000000000000aa::t_0c7e2a91b4d6f3 8\n  s_4be1c07d9a3f52::t_0c7e2a91b4d6f3 10-12\n---\n" + GOOD_META,
     [(1, "attestation before any file path"),
      (3, "not a line range: '9-x' (expected N or N-M)"),
      (4, "not a line range: '5-4' (lines are 1-based, N-M with N <= M)"),
      (5, "no line ranges"),
      (6, "unknown attestation key 'agent'")]),  # line 7's session is missing: no problem, an unnamed agent's
    ("src/a.py\n  s_4be1c07d9a3f52::t_0c7e2a91b4d6f3 1\n  s_4be1c07d9a3f52::t_5d8f3b6a2e1c90 2\n---\n"
     + GOOD_META.replace('"agent_id"', '"agent"'),
     [(10, "sessions.s_4be1c07d9a3f52: agent_id is missing")]),
])
def test_malformed_notes_are_problems_at_the_note_line(note: str, problems: list[tuple[int, str]]) -> None:
    parsed = parse_note("c0ffee", note.encode())

    assert [(p.line, p.reason) for p in parsed.problems] == problems
    assert all(p.commit == "c0ffee" for p in parsed.problems)


def test_the_readable_lines_of_a_note_with_bad_lines_still_count() -> None:
    note = ("src/a.py\n  s_4be1c07d9a3f52::t_0c7e2a91b4d6f3 2-3,9-x\n  s_4be1c07d9a3f52::t_0c7e2a91b4d6f3 10-12,14\n"
            "---\n" + GOOD_META)
    parsed = parse_note("c0ffee", note.encode())

    assert parsed.note is not None
    assert [a.ranges for a in parsed.note.attestations] == [((10, 12), (14, 14))]


PROMPTS = '"prompts": {"0123456": {"agent_id": {"tool": "codex", "id": "p1", "model": "m"}}}'


@pytest.mark.parametrize(("change", "problem", "tools"), [
    (('"base_commit_sha": "c0ffee",\n', ""), (5, "base_commit_sha is missing"), ["claude", "codex"]),
    (('"base_commit_sha": "c0ffee"', '"base_commit_sha": 7'), (7, "base_commit_sha is not a JSON string"),
     ["claude", "codex"]),
    # the prompt's lines are still claimed as AI: an unnamed agent's, not dropped
    ((PROMPTS, '"prompts": []'), (8, "prompts is not a JSON object"), ["claude", "ai_agent"]),
    ((PROMPTS + ",\n", ""), (5, "prompts is missing"), ["claude", "ai_agent"]),
])
def test_a_note_with_a_bad_field_is_still_read_where_it_can_be_and_the_field_is_a_problem_at_its_line(
        change: tuple[str, str], problem: tuple[int, str], tools: list[str]) -> None:
    meta = GOOD_META.replace('"prompts": {}', PROMPTS).replace(*change)
    note = "src/a.py\n  s_4be1c07d9a3f52::t_0c7e2a91b4d6f3 2-3\n  0123456 7\n---\n" + meta
    parsed = parse_note("c0ffee", note.encode())

    assert [(p.line, p.reason) for p in parsed.problems] == [problem]
    assert parsed.note is not None
    assert [a.session_key for a in parsed.note.attestations] == ["s_4be1c07d9a3f52", "0123456"]
    assert [parsed.note.agents[a.session_key].tool for a in parsed.note.attestations] == tools
    assert parsed.note.unnamed == ()  # a table that is not one is the problem said, not a pruned entry


def test_a_key_whose_metadata_entry_is_missing_is_an_unnamed_agents_ai_lines_not_a_problem() -> None:
    """git-ai prunes entries that attestations still name: the key's form claims the lines as AI (fail closed)."""
    note = ("src/a.py\n  s_4be1c07d9a3f52::t_0c7e2a91b4d6f3 1-2\n  s_000000000000aa::t_0c7e2a91b4d6f3 4\n"
            "  0123456 6\n  s_000000000000aa 8-9\n  h_9f8e7d6c5b4a39 10\n---\n" + GOOD_META)
    parsed = parse_note("c0ffee", note.encode())

    assert parsed.problems == ()
    assert parsed.note is not None
    assert [(a.session_key, a.ranges) for a in parsed.note.attestations] == [
        ("s_4be1c07d9a3f52", ((1, 2),)), ("s_000000000000aa", ((4, 4),)), ("0123456", ((6, 6),)),
        ("s_000000000000aa", ((8, 9),))]
    assert {key: agent.tool for key, agent in parsed.note.agents.items()} == {
        "s_4be1c07d9a3f52": "claude", "s_000000000000aa": "ai_agent", "0123456": "ai_agent"}
    assert parsed.note.unnamed == ("s_000000000000aa", "0123456")


def test_a_note_that_is_not_utf8_is_a_problem_at_its_line() -> None:
    parsed = parse_note("c0ffee", b"src/a.py\n  s_4be1c07d9a3f52::t_0c7e2a91b4d6f3 1\n\xff\n---\n{}")

    assert parsed.note is None
    assert [(p.line, p.reason) for p in parsed.problems] == [(3, "not UTF-8 text")]


# -- importing: the lines that are the sessions' today -------------------------------------------------


def test_attributed_lines_are_reported_by_check_as_ai_with_evidence_git_ai_tool_and_model(repo: Repo) -> None:
    commit = repo.commit({"src/shipping.py": SHIPPING + "\n" + HANDLING}, "Add shipping")
    add_note(repo, commit, note_text(commit, {"src/shipping.py": [(CLAUDE + TRACE, "1-5")]}))

    done = import_cli(repo.root)

    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.decode().splitlines() == [
        "git-ai: 1 commits read, 1 notes found; 1 new edits recorded (0 already known), 5 lines attributed at HEAD; "
        "0 problems"]
    assert ai_findings(repo.root) == [("src/shipping.py", 1, 5, "git-ai", "claude-code", CLAUDE_MODEL)]
    report = json.loads(provguard(repo.root, "check", "--format", "json", "--fail-on", "never").stdout)
    assert {f["origin"]["extra"]["record"] for f in report["findings"]} == {f"git-ai {commit}"}  # which note said so
    ledger = SqliteLedger(repo.root / ".provguard" / "ledger.sqlite3")
    (edit,) = ledger.agent_edits()
    assert (edit.evidence, edit.vendor, edit.session_id, edit.confidence, edit.source, edit.lines) == (
        Evidence.GIT_AI, "anthropic", "e2f4a6c8-1b3d-4e5f-8a9b-0c1d2e3f4a5b", CONFIDENCE, f"git-ai {commit}", 5)
    assert edit.time == repo.git("log", "-1", "--format=%aI", commit).replace("Z", "+00:00")
    assert edit.text is None  # only fingerprints, unless --store-text


def test_lines_moved_down_by_later_commits_are_found_at_their_new_lines(repo: Repo) -> None:
    commit = repo.commit({"src/shipping.py": SHIPPING}, "Add shipping")
    add_note(repo, commit, note_text(commit, {"src/shipping.py": [(CLAUDE + TRACE, "1-5")]}))
    repo.commit({"src/shipping.py": HEADER + SHIPPING}, "Explain the rates")
    repo.commit({"src/shipping.py": HEADER + HANDLING + "\n" + SHIPPING}, "Handling fee")

    import_cli(repo.root)

    assert ai_findings(repo.root) == [("src/shipping.py", 8, 12, "git-ai", "claude-code", CLAUDE_MODEL)]


def test_lines_a_later_commit_rewrote_are_no_longer_the_sessions(repo: Repo, tmp_path: Path) -> None:
    commit = repo.commit({"src/shipping.py": SHIPPING + "\n" + HANDLING}, "Add shipping")
    add_note(repo, commit, note_text(commit, {"src/shipping.py": [(CLAUDE + TRACE, "1-9")]}))
    rewritten = HANDLING.replace("per_parcel", "rate_per_parcel").replace("0.80", "0.95")
    repo.commit({"src/shipping.py": SHIPPING + "\n" + rewritten}, "Handling rates from the new contract")
    ledger = SqliteLedger(tmp_path / "ledger.sqlite3", store_text=True)

    report = import_git_ai(ledger, repo.root)

    assert isinstance(report, GitAiReport) and report.lines == 7
    (edit,) = ledger.agent_edits()
    assert edit.text == SHIPPING + "\n" + HANDLING.splitlines(keepends=True)[0]  # the untouched `def` line too
    import_cli(repo.root)
    assert ai_findings(repo.root) == [("src/shipping.py", 1, 7, "git-ai", "claude-code", CLAUDE_MODEL)]


def test_a_file_renamed_later_is_followed_to_its_new_name(repo: Repo) -> None:
    commit = repo.commit({"src/shipping.py": SHIPPING}, "Add shipping")
    add_note(repo, commit, note_text(commit, {"src/shipping.py": [(CLAUDE + TRACE, "2-5")]}))
    repo.git("mv", "src/shipping.py", "src/rates.py")
    repo.git("commit", "-q", "-m", "Rename")
    repo.commit({"src/rates.py": HEADER + SHIPPING}, "Explain the rates")

    import_cli(repo.root)

    assert ai_findings(repo.root) == [("src/rates.py", 5, 8, "git-ai", "claude-code", CLAUDE_MODEL)]


def test_two_sessions_in_one_note_are_two_edits_with_their_own_tool_and_model(repo: Repo) -> None:
    commit = repo.commit({"src/shipping.py": SHIPPING + "\n" + HANDLING, "src/my rates.py": HANDLING}, "Shipping")
    add_note(repo, commit, note_text(commit, {
        "src/shipping.py": [(CLAUDE + TRACE, "1-3"), (CLAUDE + "::t_5d8f3b6a2e1c90", "4-5"),
                            ("h_a7c3e9015b2d48", "6"), (CURSOR + TRACE, "7-9")],
        "src/my rates.py": [(CURSOR + TRACE, "1-3")]}))

    done = import_cli(repo.root)

    assert b"3 new edits recorded" in done.stdout
    assert ai_findings(repo.root) == [
        ("src/my rates.py", 1, 3, "git-ai", "cursor", "gpt-4.1"),
        ("src/shipping.py", 1, 5, "git-ai", "claude-code", CLAUDE_MODEL),
        ("src/shipping.py", 7, 9, "git-ai", "cursor", "gpt-4.1"),
    ]


def test_bad_notes_are_reported_with_commit_and_line_and_good_notes_still_import(repo: Repo) -> None:
    first = repo.commit({"src/shipping.py": SHIPPING}, "Add shipping")
    add_note(repo, first, note_text(first, {"src/shipping.py": [(CLAUDE + TRACE, "1-5")]}, version="authorship/9.1.0"))
    second = repo.commit({"src/handling.py": HANDLING}, "Add handling")
    add_note(repo, second, note_text(second, {"src/handling.py": [(CURSOR + TRACE, "1-3,x")]}))
    packing = ("def packing_fee(boxes: int, oversized: bool) -> float:\n"
               "    surcharge = 2.5 if oversized else 0.0\n    return boxes * 1.10 + surcharge\n")
    third = repo.commit({"src/fees.py": packing}, "Add packing")  # not a copy of handling.py: its own code
    add_note(repo, third, note_text(third, {"src/fees.py": [(CURSOR + TRACE, "1-3")]}))

    done = import_cli(repo.root)

    assert done.returncode == 0
    assert done.stdout.decode().splitlines() == [
        "git-ai: 3 commits read, 3 notes found; 1 new edits recorded (0 already known), 3 lines attributed at HEAD; "
        "2 problems",
        f"  note on {first[:12]} line 5: unknown schema_version 'authorship/9.1.0': only authorship/3.0.0 is read; "
        "the note is skipped",
        f"  note on {second[:12]} line 2: not a line range: 'x' (expected N or N-M)",
    ]
    assert ai_findings(repo.root) == [("src/fees.py", 1, 3, "git-ai", "cursor", "gpt-4.1")]


def test_importing_again_stores_nothing_new(repo: Repo) -> None:
    commit = repo.commit({"src/shipping.py": SHIPPING}, "Add shipping")
    add_note(repo, commit, note_text(commit, {"src/shipping.py": [(CLAUDE + TRACE, "1-5")]}))
    import_cli(repo.root)
    repo.commit({"src/handling.py": HANDLING}, "Unrelated")

    again = import_cli(repo.root)

    assert b"0 new edits recorded (1 already known), 5 lines attributed" in again.stdout
    assert len(SqliteLedger(repo.root / ".provguard" / "ledger.sqlite3").agent_edits()) == 1


def test_a_range_limits_the_commits_read(repo: Repo, tmp_path: Path) -> None:
    first = repo.commit({"src/shipping.py": SHIPPING}, "Add shipping")
    add_note(repo, first, note_text(first, {"src/shipping.py": [(CLAUDE + TRACE, "1-5")]}))
    second = repo.commit({"src/handling.py": HANDLING}, "Add handling")
    add_note(repo, second, note_text(second, {"src/handling.py": [(CURSOR + TRACE, "1-3")]}))
    repo.commit({"README.md": "Shop\n"}, "Readme")

    after_first = import_cli(repo.root, f"{first}..HEAD", "--ledger", str(tmp_path / "a.sqlite3"))
    only_first = import_cli(repo.root, first[:10], "--ledger", str(tmp_path / "b.sqlite3"))

    assert b"2 commits read, 1 notes found; 1 new edits recorded" in after_first.stdout
    assert [e.path for e in SqliteLedger(tmp_path / "a.sqlite3").agent_edits()] == ["src/handling.py"]
    assert b"1 commits read, 1 notes found; 1 new edits recorded" in only_first.stdout
    assert [e.path for e in SqliteLedger(tmp_path / "b.sqlite3").agent_edits()] == ["src/shipping.py"]


def test_the_work_tree_option_leaves_out_lines_changed_since_the_last_commit(repo: Repo, tmp_path: Path) -> None:
    commit = repo.commit({"src/shipping.py": SHIPPING}, "Add shipping")
    add_note(repo, commit, note_text(commit, {"src/shipping.py": [(CLAUDE + TRACE, "1-5")]}))
    repo.write("src/shipping.py", SHIPPING.replace("4.50", "4.95"))

    at_head = import_cli(repo.root, "--ledger", str(tmp_path / "head.sqlite3"))
    in_tree = import_cli(repo.root, "--ledger", str(tmp_path / "tree.sqlite3"), "--worktree")

    assert b"5 lines attributed at HEAD" in at_head.stdout
    assert b"4 lines attributed in the work tree" in in_tree.stdout


def test_a_file_name_git_quotes_is_read_back_from_blame(repo: Repo) -> None:
    commit = repo.commit({"src/tarifs_\u00e9t\u00e9.py": SHIPPING}, "Summer rates")
    add_note(repo, commit, note_text(commit, {"src/tarifs_\u00e9t\u00e9.py": [(CLAUDE + TRACE, "1-5")]}))

    import_cli(repo.root)

    assert ai_findings(repo.root) == [("src/tarifs_\u00e9t\u00e9.py", 1, 5, "git-ai", "claude-code", CLAUDE_MODEL)]


def test_outside_a_repository_or_without_notes_the_command_says_so(repo: Repo, tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    repo.commit({"src/shipping.py": SHIPPING}, "Add shipping")

    outside = import_cli(plain)
    no_notes = import_cli(repo.root)
    bad_range = provguard(repo.root, "import", "git-ai", "nosuch..HEAD")

    assert outside.returncode == 2 and b"is not in a git repository" in outside.stderr
    assert (no_notes.returncode, no_notes.stderr.decode()) == (
        0, "provguard: no git-ai notes (refs/notes/ai) in this repository: nothing to import\n")
    assert not (repo.root / ".provguard").exists() and not (plain / ".provguard").exists()
    add_note(repo, repo.git("rev-parse", "HEAD"), note_text("x", {"src/shipping.py": [(CLAUDE + TRACE, "1")]}))
    bad_range = provguard(repo.root, "import", "git-ai", "nosuch..HEAD")
    assert bad_range.returncode == 2 and b"not a commit or range: 'nosuch..HEAD'" in bad_range.stderr


def test_many_notes_cost_a_fixed_number_of_git_commands_plus_one_blame_per_file(
        repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from provguard.exchange import git_ai_import, git_ai_notes
    from provguard.provenance.git import commits

    calls: list[str] = []

    def counting(original: Any) -> Any:
        def run(cwd: Path, args: list[str], *rest: Any, **options: Any) -> Any:
            calls.append(args[0])
            return original(cwd, args, *rest, **options)
        return run

    for module in (git_ai_notes, git_ai_import, commits):
        monkeypatch.setattr(module, "run_git", counting(module.run_git))
    text = {"src/shipping.py": "", "src/handling.py": ""}
    for n in range(30):
        name = "src/shipping.py" if n % 2 else "src/handling.py"
        text[name] += f"def fee_{n}(parcels: int) -> float:\n    return round(parcels * {n}.25 + 1.5, 2)\n"
        commit = repo.commit({name: text[name]}, f"Fee {n}")
        add_note(repo, commit, note_text(commit, {name: [(CLAUDE + TRACE, f"{n // 2 * 2 + 1}-{n // 2 * 2 + 2}")]}))

    report = import_git_ai(SqliteLedger(tmp_path / "ledger.sqlite3"), repo.root)

    assert isinstance(report, GitAiReport) and (report.notes, report.edits_new, report.lines) == (30, 30, 60)
    assert sorted(calls) == ["blame", "blame", "cat-file", "cat-file", "diff-tree", "notes", "rev-list",
                             "rev-parse", "rev-parse", "rev-parse"]


def test_lines_a_later_commit_moved_within_the_file_stay_the_sessions(repo: Repo) -> None:
    commit = repo.commit({"src/shipping.py": SHIPPING + "\n" + HANDLING}, "Add shipping")
    add_note(repo, commit, note_text(commit, {"src/shipping.py": [(CURSOR + TRACE, "7-9")]}))
    repo.commit({"src/shipping.py": HANDLING + "\n" + SHIPPING}, "Handling first")  # diff: handling out and in

    import_cli(repo.root)

    assert ai_findings(repo.root) == [("src/shipping.py", 1, 3, "git-ai", "cursor", "gpt-4.1")]
