"""`provguard filter --engine ray` on a local 2-CPU Ray cluster shared by the module: the same kept, dropped
and redacted records, for the same reasons, as `provguard filter` on one machine; JSONL (plain and gzip) and
Parquet; malformed records reported with file and line or row; every record exactly once when a worker dies."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard

from corpus_support import REPO, provguard, read_jsonl
from ledger_support import agent_edit
from provguard.corpus.corpus_files import FileResult, FileTask
from provguard.corpus.judge import Judge
from provguard.corpus.pipeline import FilterConfig
from provguard.corpus.ray_actor import FileStage, JudgeSettings
from provguard.corpus.ray_run import RayOptions, RayRunError, run_on_ray
from provguard.corpus.samples import Fields
from provguard.corpus.snapshot import snapshot_bytes
from provguard.ledger.location import default_location
from provguard.ledger.sqlite import SqliteLedger
from provguard.policy.policy import load_policy
from provguard.provenance.fingerprints import insertion_prints
from ray_support import RECORDED_EDIT, corpus_lines, start_ray

CRASH_MARKER = "PROVGUARD_TEST_CRASH_MARKER"
FLAGS = ("--as", "train.jsonl", "--path-field", "path", "--language-field", "lang")
RIVAL_RULE = "rival-ai-output-in-training-data"


@pytest.fixture(scope="module")
def ray_address(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    # Ray's workers start with the environment the cluster started with: say now where a crash is recorded.
    yield from start_ray(**{CRASH_MARKER: str(tmp_path_factory.mktemp("faults") / "crashed")})


def write_corpus(folder: Path) -> dict[str, bytes]:
    """Three files, 2,400 lines: plain, gzip, and Zstandard in a subfolder. Returns each file's plain bytes."""
    files = {"a.jsonl": corpus_lines(1, 1000), "sub/c.jsonl.gz": corpus_lines(2, 700),
             "sub/deeper/b.jsonl.zst": corpus_lines(3, 700)}
    plain = {}
    for name, lines in files.items():
        data = b"\n".join(lines) + b"\n"
        plain[name] = data
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(packed(name, data))
    return plain


def packed(name: str, data: bytes) -> bytes:
    if name.endswith(".gz"):
        return gzip.compress(data)
    return zstandard.ZstdCompressor().compress(data) if name.endswith(".zst") else data


def unpacked(path: Path) -> bytes:
    if path.name.endswith(".gz"):
        return gzip.decompress(path.read_bytes())
    if path.name.endswith(".zst"):
        return zstandard.ZstdDecompressor().decompressobj().decompress(path.read_bytes())
    return path.read_bytes()


def one_machine(tmp_path: Path, name: str, data: bytes, *flags: str) -> tuple[bytes, list[dict[str, Any]]]:
    """`provguard filter` on one file: its output and its report without the summary."""
    work = tmp_path / "single"
    work.mkdir(exist_ok=True)
    (work / "in.jsonl").write_bytes(data)
    done = provguard(work, "filter", "in.jsonl", "out.jsonl", "--report", "report.jsonl", "--workers", "1",
                     *FLAGS, *flags)
    assert done.returncode == 0, done.stderr.decode()
    return (work / "out.jsonl").read_bytes(), read_jsonl(work / "report.jsonl")[:-1]


@pytest.mark.parametrize("flags", [(), ("--redact", "--on-bad-line", "drop")], ids=["drop", "redact"])
def test_jsonl_on_ray_equals_one_machine_file_by_file(tmp_path: Path, ray_address: str,
                                                      flags: tuple[str, ...]) -> None:
    plain = write_corpus(tmp_path / "corpus")
    done = provguard(tmp_path, "filter", "corpus", "filtered", "--engine", "ray", "--ray-address", ray_address,
                     "--report", "report.jsonl", *FLAGS, *flags)
    assert done.returncode == 0, done.stderr.decode()
    report = read_jsonl(tmp_path / "report.jsonl")
    summary = report.pop()["summary"]
    totals = {"lines": 0, "kept": 0, "dropped": 0, "redacted": 0, "badLines": 0}
    for name, data in plain.items():
        expected_out, expected_report = one_machine(tmp_path, name, data, *flags)
        assert unpacked(tmp_path / "filtered" / name) == expected_out, name
        mine = [{k: v for k, v in r.items() if k != "file"} for r in report if r["file"] == name]
        assert mine == expected_report, name
        for line in expected_report:
            totals["dropped"] += line["action"] == "drop"
            totals["redacted"] += line["action"] == "redact"
            totals["badLines"] += line["action"] == "bad-line"
        totals["lines"] += data.count(b"\n")
    totals["kept"] = totals["lines"] - totals["dropped"] - totals["redacted"] - totals["badLines"]
    assert {k: summary[k] for k in totals} == totals
    assert summary["files"] == 3 and summary["failedFiles"] == 0
    assert totals["dropped"] + totals["redacted"] > 300 and totals["badLines"] == 24  # the corpus plants them
    assert (tmp_path / "filtered" / "sub" / "c.jsonl.gz").read_bytes()[:2] == b"\x1f\x8b"  # still gzip
    assert (tmp_path / "filtered" / "sub" / "deeper" / "b.jsonl.zst").read_bytes()[:4] == b"\x28\xb5\x2f\xfd"
    assert done.stderr.decode().endswith(f"({3} files on Ray)\n")
    assert "provguard: a.jsonl:97: column 2: not JSON" in done.stderr.decode()


