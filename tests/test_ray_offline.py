"""The Ray engine on the network: a local cluster it starts stays on loopback, and a cluster it cannot reach
is an error within the connect timeout, naming the address (Ray itself retries for minutes).

No module cluster here: each test runs the CLI as a user would, starting or failing to reach its own."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from corpus_support import REPO, read_jsonl
from provguard.corpus.ray_loopback import LOOPBACK_ENVIRONMENT
from ray_support import corpus_lines, ray_temp_dir

LOOPBACK_ADDRESSES = {"127.0.0.1", "::1", "::ffff:127.0.0.1"}
INET_CONNECT = re.compile(r'connect\(\d+, \{sa_family=AF_INET6?, (?:sin6?_port=htons\((?P<port>\d+)\)).*?'
                          r'(?:inet_addr\("(?P<v4>[^"]+)"\)|inet_pton\(AF_INET6, "(?P<v6>[^"]+)")')


def cli_environment(**extra: str) -> dict[str, str]:
    """This process's environment without anything that would point the CLI at a cluster or pre-set the
    loopback settings provguard must set itself."""
    env = {name: value for name, value in os.environ.items()
           if name != "RAY_ADDRESS" and name not in LOOPBACK_ENVIRONMENT}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO / "server"), env.get("PYTHONPATH")]))
    env["RAY_AUTH_MODE"] = "disabled"
    env.update(extra)
    return env


def run_cli(cwd: Path, *args: str, prefix: tuple[str, ...] = (), timeout: float = 90,
            **env: str) -> subprocess.CompletedProcess[str]:
    """`provguard ARGS`; the timeout only trips if the CLI hangs (Ray's own retries took minutes)."""
    return subprocess.run([*prefix, sys.executable, "-m", "provguard", *args], cwd=cwd, env=cli_environment(**env),
                          capture_output=True, text=True, timeout=timeout, check=False)


@pytest.fixture
def ray_tmpdir() -> Iterator[Path]:
    temp = ray_temp_dir()  # short: Ray's socket paths must fit in ~107 bytes
    yield temp
    shutil.rmtree(temp, ignore_errors=True)


def strace_or_skip() -> str:
    """strace, able to trace here; skipped without it, but a failure in CI, where the proof must run."""
    strace = shutil.which("strace")
    works = strace is not None and subprocess.run([strace, "-f", "-qq", "-e", "trace=connect", "-o", os.devnull,
                                                   "true"], capture_output=True, timeout=30).returncode == 0
    if not works:
        message = "strace is not installed or cannot trace here (ptrace not permitted)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}: CI must run the network proof of the Ray engine")
        pytest.skip(message)
    assert strace is not None
    return strace


def test_a_local_cluster_the_engine_starts_connects_to_nothing_beyond_loopback(tmp_path: Path,
                                                                                 ray_tmpdir: Path) -> None:
    strace = strace_or_skip()
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "a.jsonl").write_bytes(b"\n".join(corpus_lines(21, 200)) + b"\n")
    trace = tmp_path / "connect.trace"
    done = run_cli(tmp_path, "filter", "corpus", "out", "--engine", "ray", "--report", "report.jsonl",
                   "--as", "train.jsonl", "--path-field", "path", "--language-field", "lang",
                   prefix=(strace, "-f", "-qq", "-e", "trace=connect", "-o", str(trace)), timeout=240,
                   RAY_TMPDIR=str(ray_tmpdir))
    assert done.returncode == 0, done.stderr
    summary = read_jsonl(tmp_path / "report.jsonl")[-1]["summary"]
    assert summary["lines"] == 200 and summary["dropped"] > 0  # the run did its work, on a cluster of its own
    connects = list(INET_CONNECT.finditer(trace.read_text(encoding="utf-8")))
    assert len(connects) > 10  # Ray's processes talk over TCP on loopback: the trace did see them
    outside = sorted({f"{m['v4'] or m['v6']}:{m['port']}" for m in connects
                      if (m["v4"] or m["v6"]) not in LOOPBACK_ADDRESSES})
    assert outside == []  # no 8.8.8.8:53 (node address), no 169.254.169.254:80 (dashboard), no DNS


