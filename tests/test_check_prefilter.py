"""`provguard check` fingerprints only the files a recorded agent edit could be found in, and that changes no
verdict: a copy elsewhere and the edit's own file are found as before, files sharing too few k-grams with every
edit are not fingerprinted (counted with --verbose), and every finding of a run is the one the full lookup of every
file gives. Soundness rests on one fact checked on real files of several languages: a file's fingerprints are
always among the k-gram hashes the prefilter computes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

import pytest

from provguard import check_prefilter
from provguard.check import RunOptions, check_paths, run_check
from provguard.check_kgrams import KgramHasher
from provguard.check_prefilter import HeldTokens, LedgerPrints
from provguard.commands.check_run import project_policy
from provguard.documents import Document
from provguard.findings import Finding
from provguard.languages import detect
from provguard.ledger.sqlite import SqliteLedger
from provguard.projects import CheckSetup
from provguard.provenance import background
from provguard.provenance.fingerprints import Print, document_tokens
from provguard.provenance.name_prints import name_print
from provguard.provenance.tokens import evidence_names, tree_token_columns
from provguard.provenance.winnow import every_kgram
from snippet_support import DISGUISED, SNIPPET
from transcript_support import record_claude_write

REPO = Path(__file__).resolve().parent.parent
STDLIB = Path(sysconfig.get_paths()["stdlib"])
UNRELATED = ("textwrap.py", "json/decoder.py", "csv.py", "fractions.py")
"""Real modules sharing no copied code with the recorded edit."""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project whose ledger holds one Claude Code write (the snippet, at agent/merge.py); the snippet renamed and
    re-indented inside another file under data/train/; and unrelated real modules under src/."""
    root = tmp_path_factory.mktemp("prefilter") / "proj"
    root.mkdir()
    (root / "provguard.toml").write_text('packs = ["default"]\n')
    (root / "agent").mkdir()
    (root / "agent" / "merge.py").write_text(SNIPPET)
    record_claude_write(root, "agent/merge.py", SNIPPET, "toolu_prefilter")
    (root / "data" / "train").mkdir(parents=True)
    (root / "data" / "train" / "calendar.py").write_text(DISGUISED)
    for name in UNRELATED:
        (root / "src" / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(STDLIB / name, root / "src" / name)
    return root


def check(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "provguard", "check", "--format", "json", "--no-git", "--no-cache",
                           *args, "."], cwd=root, capture_output=True, text=True, check=False, timeout=240,
                          env={**os.environ, "PYTHONPATH": str(REPO / "server")})


def test_copies_are_found_and_files_no_edit_can_be_in_are_counted_as_not_fingerprinted(project: Path) -> None:
    done = check(project, "--verbose")
    assert done.returncode in (0, 1), done.stderr
    found: dict[str, Any] = json.loads(done.stdout)
    by_path = {f["path"] for f in found["findings"]}
    assert {"agent/merge.py", "data/train/calendar.py"} <= by_path
    assert not any(path.startswith("src/") for path in by_path)
    copy = [f for f in found["findings"] if f["path"] == "data/train/calendar.py"]
    assert any(f["origin"]["evidence"] == "fingerprint" for f in copy), copy
    assert f"{len(UNRELATED)} of {found['filesChecked']} files not fingerprinted" in done.stderr


def test_the_count_is_shown_only_with_verbose(project: Path) -> None:
    done = check(project)
    assert done.returncode in (0, 1), done.stderr
    assert "not fingerprinted" not in done.stderr


def _verdicts(findings: tuple[Finding, ...]) -> list[tuple[object, ...]]:
    return [(f.rule_id, f.severity, f.start, f.end, f.message, f.origin) for f in findings]


