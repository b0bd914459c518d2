"""`provguard filter --attest` hashes the policy's files and the project configuration after the policy loaded:
one swapped meanwhile for a FIFO (which would wait for a writer forever) or a device is refused with the file
named and the kind said, exit status 2, never waited on.

The swap must come between loading and hashing, so the real command runs in a child Python whose filter step
(the one-machine FilterRun, or the policy's loading for the configuration) swaps the file first; the child has
a timeout, so a hang fails the test instead of stalling the suite.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from corpus_support import REPO
from ray_support import corpus_lines
from test_attestation import PACK

SWAPPING_FILTER = """\
import os, sys
from pathlib import Path
from provguard import cli
from provguard.commands import filter as command
from provguard.corpus.run import FilterRun

victim, kind = Path(sys.argv[1]), sys.argv[2]

def swap() -> None:
    victim.unlink()
    if kind == "fifo":
        os.mkfifo(victim)
    else:
        victim.symlink_to("/dev/zero")

if victim.name == "pack.yaml":  # the packs are hashed after filtering
    real_run = FilterRun.run
    def run(self, *args, **kwargs):
        swap()
        return real_run(self, *args, **kwargs)
    FilterRun.run = run
else:  # the configuration is hashed once the policy it chose has loaded, before filtering
    real_judge = command._judge
    def judge(*args, **kwargs):
        found = real_judge(*args, **kwargs)
        swap()
        return found
    command._judge = judge
raise SystemExit(cli.dispatch(sys.argv[3:]))
"""


@pytest.fixture
def work(tmp_path: Path) -> Path:
    (tmp_path / "pack.yaml").write_text(PACK, encoding="utf-8")
    (tmp_path / "provguard.toml").write_text('packs = ["pack.yaml"]\n', encoding="utf-8")
    (tmp_path / "in.jsonl").write_bytes(b"\n".join(corpus_lines(7, 20)) + b"\n")
    return tmp_path


def attest_with_swap(work: Path, victim: str, kind: str, *flags: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO / "server"), "PYTHONIOENCODING": "utf-8"}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(SWAPPING_FILTER), str(work / victim), kind,
                           "filter", "in.jsonl", "out.jsonl", "--attest", "att.json", "--root", ".",
                           "--path-field", "path", "--language-field", "lang", "--workers", "1", *flags],
                          cwd=work, env=env, capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.parametrize(("kind", "said"), [("fifo", "not a regular file (FIFO)"),
                                            ("device", "not a regular file (character device)")])
def test_a_pack_swapped_after_loading_is_refused_not_waited_on(work: Path, kind: str, said: str) -> None:
    done = attest_with_swap(work, "pack.yaml", kind, "--pack", "pack.yaml")
    assert done.returncode == 2, done.stderr
    assert f"cannot read {work / 'pack.yaml'} to attest it: {said}" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (work / "att.json").exists()


@pytest.mark.parametrize(("kind", "said"), [("fifo", "not a regular file (FIFO)"),
                                            ("device", "not a regular file (character device)")])
def test_a_configuration_swapped_after_loading_is_refused_not_waited_on(work: Path, kind: str, said: str) -> None:
    done = attest_with_swap(work, "provguard.toml", kind)
    assert done.returncode == 2, done.stderr
    assert f"to attest it: {said}" in done.stderr
    assert "provguard.toml" in done.stderr
    assert not (work / "att.json").exists()


def test_without_a_swap_the_same_run_attests(work: Path) -> None:
    """The harness itself changes nothing else: with the pack left alone the run attests it."""
    (work / "copy.yaml").write_text(PACK, encoding="utf-8")
    done = attest_with_swap(work, "copy.yaml", "fifo", "--pack", "pack.yaml")
    assert done.returncode == 0, done.stderr
    assert (work / "att.json").exists()
