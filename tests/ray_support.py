"""A local Ray cluster shared by a test module, and a generated corpus with planted AI code.

The cluster gets 2 CPUs and a temporary folder with a short path under /tmp (Ray's AF_UNIX sockets live
there, and their paths are limited to ~107 bytes, which pytest's tmp_path exceeds), removed afterwards.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from corpus_support import REPO
from provguard.corpus.ray_loopback import LOOPBACK, LOOPBACK_ENVIRONMENT, loopback_only

if TYPE_CHECKING:
    from ray.cluster_utils import Cluster

RIVAL = """\
import os

# provguard: begin kind=ai-agent tool=claude-code vendor=anthropic
def generated_{n}():
    return os.getcwd()
# provguard: end


def kept_{n}():
    return {n}
"""
HOUSE = "# provguard: kind=ai-agent tool=house-bot vendor=acme\ndef ours_{n}():\n    return {n}\n"
COPILOT_GO = """\
package calc

// provguard: kind=ai-completion tool=copilot vendor=github
func Twice{n}(x int) int {{ return 2 * x }}

func Thrice{n}(x int) int {{ return 3 * x }}
"""
HUMAN = "def add_{n}(a, b):\n    return a + b + {n}\n"
BROKEN_MARKER = "# provguard: begin kind=robot\ndef odd_{n}():\n    pass\n# provguard: end\n"
RECORDED_EDIT = """\
def merge_intervals(intervals):
    ordered = sorted(intervals, key=lambda pair: pair[0])
    merged = [list(ordered[0])]
    for start, end in ordered[1:]:
        last = merged[-1]
        if start <= last[1]:
            last[1] = max(last[1], end)
        else:
            merged.append([start, end])
    return [tuple(pair) for pair in merged]
"""
"""Code an agent wrote, recorded in a project's ledger by the tests that need it (fingerprints only)."""
FINGERPRINTED = """\
class Calendar{n}:
    def join(self, spans):
        by_start = sorted(spans, key=lambda item: item[0])
        out = [list(by_start[0])]
        for begin, finish in by_start[1:]:
            previous = out[-1]
            if begin <= previous[1]:
                previous[1] = max(previous[1], finish)
            else:
                out.append([begin, finish])
        return [tuple(item) for item in out]
"""
"""RECORDED_EDIT without markers, moved into a class, re-indented and renamed: found by fingerprint matching
where the ledger (or a snapshot of it) holds the edit, kept as human code elsewhere."""


def renamed_reindented(n: int) -> str:
    """A marked rival snippet moved into a class, re-indented and renamed: markers travel with the code."""
    return ("class Tools:\n    # provguard: begin kind=ai-agent tool=claude-code vendor=anthropic\n"
            f"    def renamed_{n}(self):\n        return 42\n    # provguard: end\n")


def sample(rng: random.Random, n: int) -> dict[str, Any]:
    kind = rng.choices(["human", "rival", "house", "go", "broken", "print", "moved"],
                       [60, 10, 8, 6, 3, 8, 5])[0]
    code, path, language = {
        "human": (HUMAN, f"src/m{n}.py", "Python"),
        "rival": (RIVAL, f"src/gen{n}.py", "python"),
        "house": (HOUSE, f"tests/test_{n}.py", None),
        "go": (COPILOT_GO, f"calc/c{n}.go", "go"),
        "broken": (BROKEN_MARKER, f"src/odd{n}.py", None),
        "print": (FINGERPRINTED, f"src/p{n}.py", "python"),
        "moved": ("", f"src/tools{n}.py", "python"),
    }[kind]
    text = renamed_reindented(n) if kind == "moved" else code.format(n=n)
    record: dict[str, Any] = {"id": n, "content": text, "path": path, "stars": rng.randint(0, 500)}
    if language is not None:
        record["lang"] = language
    return record


BAD_LINES = [b"{not json", b"", b"[1, 2]", b'{"path": "no-content.py"}', b'{"content": 7}',
             b'{"content": "\xff\xfe bad utf-8"}', b'"just a string"']