def test_an_address_where_nothing_listens_fails_at_once_naming_it(tmp_path: Path) -> None:
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "a.jsonl").write_bytes(b'{"content": "x = 1"}\n')
    done = run_cli(tmp_path, "filter", "corpus", "out", "--engine", "ray", "--ray-address", "127.0.0.1:1")
    assert done.returncode == 2
    assert done.stderr == "provguard: cannot reach the Ray cluster at 127.0.0.1:1: Connection refused\n"
    assert not (tmp_path / "out").exists()


def test_an_address_that_does_not_answer_fails_after_the_connect_timeout(tmp_path: Path) -> None:
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "a.jsonl").write_bytes(b'{"content": "x = 1"}\n')
    with socket.socket() as server:  # a full accept queue: the kernel drops further handshakes, unanswered
        server.bind(("127.0.0.1", 0))
        server.listen(0)
        port = server.getsockname()[1]
        queued = socket.create_connection(("127.0.0.1", port), timeout=5)
        try:
            done = run_cli(tmp_path, "filter", "corpus", "out", "--engine", "ray",
                           "--ray-address", f"127.0.0.1:{port}", "--ray-connect-timeout", "1.5")
        finally:
            queued.close()
    assert done.returncode == 2
    assert done.stderr == (f"provguard: cannot reach the Ray cluster at 127.0.0.1:{port}: no answer within 1.5 s "
                           "(--ray-connect-timeout)\n")


def test_with_ray_address_set_the_error_names_it_and_no_local_cluster(tmp_path: Path) -> None:
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "a.jsonl").write_bytes(b'{"content": "x = 1"}\n')
    done = run_cli(tmp_path, "filter", "corpus", "out", "--engine", "ray", RAY_ADDRESS="127.0.0.1:1")
    assert done.returncode == 2
    assert done.stderr == ("provguard: cannot reach the Ray cluster at 127.0.0.1:1 (from RAY_ADDRESS): "
                           "Connection refused\n")
    assert "local" not in done.stderr


def test_a_ray_client_address_without_ray_client_is_refused_naming_what_to_install(tmp_path: Path) -> None:
    (tmp_path / "in.jsonl").write_bytes(b'{"content": "x = 1"}\n')
    code = ("import sys; sys.modules['grpc'] = None; from provguard.cli import main; "
            "sys.exit(main(['filter', 'in.jsonl', 'out.jsonl', '--engine', 'ray', '--ray-address', "
            "'ray://token:secret@head.example:10001?key=k']))")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=cli_environment(), capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert done.stderr == ("provguard: cannot reach the Ray cluster at ray://head.example:10001: ray:// addresses go "
                           "through Ray Client, which is not installed: pip install 'ray[client]' (or give the "
                           "cluster's host:port)\n")  # and without the credentials the address carried
    assert not (tmp_path / "out.jsonl").exists()


def test_the_connect_timeout_must_be_positive(tmp_path: Path) -> None:
    (tmp_path / "in.jsonl").write_bytes(b'{"content": "x = 1"}\n')
    done = run_cli(tmp_path, "filter", "in.jsonl", "out.jsonl", "--engine", "ray", "--ray-connect-timeout", "0")
    assert done.returncode == 2
    assert done.stderr == "provguard: --ray-connect-timeout must be more than 0 seconds\n"


def test_a_runtime_env_file_that_is_not_json_is_an_error_at_its_position(tmp_path: Path) -> None:
    (tmp_path / "in.jsonl").write_bytes(b'{"content": "x = 1"}\n')
    (tmp_path / "env.json").write_text('{\n  "pip": ["provguard[ray]"],\n  "env_vars": {"A": "1",}\n}\n',
                                       encoding="utf-8")
    done = run_cli(tmp_path, "filter", "in.jsonl", "out.jsonl", "--engine", "ray", "--ray-runtime-env", "env.json")
    assert done.returncode == 2
    assert done.stderr == "provguard: env.json:3:25: not JSON: Expecting property name enclosed in double quotes\n"


def test_ray_pass_env_given_a_value_does_not_show_it(tmp_path: Path) -> None:
    (tmp_path / "in.jsonl").write_bytes(b'{"content": "x = 1"}\n')
    done = run_cli(tmp_path, "filter", "in.jsonl", "out.jsonl", "--engine", "ray",
                   "--ray-pass-env", "AWS_ACCESS_KEY_ID,AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMIK7MDENG")
    assert done.returncode == 2
    assert done.stderr == ("provguard: --ray-pass-env takes names of environment variables, comma-separated: "
                           "AWS_SECRET_ACCESS_KEY=...\n")


