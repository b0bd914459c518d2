"""`JudgeStage`, provguard's verdicts as a stage of a user's own Ray Data pipeline, and the runnable example
that shows it: every row comes out once with the verdict `Judge.judge_batch` gives it on one machine."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from corpus_support import REPO
from provguard.corpus.judge import Action, Judge, Record
from provguard.corpus.ray_stage import COLUMNS, JudgeStage, put_snapshot
from provguard.corpus.side_report import reason_json
from provguard.corpus.snapshot import snapshot_bytes, write_snapshot
from provguard.policy.model import Severity
from provguard.policy.policy import load_policy
from ray_support import corpus_lines, start_ray

PLACEMENT = ("data/train/code.jsonl",)


@pytest.fixture(scope="module")
def ray_address() -> Iterator[str]:
    yield from start_ray()


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("snap") / "policy.pgsnap"
    write_snapshot(path, snapshot_bytes(load_policy(["default"], {}).policy, [], None))
    return path


def rows() -> list[dict[str, Any]]:
    out = []
    for line in corpus_lines(7, 600):
        try:
            data = json.loads(line)
        except ValueError:
            continue
        if isinstance(data, dict):
            out.append({"content": data.get("content") if isinstance(data.get("content"), str) else None,
                        "path": data.get("path"), "lang": data.get("lang"), "id": len(out)})
    return out


@pytest.mark.parametrize("batch_format", ["pyarrow", "pandas"])
@pytest.mark.parametrize("via", ["path", "object-store"])
def test_judge_stage_adds_the_one_machine_verdict_to_every_row(ray_address: str, snapshot: Path, batch_format: str,
                                                               via: str) -> None:
    import ray

    data = rows()
    source = put_snapshot(snapshot) if via == "object-store" else str(snapshot)
    judged = ray.data.from_items(data, override_num_blocks=4).map_batches(
        JudgeStage, batch_format=batch_format, batch_size=64, compute=ray.data.ActorPoolStrategy(size=1),
        fn_constructor_kwargs={"snapshot": source, "path_field": "path", "language_field": "lang",
                               "placements": PLACEMENT, "redact": True, "min_severity": "error"}).take_all()
    by_id = {row["id"]: row for row in judged}
    assert len(judged) == len(data) == len(by_id)  # every row once

    judge = Judge(load_policy(["default"], {}).policy, PLACEMENT, Severity.ERROR, redact=True)
    seen = set()
    for row in data:
        got = by_id[row["id"]]
        if row["content"] is None:
            assert (got["provguard_action"], got["provguard_problem"]) == ("bad", "'content' is null")
            continue
        verdict = judge.judge(Record(row["content"], row["path"], row["lang"]))
        seen.add(verdict.action)
        assert got["provguard_action"] == verdict.action.value
        assert list(got["provguard_rules"]) == list(verdict.rule_ids)
        assert json.loads(got["provguard_reasons"]) == [reason_json(r) for r in verdict.reasons]
        assert got["content"] == (verdict.redacted if verdict.action is Action.REDACT else row["content"])
        assert got["provguard_problem"] is None
    assert seen == {Action.KEEP, Action.DROP, Action.REDACT}  # the corpus exercises each verdict


def test_the_example_pipeline_runs_and_writes_only_what_may_stay(tmp_path: Path, ray_address: str) -> None:
    env = dict(os.environ, PYTHONPATH=str(REPO / "server"))
    done = subprocess.run([sys.executable, str(REPO / "examples" / "ray_pipeline.py"), "--workdir", str(tmp_path),
                           "--address", ray_address, "--actors", "1"], env=env, capture_output=True, timeout=240,
                          check=False)
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    out = done.stdout.decode()
    assert "redact  src/m0.py: rival-ai-output-in-training-data at lines 3-6 (marker)" in out
    assert 'summary: {"bad": 1, "keep": 30, "redact": 10}' in out
    kept = pq.read_table(tmp_path / "kept").to_pylist()
    assert len(kept) == 40 and not set(COLUMNS) & set(kept[0])
    assert not any("provguard: begin" in row["content"] for row in kept)
    assert sum("redacted by provguard (rival-ai-output-in-training-data)" in row["content"] for row in kept) == 10
