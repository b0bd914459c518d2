"""`provguard filter` on generated corpora, run as the real command: what is kept, dropped, redacted and
reported, with exact counts, in input order, and bad lines never lost."""

from __future__ import annotations

import gzip
import io
import json
import os
import pickle
import pty
import subprocess
import sys
from pathlib import Path

import pytest
import zstandard

from corpus_support import REPO, jsonl, provguard, read_jsonl
from provguard.corpus.judge import Action, Judge, Record
from provguard.corpus.ledger_spans import RecordedSpans
from provguard.corpus.pipeline import FilterConfig, Outcome, run_filter
from provguard.corpus.samples import Fields
from provguard.documents import Document
from provguard.languages import by_id
from provguard.ledger.anchor import fingerprint
from provguard.ledger.model import StoredSpan
from provguard.ledger.sqlite import SqliteLedger
from provguard.policy.policy import Policy, load_policy
from provguard.provenance.origin import Evidence, Kind, Origin, Span

HUMAN = "def add(a, b):\n    return a + b\n"
RIVAL_BLOCK = """\
import os

# provguard: begin kind=ai-agent tool=claude-code
def generated():
    return os.getcwd()
# provguard: end


def kept():
    return 1
"""
IN_HOUSE_AI = "# provguard: kind=ai-agent tool=house-bot vendor=acme\ndef ours():\n    return 2\n"
GO_COMPLETION = """\
package calc

// provguard: kind=ai-completion tool=copilot
func Twice(x int) int { return 2 * x }

func Thrice(x int) int { return 3 * x }
"""
BROKEN_MARKER = "# provguard: begin kind=robot\ndef odd():\n    pass\n# provguard: end\n"
RIVAL = "rival-ai-output-in-training-data"
TEST_TASK = "ai-output-in-test-task-file"


def filter_corpus(tmp_path: Path, corpus: bytes, *args: str, name: str = "train.jsonl") -> tuple[bytes, str, list]:
    (tmp_path / name).write_bytes(corpus)
    report = tmp_path / "report.jsonl"
    done = provguard(tmp_path, "filter", name, "out.jsonl", "--report", str(report), *args)
    assert done.returncode == 0, done.stderr.decode()
    return (tmp_path / "out.jsonl").read_bytes(), done.stderr.decode(), read_jsonl(report)


def test_flagged_samples_are_dropped_in_order_with_exact_counts_and_reasons(tmp_path: Path) -> None:
    samples = [
        {"content": HUMAN, "path": "src/add.py"},
        {"content": RIVAL_BLOCK, "path": "src/gen.py"},
        {"content": IN_HOUSE_AI, "path": "src/ours.py"},
        {"content": IN_HOUSE_AI, "path": "tests/test_ours.py"},
        {"content": GO_COMPLETION, "path": "calc/calc.go"},
        {"content": HUMAN, "path": "tests/test_add.py"},
    ]
    out, stderr, report = filter_corpus(tmp_path, jsonl(*samples), "--path-field", "path")

    assert out == jsonl(samples[0], samples[2], samples[5])
    assert [(r["line"], r["action"], r["rules"]) for r in report[:-1]] == [
        (2, "drop", [RIVAL]), (4, "drop", [TEST_TASK]), (5, "drop", [RIVAL])]
    reason = report[0]["reasons"][0]
    assert reason["lines"] == [3, 6] and reason["placement"] == "out.jsonl" and reason["source"] == "marker"
    assert reason["origin"]["vendor"] == "anthropic"
    assert report[1]["reasons"][0]["placement"] == "tests/test_ours.py"
    assert report[-1]["summary"] == {"lines": 6, "samples": 6, "kept": 3, "dropped": 3, "redacted": 0, "badLines": 0,
                                     "badLinesWritten": 0, "rules": {RIVAL: 2, TEST_TASK: 1}}
    assert f"6 lines: 3 kept, 3 dropped; by rule: {TEST_TASK} 1, {RIVAL} 2" in stderr


