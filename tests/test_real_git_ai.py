"""`provguard import git-ai` on an authorship note git-ai really wrote (tests/fixtures/git-ai/real/SOURCE.md).

The note is the one git-ai 1.5.1 attached to a commit of its own repository: Claude bumped a version in
`package.json` (a session line) and the `npm install` it ran rewrote two lines of `package-lock.json`, which
git-ai could tie to no session and wrote under the bare checkpoint kind `ai_agent`. The tests make the commit
again from the kept files, attach the note with `git notes --ref=ai`, and import through the public CLI.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from corpus_support import provguard
from git_support import Repo
from provguard.exchange.git_ai import parse_note
from provguard.exchange.git_ai_import import FEW_COMMITS, GitAiReport, import_git_ai
from provguard.ledger.sqlite import SqliteLedger

REAL = Path(__file__).parent / "fixtures" / "git-ai" / "real"
NOTE = REAL / "02be748fc4aa.note"
FOLDER = "agent-support/vscode"


def tree(side: str) -> dict[str, str]:
    return {f"{FOLDER}/{name}": (REAL / side / name).read_text(encoding="utf-8")
            for name in ("package.json", "package-lock.json")}


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    made = Repo(tmp_path / "git-ai")
    made.commit(tree("before"), "chore(vscode): 0.1.21")
    commit = made.commit(tree("after"), "chore(vscode): bump version to 0.1.22")
    made.git("notes", "--ref=ai", "add", "-F", str(NOTE), commit)
    return made


def test_a_real_note_with_an_ai_agent_key_reads_those_lines_as_ai_of_an_unnamed_agent() -> None:
    parsed = parse_note("02be748fc4aa", NOTE.read_bytes())

    assert parsed.problems == ()
    assert parsed.note is not None
    assert [(a.path, a.session_key, a.ranges) for a in parsed.note.attestations] == [
        (f"{FOLDER}/package-lock.json", "ai_agent", ((3, 3), (9, 9))),
        (f"{FOLDER}/package.json", "s_be3d6789a4739f", ((5, 5),)),
    ]
    assert (parsed.note.agents["ai_agent"].tool, parsed.note.agents["ai_agent"].model) == ("ai_agent", None)
    assert (parsed.note.agents["s_be3d6789a4739f"].tool, parsed.note.agents["s_be3d6789a4739f"].model) == (
        "claude", "claude-opus-4-6")


def test_importing_git_ais_own_note_records_the_session_edit_and_the_lines_its_shell_rewrote(repo: Repo) -> None:
    done = provguard(repo.root, "import", "git-ai", "--store-text")

    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.decode().splitlines() == [
        "git-ai: 2 commits read, 1 notes found; 2 new edits recorded (0 already known), 3 lines attributed at HEAD; "
        "0 problems"]
    ledger = SqliteLedger(repo.root / ".provguard" / "ledger.sqlite3")
    edits = sorted((e.path, e.tool, e.model, e.vendor, e.session_id, e.lines, e.text) for e in ledger.agent_edits())
    ledger.close()
    assert edits == [
        (f"{FOLDER}/package-lock.json", "ai_agent", None, None, "ai_agent", 2,
         '  "version": "0.1.22",\n      "version": "0.1.22",\n'),
        (f"{FOLDER}/package.json", "claude-code", "claude-opus-4-6", "anthropic",
         "518eacf9-30f9-4849-b452-42cf98d706e5", 1, '  "version": "0.1.22",\n'),
    ]


def test_git_ais_2025_notes_key_prompts_by_session_uuid_and_mark_a_persons_lines_human() -> None:
    """git-ai 0.x/1.0 notes of October and November 2025: `prompts` keyed by the agent's session UUID, and a
    legacy `human` key for a person's lines inside the agent's (not AI: left out, not a problem)."""
    uuids = parse_note("09088697791a", (REAL / "09088697791a.note").read_bytes())
    human = parse_note("00309900d71f", (REAL / "00309900d71f.note").read_bytes())

    assert (uuids.problems, human.problems) == ((), ())
    assert uuids.note is not None and human.note is not None
    assert [(a.session_key, len(a.ranges)) for a in uuids.note.attestations] == [
        ("638f41ac-1dd9-49eb-b090-a4abfe235a97", 3), ("7c3674d9-59e3-44bd-9ce7-bf935fce1689", 10),
        ("9cd72fd0-7cb9-4641-9c6e-289b1dbf2325", 1)]
    assert {(agent.tool, agent.model) for agent in uuids.note.agents.values()} == {("cursor", "gpt-5-codex")}
    assert [(a.path, a.session_key) for a in human.note.attestations] == [
        ("docs/reference.mdx", "e61c0a4"), ("tests/stats.rs", "e61c0a4")]
    assert all((68, 68) not in a.ranges for a in human.note.attestations)


def test_a_session_key_without_its_trace_is_the_sessions() -> None:
    """git-ai 2.0.0-alpha.1 wrote `s_<hex>` alone as a key (a note its own tests left in its repository)."""
    parsed = parse_note("1fb2b68f739a", (REAL / "1fb2b68f739a.note").read_bytes())

    assert parsed.problems == ()
    assert parsed.note is not None
    assert [(a.path, a.session_key, a.ranges) for a in parsed.note.attestations] == [
        ("beta.txt", "s_7dde216d12f721", ((1, 2),))]
    assert parsed.note.agents["s_7dde216d12f721"].tool == "test-agent"


PRUNED = REAL / "576308b4f8a9.note"
HOOKS = "src/commands/hooks"


def test_a_real_note_whose_session_and_prompt_entries_git_ai_pruned_reads_their_lines_as_an_unnamed_agents() -> None:
    """git-ai 1.3.3 wrote `"prompts": {}` and no `sessions` under attestations naming a prompt and a session."""
    parsed = parse_note("576308b4f8a9", PRUNED.read_bytes())

    assert parsed.problems == ()
    assert parsed.note is not None
    assert [(a.path, a.session_key, a.ranges) for a in parsed.note.attestations] == [
        (f"{HOOKS}/stash_hooks.rs", "617049f94f0d2a17", ((141, 141), (144, 144), (153, 153))),
        (f"{HOOKS}/push_hooks.rs", "s_8d9d36585aec71", ((3, 3),)),
    ]
    assert parsed.note.unnamed == ("617049f94f0d2a17", "s_8d9d36585aec71")
    assert {(agent.tool, agent.session, agent.model) for agent in parsed.note.agents.values()} == {
        ("ai_agent", "", None)}


def test_importing_a_real_note_with_pruned_entries_records_the_lines_and_says_so_once(tmp_path: Path) -> None:
    """The push_hooks.rs line the pruned session wrote is recorded as AI; the stash_hooks.rs lines are gone from
    HEAD (not kept here), so nothing of theirs is. One line names both keys; none is a problem per attestation."""
    repo = Repo(tmp_path / "git-ai")
    path = f"{HOOKS}/push_hooks.rs"
    repo.commit({path: (REAL / "before" / "push_hooks.rs").read_text(encoding="utf-8")}, "hooks")
    commit = repo.commit({path: (REAL / "after" / "push_hooks.rs").read_text(encoding="utf-8")},
                         "refactor: remove dead wrapper-only hook entry points")
    repo.git("notes", "--ref=ai", "add", "-F", str(PRUNED), commit)

    done = provguard(repo.root, "import", "git-ai", "--store-text")

    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.decode().splitlines() == [
        "git-ai: 2 commits read, 1 notes found; 1 new edits recorded (0 already known), 1 lines attributed at HEAD; "
        "0 problems",
        "  git-ai notes: 2 attestation keys with no entry in the note's sessions or prompts (git-ai pruned it), in 1 "
        "note: 617049f94f0d2a17 (1 note), s_8d9d36585aec71 (1 note); their lines are recorded as AI of an unnamed "
        "agent (ai_agent)"]
    ledger = SqliteLedger(repo.root / ".provguard" / "ledger.sqlite3")
    edits = [(e.path, e.tool, e.model, e.vendor, e.session_id, e.lines, e.text) for e in ledger.agent_edits()]
    ledger.close()
    assert edits == [(path, "ai_agent", None, None, "s_8d9d36585aec71", 1, "use crate::git::repository::Repository;\n")]


def test_an_import_says_once_how_many_notes_name_each_key_without_metadata(tmp_path: Path) -> None:
    """135 notes of git-ai's own history name `s_8d9d36585aec71` with no entry: one line, counted per key."""
    repo = Repo(tmp_path / "git-ai")
    pruned = PRUNED.read_text(encoding="utf-8")
    for n in range(3):
        commit = repo.commit({f"{HOOKS}/push_hooks.rs": f"// hook {n}\n" * 3}, f"hooks {n}")
        repo.git("notes", "--ref=ai", "add", "-m", pruned if n else pruned.replace("  617049f94f0d2a17 141,144,153\n",
                                                                                     ""), commit)

    report = import_git_ai(SqliteLedger(tmp_path / "ledger.sqlite3"), repo.root)

    assert isinstance(report, GitAiReport)
    assert dict(report.unnamed) == {"s_8d9d36585aec71": 3, "617049f94f0d2a17": 2}
    assert [str(p) for p in report.problems] == [
        "git-ai notes: 2 attestation keys with no entry in the note's sessions or prompts (git-ai pruned it), in 3 "
        "notes: s_8d9d36585aec71 (3 notes), 617049f94f0d2a17 (2 notes); their lines are recorded as AI of an unnamed "
        "agent (ai_agent)"]