def parquet_rows(lines: list[bytes]) -> list[dict[str, Any]]:
    """The corpus's samples as Parquet rows; malformed lines become rows without code (null)."""
    rows = []
    for line in lines:
        try:
            data = json.loads(line)
        except (ValueError, UnicodeDecodeError):
            data = None
        if isinstance(data, dict) and isinstance(data.get("content"), str):
            rows.append({"id": data["id"], "content": data["content"], "path": data["path"],
                         "lang": data.get("lang"), "stars": data["stars"]})
        else:
            rows.append({"id": -1, "content": None, "path": None, "lang": None, "stars": 0})
    return rows


def test_parquet_on_ray_keeps_drops_and_redacts_like_one_machine(tmp_path: Path, ray_address: str) -> None:
    lines = corpus_lines(4, 1500)
    rows = parquet_rows(lines)
    (tmp_path / "corpus").mkdir()
    schema = pa.schema([("id", pa.int64()), ("content", pa.string()), ("path", pa.string()), ("lang", pa.string()),
                        ("stars", pa.int64())])
    pq.write_table(pa.Table.from_pylist(rows, schema), tmp_path / "corpus" / "part-0.parquet", row_group_size=400)
    done = provguard(tmp_path, "filter", "corpus", "filtered", "--engine", "ray", "--ray-address", ray_address,
                     "--report", "report.jsonl", "--redact", "--batch-rows", "256", *FLAGS)
    assert done.returncode == 0, done.stderr.decode()

    good = [json.dumps({k: v for k, v in r.items() if v is not None or k == "lang"}).encode() for r in rows
            if r["content"] is not None]
    expected_out, expected_report = one_machine(tmp_path, "part-0", b"\n".join(good) + b"\n", "--redact")
    expected_rows = [json.loads(line) for line in expected_out.splitlines()]
    got = pq.read_table(tmp_path / "filtered" / "part-0.parquet")
    assert got.schema == schema
    got_rows = [r for r in got.to_pylist() if r["content"] is not None]
    assert [(r["id"], r["content"]) for r in got_rows] == [(r["id"], r["content"]) for r in expected_rows]

    report = read_jsonl(tmp_path / "report.jsonl")
    summary = report.pop()["summary"]
    bad_rows = [i for i, r in enumerate(rows) if r["content"] is None]
    assert [r["row"] for r in report if r["action"] == "bad-line"] == bad_rows
    assert {r["problem"] for r in report if r["action"] == "bad-line"} == {"'content' is null"}
    # Rows count from 0; the single-machine run over the good rows numbers its lines from 1.
    good_row_numbers = [i for i, r in enumerate(rows) if r["content"] is not None]
    judged = [{k: v for k, v in r.items() if k not in ("file", "row")} for r in report if r["action"] != "bad-line"]
    assert judged == [{k: v for k, v in r.items() if k != "line"} for r in expected_report]
    assert [r["row"] for r in report if r["action"] != "bad-line"] == \
        [good_row_numbers[r["line"] - 1] for r in expected_report]
    assert summary["badLines"] == len(bad_rows) == summary["badLinesWritten"]
    assert got.num_rows == summary["kept"] + summary["redacted"] + len(bad_rows)


class CrashOnceStage(FileStage):
    """Kills its worker process the first time it is given the file holding the record to fail on."""

    def filter(self, task: FileTask, placement: str) -> FileResult:
        marker = Path(os.environ[CRASH_MARKER])
        if "crash" in task.name and not marker.exists():
            marker.write_text("crashed once\n", encoding="utf-8")
            os._exit(1)
        return super().filter(task, placement)


