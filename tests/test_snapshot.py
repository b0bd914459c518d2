"""Policy snapshots (`provguard export --snapshot`): what a pipeline worker loads instead of the project and
the ledger. The resolved policy and the fingerprint index come back equal, judging from a snapshot in a
folder without the project gives the project's verdicts, and a damaged snapshot is refused by name."""

from __future__ import annotations

import re
import shutil
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pytest

from corpus_support import REPO, jsonl, provguard
from ledger_support import agent_edit
from provguard import __version__
from provguard.commands.common import project_policy as policy_of_project
from provguard.corpus.frozen_policy import freeze, thaw
from provguard.corpus.judge import Action, Judge, Record
from provguard.corpus.ledger_spans import RecordedSpans
from provguard.corpus.snapshot import FORMAT_VERSION, SnapshotError, open_snapshot, snapshot_bytes, snapshot_from_buffer
from provguard.documents import Document
from provguard.ledger.sqlite import SqliteLedger
from provguard.policy.model import AgentWrite, Severity
from provguard.policy.policy import Policy, load_policy
from provguard.provenance.fingerprint_index import MAX_EDITS_PER_PRINT, FingerprintIndex
from provguard.provenance.fingerprints import insertion_prints
from provguard.provenance.origin import Evidence, Kind, Origin, Span
from ray_support import FINGERPRINTED, RECORDED_EDIT

TEAM_PACK = """\
pack: team
version: 2.1.0
requires: ">=0.1"
extends: strict-team.yaml
parameters:
  training_data_paths:
    - $training_data_paths
    - "mirror/**"
overrides:
  ai-output-unreviewed: {disabled: true}
include:
  - extra-rules.yaml
"""
EXTRA_RULES = """\
- id: no-copilot-in-vendor
  severity: warning
  message: "{tool} output in vendored code: {path}"
  origins: {kind: ai-completion, tool: "copilot*"}
  paths: {include: ["vendor/**"], exclude: ["vendor/keep/**"]}
  languages: [python, go]
  scope:
    python: "(function_definition) @scope"
"""
RIVAL = "# provguard: begin kind=ai-agent tool=claude-code vendor=anthropic\ndef f():\n    return 1\n# provguard: end\n"
HOUSE = "# provguard: kind=ai-agent tool=house-bot vendor=acme\ndef ours():\n    return 2\n"
COPILOT = "# provguard: kind=ai-completion tool=copilot\ndef g():\n    return 3\n"
HUMAN = "def add(a, b):\n    return a + b\n"


def make_project(root: Path) -> Path:
    """A project whose policy needs every file it names: an extended pack, an included file, parameters,
    overrides, and the project's own severity table."""
    root.mkdir()
    (root / ".git").mkdir()
    shutil.copy(REPO / "rules" / "examples" / "strict-team.yaml", root / "strict-team.yaml")
    (root / "team.yaml").write_text(TEAM_PACK, encoding="utf-8")
    (root / "extra-rules.yaml").write_text(EXTRA_RULES, encoding="utf-8")
    (root / "provguard.toml").write_text('packs = ["team.yaml"]\n[severity]\nai-output-in-test-task-file = '
                                         '"warning"\n', encoding="utf-8")
    with _ledger(root) as ledger:
        ledger.add_agent_edits([agent_edit("e-b", prints=(5, -(2**63), 2**63 - 1, 7)),
                                agent_edit("e-a", path="src/x.py", prints=(5, 9), time="2026-11-24T00:00:00Z"),
                                replace(agent_edit("e-c", prints=(), time="2026-11-26T00:00:00Z"),
                                        evidence=Evidence.AGENT_TRACE, confidence=0.7)])
    return root


@contextmanager
def _ledger(root: Path) -> Iterator[SqliteLedger]:
    (root / ".provguard").mkdir(exist_ok=True)
    ledger = SqliteLedger(root / ".provguard" / "ledger.sqlite3")
    try:
        yield ledger
    finally:
        ledger.close()


def export_snapshot(project: Path, out: Path) -> None:
    done = provguard(project, "export", "--snapshot", str(out))
    assert done.returncode == 0, done.stderr.decode()
    assert f"snapshot {out}: 1 pack" in done.stderr.decode()
    assert "3 agent edits (5 distinct fingerprints)" in done.stderr.decode()


def project_policy(project: Path) -> Policy:
    """The policy `provguard filter` would use in `project`."""
    loaded = policy_of_project(project, None, {})
    assert not loaded.errors
    return loaded.policy


