"""`provguard filter --engine ray` on more than one node: a head with no CPUs and two worker nodes, each with
its own raylet and object store, all on 127.0.0.1 (Ray's own cluster utilities), with Ray's token
authentication on as a real cluster has it. The actors run on the worker nodes and read the policy snapshot
from the head's object store; the output and side report are those of `provguard filter` on one machine."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from corpus_support import REPO, provguard, read_jsonl
from provguard.corpus.corpus_files import FileResult, FileTask
from provguard.corpus.judge import Judge
from provguard.corpus.pipeline import FilterConfig
from provguard.corpus.ray_actor import FileStage, JudgeSettings
from provguard.corpus.ray_loopback import LOOPBACK, loopback_only
from provguard.corpus.ray_run import RayOptions, run_on_ray
from provguard.corpus.samples import Fields
from provguard.corpus.snapshot import snapshot_bytes
from provguard.policy.policy import load_policy
from ray_support import corpus_lines, start_cluster

if TYPE_CHECKING:
    from ray.cluster_utils import Cluster

FLAGS = ("--as", "train.jsonl", "--path-field", "path", "--language-field", "lang")
TOKEN = secrets.token_hex(16)
WHERE = "PROVGUARD_TEST_WHERE"
"""A folder where the node-recording stage says which node judged each file and where the snapshot was."""
MARK = "PROVGUARD_TEST_MARK"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    yield from start_cluster(2, RAY_AUTH_MODE="token", RAY_AUTH_TOKEN=TOKEN,
                             **{WHERE: str(tmp_path_factory.mktemp("where"))})


def cli(cwd: Path, *args: str, **env: str | None) -> subprocess.CompletedProcess[str]:
    """`provguard ARGS` with the cluster's environment, changed by `env` (None removes a variable)."""
    environment = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO / "server"),
                                                                           os.environ.get("PYTHONPATH")])))
    for name, value in env.items():
        if value is None:
            environment.pop(name, None)
        else:
            environment[name] = value
    return subprocess.run([sys.executable, "-m", "provguard", *args], cwd=cwd, env=environment, capture_output=True,
                          text=True, timeout=240, check=False)


def one_machine(tmp_path: Path, data: bytes) -> tuple[bytes, list[dict[str, Any]]]:
    """`provguard filter` on one file, one process: its output and its report without the summary."""
    work = tmp_path / "single"
    work.mkdir(exist_ok=True)
    (work / "in.jsonl").write_bytes(data)
    done = provguard(work, "filter", "in.jsonl", "out.jsonl", "--report", "report.jsonl", "--workers", "1", *FLAGS)
    assert done.returncode == 0, done.stderr.decode()
    return (work / "out.jsonl").read_bytes(), read_jsonl(work / "report.jsonl")[:-1]


def test_on_two_worker_nodes_the_output_and_report_are_those_of_one_machine(tmp_path: Path,
                                                                            cluster: Cluster) -> None:
    files = {f"part-{n}.jsonl": b"\n".join(corpus_lines(40 + n, 300)) + b"\n" for n in range(4)}
    (tmp_path / "corpus").mkdir()
    for name, data in files.items():
        (tmp_path / "corpus" / name).write_bytes(data)
    done = cli(tmp_path, "filter", "corpus", "filtered", "--engine", "ray", "--ray-address", cluster.address,
               "--report", "report.jsonl", *FLAGS)  # with the cluster's token in RAY_AUTH_TOKEN
    assert done.returncode == 0, done.stderr
    assert done.stderr.endswith("(4 files on Ray)\n")
    report = read_jsonl(tmp_path / "report.jsonl")
    assert report[-1]["summary"]["files"] == 4 and report[-1]["summary"]["lines"] == 1200
    for name, data in files.items():
        output, lines = one_machine(tmp_path, data)
        assert (tmp_path / "filtered" / name).read_bytes() == output, name
        assert [json.dumps({"file": name, **line}) for line in lines] == \
            [json.dumps(line) for line in report if line.get("file") == name], name
    assert TOKEN not in done.stderr + done.stdout


class WhereStage(FileStage):
    """FileStage that records, per file, the node it ran on and the nodes holding the snapshot it read."""

    def __init__(self, snapshot: bytes, **rest: Any) -> None:
        import ray

        super().__init__(snapshot, **rest)
        ref = ray.cloudpickle.loads(snapshot)
        self.node = ray.get_runtime_context().get_node_id()
        self.snapshot_at = ray.experimental.get_object_locations([ref])[ref]["node_ids"]
        (Path(os.environ[WHERE]) / f"started-{self.node}").touch()

    def filter(self, task: FileTask, placement: str) -> FileResult:
        # Files go to actors as they start: on a loaded machine the first could take every file before the
        # other node's actor is up. Each waits (bounded) until both nodes' actors have started, so both get work.
        deadline = time.monotonic() + 120
        while len(list(Path(os.environ[WHERE]).glob("started-*"))) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        record = {"node": self.node, "snapshot_at": self.snapshot_at, "mark": os.environ.get(MARK)}
        (Path(os.environ[WHERE]) / f"{task.name}.json").write_text(json.dumps(record), encoding="utf-8")
        return super().filter(task, placement)