def test_a_worker_dying_mid_run_is_retried_and_every_record_appears_once(tmp_path: Path, ray_address: str) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    lines = {name: corpus_lines(seed, 300) for seed, name in enumerate(("a.jsonl", "crash.jsonl", "z.jsonl"), 5)}
    for name, data in lines.items():
        (corpus / name).write_bytes(b"\n".join(data) + b"\n")
    marker = Path(os.environ[CRASH_MARKER])
    assert not marker.exists()
    policy = load_policy(["default"], {}).policy
    config = FilterConfig(Judge(policy), Fields("content", "path", "lang"))
    run = run_on_ray(snapshot_bytes(policy, [], None), JudgeSettings(("train.jsonl",), "error", False), config,
                     str(corpus), str(tmp_path / "out"), RayOptions(concurrency=2), lambda target: target,
                     stage=CrashOnceStage)
    assert marker.exists()  # the crash happened
    assert run.counts.lines == 900 and not run.failed
    for name, data in lines.items():
        expected, report = one_machine(tmp_path, name, b"\n".join(data) + b"\n")
        assert (tmp_path / "out" / name).read_bytes() == expected
        written = expected.count(b"\n")
        listed = sum(1 for r in report if r["action"] == "drop" or (r["action"] == "bad-line" and not r["written"]))
        assert written + listed == 300  # each record once: written, or listed as dropped
    assert not list((tmp_path / "out").glob("*.provguard-partial"))


class PoisonStage(FileStage):
    """Kills its worker process whenever it is given a file named poison*: as a file that crashes a parser would."""

    def filter(self, task: FileTask, placement: str) -> FileResult:
        if task.name.startswith("poison"):
            os._exit(1)
        return super().filter(task, placement)


def test_a_file_that_kills_its_worker_every_time_is_that_files_error_and_the_others_are_written(
        tmp_path: Path, ray_address: str) -> None:
    (tmp_path / "corpus").mkdir()
    for name in ("a.jsonl", "poison.jsonl", "z.jsonl"):
        (tmp_path / "corpus" / name).write_bytes(b"\n".join(corpus_lines(7, 30)) + b"\n")
    policy = load_policy(["default"], {}).policy
    run = run_on_ray(snapshot_bytes(policy, [], None), JudgeSettings(("train.jsonl",), "error", False),
                     FilterConfig(Judge(policy), Fields("content", "path", "lang")), str(tmp_path / "corpus"),
                     str(tmp_path / "out"), RayOptions(concurrency=2), lambda target: target, stage=PoisonStage)
    (failed,) = run.failed
    assert failed.name == "poison.jsonl"
    assert failed.error is not None and failed.error.startswith("poison.jsonl: the Ray worker filtering it stopped (")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.jsonl", "z.jsonl"]
    assert run.counts.lines == 60


class NoStartStage(FileStage):
    """A worker that cannot start, as on a node where provguard's version does not match."""

    def __init__(self, snapshot: bytes, **rest: Any) -> None:
        raise RuntimeError("this node's provguard cannot read the policy snapshot")


def test_workers_that_cannot_start_fail_the_run_with_their_reason(tmp_path: Path, ray_address: str) -> None:
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "a.jsonl").write_bytes(b"\n".join(corpus_lines(4, 20)) + b"\n")
    policy = load_policy(["default"], {}).policy
    with pytest.raises(RayRunError, match=r"^no Ray worker could start: .*this node's provguard cannot read the "
                                          r"policy snapshot"):
        run_on_ray(snapshot_bytes(policy, [], None), JudgeSettings(("train.jsonl",), "error", False),
                   FilterConfig(Judge(policy), Fields("content", "path", "lang")), str(tmp_path / "corpus"),
                   str(tmp_path / "out"), RayOptions(), lambda target: target, stage=NoStartStage)
    assert not (tmp_path / "out" / "a.jsonl").exists()


def test_more_actors_than_the_cluster_has_cpus_still_filters_every_file(tmp_path: Path, ray_address: str) -> None:
    (tmp_path / "corpus").mkdir()
    for n in range(5):
        (tmp_path / "corpus" / f"f{n}.jsonl").write_bytes(b"\n".join(corpus_lines(20 + n, 40)) + b"\n")
    done = provguard(tmp_path, "filter", "corpus", "filtered", "--engine", "ray", "--ray-address", ray_address,
                     "--concurrency", "4", *FLAGS)  # the cluster has 2 CPUs: two actors never start
    assert done.returncode == 0, done.stderr.decode()
    assert done.stderr.decode().endswith("(5 files on Ray)\n")
    assert sorted(p.name for p in (tmp_path / "filtered").iterdir()) == [f"f{n}.jsonl" for n in range(5)]


