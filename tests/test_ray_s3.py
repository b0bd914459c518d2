"""`provguard filter --engine ray` on S3: a local S3-compatible server (moto's server mode, on loopback, with
its IAM authentication on) holds the corpus; the workers read and write it through pyarrow's S3 file system,
with credentials only when the driver passes them (`--ray-pass-env`), and the output is the same, byte for
byte, as the run over a local folder. Neither the credentials nor a URI's keys appear in messages."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq
import pytest

from corpus_support import REPO, read_jsonl
from ray_support import corpus_lines, ray_temp_dir, start_ray
from test_ray_offline import INET_CONNECT, LOOPBACK_ADDRESSES, cli_environment, strace_or_skip

FLAGS = ("--as", "train.jsonl", "--path-field", "path", "--language-field", "lang")
CREDENTIALS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE")
OFF_CLOUD = {
    # Off AWS, the AWS SDK would ask the instance-metadata address (169.254.169.254) for a region and
    # credentials, even with an endpoint given; this is how a user outside AWS turns that off.
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_CONFIG_FILE": os.devnull,
}


@dataclass(frozen=True)
class S3:
    endpoint: str
    key_id: str
    secret: str

    def uri(self, path: str) -> str:
        return f"s3://{path}?endpoint_override={self.endpoint}&scheme=http"

    def fs(self) -> pafs.S3FileSystem:
        return pafs.S3FileSystem(access_key=self.key_id, secret_key=self.secret, endpoint_override=self.endpoint,
                                 scheme="http", region="us-east-1", allow_bucket_creation=True)

    def environment(self) -> dict[str, str]:
        return {"AWS_ACCESS_KEY_ID": self.key_id, "AWS_SECRET_ACCESS_KEY": self.secret}


@pytest.fixture(scope="module")
def s3() -> Iterator[S3]:
    """moto's S3 and IAM on a free loopback port; a user allowed S3, whose key is the only way in once
    authentication is switched on (moto's reset-auth)."""
    import boto3
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        url = f"http://{host}:{port}"
        iam = boto3.client("iam", endpoint_url=url, region_name="us-east-1", aws_access_key_id="setup",
                           aws_secret_access_key="setup")
        iam.create_user(UserName="corpus")
        iam.put_user_policy(UserName="corpus", PolicyName="s3", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}))
        key = iam.create_access_key(UserName="corpus")["AccessKey"]
        store = S3(f"{host}:{port}", key["AccessKeyId"], key["SecretAccessKey"])
        store.fs().create_dir("corpus")
        reset_auth(url, "0")
        try:
            yield store
        finally:
            reset_auth(url, "inf")  # moto's settings are this process's
    finally:
        server.stop()


def reset_auth(url: str, unauthenticated_requests: str) -> None:
    request = urllib.request.Request(f"{url}/moto-api/reset-auth", data=unauthenticated_requests.encode(),
                                     headers={"Content-Type": "text/plain"}, method="POST")
    urllib.request.urlopen(request, timeout=30).close()


@pytest.fixture(scope="module")
def ray_address() -> Iterator[str]:
    """A cluster whose workers have no AWS credentials of their own (nor instance metadata to ask)."""
    yield from start_ray(unset=CREDENTIALS, **OFF_CLOUD)


def cli(cwd: Path, *args: str, timeout: float = 240, own_cluster: bool = False, prefix: tuple[str, ...] = (),
        **env: str) -> subprocess.CompletedProcess[str]:
    """`provguard ARGS` off AWS, with no credentials but those in `env`. With `own_cluster` it starts its own
    cluster and must set the loopback settings itself; otherwise it inherits them from the module's cluster, to
    find that cluster's node on loopback. The timeout only trips if the CLI hangs."""
    path = os.pathsep.join(filter(None, [str(REPO / "server"), os.environ.get("PYTHONPATH")]))
    environment = cli_environment(**OFF_CLOUD, **env) if own_cluster else \
        dict(os.environ, PYTHONPATH=path, **OFF_CLOUD, **env)
    for name in set(CREDENTIALS) - set(env):
        environment.pop(name, None)
    return subprocess.run([*prefix, sys.executable, "-m", "provguard", *args], cwd=cwd, env=environment,
                          capture_output=True, text=True, timeout=timeout, check=False)


def corpus_files() -> dict[str, bytes]:
    """JSONL, gzip and Parquet, in a subfolder too."""
    lines = corpus_lines(31, 500)
    rows = []
    for line in corpus_lines(32, 400, bad_every=10**9):
        record = json.loads(line)
        rows.append({"id": record["id"], "content": record["content"], "path": record["path"],
                     "lang": record.get("lang")})
    sink = pa.BufferOutputStream()
    pq.write_table(pa.Table.from_pylist(rows), sink)
    return {"a.jsonl": b"\n".join(lines) + b"\n",
            "sub/b.jsonl.gz": gzip.compress(b"\n".join(corpus_lines(33, 300)) + b"\n", mtime=0),
            "sub/c.parquet": sink.getvalue().to_pybytes()}