def test_bad_lines_are_reported_with_line_numbers_and_passed_through_or_dropped(tmp_path: Path) -> None:
    corpus = b"".join([
        jsonl({"content": HUMAN}),
        b"this is not json\n",
        b'{"content": "bad \xff byte"}\n',
        jsonl({"text": HUMAN}),
        jsonl({"content": 42}),
        b"[1, 2]\n",
        jsonl({"content": RIVAL_BLOCK}),
        b'{"content": "ok"}',  # last line without a line break
    ])
    out, stderr, report = filter_corpus(tmp_path, corpus)
    bad = [(r["line"], r["problem"], r["column"], r["written"]) for r in report if r.get("action") == "bad-line"]
    assert bad == [
        (2, "not JSON: Expecting value", 1, True),
        (3, "not valid UTF-8 (invalid start byte)", 18, True),
        (4, "no 'content' field (the code field; see --code-field)", None, True),
        (5, "field 'content' is a number, not a string", None, True),
        (6, "a JSON array, not an object", None, True),
    ]
    assert out.splitlines() == [line for i, line in enumerate(corpus.splitlines(), 1) if i != 7]
    assert "train.jsonl:2: column 1: not JSON: Expecting value (passed through)" in stderr
    assert "train.jsonl:3: column 18: not valid UTF-8" in stderr
    assert "8 lines: 2 kept, 1 dropped, 5 bad lines (5 passed through, 0 dropped)" in stderr

    out, stderr, report = filter_corpus(tmp_path, corpus, "--on-bad-line", "drop")
    assert out == jsonl({"content": HUMAN}) + b'{"content": "ok"}\n'
    assert report[-1]["summary"]["badLines"] == 5 and report[-1]["summary"]["badLinesWritten"] == 0
    assert "5 bad lines (0 passed through, 5 dropped)" in stderr


def test_a_huge_sample_is_judged_and_an_oversized_one_is_dropped_unread(tmp_path: Path) -> None:
    filler = "x = 1\n" * 400_000  # 2.4 MB
    huge_flagged = {"content": filler + RIVAL_BLOCK}
    huge_clean = {"content": filler}
    corpus = jsonl(huge_clean, huge_flagged, {"content": HUMAN})
    out, _, report = filter_corpus(tmp_path, corpus)
    assert out == jsonl(huge_clean, {"content": HUMAN})
    assert report[0]["line"] == 2 and report[0]["reasons"][0]["lines"] == [400_003, 400_006]

    out, stderr, report = filter_corpus(tmp_path, corpus, "--max-sample-bytes", "1000000")
    assert out == jsonl({"content": HUMAN})
    assert [(r["line"], r["written"]) for r in report[:-1]] == [(1, False), (2, False)]
    assert "longer than 1000000 bytes" in report[0]["problem"]
    assert "train.jsonl:1:" in stderr and "(dropped)" in stderr


def test_redaction_replaces_flagged_code_with_a_comment_and_is_stable_when_filtered_again(tmp_path: Path) -> None:
    samples = [
        {"content": RIVAL_BLOCK, "path": "src/gen.py", "id": 1},
        {"content": GO_COMPLETION, "path": "calc/calc.go", "id": 2},
        {"content": BROKEN_MARKER, "path": "src/odd.py", "id": 3},
        {"content": HUMAN, "path": "src/add.py", "id": 4},
    ]
    out, _, report = filter_corpus(tmp_path, jsonl(*samples), "--path-field", "path", "--redact")
    written = [json.loads(line) for line in out.splitlines()]
    assert [w["id"] for w in written] == [1, 2, 4]
    assert written[0]["content"] == (
        "import os\n\n# redacted by provguard (rival-ai-output-in-training-data)\n\n\ndef kept():\n    return 1\n")
    assert written[1]["content"] == (
        "package calc\n\n// redacted by provguard (rival-ai-output-in-training-data)\n"
        "\nfunc Thrice(x int) int { return 3 * x }\n")
    assert [(r["line"], r["action"]) for r in report[:-1]] == [(1, "redact"), (2, "redact"), (3, "drop")]
    assert report[2]["rules"] == ["marker-invalid"]  # a broken marker cannot say which code to redact

    again, _, report = filter_corpus(tmp_path, out, "--path-field", "path", "--redact", name="again.jsonl")
    assert again == out and report[-1]["summary"]["kept"] == 3


