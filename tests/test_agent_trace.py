"""Agent Trace (agent-trace.dev 0.1): records imported into the ledger as evidence, the ledger's AI lines of a
revision exported as a record that validates against the format's schema, and back again."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from git_support import Repo
from provguard.cli import main
from provguard.exchange.agent_trace_import import import_traces
from provguard.ledger.model import AgentEdit
from provguard.ledger.sqlite import SqliteLedger
from provguard.provenance.fingerprints import insertion_prints
from provguard.provenance.origin import Evidence

FIXTURES = Path(__file__).parent / "fixtures" / "agent-trace"
SCHEMA = json.loads((Path(__file__).parent / "agent-trace-0.1.schema.json").read_text(encoding="utf-8"))
PACK = str(FIXTURES / "pack.yaml")
SESSION_URL = "https://api.cursor.com/v1/conversations/12345"


def validator() -> Draft202012Validator:
    return Draft202012Validator(SCHEMA, format_checker=FormatChecker())


def shop(root: Path) -> tuple[Repo, str]:
    """The fixture project committed in a real repository, with the fixture records in
    .agent-trace/traces.jsonl naming that commit."""
    shutil.copytree(FIXTURES / "shop", root)
    repo = Repo(root)
    repo.git("add", ".")
    repo.git("commit", "-q", "-m", "shop")
    revision = repo.git("rev-parse", "HEAD")
    traces = root / ".agent-trace" / "traces.jsonl"
    traces.parent.mkdir()
    traces.write_text((FIXTURES / "traces.jsonl").read_text(encoding="utf-8").replace("@REVISION@", revision),
                      encoding="utf-8")
    return repo, revision


def check(root: Path, capsys: pytest.CaptureFixture[str]) -> list[tuple[Any, ...]]:
    """`provguard check --format json` on the project's src/: (path, first line, last line, evidence, tool,
    vendor, model, confidence) of each finding."""
    capsys.readouterr()
    main(["check", str(root / "src"), "--root", str(root), "--pack", PACK, "--format", "json", "--no-git"])
    report = json.loads(capsys.readouterr().out)
    return sorted((f["path"], f["range"]["start"]["line"], f["range"]["end"]["line"], f["origin"]["evidence"],
                   f["origin"].get("tool"), f["origin"].get("vendor"), f["origin"].get("model"),
                   f["origin"]["confidence"]) for f in report["findings"])


def export(root: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> dict[str, Any]:
    capsys.readouterr()
    assert main(["export", str(root), "--root", str(root), "--format", "agent-trace", *extra]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1, "one trace record, one line"
    record: dict[str, Any] = json.loads(lines[0])
    return record


def spans(record: dict[str, Any]) -> list[tuple[Any, ...]]:
    """What a record says about each range: file, lines, contributor type, model, tool."""
    tools = record.get("metadata", {}).get("dev.provguard", {}).get("conversation_tools", {})
    return sorted((f["path"], r["start_line"], r["end_line"], c["contributor"]["type"],
                   c["contributor"].get("model_id"), tools[f["path"]][i])
                  for f in record["files"] for i, c in enumerate(f["conversations"]) for r in c["ranges"])


# -- import -------------------------------------------------------------------------------------------------


def test_the_fixture_records_follow_the_spec_schema_except_the_broken_ones() -> None:
    lines = (FIXTURES / "traces.jsonl").read_text(encoding="utf-8").splitlines()
    valid = []
    for number, line in enumerate(lines, 1):
        try:
            record = json.loads(line.replace("@REVISION@", "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0"))
        except ValueError:
            continue
        if validator().is_valid(record):
            valid.append(number)
    # 2 is cut short, 4 has no files, 5 is the reference hook's "1.0" without a tool version and with a range
    # ending before it starts. 3 (a version provguard does not read) and 6 and 7 (ranges the files do not hold)
    # are sound in form: only reading them against the repository shows what is wrong.
    assert valid == [1, 3, 6, 7, 8]


def test_ai_and_mixed_ranges_are_found_by_check_with_agent_trace_evidence_and_human_ranges_are_not(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "shop"
    shop(root)

    assert main(["import", "agent-trace", "--root", str(root)]) == 0
    printed = capsys.readouterr().out

    assert printed.splitlines()[0] == (
        "agent-trace: 1 of 1 trace file read (8 lines, 5 records); 4 AI ranges: 4 new edits recorded (0 already "
        "known); 2 ranges not AI (1 human, 1 unknown); 1 range read from the working tree (no git revision in the "
        "record); 8 problems")
    assert printed.splitlines()[1].startswith(f"  skipped {root / '.agent-trace' / 'traces.jsonl'}:2: not JSON: ")
    assert check(root, capsys) == [
        ("src/notes.py", 4, 7, "agent-trace", "unknown", None, None, 0.9),  # no tool, no model: still AI
        ("src/pricing.py", 8, 12, "agent-trace", "cursor", "anthropic", "claude-opus-4-5-20251101", 0.9),
        ("src/report.py", 5, 9, "agent-trace", "cursor", "openai", "gpt-4o", 0.9),
        ("src/report.py", 12, 15, "agent-trace", "cursor", "openai", "gpt-4o", 0.5),  # the range says mixed
    ]  # pricing.py 4-5 (human) and report.py 1-2 (unknown) are not flagged


def test_an_edit_keeps_the_records_session_time_source_and_confidence(tmp_path: Path) -> None:
    root = tmp_path / "shop"
    shop(root)
    ledger = SqliteLedger(tmp_path / "ledger.sqlite3")

    import_traces(ledger, root, [root / ".agent-trace" / "traces.jsonl"])

    [edit] = ledger.agent_edits(path="src/pricing.py")
    assert (edit.tool, edit.vendor, edit.model, edit.evidence, edit.confidence) == (
        "cursor", "anthropic", "claude-opus-4-5-20251101", Evidence.AGENT_TRACE, 0.9)
    assert (edit.session_id, edit.time, edit.lines) == (SESSION_URL, "2026-01-23T14:30:00+00:00", 5)
    assert edit.source == f"agent-trace {root / '.agent-trace' / 'traces.jsonl'}:1"
    assert edit.text is None  # the ledger keeps text only when asked to


def test_lines_that_moved_within_their_file_are_still_found(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "shop"
    shop(root)
    assert main(["import", "agent-trace", "--root", str(root)]) == 0
    pricing = root / "src" / "pricing.py"
    text = pricing.read_text(encoding="utf-8")
    head, _, ai = text.partition("def discounted_total")
    helper = "def currency(amount):\n    return f\"{amount:.2f} EUR\"\n\n\n"
    pricing.write_text(helper + ai.join(["def discounted_total", ""]) + "\n\n" + head, encoding="utf-8")

    found = [f for f in check(root, capsys) if f[0] == "src/pricing.py"]

    assert found == [("src/pricing.py", 5, 9, "agent-trace", "cursor", "anthropic", "claude-opus-4-5-20251101", 0.9)]


def test_malformed_lines_unknown_versions_and_bad_ranges_are_reported_with_file_and_line(tmp_path: Path) -> None:
    root = tmp_path / "shop"
    _, revision = shop(root)
    ledger = SqliteLedger(tmp_path / "ledger.sqlite3")
    traces = root / ".agent-trace" / "traces.jsonl"

    report = import_traces(ledger, root, [traces])

    problems = [(p.file, p.line, p.reason) for p in report.problems]
    assert [(file, line) for file, line, _ in problems] == [(str(traces), n) for n in (2, 3, 4, 5, 5, 6, 7, 7)]
    reasons = [reason for _, _, reason in problems]
    assert reasons[0].startswith("not JSON: ")
    assert reasons[1] == "unknown Agent Trace version '2.0.0' (provguard reads 0.1.0)"
    assert reasons[2] == "files: missing"
    assert reasons[3] == "files[0].conversations[0].ranges[0]: end_line 3 is before start_line 9"
    assert reasons[4] == "files[1].path: '../outside.py' is not relative to the repository root"
    assert reasons[5].startswith("files[0].conversations[0].ranges[0]: cannot read src/pricing.py at "
                                 "0123456789abcdef0123456789abcdef01234567: ")
    assert reasons[6].startswith(f"files[0].conversations[0].ranges[0]: cannot read src/missing.py at {revision}: ")
    assert reasons[7] == (f"files[1].conversations[0].ranges[0]: lines 11-14, but src/pricing.py has 12 lines at "
                          f"{revision}")
    assert report.edits_new == 4  # the sound parts of every record still count


def test_a_second_import_stores_nothing_new_and_a_half_written_last_line_waits_until_complete(
        tmp_path: Path) -> None:
    root = tmp_path / "shop"
    shop(root)
    ledger = SqliteLedger(tmp_path / "ledger.sqlite3")
    traces = root / ".agent-trace" / "traces.jsonl"
    first = import_traces(ledger, root, [traces])

    again = import_traces(ledger, root, [traces])

    assert (first.edits_new, again.files_read, again.edits_new, again.problems) == (4, 0, 0, [])
    record = json.dumps({"version": "0.1.0", "id": "9f3c2a4e-6b1d-4c8e-a7f2-3d5e6f7a8b9c",
                         "timestamp": "2026-01-26T08:00:00Z", "tool": {"name": "amp", "version": "1.0.0"},
                         "files": [{"path": "src/report.py", "conversations": [
                             {"contributor": {"type": "ai"}, "ranges": [{"start_line": 12, "end_line": 15}]}]}]})
    with traces.open("a", encoding="utf-8") as file:
        file.write(record[:60])
    cut = import_traces(ledger, root, [traces])
    with traces.open("a", encoding="utf-8") as file:
        file.write(record[60:] + "\n")
    completed = import_traces(ledger, root, [traces])

    assert (cut.edits_new, cut.problems) == (0, [])  # not an error: the writer is not done with it
    assert (completed.edits_new, completed.lines, completed.problems) == (1, 1, [])
    assert {e.tool for e in ledger.agent_edits(path="src/report.py")} == {"cursor", "amp"}


def test_a_sha256_content_hash_must_match_the_lines_and_another_tools_hash_is_left_alone(tmp_path: Path) -> None:
    root = tmp_path / "shop"
    _, revision = shop(root)
    lines = b"".join((root / "src" / "pricing.py").read_bytes().splitlines(keepends=True)[7:12])

    def record(n: int, content_hash: str) -> str:
        return json.dumps({
            "version": "0.1.0", "id": f"00000000-0000-4000-8000-00000000000{n}", "timestamp": "2026-01-26T08:00:00Z",
            "vcs": {"type": "git", "revision": revision}, "tool": {"name": "cursor", "version": "2.4.0"},
            "files": [{"path": "src/pricing.py", "conversations": [{"contributor": {"type": "ai"}, "ranges": [
                {"start_line": 8, "end_line": 12, "content_hash": content_hash}]}]}]})
    traces = tmp_path / "hashes.jsonl"
    traces.write_text("\n".join([
        record(1, "sha256:" + hashlib.sha256(lines).hexdigest()),
        record(2, "sha256:" + hashlib.sha256(lines.rstrip(b"\n")).hexdigest()),  # without the last break
        record(3, "murmur3:9f2e8a1b"),  # the spec's example: an algorithm provguard does not compute
        record(4, "sha256:" + "0" * 64),
        record(5, "sha256:" + hashlib.sha256(lines).hexdigest()[:16].upper()),  # Cursor keeps 16 hex digits
        record(6, "sha256:" + hashlib.sha256(lines).hexdigest()[:7]),  # too short to be evidence
    ]) + "\n", encoding="utf-8")

    report = import_traces(SqliteLedger(tmp_path / "ledger.sqlite3"), root, [traces])

    assert report.edits_new == 4
    assert [(p.line, p.reason) for p in report.problems] == [
        (4, f"files[0].conversations[0].ranges[0]: content_hash does not match lines 8-12 of src/pricing.py at "
            f"{revision} or in the working tree: its text is not found"),
        (6, f"files[0].conversations[0].ranges[0]: content_hash 'sha256:{hashlib.sha256(lines).hexdigest()[:7]}' is "
            "not a sha256 digest or a prefix of at least 8 of its hex digits")]


def test_outside_a_repository_records_are_read_against_the_files_unless_they_name_a_git_revision(
        tmp_path: Path) -> None:
    root = tmp_path / "shop"
    shutil.copytree(FIXTURES / "shop", root)
    (root / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR")

    def record(n: int, path: str, vcs: dict[str, str] | None) -> str:
        data: dict[str, Any] = {
            "version": "0.1.0", "id": f"00000000-0000-4000-8000-00000000000{n}", "timestamp": "2026-01-26T08:00:00Z",
            "files": [{"path": path, "conversations": [
                {"contributor": {"type": "ai"}, "ranges": [{"start_line": 1, "end_line": 2}]}]}]}
        if vcs is not None:
            data["vcs"] = vcs
        return json.dumps(data)
    traces = tmp_path / "traces.jsonl"
    traces.write_text("\n".join([
        record(1, "src/report.py", None),
        record(2, "src/report.py", {"type": "jj", "revision": "kkmpptxz"}),  # not git: the files as they are
        record(3, "src/report.py", {"type": "git", "revision": "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0"}),
        record(4, "logo.png", None),
    ]) + "\n", encoding="utf-8")

    report = import_traces(SqliteLedger(tmp_path / "ledger.sqlite3"), root, [traces])

    assert (report.edits_new, report.working_tree) == (2, 2)
    assert [(p.line, p.reason) for p in report.problems] == [
        (3, f"files[0].conversations[0].ranges[0]: no git repository at {root} to read revision "
            "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0"),
        (4, "files[0].conversations[0].ranges[0]: logo.png is a binary file")]


def test_import_without_records_says_where_it_looked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Repo(tmp_path)

    assert main(["import", "agent-trace", "--root", str(tmp_path)]) == 0

    assert f"no Agent Trace records at {tmp_path / '.agent-trace' / 'traces.jsonl'}" in capsys.readouterr().err


# -- export ---------------------------------------------------------------------------------------------------

MARKED = '''\
"""Discounts."""


# provguard: begin kind=ai-agent tool=claude-code model=claude-sonnet-4-5
def seasonal_discount(month, base_rate):
    summer = month in (6, 7, 8)
    return base_rate * (1.5 if summer else 1.0)
# provguard: end


def plain(value):
    return value
'''

RECORDED = '''\
def invoice_lines(order, currency_symbol, tax_table):
    rows = []
    for item in sorted(order.items, key=lambda entry: (entry.category, entry.sku)):
        rate = tax_table.get(item.category, tax_table["default"])
        gross = item.price * item.quantity * (1 + rate)
        rows.append((item.sku, item.quantity, f"{currency_symbol}{gross:,.2f}", f"{rate:.0%}"))
    rows.append(("total", sum(r[1] for r in rows), f"{currency_symbol}{order.total:,.2f}", ""))
    return rows
'''


def recorded_project(root: Path) -> Repo:
    """A project whose AI lines come from a marker, an edit a hook recorded (and a renamed copy of it elsewhere),
    and a mixed Agent Trace range."""
    repo = Repo(root)
    repo.commit({"src/discounts.py": MARKED, "src/invoice.py": "import math\n\n\n" + RECORDED,
                 "src/billing.py": '"""Billing."""\n\n\n' + RECORDED.replace("order", "bill").replace("rows", "lines"),
                 "src/report.py": (FIXTURES / "shop" / "src" / "report.py").read_text(encoding="utf-8"),
                 "README.md": "A shop.\n"}, "shop")
    (root / ".provguard").mkdir()
    ledger = SqliteLedger(root / ".provguard" / "ledger.sqlite3")
    prints = insertion_prints(RECORDED, "src/invoice.py")
    ledger.add_agent_edits([AgentEdit(
        id="hook-1", tool="codex", path="src/invoice.py", time="2026-11-20T09:14:03+00:00", evidence=Evidence.HOOK,
        vendor="openai", model="gpt-5-codex", session_id="0199a1b2-7c3d-7e4f-8a5b-6c7d8e9f0a1b",
        tool_call_id="call_1", lines=prints.lines, fingerprints=prints.fingerprints,
        line_hashes=prints.line_hashes, names=prints.names, source="hook")])
    ledger.close()
    revision = repo.git("rev-parse", "HEAD")
    mixed = {"version": "0.1.0", "id": "3f1e2d3c-4b5a-4697-8a7b-6c5d4e3f2a1b", "timestamp": "2026-11-21T10:00:00Z",
             "vcs": {"type": "git", "revision": revision}, "tool": {"name": "cursor", "version": "2.4.0"},
             "files": [{"path": "src/report.py", "conversations": [{
                 "contributor": {"type": "mixed", "model_id": "openai/gpt-4o"},
                 "ranges": [{"start_line": 12, "end_line": 15}]}]}]}
    trace = root / "incoming.jsonl"
    trace.write_text(json.dumps(mixed) + "\n", encoding="utf-8")
    assert main(["import", "agent-trace", str(trace), "--root", str(root)]) == 0
    trace.unlink()
    return repo


def test_export_writes_one_record_of_the_revision_that_validates_against_the_schema(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "a"
    repo = recorded_project(root)

    record = export(root, capsys)

    validator().validate(record)
    assert record["version"] == "0.1.0"
    assert record["vcs"] == {"type": "git", "revision": repo.git("rev-parse", "HEAD")}
    assert record["tool"]["name"] == "provguard"
    assert spans(record) == [
        ("src/billing.py", 6, 11, "ai", "openai/gpt-5-codex", "codex"),  # the renamed copy, by its fingerprints
        ("src/discounts.py", 4, 8, "ai", "anthropic/claude-sonnet-4-5", "claude-code"),  # the marked block
        ("src/invoice.py", 4, 11, "ai", "openai/gpt-5-codex", "codex"),  # the hook's edit, found by its lines
        ("src/report.py", 12, 15, "mixed", "openai/gpt-4o", "cursor"),
    ]
    [invoice] = [f for f in record["files"] if f["path"] == "src/invoice.py"]
    assert invoice["conversations"][0]["ranges"][0]["content_hash"] == (
        "sha256:" + hashlib.sha256(RECORDED.encode()).hexdigest())


def test_export_reads_the_files_as_committed_at_the_revision(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "a"
    repo = recorded_project(root)
    first = repo.git("rev-parse", "HEAD")
    repo.commit({"src/invoice.py": "import math\nimport sys\n\n\n" + RECORDED}, "sys")
    (root / "src" / "discounts.py").write_text("# rewritten, not committed\n", encoding="utf-8")

    now = spans(export(root, capsys))
    before = export(root, capsys, "--revision", "HEAD~1")

    assert ("src/invoice.py", 5, 12, "ai", "openai/gpt-5-codex", "codex") in now
    assert ("src/discounts.py", 4, 8, "ai", "anthropic/claude-sonnet-4-5", "claude-code") in now
    assert before["vcs"]["revision"] == first
    assert ("src/invoice.py", 4, 11, "ai", "openai/gpt-5-codex", "codex") in spans(before)


def test_export_then_import_into_a_fresh_ledger_gives_the_same_spans(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    origin = tmp_path / "a"
    recorded_project(origin)
    exported = export(origin, capsys)
    clone = tmp_path / "b"
    subprocess.run(["git", "clone", "-q", str(origin), str(clone)], check=True, capture_output=True)
    traces = clone / ".agent-trace" / "traces.jsonl"
    traces.parent.mkdir()
    traces.write_text(json.dumps(exported) + "\n", encoding="utf-8")

    assert main(["import", "agent-trace", "--root", str(clone)]) == 0
    again = export(clone, capsys)

    validator().validate(again)
    assert spans(again) == spans(exported)
    assert again["files"] == exported["files"]  # the same ranges, content hashes and contributors, byte for byte
    assert again["id"] == exported["id"]  # derived from what the record says, so importing both stores it once


def test_paths_are_relative_to_the_repository_root_when_the_project_is_a_folder_of_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = Repo(tmp_path / "mono")
    shutil.copytree(FIXTURES / "shop", repo.root / "app")
    repo.git("add", ".")
    repo.git("commit", "-q", "-m", "app")
    trace = tmp_path / "traces.jsonl"
    trace.write_text(json.dumps({
        "version": "0.1.0", "id": "5b1f2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "timestamp": "2026-01-26T08:00:00Z",
        "vcs": {"type": "git", "revision": repo.git("rev-parse", "HEAD")}, "tool": {"name": "cursor", "version": "2"},
        "files": [{"path": "app/src/pricing.py", "conversations": [
            {"contributor": {"type": "ai"}, "ranges": [{"start_line": 8, "end_line": 12}]}]}]}) + "\n")
    project = repo.root / "app"

    assert main(["import", "agent-trace", str(trace), "--root", str(project)]) == 0
    exported = export(project, capsys)

    assert [e.path for e in SqliteLedger(project / ".provguard" / "ledger.sqlite3").agent_edits()] == [
        "src/pricing.py"]  # the ledger's paths are the project's
    assert spans(exported) == [("app/src/pricing.py", 8, 12, "ai", None, "cursor")]  # the record's the repository's


def test_export_needs_a_repository_and_a_commit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    assert main(["export", str(plain), "--root", str(plain), "--format", "agent-trace"]) == 2
    assert "is not in a git repository" in capsys.readouterr().err

    repo = Repo(tmp_path / "repo")
    repo.commit({"a.py": "x = 1\n"}, "a")
    assert main(["export", str(repo.root), "--root", str(repo.root), "--format", "agent-trace",
                 "--revision", "no-such-branch"]) == 2
    assert "no commit 'no-such-branch'" in capsys.readouterr().err
    assert main(["export", str(repo.root), "--root", str(repo.root), "--revision", "HEAD"]) == 2
    assert "--revision goes with --format agent-trace" in capsys.readouterr().err