def put_corpus(s3: S3, prefix: str, local: Path) -> dict[str, bytes]:
    files = corpus_files()
    fs = s3.fs()
    for name, data in files.items():
        with fs.open_output_stream(f"corpus/{prefix}/{name}", compression=None) as out:
            out.write(data)
        (local / name).parent.mkdir(parents=True, exist_ok=True)
        (local / name).write_bytes(data)
    return files


def get(s3: S3, path: str) -> bytes:
    with s3.fs().open_input_stream(path, compression=None) as stream:
        return bytes(stream.read())


def test_a_corpus_on_s3_is_filtered_like_the_same_corpus_in_a_local_folder(tmp_path: Path, s3: S3,
                                                                          ray_address: str) -> None:
    files = put_corpus(s3, "same", tmp_path / "corpus")
    local = cli(tmp_path, "filter", "corpus", "filtered", "--engine", "ray", "--ray-address", ray_address,
                "--report", "local.jsonl", *FLAGS)
    assert local.returncode == 0, local.stderr
    # The key id (not a secret) in the job's runtime_env, the secret key passed with the actors: both needed.
    remote = cli(tmp_path, "filter", s3.uri("corpus/same"), s3.uri("corpus/clean"), "--engine", "ray",
                 "--ray-address", ray_address, "--ray-runtime-env",
                 json.dumps({"env_vars": {"AWS_ACCESS_KEY_ID": s3.key_id}}),
                 "--ray-pass-env", "AWS_SECRET_ACCESS_KEY", "--report", "s3.jsonl", *FLAGS, **s3.environment())
    assert remote.returncode == 0, remote.stderr
    for name in files:
        assert get(s3, f"corpus/clean/{name}") == (tmp_path / "filtered" / name).read_bytes(), name
    assert (tmp_path / "s3.jsonl").read_bytes() == (tmp_path / "local.jsonl").read_bytes()
    summary = read_jsonl(tmp_path / "s3.jsonl")[-1]["summary"]
    assert summary["files"] == 3 and summary["failedFiles"] == 0 and summary["dropped"] > 0
    assert s3.secret not in remote.stderr + remote.stdout
    logs = Path(ray_logs())
    assert any(s3.key_id in log.read_text(errors="replace") for log in logs.rglob("runtime_env_agent*.log"))
    assert not [log for log in logs.rglob("*") if log.is_file() and s3.secret in log.read_text(errors="replace")]


def ray_logs() -> str:
    """The log folder of the module's cluster (this process started it)."""
    import ray._private.worker

    node = ray._private.worker.global_worker.node
    assert node is not None
    return str(node.get_logs_dir_path())


def test_workers_without_the_credentials_fail_each_file_and_no_secret_is_shown(tmp_path: Path, s3: S3,
                                                                              ray_address: str) -> None:
    files = put_corpus(s3, "nokeys", tmp_path / "corpus")
    done = cli(tmp_path, "filter", s3.uri("corpus/nokeys"), s3.uri("corpus/nokeys-out"), "--engine", "ray",
               "--ray-address", ray_address, "--report", "report.jsonl", *FLAGS, **s3.environment())
    assert done.returncode == 2
    assert done.stderr.endswith(f"provguard: 3 of 3 files could not be filtered ({', '.join(files)}); their "
                                "outputs were not written\n")  # the driver listed the bucket; the workers could not
    assert s3.secret not in done.stderr + (tmp_path / "report.jsonl").read_text(encoding="utf-8")
    assert s3.fs().get_file_info(pafs.FileSelector("corpus/nokeys-out", allow_not_found=True)) == []


def test_keys_and_endpoints_in_a_uri_are_not_shown_in_messages(tmp_path: Path, s3: S3) -> None:
    where = f"corpus/missing?endpoint_override={s3.endpoint}&scheme=http"
    done = cli(tmp_path, "filter", f"s3://{s3.key_id}:{quote(s3.secret, safe='')}@{where}", "out", "--engine", "ray")
    assert done.returncode == 2
    assert done.stderr == "provguard: no such file or folder: s3://corpus/missing\n"  # the keys were good
    unescaped = cli(tmp_path, "filter", f"s3://{s3.key_id}:{s3.secret}/x@{where}", "out", "--engine", "ray")
    assert unescaped.returncode == 2
    assert unescaped.stderr.startswith("provguard: s3://corpus/missing: ")
    assert s3.key_id not in unescaped.stderr and s3.secret not in unescaped.stderr