def test_snapshot_holds_the_resolved_policy_and_judges_like_the_project_without_it(tmp_path: Path) -> None:
    project = make_project(tmp_path / "project")
    snap = tmp_path / "worker" / "policy.pgsnap"
    snap.parent.mkdir()
    export_snapshot(project, snap)
    policy = project_policy(project)
    expected = [Judge(policy, ("data/train/corpus.jsonl",)), Judge(policy, (), Severity.WARNING)]
    records = [Record(RIVAL, "src/a.py"), Record(HOUSE, "tests/test_a.py"), Record(COPILOT, "vendor/lib.py"),
               Record(COPILOT, "vendor/keep/lib.py"), Record(HUMAN, "src/b.py"), Record(RIVAL, "mirror/x.py")]
    want = [judge.judge_batch(records) for judge in expected]
    shutil.rmtree(project)  # the worker has the snapshot only

    snapshot = open_snapshot(snap)
    assert snapshot.policy.rules == policy.rules
    assert snapshot.policy.severity_overrides == {"ai-output-in-test-task-file": Severity.WARNING}
    assert "ai-output-unreviewed" not in {r.id for r in snapshot.policy.rules}
    assert [p.id for p in snapshot.policy.packs] == ["team"]
    got = [Judge.from_snapshot(snap, ("data/train/corpus.jsonl",)).judge_batch(records),
           Judge.from_snapshot(snap, (), Severity.WARNING).judge_batch(records)]
    assert got == want
    rival, test_task, vendor = ("rival-ai-output-in-training-data",), ("ai-output-in-test-task-file",), \
        ("no-copilot-in-vendor",)
    # At a training-data placement, every AI sample but the in-house one (its rule is only a warning here).
    assert [v.rule_ids for v in got[0]] == [rival, (), rival, rival, (), rival]
    # At their own paths: the disabled rule is gone, the included rule and the extended parameter apply.
    assert [v.rule_ids for v in got[1]] == [(), test_task, vendor, (), (), rival]
    assert snapshot.info.edits == 3 and snapshot.info.postings == 6
    assert snapshot.info.ledger is not None and snapshot.info.ledger.endswith("ledger.sqlite3")


def test_the_snapshot_index_answers_as_the_ledger_does(tmp_path: Path) -> None:
    project = make_project(tmp_path / "project")
    snap = tmp_path / "policy.pgsnap"
    export_snapshot(project, snap)
    index: FingerprintIndex = open_snapshot(snap).index
    with _ledger(project) as ledger:
        for hashes in ([5], [5, 9, 9], [-(2**63), 2**63 - 1], [4, 6, 8], [], [7, 5, 9, 2**63 - 1]):
            assert index.match_fingerprints(hashes) == ledger.match_fingerprints(hashes), hashes
        assert index.agent_edits() == ledger.agent_edits()
        assert index.agent_edits(path="src/x.py") == ledger.agent_edits(path="src/x.py")
        assert index.agent_edits(ids=["e-c", "missing", "e-a"]) == ledger.agent_edits(ids=["e-c", "missing", "e-a"])
    assert index.match_fingerprints([5, 9]) == {"e-a": 2, "e-b": 1}


def test_the_snapshot_index_leaves_out_boilerplate_fingerprints_as_the_ledger_does(tmp_path: Path) -> None:
    edits = [agent_edit(f"e-{n}", prints=(5, 100 + n)) for n in range(MAX_EDITS_PER_PRINT + 1)]
    ledger = SqliteLedger(tmp_path / "ledger.sqlite3")
    ledger.add_agent_edits(edits)
    index = snapshot_from_buffer(snapshot_bytes(project_policy(REPO), edits, None), "<memory>").index
    for hashes in ([5], [5, 100], [100, 101, 5]):
        assert index.match_fingerprints(hashes) == ledger.match_fingerprints(hashes), hashes
    assert index.match_fingerprints([5, 100]) == {"e-0": 1}


def test_agent_edit_text_never_enters_a_snapshot() -> None:
    data = snapshot_bytes(project_policy(REPO), [agent_edit("e-1", text="SECRET_TEXT_OF_THE_EDIT")], "memory")
    assert b"SECRET_TEXT_OF_THE_EDIT" not in data
    (edit,) = snapshot_from_buffer(data, "<memory>").index.agent_edits()
    assert edit.text is None and edit.fingerprints == (1, 2, 3)