def corpus_lines(seed: int, count: int, bad_every: int = 97) -> list[bytes]:
    """`count` JSONL lines: generated samples, with a malformed line every `bad_every` lines."""
    rng = random.Random(seed)
    lines = []
    for n in range(count):
        if n % bad_every == bad_every - 1:
            lines.append(BAD_LINES[(n // bad_every) % len(BAD_LINES)])
        else:
            lines.append(json.dumps(sample(rng, seed * 100_000 + n), ensure_ascii=False).encode("utf-8"))
    return lines


def ray_temp_dir() -> Path:
    return Path(tempfile.mkdtemp(prefix="pgr", dir="/tmp"))


def cluster_environment(environment: dict[str, str], unset: tuple[str, ...] = ()) -> dict[str, str | None]:
    """What a test cluster's processes start with, besides this process's environment: no token auth unless
    asked, the loopback settings, a PYTHONPATH reaching the test modules; `unset` names are removed."""
    tests = str(Path(__file__).resolve().parent)
    path = os.pathsep.join(filter(None, [tests, str(REPO / "server"), os.environ.get("PYTHONPATH")]))
    return {"RAY_AUTH_MODE": "disabled", "PYTHONPATH": path, **LOOPBACK_ENVIRONMENT, **environment,
            **dict.fromkeys(unset)}


@contextmanager
def cluster_environment_set(environment: dict[str, str], unset: tuple[str, ...] = ()) -> Iterator[None]:
    """This process's environment as `cluster_environment` says, restored afterwards; Ray's token settings,
    which this process read when it imported Ray, are read again each time."""
    from ray._private.authentication_test_utils import reset_auth_token_state

    with pytest.MonkeyPatch.context() as patch:
        for name, value in cluster_environment(environment, unset).items():
            if value is None:
                patch.delenv(name, raising=False)
            else:
                patch.setenv(name, value)
        reset_auth_token_state()
        try:
            yield
        finally:
            patch.undo()
            reset_auth_token_state()


def start_cluster(worker_nodes: int = 2, **environment: str) -> Iterator[Cluster]:
    """A local multi-node cluster for the module, every node on 127.0.0.1 with its own raylet and object store
    (Ray's own `cluster_utils.Cluster`): a head with no CPUs, as production heads are often run, so that every
    actor runs on one of the `worker_nodes` (one CPU each) and reads what the driver put in the head's object
    store across nodes. The environment is set as by `start_ray`."""
    from ray.cluster_utils import Cluster

    temp = ray_temp_dir()
    (temp / "ray").mkdir()  # Ray's temporary folder under RAY_TMPDIR
    common = {"node_ip_address": LOOPBACK, "include_dashboard": False, "temp_dir": str(temp),
              "object_store_memory": 80 * 1024 * 1024}
    # RAY_TMPDIR: where Ray's cluster utilities write the "current cluster" address file, which a plain
    # `ray.init()` elsewhere on this machine would otherwise find and join.
    with cluster_environment_set({"RAY_TMPDIR": str(temp), **environment}):
        cluster = None
        try:
            with loopback_only():
                cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 0, **common})
                for _ in range(worker_nodes):
                    cluster.add_node(num_cpus=1, **common)
                cluster.wait_for_nodes()
            yield cluster
        finally:
            if cluster is not None:
                cluster.shutdown()
            shutil.rmtree(temp, ignore_errors=True)


def start_ray(*, unset: tuple[str, ...] = (), **environment: str) -> Iterator[str]:
    """A local 2-CPU cluster for the module, on loopback only (as `provguard filter --engine ray` starts one);
    yields its address for `--ray-address`. Workers start with this process's environment, plus `environment`
    and a PYTHONPATH reaching the test modules (for the fault-injection stage); the environment is restored
    afterwards. Drivers started meanwhile (the CLI) inherit LOOPBACK_ENVIRONMENT, so they too take the loopback
    address as this node's and find the cluster's node there. `unset` names variables the workers must not
    have (such as credentials the driver has)."""
    import ray

    temp = ray_temp_dir()
    with cluster_environment_set(environment, unset):
        try:
            with loopback_only():
                context = ray.init(num_cpus=2, include_dashboard=False, _temp_dir=str(temp),
                                   _node_ip_address=LOOPBACK, configure_logging=False, log_to_driver=False)
            try:
                yield str(context.address_info["gcs_address"])
            finally:
                ray.shutdown()
        finally:
            shutil.rmtree(temp, ignore_errors=True)