def test_an_unreadable_parquet_file_fails_the_run_naming_it_and_the_others_are_written(
        tmp_path: Path, ray_address: str) -> None:
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "good.jsonl").write_bytes(b"\n".join(corpus_lines(9, 50)) + b"\n")
    (tmp_path / "corpus" / "broken.parquet").write_bytes(b"PAR1 this is not parquet")
    done = provguard(tmp_path, "filter", "corpus", "filtered", "--engine", "ray", "--ray-address", ray_address,
                     "--report", "report.jsonl", *FLAGS)
    assert done.returncode == 2
    stderr = done.stderr.decode()
    assert "provguard: broken.parquet: not a readable Parquet file" in stderr
    assert "1 of 2 files could not be filtered" in stderr
    assert (tmp_path / "filtered" / "good.jsonl").exists()
    assert not (tmp_path / "filtered" / "broken.parquet").exists()
    (failed,) = [r for r in read_jsonl(tmp_path / "report.jsonl") if r.get("action") == "file-error"]
    assert failed["file"] == "broken.parquet" and failed["problem"].startswith("broken.parquet: not a readable")


def test_usage_errors_of_the_ray_engine(tmp_path: Path, ray_address: str) -> None:
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "notes.txt").write_text("not a corpus\n", encoding="utf-8")
    (tmp_path / "part.parquet").write_bytes(b"PAR1")
    cases = [
        (("corpus/notes.txt", "out.txt"),
         "corpus/notes.txt: not a corpus file (.jsonl, .jsonl.gz, .jsonl.zst, .parquet)"),
        (("corpus", "out"), "corpus: no corpus files (.jsonl, .jsonl.gz, .jsonl.zst, .parquet) in the folder"),
        (("missing", "out"), "no such file or folder: missing"),
        (("corpus", "corpus/out"), "the output folder corpus/out is inside the input folder corpus"),
        (("-", "out"), "not stdin or stdout: give INPUT and OUTPUT"),
        (("part.parquet", "out.jsonl"), "out.jsonl: the output is written in the input's format"),
        (("corpus", "out", "--ledger", "x.sqlite3"), "--ledger cannot be used with --engine ray"),
    ]
    for args, message in cases:
        done = provguard(tmp_path, "filter", *args, "--engine", "ray", "--ray-address", ray_address)
        assert done.returncode == 2, args
        assert message in done.stderr.decode(), (args, done.stderr.decode())


def test_without_ray_the_engine_names_the_extra_to_install(tmp_path: Path) -> None:
    (tmp_path / "in.jsonl").write_bytes(b'{"content": "x = 1"}\n')
    code = ("import sys; sys.modules['ray'] = None; from provguard.cli import main; "
            "sys.exit(main(['filter', 'in.jsonl', 'out.jsonl', '--engine', 'ray']))")
    env = dict(os.environ, PYTHONPATH=str(REPO / "server"))
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, timeout=60,
                          check=False)
    assert done.returncode == 2
    assert done.stderr.decode() == ("provguard: --engine ray needs Ray, which is not installed: "
                                    "pip install 'provguard[ray]'\n")
    assert not (tmp_path / "out.jsonl").exists()