@pytest.mark.parametrize("hasher", ["python", "numpy"])
def test_every_verdict_is_the_one_the_full_lookup_of_every_file_gives(
        project: Path, hasher: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if hasher == "numpy":  # k-grams hashed with NumPy from the first file on (`check_kgrams`)
        pytest.importorskip("numpy")
        monkeypatch.setattr(check_prefilter, "_every_kgram", KgramHasher(numpy_after=0))
    setup = CheckSetup(git=False, pack_base=project)
    policy = project_policy(project, setup)
    assert policy is not None
    run = run_check([project], setup, RunOptions(jobs=1, cache=False), lambda root: project_policy(root, setup))
    ledger = SqliteLedger(project / ".provguard" / "ledger.sqlite3")
    try:
        full = check_paths([project], project, policy, ledger)  # every file fingerprinted and looked up
    finally:
        ledger.close()
    assert run.unmatched == len(UNRELATED)
    assert {r.path: _verdicts(r.analysis.findings) for r in run.files} == {
        r.path: _verdicts(r.analysis.findings) for r in full.files if r.analysis.findings}
    assert {r.path for r in run.files} >= {"agent/merge.py", "data/train/calendar.py"}


def _real_files() -> list[Path]:
    """Real code of several grammar languages: the standard library, and C and JavaScript files that installed
    packages ship."""
    site = Path(sysconfig.get_paths()["purelib"])
    files = [STDLIB / name for name in (*UNRELATED, "asyncio/base_events.py", "email/_header_value_parser.py")]
    for pattern in ("*.c", "*.h", "*.js"):
        files += sorted(p for p in site.rglob(pattern) if 2_000 < p.stat().st_size < 200_000)[:3]
    return files


@pytest.mark.parametrize("path", _real_files(), ids=lambda p: p.name)
def test_a_files_fingerprints_are_always_among_the_hashes_the_prefilter_reads(path: Path) -> None:
    source = path.read_bytes()
    language = detect(str(path))
    assert language.has_grammar
    doc = Document(str(path), language, source)
    assert doc.tree is not None
    _, ids, names = tree_token_columns(doc.tree, language, 0, len(source), source, keep=True)
    named = evidence_names(names, background.common().has_name)
    structural, lexical = every_kgram(ids, names)
    read = {*structural, *lexical} | {name_print(n) for n in named}
    tokens = document_tokens(doc)  # reads the columns kept above
    assert {p.hash for p in tokens.prints()} <= read
    assert {p.hash for p in tokens.name_prints()} <= read
    fresh = document_tokens(Document(str(path), language, source))
    assert tokens.prints() == fresh.prints() and tokens.name_prints() == fresh.name_prints()


@pytest.mark.parametrize("path", _real_files(), ids=lambda p: p.name)
def test_the_prints_a_ledger_holds_are_chosen_as_winnowing_the_whole_text_chooses_them(path: Path) -> None:
    source = path.read_bytes()
    language = detect(str(path))
    doc = Document(str(path), language, source)
    assert doc.tree is not None
    columns = tree_token_columns(doc.tree, language, 0, len(source), source)
    full = document_tokens(Document(str(path), language, source))
    kgrams = every_kgram(columns[1], columns[2])
    every = kgrams[0] + kgrams[1]
    named = {p.hash for p in full.name_prints()}
    held = frozenset(every[::7]) | {p.hash for p in full.prints()[::3]} | set(list(named)[::2])
    # a ledger holding every 7th k-gram of the file (most never chosen), every 3rd fingerprint, half its name prints
    names = {n: name_print(n) for n in evidence_names(columns[2], background.common().has_name)}
    tokens = HeldTokens(columns, kgrams, held, {n: p for n, p in names.items() if p in held})
    tokens.refresh(doc)
    assert tokens.prints() == [p for p in full.prints() if p.hash in held]
    assert sorted(tokens.name_prints(), key=_key) == sorted((p for p in full.name_prints() if p.hash in held), key=_key)
    assert any(p.hash & 1 for p in tokens.prints()) and any(not p.hash & 1 for p in tokens.prints())


def _key(p: Print) -> tuple[int, int, int]:
    return p.first_line, p.last_line, p.hash


def test_an_edit_recorded_during_a_run_is_looked_up_in_the_files_checked_after_it(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "provguard.toml").write_text('packs = ["default"]\n')
    record_claude_write(root, "agent/first.py", "def first():\n    return 1\n", "toolu_first")
    ledger = SqliteLedger(root / ".provguard" / "ledger.sqlite3")
    try:
        prints = LedgerPrints.load(ledger)
        assert prints is not None
        copy = Document("data/calendar.py", detect("calendar.py"), DISGUISED.encode())
        assert prints.tokens(copy, ledger).ruled_out, "no edit recorded yet could be found in it"
        record_claude_write(root, "agent/merge.py", SNIPPET, "toolu_later")
        copy = Document("data/calendar.py", detect("calendar.py"), DISGUISED.encode())
        verdict = prints.tokens(copy, ledger)
        assert not verdict.ruled_out and verdict.tokens is not None
    finally:
        ledger.close()


def test_the_prefilter_holds_every_hash_the_recorded_edits_hold(project: Path) -> None:
    ledger = SqliteLedger(project / ".provguard" / "ledger.sqlite3")
    try:
        prints = LedgerPrints.load(ledger)
        assert prints is not None
        assert prints.hashes == {h for edit in ledger.agent_edits() for h in edit.fingerprints}
    finally:
        ledger.close()


def test_a_ledger_with_more_hashes_than_the_cap_is_looked_up_file_by_file_with_the_same_findings(
        project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ledger = SqliteLedger(project / ".provguard" / "ledger.sqlite3")
    try:
        held = ledger.fingerprint_hashes(10**6)
        assert held
        monkeypatch.setattr(check_prefilter, "MAX_LEDGER_PRINTS", len(held) - 1)
        assert LedgerPrints.load(ledger) is None
    finally:
        ledger.close()
    setup = CheckSetup(git=False, pack_base=project)
    capped = run_check([project], setup, RunOptions(jobs=1, cache=False), lambda root: project_policy(root, setup))
    monkeypatch.undo()
    prefiltered = run_check([project], setup, RunOptions(jobs=1, cache=False),
                            lambda root: project_policy(root, setup))
    assert capped.unmatched == 0 and prefiltered.unmatched == len(UNRELATED)
    assert {r.path: _verdicts(r.analysis.findings) for r in capped.files} == {
        r.path: _verdicts(r.analysis.findings) for r in prefiltered.files}
    assert {r.path for r in capped.files} >= {"agent/merge.py", "data/train/calendar.py"}