@pytest.fixture
def driver(cluster: Cluster) -> Iterator[str]:
    """This process as the cluster's driver, on the head node (whose node id this yields)."""
    import ray

    with loopback_only():
        ray.init(address=cluster.address, _node_ip_address=LOOPBACK, include_dashboard=False,
                 configure_logging=False, log_to_driver=False)
    try:
        head = ray.get_runtime_context().get_node_id()
        assert head == cluster.head_node.node_id
        yield head
    finally:
        ray.shutdown()


def test_actors_run_on_the_worker_nodes_and_read_the_snapshot_from_the_heads_object_store(
        tmp_path: Path, cluster: Cluster, driver: str) -> None:
    (tmp_path / "corpus").mkdir()
    names = [f"f{n}.jsonl" for n in range(4)]
    for n, name in enumerate(names):
        (tmp_path / "corpus" / name).write_bytes(b"\n".join(corpus_lines(50 + n, 100)) + b"\n")
    policy = load_policy(["default"], {}).policy
    run = run_on_ray(snapshot_bytes(policy, [], None), JudgeSettings(("train.jsonl",), "error", False),
                     FilterConfig(Judge(policy), Fields("content", "path", "lang")), str(tmp_path / "corpus"),
                     str(tmp_path / "out"), RayOptions(runtime_env={"env_vars": {MARK: "runtime_env"}}),
                     lambda target: target, stage=WhereStage)
    assert run.counts.lines == 400 and not run.failed
    where = {name: json.loads((Path(os.environ[WHERE]) / f"{name}.json").read_text(encoding="utf-8"))
             for name in names}
    workers = {node.node_id for node in cluster.worker_nodes}
    assert {record["node"] for record in where.values()} == workers  # both worker nodes judged files
    for record in where.values():
        assert record["mark"] == "runtime_env"  # Ray was started by the caller: the actors got the runtime_env
        assert driver in record["snapshot_at"]  # put by the driver, on the head node
        assert record["node"] in record["snapshot_at"]  # and copied to the node that read it


def test_a_wrong_token_is_refused_and_no_token_is_shown(tmp_path: Path, cluster: Cluster) -> None:
    (tmp_path / "in.jsonl").write_bytes(b'{"content": "x = 1"}\n')
    wrong = secrets.token_hex(16)
    done = cli(tmp_path, "filter", "in.jsonl", "out.jsonl", "--engine", "ray", "--ray-address", cluster.address,
               RAY_AUTH_TOKEN=wrong)
    assert done.returncode == 2
    assert done.stderr.endswith(
        f"provguard: cannot reach the Ray cluster at {cluster.address}: it refused this process's authentication "
        "token (give the cluster's token as RAY_AUTH_TOKEN, in a file named by RAY_AUTH_TOKEN_PATH, or in "
        "~/.ray/auth_token)\n")
    assert wrong not in done.stderr and TOKEN not in done.stderr
    assert not (tmp_path / "out.jsonl").exists()


def test_the_token_in_ray_s_default_file_is_sent_under_ray_auth_mode_token_only(tmp_path: Path,
                                                                                cluster: Cluster) -> None:
    home = tmp_path / "home"
    (home / ".ray").mkdir(parents=True)
    (home / ".ray" / "auth_token").write_text(TOKEN, encoding="utf-8")
    (tmp_path / "in.jsonl").write_bytes(b"\n".join(corpus_lines(60, 50)) + b"\n")
    args = ("filter", "in.jsonl", "out.jsonl", "--engine", "ray", "--ray-address", cluster.address, *FLAGS)
    unasked = cli(tmp_path, *args, HOME=str(home), RAY_AUTH_MODE=None, RAY_AUTH_TOKEN=None)
    assert unasked.returncode == 2  # as Ray: an explicit address gets no token unless RAY_AUTH_MODE=token
    assert unasked.stderr.endswith(
        f"provguard: cannot reach the Ray cluster at {cluster.address}: it requires Ray's token authentication: set "
        "RAY_AUTH_MODE=token and give the cluster's token as RAY_AUTH_TOKEN, in a file named by RAY_AUTH_TOKEN_PATH, "
        "or in ~/.ray/auth_token\n")
    done = cli(tmp_path, *args, HOME=str(home), RAY_AUTH_MODE="token", RAY_AUTH_TOKEN=None)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out.jsonl").read_bytes() == one_machine(tmp_path, (tmp_path / "in.jsonl").read_bytes())[0]
    assert TOKEN not in unasked.stderr + done.stderr + done.stdout