def span_of_first_matched_edit(doc: Document, path: str | None, index: FingerprintIndex) -> tuple[Span, ...]:
    """A stand-in for fingerprint matching: the whole document is the edit when its line hashes include the
    document's length (enough to prove the index reaches the judge through `extra_spans`)."""
    found = index.match_fingerprints([len(doc.source)])
    if not found:
        return ()
    (edit,) = index.agent_edits(ids=sorted(found)[:1])
    origin = Origin(Kind.AI_AGENT, Evidence.FINGERPRINT, tool=edit.tool, vendor=edit.vendor)
    return (Span(0, len(doc.source), origin),)


def test_a_matcher_judges_with_the_snapshot_index() -> None:
    data = snapshot_bytes(project_policy(REPO), [agent_edit("e-1", prints=(len(HUMAN.encode()),))], None)
    judge = Judge.from_snapshot(snapshot_from_buffer(data, "<memory>"), ("train.jsonl",),
                                matcher=span_of_first_matched_edit)
    matched, other = judge.judge_batch([Record(HUMAN, "a.py"), Record(HUMAN + "\n", "a.py")])
    assert matched.action is Action.DROP
    assert [(r.rule_id, r.source) for r in matched.reasons] == [("rival-ai-output-in-training-data", "fingerprint")]
    assert other.action is Action.KEEP


# -- damaged snapshots ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def good_snapshot() -> bytes:
    return snapshot_bytes(project_policy(REPO), [agent_edit("e-1"), agent_edit("e-2", prints=(9,))], "ledger")


def newer(data: bytes) -> bytes:
    return data[:8] + struct.pack("<I", FORMAT_VERSION + 1) + data[12:]


