"""provguard's verdicts as a stage of your own Ray Data pipeline: `map_batches(JudgeStage, ...)`.

    import ray
    from ray.data import ActorPoolStrategy
    from provguard.corpus.ray_stage import JudgeStage, put_snapshot

    judged = ray.data.read_parquet("s3://bucket/code/").map_batches(
        JudgeStage, batch_format="pyarrow", compute=ActorPoolStrategy(size=64),
        fn_constructor_kwargs={"snapshot": put_snapshot("policy.pgsnap"), "path_field": "path",
                               "placements": ["data/train/code.jsonl"], "redact": True})

Each actor loads the snapshot once (a path every worker can read, memory-mapped; or, from `put_snapshot`,
Ray's shared object store: one copy per machine) and judges record batches with the same `Judge` as
`provguard filter`. Every input row comes out once, with four columns added:

- `provguard_action`: keep, drop, redact, or bad (not a sample: no code, or code that is not text);
- `provguard_rules`: the rule ids that decided it;
- `provguard_reasons`: JSON, the reasons as the side report of `provguard filter` writes them;
- `provguard_problem`: why a bad row is not a sample (null otherwise).

For `redact`, the code column holds the redacted code. Keeping, dropping and reporting is then the
pipeline's own `filter`; examples/ray_pipeline.py shows it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import Any

from provguard.policy.model import Severity

from .corpus_files import table_records
from .judge import Action, Judge, Record
from .pipeline import judge_records
from .samples import BadLine
from .side_report import reason_json
from .snapshot import Snapshot, open_snapshot, snapshot_from_buffer

COLUMNS = ("provguard_action", "provguard_rules", "provguard_reasons", "provguard_problem")
BAD = "bad"


def put_snapshot(path: str | os.PathLike[str]) -> Any:
    """The snapshot file put in Ray's object store, for clusters whose workers cannot read the file; pass the
    result as JudgeStage's `snapshot`. Checked here, so a damaged file fails before any worker starts."""
    import numpy as np
    import ray

    with open(path, "rb") as stream:
        data = stream.read()
    snapshot_from_buffer(data, str(path))
    return ray.put(np.frombuffer(data, dtype=np.uint8))


class JudgeStage:
    """A callable class for `Dataset.map_batches` (batch_format "pyarrow" or "pandas")."""

    def __init__(self, snapshot: Any, code_field: str = "content", path_field: str | None = None,
                 language_field: str | None = None, placements: Sequence[str] = (),
                 min_severity: str = "error", redact: bool = False) -> None:
        loaded = _load(snapshot)
        self.judge = Judge.from_snapshot(loaded, tuple(placements), Severity(min_severity), redact)
        self.code_field, self.path_field, self.language_field = code_field, path_field, language_field

    def __call__(self, batch: Any) -> Any:
        import pyarrow as pa

        pandas = not isinstance(batch, pa.Table)
        table = pa.Table.from_pandas(batch, preserve_index=False) if pandas else batch
        judged = self.judge_table(table)
        return judged.to_pandas() if pandas else judged

    def judge_table(self, table: Any) -> Any:
        import pyarrow as pa

        items = table_records(table, self.code_field, self.path_field, self.language_field)
        verdicts = iter(judge_records(self.judge, [item for item in items if isinstance(item, Record)]))
        actions: list[str] = []
        rules: list[list[str]] = []
        reasons: list[str] = []
        problems: list[str | None] = []
        codes: list[Any] = table.column(self.code_field).to_pylist() if self.code_field in table.column_names \
            else []
        for i, item in enumerate(items):
            verdict = next(verdicts) if isinstance(item, Record) else item
            if isinstance(verdict, BadLine):
                actions.append(BAD)
                rules.append([])
                reasons.append("[]")
                problems.append(verdict.problem)
                continue
            actions.append(verdict.action.value)
            rules.append(list(verdict.rule_ids))
            reasons.append(json.dumps([reason_json(r) for r in verdict.reasons], ensure_ascii=False))
            problems.append(None)
            if verdict.action is Action.REDACT:
                codes[i] = verdict.redacted
        if codes:
            at = table.column_names.index(self.code_field)
            table = table.set_column(at, table.schema.field(at), pa.array(codes, table.schema.field(at).type))
        for name, values, kind in zip(COLUMNS, (actions, rules, reasons, problems),
                                      (pa.string(), pa.list_(pa.string()), pa.string(), pa.string()), strict=True):
            if name in table.column_names:
                table = table.drop_columns([name])
            table = table.append_column(name, pa.array(values, kind))
        return table


def _load(snapshot: Any) -> Snapshot:
    """A snapshot from a path, or from Ray's object store (a reference, or the array Ray resolved it to)."""
    if isinstance(snapshot, str | os.PathLike):
        return open_snapshot(os.fspath(snapshot))
    import ray

    if isinstance(snapshot, ray.ObjectRef):
        snapshot = ray.get(snapshot)
    return snapshot_from_buffer(snapshot, "the policy snapshot in Ray's object store")