def test_on_s3_a_local_cluster_connects_to_nothing_beyond_loopback(tmp_path: Path, s3: S3) -> None:
    strace = strace_or_skip()
    put_corpus(s3, "traced", tmp_path / "corpus")
    trace = tmp_path / "connect.trace"
    temp = ray_temp_dir()
    try:
        done = cli(tmp_path, "filter", s3.uri("corpus/traced/a.jsonl"), s3.uri("corpus/traced-out/a.jsonl"),
                   "--engine", "ray", *FLAGS, timeout=300, own_cluster=True,
                   prefix=(strace, "-f", "-qq", "-e", "trace=connect", "-o", str(trace)), RAY_TMPDIR=str(temp),
                   **s3.environment())
    finally:
        shutil.rmtree(temp, ignore_errors=True)
    assert done.returncode == 0, done.stderr
    single = cli(tmp_path, "filter", "corpus/a.jsonl", "single.jsonl", "--workers", "1", *FLAGS)
    assert single.returncode == 0, single.stderr
    assert get(s3, "corpus/traced-out/a.jsonl") == (tmp_path / "single.jsonl").read_bytes()
    connects = list(INET_CONNECT.finditer(trace.read_text(encoding="utf-8")))
    endpoint_port = s3.endpoint.rpartition(":")[2]
    assert any(m["port"] == endpoint_port for m in connects)  # the trace saw the S3 traffic
    outside = sorted({f"{m['v4'] or m['v6']}:{m['port']}" for m in connects
                      if (m["v4"] or m["v6"]) not in LOOPBACK_ADDRESSES})
    assert outside == []  # no instance metadata (169.254.169.254), no region lookup, no DNS


def sha256_of(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def test_a_run_on_s3_is_attested_by_what_the_workers_read_and_wrote_and_verify_reads_it_back(
        tmp_path: Path, s3: S3, ray_address: str) -> None:
    files = put_corpus(s3, "attested", tmp_path / "corpus")
    local = cli(tmp_path, "filter", "corpus", "filtered", "--engine", "ray", "--ray-address", ray_address,
                "--attest", "local.att.json", *FLAGS)
    assert local.returncode == 0, local.stderr
    secret_uri = f"s3://{s3.key_id}:{quote(s3.secret, safe='')}@corpus/attested?endpoint_override={s3.endpoint}" \
                 "&scheme=http"  # keys in the URI: never in the statement
    done = cli(tmp_path, "filter", secret_uri, s3.uri("corpus/attested-out"), "--engine", "ray",
               "--ray-address", ray_address, "--ray-pass-env", "AWS_ACCESS_KEY_ID,AWS_SECRET_ACCESS_KEY",
               "--attest", "s3.att.json", *FLAGS, **s3.environment())
    assert done.returncode == 0, done.stderr
    text = (tmp_path / "s3.att.json").read_text(encoding="utf-8")
    assert s3.secret not in text and quote(s3.secret, safe="") not in text and s3.key_id not in text
    statement = json.loads(text)
    where = f"?endpoint_override={quote(s3.endpoint, safe='')}&scheme=http"
    assert statement["subject"] == [
        {"name": f"s3://corpus/attested-out/{name}{where}",
         "digest": {"sha256": sha256_of(get(s3, f"corpus/attested-out/{name}"))}} for name in sorted(files)]
    assert statement["predicate"]["inputs"] == [
        {"name": f"s3://corpus/attested/{name}{where}", "digest": {"sha256": sha256_of(data)}}
        for name, data in sorted(files.items())]
    on_disk = json.loads((tmp_path / "local.att.json").read_text(encoding="utf-8"))
    assert [s["digest"] for s in statement["subject"]] == [s["digest"] for s in on_disk["subject"]]
    assert statement["predicate"]["counts"] == on_disk["predicate"]["counts"]

    unread = cli(tmp_path, "verify", "s3.att.json", **s3.environment())  # the statement says where to connect
    assert unread.returncode == 1
    assert "not read: a remote file is read only with --remote" in unread.stderr
    verified = cli(tmp_path, "verify", "s3.att.json", "--remote", **s3.environment())
    assert verified.returncode == 0, verified.stdout + verified.stderr
    changed = f"corpus/attested-out/{sorted(files)[0]}"
    with s3.fs().open_output_stream(changed, compression=None) as out:
        out.write(get(s3, changed) + b"\n")
    verified = cli(tmp_path, "verify", "s3.att.json", "--remote", **s3.environment())
    assert verified.returncode == 1
    assert f"subject s3://{changed}{where}: different digest: expected sha256:" in verified.stdout + verified.stderr
