"""provguard as one stage of your own Ray Data pipeline: judge, keep, redact, and read the side report.

    pip install 'provguard[ray]'
    provguard export --snapshot policy.pgsnap          # in the project: its packs and its ledger's edits
    python examples/ray_pipeline.py --input s3://bucket/code/ --snapshot policy.pgsnap --output s3://bucket/clean/

Without --input, the script writes a small demo corpus (Parquet) and a snapshot of the shipped default
pack into --workdir and runs on that, so it can be tried as is. --address (else RAY_ADDRESS) joins a running
cluster; by default a local one is started as `provguard filter --engine ray` starts it: on loopback only (node
address 127.0.0.1, no dashboard, no usage statistics), with Ray's logs kept out of this script's output.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
from collections import Counter
from pathlib import Path


def demo_corpus(folder: Path) -> tuple[str, str]:
    """A tiny corpus with AI code marked in it, and a snapshot of the default pack, in `folder`."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from provguard.corpus.snapshot import snapshot_bytes, write_snapshot
    from provguard.policy.policy import load_policy

    rival = ("import os\n\n# provguard: begin kind=ai-agent tool=claude-code vendor=anthropic\n"
             "def generated():\n    return os.getcwd()\n# provguard: end\n\n\ndef kept():\n    return 1\n")
    human = "def add(a, b):\n    return a + b\n"
    rows = [{"path": f"src/m{i}.py", "content": rival if i % 4 == 0 else human} for i in range(40)]
    rows.append({"path": "src/empty.py", "content": None})  # not a sample: reported as bad, never lost
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows), folder / "corpus.parquet")
    snapshot = folder / "policy.pgsnap"
    write_snapshot(snapshot, snapshot_bytes(load_policy(["default"], {}).policy, [], None))
    return str(folder / "corpus.parquet"), str(snapshot)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--input", help="Parquet file or folder (local or any URI pyarrow reads)")
    parser.add_argument("--snapshot", help="policy snapshot from `provguard export --snapshot`")
    parser.add_argument("--output", help="folder for the kept (and redacted) records (default: WORKDIR/kept)")
    parser.add_argument("--workdir", default=os.path.join(tempfile.gettempdir(), "provguard-ray-example"))
    parser.add_argument("--address", help="Ray cluster to join (default: start a local one)")
    parser.add_argument("--actors", type=int, help="judging actors (default: the cluster's CPUs but one, which "
                        "the reading tasks need: actors hold their CPU for the whole run)")
    args = parser.parse_args()

    import pyarrow as pa
    import pyarrow.compute as pc
    import ray
    from ray.data import ActorPoolStrategy

    from provguard.corpus.ray_run import RayOptions, RayRunError, connect
    from provguard.corpus.ray_stage import COLUMNS, JudgeStage, put_snapshot

    workdir = Path(args.workdir)
    source, snapshot = (args.input, args.snapshot) if args.input else demo_corpus(workdir)
    output = args.output or str(workdir / "kept")
    try:
        connect(RayOptions(address=args.address))  # the CLI's start: loopback only, no dashboard, quiet
    except RayRunError as exc:
        sys.exit(f"ray_pipeline.py: {exc}")
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    context.print_on_execution_start = False
    logging.getLogger("ray.data").setLevel(logging.ERROR)
    actors = args.actors or max(1, int(ray.cluster_resources().get("CPU", 2)) - 1)

    # 1. The stage: one judge per actor, loaded once from the snapshot in Ray's object store.
    judged = ray.data.read_parquet(source).map_batches(
        JudgeStage, batch_format="pyarrow", compute=ActorPoolStrategy(size=actors),
        fn_constructor_kwargs={"snapshot": put_snapshot(snapshot), "path_field": "path",
                               # the corpus being built is training data: judge every sample as placed there
                               "placements": ["data/train/corpus.jsonl"], "redact": True},
    ).materialize()  # judged once, read twice below; on a big corpus, write it and split in a later job

    # 2. Keep what may stay (kept as is, or with flagged code redacted), without the verdict columns.
    def may_stay(batch: pa.Table) -> pa.Table:
        stays = pc.is_in(batch["provguard_action"], pa.array(["keep", "redact"]))
        return batch.filter(stays).drop_columns(list(COLUMNS))

    judged.map_batches(may_stay, batch_format="pyarrow").write_parquet(output)

    # 3. The side report: every record not kept as it was, with the rules and reasons that decided it.
    report = judged.filter(lambda row: row["provguard_action"] != "keep") \
        .select_columns(["path", *COLUMNS]).take_all()
    counts = Counter(row["provguard_action"] for row in judged.select_columns(["provguard_action"]).iter_rows())
    for row in report[:5]:
        reasons = json.loads(row["provguard_reasons"])
        where = ", ".join(f"lines {r['lines'][0]}-{r['lines'][1]} ({r['source']})" for r in reasons)
        why = ", ".join(row["provguard_rules"]) or row["provguard_problem"]
        print(f"{row['provguard_action']:7} {row['path']}: {why}" + (f" at {where}" if where else ""))
    print(f"summary: {json.dumps(dict(sorted(counts.items())))}; kept records written to {output}")
    ray.shutdown()


if __name__ == "__main__":
    main()