def note(commit: str, path: str, ranges: str) -> str:
    """A note in the shape of the kept ones: one Claude session, one file."""
    return (f"{path}\n  s_be3d6789a4739f::t_a1f7a658162ab1 {ranges}\n---\n"
            '{"schema_version": "authorship/3.0.0", "git_ai_version": "1.5.1", "base_commit_sha": "' + commit + '", '
            '"prompts": {}, "sessions": {"s_be3d6789a4739f": {"agent_id": {"tool": "claude", '
            '"id": "518eacf9-30f9-4849-b452-42cf98d706e5", "model": "claude-opus-4-6"}}}}')


def test_a_long_noted_history_looks_for_renames_only_from_commits_whose_noted_files_head_lacks(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """git-ai's own history (3,000 noted commits) made rename detection against HEAD outrun git's 120 s: past
    FEW_COMMITS noted commits, only those whose noted path is gone from HEAD go through it."""
    from provguard.exchange import git_ai_notes

    asked: list[str] = []
    original = git_ai_notes.run_git

    def watching(cwd: Path, args: list[str], *rest: Any, **options: Any) -> Any:
        if args[0] == "diff-tree":
            asked.extend(line.split()[1] for line in rest[0].decode().splitlines())
        return original(cwd, args, *rest, **options)

    monkeypatch.setattr(git_ai_notes, "run_git", watching)
    repo = Repo(tmp_path / "shop")
    fees = ""
    for n in range(FEW_COMMITS + 1):
        fees += f"def fee_{n}(parcels: int) -> float:\n    return round(parcels * {n}.25 + 1.5, 2)\n"
        commit = repo.commit({"src/fees.py": fees}, f"Fee {n}")
        repo.git("notes", "--ref=ai", "add", "-m", note(commit, "src/fees.py", f"{2 * n + 1}-{2 * n + 2}"), commit)
    rates = repo.commit({"src/shipping.py": "def rate(kg: float) -> float:\n    return 4.5 + kg * 1.25\n"}, "Rates")
    repo.git("notes", "--ref=ai", "add", "-m", note(rates, "src/shipping.py", "1-2"), rates)
    repo.git("mv", "src/shipping.py", "src/rates.py")
    repo.git("commit", "-q", "-m", "Rename")

    report = import_git_ai(SqliteLedger(tmp_path / "ledger.sqlite3"), repo.root)

    assert isinstance(report, GitAiReport) and report.problems == []
    assert (report.notes, report.lines) == (FEW_COMMITS + 2, 2 * (FEW_COMMITS + 1) + 2)
    assert asked == [rates]
    ledger = SqliteLedger(tmp_path / "ledger.sqlite3")
    assert {e.path for e in ledger.agent_edits()} == {"src/fees.py", "src/rates.py"}
    ledger.close()