def test_a_snapshot_on_ray_judges_each_file_at_its_output_path_like_one_machine(tmp_path: Path,
                                                                                 ray_address: str) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / ".git").mkdir()
    (project / "team.yaml").write_text("pack: team\nversion: '1'\nextends: default\noverrides:\n"
                                       "  ai-output-in-test-task-file: {disabled: true}\n", encoding="utf-8")
    (project / "provguard.toml").write_text('packs = ["team.yaml"]\n', encoding="utf-8")
    prints = insertion_prints(RECORDED_EDIT, "lib/intervals.py")
    default_location(project).parent.mkdir()
    ledger = SqliteLedger(default_location(project))
    ledger.add_agent_edits([replace(agent_edit("e-intervals", path="lib/intervals.py"),
                                    fingerprints=prints.fingerprints, line_hashes=prints.line_hashes,
                                    names=prints.names)])
    ledger.close()
    assert provguard(project, "export", "--snapshot", str(tmp_path / "policy.pgsnap")).returncode == 0
    data = b"\n".join(corpus_lines(11, 400)) + b"\n"
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "train.jsonl").write_bytes(data)
    (tmp_path / "corpus" / "notes.md.jsonl").write_bytes(data)
    done = provguard(tmp_path, "filter", "corpus", "out", "--engine", "ray", "--ray-address", ray_address,
                     "--snapshot", "policy.pgsnap", "--path-field", "path", "--report", "report.jsonl")
    assert done.returncode == 0, done.stderr.decode()
    report = read_jsonl(tmp_path / "report.jsonl")
    assert "ai-output-in-test-task-file" not in report[-1]["summary"]["rules"]  # the snapshot's override
    for name in ("train.jsonl", "notes.md.jsonl"):
        single = tmp_path / "single"
        (single / "out").mkdir(parents=True, exist_ok=True)
        (single / name).write_bytes(data)
        expected = provguard(single, "filter", name, f"out/{name}", "--snapshot", str(tmp_path / "policy.pgsnap"),
                             "--path-field", "path", "--workers", "1")
        assert expected.returncode == 0, expected.stderr.decode()
        assert (tmp_path / "out" / name).read_bytes() == (single / "out" / name).read_bytes()
        placements = {reason["placement"] for r in report if r.get("file") == name for reason in r.get("reasons", [])}
        assert f"out/{name}" in placements
    sources = {reason.get("source") for r in report for reason in r.get("reasons", [])}
    assert "fingerprint" in sources  # copies of the recorded edit, found in the snapshot's index


def test_an_output_that_cannot_be_written_fails_that_file_only_naming_it(tmp_path: Path, ray_address: str) -> None:
    (tmp_path / "corpus").mkdir()
    good = b"\n".join(corpus_lines(12, 200)) + b"\n"
    (tmp_path / "corpus" / "good.jsonl").write_bytes(good)
    (tmp_path / "corpus" / "x.jsonl").write_bytes(b"\n".join(corpus_lines(13, 200)) + b"\n")
    (tmp_path / "filtered" / "x.jsonl").mkdir(parents=True)  # the rename into place fails on the worker
    done = provguard(tmp_path, "filter", "corpus", "filtered", "--engine", "ray", "--ray-address", ray_address,
                     "--report", "report.jsonl", *FLAGS)
    assert done.returncode == 2
    stderr = done.stderr.decode()
    assert "provguard: cannot write filtered/x.jsonl: Is a directory\n" in stderr  # as one machine says it
    assert stderr.endswith("provguard: 1 of 2 files could not be filtered (x.jsonl); their outputs were not "
                           "written\n")
    assert "Traceback" not in stderr
    assert (tmp_path / "filtered" / "good.jsonl").read_bytes() == one_machine(tmp_path, "good.jsonl", good)[0]
    report = read_jsonl(tmp_path / "report.jsonl")
    assert [r for r in report if r.get("action") == "file-error"] == [
        {"file": "x.jsonl", "action": "file-error", "problem": "cannot write filtered/x.jsonl: Is a directory"}]
    assert report[-1]["summary"]["files"] == 2 and report[-1]["summary"]["failedFiles"] == 1
    assert not list((tmp_path / "filtered").rglob("*.provguard-partial"))


def test_the_same_records_in_parquet_and_jsonl_get_the_same_verdicts_at_their_own_paths(
        tmp_path: Path, ray_address: str) -> None:
    lines = corpus_lines(14, 600, bad_every=10**9)
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "part-0.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    pq.write_table(pa.Table.from_pylist(parquet_rows(lines)), tmp_path / "corpus" / "part-0.parquet")
    done = provguard(tmp_path, "filter", "corpus", "filtered", "--engine", "ray", "--ray-address", ray_address,
                     "--report", "report.jsonl", "--path-field", "path", "--language-field", "lang")  # no --as
    assert done.returncode == 0, done.stderr.decode()
    report = read_jsonl(tmp_path / "report.jsonl")[:-1]
    jsonl_verdicts = {(r["line"] - 1, r["action"], tuple(r["rules"])) for r in report if r["file"] == "part-0.jsonl"}
    parquet_verdicts = {(r["row"], r["action"], tuple(r["rules"])) for r in report if r["file"] == "part-0.parquet"}
    assert jsonl_verdicts == parquet_verdicts
    assert sum(RIVAL_RULE in rules for _, _, rules in parquet_verdicts) > 20  # each file is training data
    kept_jsonl = (tmp_path / "filtered" / "part-0.jsonl").read_bytes().count(b"\n")
    assert pq.read_table(tmp_path / "filtered" / "part-0.parquet").num_rows == kept_jsonl