def test_many_batches_across_workers_come_out_in_input_order(tmp_path: Path) -> None:
    samples = []
    for i in range(1500):
        content = RIVAL_BLOCK if i % 7 == 0 else f"# sample {i}\n" + HUMAN
        samples.append({"content": content, "n": i})
    corpus = jsonl(*samples)
    one, _, report_one = filter_corpus(tmp_path, corpus, "--workers", "1")
    two, _, report_two = filter_corpus(tmp_path, corpus, "--workers", "2")
    expected = jsonl(*(s for s in samples if s["n"] % 7))
    assert one == expected and two == expected
    assert report_one == report_two
    assert report_two[-1]["summary"]["dropped"] == len(range(0, 1500, 7))


def test_stdin_to_stdout_gzip_and_named_fields(tmp_path: Path) -> None:
    samples = [{"code": GO_COMPLETION, "lang": "Go"}, {"code": "func Plain() {}\n", "lang": "Go"}]
    done = provguard(tmp_path, "filter", "--code-field", "code", "--language-field", "lang", stdin=jsonl(*samples))
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout == jsonl(samples[1])
    assert "2 lines: 1 kept, 1 dropped" in done.stderr.decode()

    with gzip.open(tmp_path / "in.jsonl.gz", "wb") as packed:
        packed.write(jsonl(*samples))
    done = provguard(tmp_path, "filter", "in.jsonl.gz", "out.jsonl.gz", "--code-field", "code", "--redact")
    assert done.returncode == 0, done.stderr.decode()
    with gzip.open(tmp_path / "out.jsonl.gz", "rb") as packed:
        written = [json.loads(line) for line in packed.read().splitlines()]
    assert written[0]["code"].startswith("package calc\n\n# redacted")
    assert written[1] == samples[1]


def test_zstandard_corpora_are_read_and_written_and_a_cut_one_is_an_error_naming_it(tmp_path: Path) -> None:
    samples = [{"content": GO_COMPLETION, "lang": "Go", "path": "a.go"}, {"content": "func Plain() {}\n",
                                                                        "lang": "Go", "path": "b.go"}]
    data = jsonl(*samples) * 500  # several hundred KB: more than one read of the compressed stream
    frames = zstandard.ZstdCompressor().compress(data[:1000]) + zstandard.ZstdCompressor().compress(data[1000:])
    (tmp_path / "in.jsonl.zst").write_bytes(frames)  # two frames, as concatenated shards are
    done = provguard(tmp_path, "filter", "in.jsonl.zst", "out.jsonl.zst", "--language-field", "lang",
                     "--path-field", "path")
    assert done.returncode == 0, done.stderr.decode()
    assert "1000 lines: 500 kept, 500 dropped" in done.stderr.decode()
    out = zstandard.ZstdDecompressor().decompressobj().decompress((tmp_path / "out.jsonl.zst").read_bytes())
    assert out == jsonl(samples[1]) * 500

    (tmp_path / "cut.jsonl.zst").write_bytes(frames[:-40])
    done = provguard(tmp_path, "filter", "cut.jsonl.zst", "out2.jsonl")
    assert done.returncode == 2
    assert "cut.jsonl.zst" in done.stderr.decode() and "cut short" in done.stderr.decode()


def test_a_corpus_outside_training_paths_is_judged_where_the_samples_came_from(tmp_path: Path) -> None:
    samples = [{"content": RIVAL_BLOCK, "path": "src/gen.py"}, {"content": IN_HOUSE_AI, "path": "tests/t.py"}]
    out, _, report = filter_corpus(tmp_path, jsonl(*samples), "--path-field", "path", "--as", "docs/snippets.txt")
    assert out == jsonl(samples[0])
    assert report[0]["rules"] == [TEST_TASK]