@pytest.mark.parametrize(("given", "names", "expected"), [
    ('{"pip": ["provguard[ray]==0.1.0"]}', None, ({"pip": ["provguard[ray]==0.1.0"]}, {})),
    (None, "AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY", (None, {"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
                                                              "AWS_SECRET_ACCESS_KEY": "secret-example"})),
    ('{"env_vars": {"AWS_EC2_METADATA_DISABLED": "true"}}', "AWS_SECRET_ACCESS_KEY",
     ({"env_vars": {"AWS_EC2_METADATA_DISABLED": "true"}}, {"AWS_SECRET_ACCESS_KEY": "secret-example"})),
    ('["pip"]', None, '--ray-runtime-env:1:1: a runtime_env is a JSON object, such as {"pip": ["provguard[ray]"]}'),
    ('{"env_vars": {"A": 1}}', None, '--ray-runtime-env: "env_vars" must be an object of strings'),
    ("missing.json", None, "--ray-runtime-env: cannot read missing.json: No such file or directory (give a JSON "
                           "object or a file holding one)"),
    (None, "AWS_SESSION_TOKEN,AWS_ACCESS_KEY_ID", "--ray-pass-env: not set in this environment: AWS_SESSION_TOKEN"),
    (None, ",", "--ray-pass-env takes names of environment variables, comma-separated: -"),
    ('{"env_vars": {"AWS_ACCESS_KEY_ID": "x"}}', "AWS_ACCESS_KEY_ID",
     "--ray-pass-env: also set by --ray-runtime-env's env_vars: AWS_ACCESS_KEY_ID"),
])
def test_what_the_workers_are_given(given: str | None, names: str | None, expected: object) -> None:
    from provguard.commands.filter_ray import ray_workers

    environ = {"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret-example"}
    assert ray_workers(given, names, environ) == expected


def test_values_sent_to_the_workers_are_hidden_in_messages_that_ray_builds_from_them() -> None:
    from provguard.corpus.ray_run import RayOptions, hide_secrets

    options = RayOptions(runtime_env={"env_vars": {"REGION": "eu", "API_KEY": "k3y-from-runtime-env"}},
                         environment={"AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG"})
    message = "runtime_env {'REGION': 'eu', 'API_KEY': 'k3y-from-runtime-env'} env wJalrXUtnFEMI/K7MDENG"
    assert hide_secrets(message, options) == "runtime_env {'REGION': 'eu', 'API_KEY': '***'} env ***"
    assert "wJalrXUtnFEMI" not in repr(options)


def test_the_example_pipeline_starts_its_cluster_on_loopback_and_keeps_rays_logs_out(tmp_path: Path,
                                                                                      ray_tmpdir: Path) -> None:
    """examples/ray_pipeline.py run as its docstring says (no input: a demo corpus) starts its local cluster as
    the CLI does: every connection on loopback, and its output is the example's own lines."""
    strace = strace_or_skip()
    trace = tmp_path / "connect.trace"
    done = subprocess.run([strace, "-f", "-qq", "-e", "trace=connect", "-o", str(trace), sys.executable,
                           str(REPO / "examples" / "ray_pipeline.py"), "--workdir", str(tmp_path / "work")],
                          cwd=tmp_path, env=cli_environment(RAY_TMPDIR=str(ray_tmpdir)), capture_output=True,
                          text=True, timeout=240, check=False)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[-1].startswith('summary: {"bad": 1, "keep": 30, "redact": 10}'), done.stdout
    assert all(line.split()[0] in ("redact", "bad", "summary:") for line in lines), done.stdout
    connects = list(INET_CONNECT.finditer(trace.read_text(encoding="utf-8")))
    assert len(connects) > 10  # the trace saw Ray's processes talk
    outside = sorted({f"{m['v4'] or m['v6']}:{m['port']}" for m in connects
                      if (m["v4"] or m["v6"]) not in LOOPBACK_ADDRESSES})
    assert outside == []