@pytest.mark.parametrize(("damage", "message"), [
    (lambda d: d[: len(d) // 2], "the snapshot is truncated"),
    (lambda d: d[:-1], "the snapshot is truncated"),
    (lambda d: d[:100] + bytes([d[100] ^ 1]) + d[101:], "corrupt (its SHA-256 checksum does not match)"),
    (lambda d: d[:-60] + bytes([d[-60] ^ 0x80]) + d[-59:], "corrupt (its SHA-256 checksum does not match)"),
    (newer, f"snapshot format {FORMAT_VERSION + 1} is newer than this provguard reads ({FORMAT_VERSION})"),
    (lambda d: d[:8] + struct.pack("<I", 1) + d[12:],
     "snapshot format 1 holds fingerprints of an older scheme that no longer match; write it again"),
    (lambda d: b"", "not a provguard snapshot"),
    (lambda d: b'{"pack": "default"}\n', "not a provguard snapshot"),
], ids=["half", "last-byte", "header-bit", "index-bit", "newer-version", "older-scheme", "empty", "yaml"])
def test_a_damaged_snapshot_is_refused_naming_the_file(tmp_path: Path, good_snapshot: bytes, damage, message) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.pgsnap"
    bad.write_bytes(damage(good_snapshot))
    with pytest.raises(SnapshotError) as caught:
        open_snapshot(bad)
    assert str(caught.value).startswith(f"{bad}: ")
    assert message in str(caught.value)
    with pytest.raises(SnapshotError, match=r"bad\.pgsnap"):
        Judge.from_snapshot(bad)


def test_a_newer_snapshot_names_the_version_that_wrote_it(tmp_path: Path, good_snapshot: bytes) -> None:
    bad = tmp_path / "next.pgsnap"
    bad.write_bytes(newer(good_snapshot))
    wrote = re.escape(f"install the provguard that wrote it (provguard {__version__})")
    with pytest.raises(SnapshotError, match=wrote):
        open_snapshot(bad)


def test_a_missing_snapshot_is_an_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(SnapshotError, match=r"cannot read the snapshot .*nothing\.pgsnap: No such file"):
        open_snapshot(tmp_path / "nothing.pgsnap")


def test_export_snapshot_reports_a_broken_policy_and_writes_nothing(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / ".git").mkdir()
    (project / "provguard.toml").write_text('packs = ["missing.yaml"]\n', encoding="utf-8")
    done = provguard(project, "export", "--snapshot", "out.pgsnap")
    assert done.returncode == 2
    assert "missing.yaml" in done.stderr.decode()
    assert not (project / "out.pgsnap").exists()


# -- provguard filter --snapshot ------------------------------------------------------------------------


def test_filter_with_a_snapshot_outside_the_project_gives_the_projects_output(tmp_path: Path) -> None:
    project = make_project(tmp_path / "project")
    corpus = jsonl(*({"content": code, "path": path} for code, path in (
        (RIVAL, "src/a.py"), (HOUSE, "tests/test_a.py"), (COPILOT, "vendor/lib.py"), (HUMAN, "src/b.py"))))
    (project / "train.jsonl").write_bytes(corpus)
    flags = ("--path-field", "path", "--min-severity", "warning", "--as", "src/any.py", "--workers", "1")
    in_project = provguard(project, "filter", "train.jsonl", "kept.jsonl", "--report", "report.jsonl", *flags)
    assert in_project.returncode == 0, in_project.stderr.decode()
    export_snapshot(project, tmp_path / "policy.pgsnap")
    worker = tmp_path / "worker"
    worker.mkdir()
    (worker / "train.jsonl").write_bytes(corpus)
    from_snapshot = provguard(worker, "filter", "train.jsonl", "kept.jsonl", "--report", "report.jsonl",
                              "--snapshot", str(tmp_path / "policy.pgsnap"), *flags)
    assert from_snapshot.returncode == 0, from_snapshot.stderr.decode()
    assert (worker / "kept.jsonl").read_bytes() == (project / "kept.jsonl").read_bytes()
    assert (worker / "report.jsonl").read_bytes() == (project / "report.jsonl").read_bytes()
    assert from_snapshot.stderr == in_project.stderr
    assert b"4 lines: 2 kept, 2 dropped" in from_snapshot.stderr


def test_filter_refuses_a_damaged_snapshot_or_mixed_policy_flags(tmp_path: Path, good_snapshot: bytes) -> None:
    (tmp_path / "in.jsonl").write_bytes(jsonl({"content": HUMAN}))
    (tmp_path / "cut.pgsnap").write_bytes(good_snapshot[:-10])
    done = provguard(tmp_path, "filter", "in.jsonl", "out.jsonl", "--snapshot", "cut.pgsnap")
    assert done.returncode == 2
    assert done.stderr.decode() == "provguard: cut.pgsnap: the snapshot is truncated " \
        f"({len(good_snapshot) - 10} bytes); write it again\n"
    (tmp_path / "ok.pgsnap").write_bytes(good_snapshot)
    done = provguard(tmp_path, "filter", "in.jsonl", "out.jsonl", "--snapshot", "ok.pgsnap", "--pack", "default")
    assert done.returncode == 2
    assert "--pack cannot be used with --snapshot" in done.stderr.decode()


def test_every_rule_and_pack_setting_survives_freezing_the_policy(tmp_path: Path) -> None:
    pack = tmp_path / "team.yaml"
    pack.write_text(
        "pack: team\nversion: 1.2.0\nagent-write-on-error: deny\nrules:\n"
        "  - id: no-agents-in-tests\n    severity: warning\n    message: agents stay out of {path}\n"
        "    agent-write: ask\n    suppressible: false\n    origins:\n      - kind: ai-agent\n"
        "        min-confidence: 0.8\n    paths:\n      include: ['tests/**']\n")
    loaded = load_policy([str(pack)], {"no-agents-in-tests": Severity.ERROR})
    assert loaded.errors == ()

    thawed = thaw(freeze(loaded.policy))

    [rule] = thawed.rules
    assert (rule.agent_write, rule.suppressible, rule.origins[0].min_confidence) == (AgentWrite.ASK, False, 0.8)
    assert thawed.packs[0].fails_closed is True
    assert thawed.severity_overrides == {"no-agents-in-tests": Severity.ERROR}


def test_a_renamed_copy_of_a_recorded_agent_edit_is_judged_alike_from_the_ledger_and_from_a_snapshot(
        tmp_path: Path) -> None:
    prints = insertion_prints(RECORDED_EDIT, "src/intervals.py")
    edit = replace(agent_edit("e-copy", path="src/intervals.py"), fingerprints=prints.fingerprints,
                   line_hashes=prints.line_hashes, lines=prints.lines, names=prints.names)
    ledger = SqliteLedger(tmp_path / "ledger.sqlite3")
    ledger.add_agent_edits([edit])
    ledger.close()
    policy = project_policy(REPO)
    records = [Record(FINGERPRINTED.format(n=1), "lib/calendar.py"), Record(HUMAN, "lib/other.py")]

    from_ledger = Judge(policy, ("train.jsonl",), extra_spans=RecordedSpans(str(tmp_path / "ledger.sqlite3")))
    from_snapshot = Judge.from_snapshot(snapshot_from_buffer(snapshot_bytes(policy, [edit], None), "<memory>"),
                                        ("train.jsonl",))
    verdicts = from_ledger.judge_batch(records)

    assert verdicts == from_snapshot.judge_batch(records)
    copy, human = verdicts
    assert copy.action is Action.DROP and human.action is Action.KEEP
    assert {(r.rule_id, r.source) for r in copy.reasons} == {("rival-ai-output-in-training-data", "fingerprint")}