def test_usage_errors_exit_2_with_a_message(tmp_path: Path) -> None:
    done = provguard(tmp_path, "filter", "missing.jsonl")
    assert done.returncode == 2 and b"no such file: missing.jsonl" in done.stderr
    (tmp_path / "c.jsonl").write_bytes(jsonl({"content": HUMAN}))
    done = provguard(tmp_path, "filter", "c.jsonl", "--workers", "0")
    assert done.returncode == 2 and b"--workers" in done.stderr
    done = provguard(tmp_path, "filter", "c.jsonl", "./c.jsonl")
    assert done.returncode == 2 and b"OUTPUT is INPUT" in done.stderr
    assert (tmp_path / "c.jsonl").read_bytes() == jsonl({"content": HUMAN})
    done = provguard(tmp_path, "filter", "c.jsonl", "--pack", "nope.yaml")
    assert done.returncode == 2 and b"nope.yaml" in done.stderr


# -- the judge as a library: what a pipeline stage imports ------------------------------------------------


@pytest.fixture(scope="module")
def judge() -> Judge:
    return Judge(load_policy(["default"], {}).policy, placements=("data/train/part-0.jsonl",), redact=True)


def test_the_judge_survives_pickling_and_judges_a_batch_the_same(judge: Judge) -> None:
    records = [Record(HUMAN), Record(RIVAL_BLOCK, "src/gen.py"), Record(BROKEN_MARKER, language="python"),
               Record(GO_COMPLETION, language="golang")]
    verdicts = judge.judge_batch(records)
    assert [v.action for v in verdicts] == [Action.KEEP, Action.REDACT, Action.DROP, Action.REDACT]
    assert verdicts[1].rule_ids == (RIVAL,) and verdicts[3].language == "go"
    assert verdicts[1].reasons[0].source == "marker" and verdicts[2].reasons[0].origin is None
    assert pickle.loads(pickle.dumps(judge)).judge_batch(records) == verdicts


def test_spans_from_another_source_decide_like_markers(judge: Judge, tmp_path: Path) -> None:
    origin = Origin(Kind.AI_AGENT, Evidence.HOOK, tool="codex", vendor="openai")

    def agent_wrote_line_two(doc: Document, path: str | None) -> tuple[Span, ...]:
        start, end = doc.lines.line_bounds(1)
        return (Span(start, end, origin),)

    with_source = Judge(judge.policy, judge.placements, judge.min_severity, False, agent_wrote_line_two)
    verdict = with_source.judge(Record(HUMAN))
    assert verdict.action is Action.DROP and verdict.reasons[0].source == "hook"
    assert verdict.reasons[0].line == 2

    ledger = SqliteLedger(tmp_path / "ledger.sqlite3")
    source = HUMAN.encode()
    doc = Document("src/add.py", by_id("python"), source)  # type: ignore[arg-type]
    stored = StoredSpan("s1", "src/add.py", origin, len(source), ((0, len(source)),), "2026-11-25T00:00:00Z",
                        fingerprint(source, 0, len(source), doc.lines))
    ledger.save_spans("src/add.py", [stored])
    ledger.close()
    recorded = Judge(judge.policy, judge.placements, extra_spans=RecordedSpans(str(tmp_path / "ledger.sqlite3")))
    recorded = pickle.loads(pickle.dumps(recorded))
    assert recorded.judge(Record(HUMAN, "src/add.py")).action is Action.DROP
    assert recorded.judge(Record(HUMAN, "src/other.py")).action is Action.KEEP
    assert recorded.judge(Record(HUMAN.replace("a + b", "b + a"), "src/add.py")).action is Action.KEEP


def explode_on_boom(doc: Document, path: str | None) -> tuple[Span, ...]:
    if b"boom" in doc.source:
        raise ValueError("provider failed")
    return ()


def test_a_sample_the_judge_fails_on_is_dropped_with_the_error_and_the_rest_go_on(judge: Judge) -> None:
    failing = Judge(judge.policy, judge.placements, extra_spans=explode_on_boom)
    config = FilterConfig(failing, Fields())
    corpus = jsonl({"content": HUMAN}, {"content": "boom = 1\n"}, {"content": RIVAL_BLOCK}, {"content": "x = 2\n"})
    sink = io.BytesIO()
    outcomes: list[Outcome] = []
    run_filter(config, io.BytesIO(corpus), sink, 1, outcomes.append)
    assert sink.getvalue() == jsonl({"content": HUMAN}, {"content": "x = 2\n"})
    assert [(o.line, o.action, o.written) for o in outcomes] == [
        (1, Action.KEEP, True), (2, None, False), (3, Action.DROP, False), (4, Action.KEEP, True)]
    assert outcomes[1].problem is not None
    assert outcomes[1].problem.problem == "cannot be judged (ValueError: provider failed)"


def test_a_progress_line_is_drawn_only_when_stderr_is_a_terminal(tmp_path: Path) -> None:
    (tmp_path / "c.jsonl").write_bytes(jsonl(*({"content": HUMAN} for _ in range(10))))
    controller, terminal = pty.openpty()
    env = dict(os.environ, PYTHONPATH=str(REPO / "server"))
    with subprocess.Popen([sys.executable, "-m", "provguard", "filter", "c.jsonl", "out.jsonl", "--workers", "1"],
                          cwd=tmp_path, env=env, stderr=terminal) as process:
        os.close(terminal)
        shown = b""
        while True:
            try:
                chunk = os.read(controller, 4096)
            except OSError:  # the terminal closed when the command ended
                break
            if not chunk:
                break
            shown += chunk
    os.close(controller)
    assert process.returncode == 0
    assert b"\r[" + b"#" * 30 + b"] 100%" in shown
    assert b"10 lines: 10 kept, 0 dropped" in shown

    piped = provguard(tmp_path, "filter", "c.jsonl", "out.jsonl")
    assert b"\r" not in piped.stderr and b"10 lines: 10 kept" in piped.stderr


# -- which corpus files the default pack takes for training data ------------------------------------------

DATASET_FILES = [
    "exports/part-0.parquet", "exports/part-0.pq", "exports/shard.arrow", "exports/shard.feather",
    "exports/part-0.jsonl", "exports/part-0.jsonl.gz", "exports/part-0.jsonl.zst", "exports/part-0.jsonl.bz2",
    "exports/part-0.jsonl.xz", "exports/part-0.ndjson", "exports/part-0.ndjson.gz", "exports/dump.json.gz",
    "exports/dump.json.zst", "exports/dump.json.bz2", "exports/dump.json.xz", "exports/table.csv",
    "exports/table.csv.gz", "exports/table.csv.zst", "exports/table.csv.bz2", "exports/table.csv.xz",
]


@pytest.fixture(scope="module")
def default_policy() -> Policy:
    return load_policy(["default"], {}).policy


@pytest.mark.parametrize("placement", DATASET_FILES)
def test_the_default_pack_takes_a_dataset_file_of_any_usual_format_for_training_data(
        default_policy: Policy, placement: str) -> None:
    judge = Judge(default_policy, placements=(placement,))
    verdict = judge.judge(Record(RIVAL_BLOCK, "src/gen.py"))
    assert verdict.action is Action.DROP
    assert {r.placement for r in verdict.reasons if r.rule_id == RIVAL} == {placement}


@pytest.mark.parametrize("placement", ["package.json", "config/settings.json", "src/gen.py", "docs/notes.txt"])
def test_configuration_and_code_files_are_not_training_data(default_policy: Policy, placement: str) -> None:
    judge = Judge(default_policy, placements=(placement,))
    assert judge.judge(Record(RIVAL_BLOCK, "src/gen.py")).action is Action.KEEP
