"""`provguard filter --attest FILE` and `provguard verify FILE`, run as the real commands: an in-toto Statement
naming the outputs and inputs by SHA-256, the policy by its digest (the one `export --snapshot` prints) and the
counts; a signature by an SSH key; and every change afterwards (an output byte, an input, a pack, the statement,
the key) reported by verify with exit status 1, naming the file and both digests."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from corpus_support import provguard, read_jsonl
from ledger_support import agent_edit
from provguard.ledger.sqlite import SqliteLedger
from ray_support import corpus_lines, start_ray

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://provguard.dev/attestation/filter/v1"
PACK = """\
pack: team-policy
version: "1.2.0"
rules:
  - id: no-rival-agents
    severity: error
    message: rival agent code
    origins:
      - kind: ai-agent
        vendor: anthropic
"""
FLAGS = ("--pack", "pack.yaml", "--path-field", "path", "--language-field", "lang", "--workers", "1")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def keygen() -> str:
    """ssh-keygen, or a skip with the reason (a failure under CI=true, where it must be installed)."""
    found = shutil.which("ssh-keygen")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("ssh-keygen is not installed: CI must have OpenSSH to test attestation signatures")
        pytest.skip("ssh-keygen (OpenSSH) is not installed: signing tests need it")
    return found


def new_key(folder: Path, name: str) -> Path:
    """A throwaway ed25519 key pair without passphrase; returns the private key's path (the public one: .pub)."""
    key = folder / name
    subprocess.run([keygen(), "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(key)], check=True, timeout=30)
    return key


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A folder with a team pack and a generated corpus (rival agent code, in-house agent code, bad lines)."""
    (tmp_path / "pack.yaml").write_text(PACK, encoding="utf-8")
    (tmp_path / "in.jsonl").write_bytes(b"\n".join(corpus_lines(7, 300)) + b"\n")
    return tmp_path


def attest(work: Path, *flags: str) -> dict[str, Any]:
    done = provguard(work, "filter", "in.jsonl", "out.jsonl", "--attest", "att.json", "--report", "report.jsonl",
                     *FLAGS, *flags)
    assert done.returncode == 0, done.stderr.decode()
    assert "provguard filter: attestation att.json" in done.stderr.decode()
    statement: dict[str, Any] = json.loads((work / "att.json").read_text(encoding="utf-8"))
    return statement


def verify(work: Path, *flags: str) -> tuple[int, str]:
    done = provguard(work, "verify", "att.json", *flags, timeout=60)
    return done.returncode, done.stderr.decode()


def test_the_statement_names_outputs_inputs_policy_and_counts(project: Path) -> None:
    statement = attest(project)
    assert statement["_type"] == STATEMENT_TYPE and statement["predicateType"] == PREDICATE_TYPE
    assert statement["subject"] == [{"name": "out.jsonl", "digest": {"sha256": sha256(project / "out.jsonl")}}]
    predicate = statement["predicate"]
    assert predicate["inputs"] == [{"name": "in.jsonl", "digest": {"sha256": sha256(project / "in.jsonl")}}]
    assert predicate["engine"] == "local"
    assert predicate["policy"]["packs"] == [{"id": "team-policy", "version": "1.2.0"}]
    assert predicate["policy"]["files"] == [{"name": "pack.yaml", "digest": {"sha256": sha256(project / "pack.yaml")}}]
    assert re.fullmatch(r"[0-9a-f]{64}", predicate["policy"]["digest"]["sha256"])
    assert predicate["ledger"] is None
    summary = read_jsonl(project / "report.jsonl")[-1]["summary"]
    counts = predicate["counts"]
    assert {k: counts[k] for k in ("lines", "kept", "dropped", "redacted", "badLines")} == \
        {k: summary[k] for k in ("lines", "kept", "dropped", "redacted", "badLines")}
    assert counts["dropped"] > 0 and counts["badLines"] > 0  # the corpus plants both
    assert counts["rules"] == rules_in_report(project / "report.jsonl")
    assert set(counts["rules"]) == {"no-rival-agents", "marker-invalid"}  # the pack's rule, and broken markers
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", predicate["time"])


def test_redacted_samples_are_counted_per_rule(project: Path) -> None:
    counts = attest(project, "--redact")["predicate"]["counts"]
    assert counts["redacted"] > 0
    assert counts["rules"] == rules_in_report(project / "report.jsonl")
    assert counts["rules"]["no-rival-agents"]["redacted"] == counts["redacted"]
    assert counts["rules"]["marker-invalid"] == {"dropped": counts["dropped"], "redacted": 0}  # unreadable: dropped


def rules_in_report(report: Path) -> dict[str, dict[str, int]]:
    """Samples each rule dropped and redacted, counted from the side report's records."""
    by_rule: dict[str, dict[str, int]] = {}
    for record in read_jsonl(report)[:-1]:
        if record["action"] in ("drop", "redact"):
            for rule in record["rules"]:
                counts = by_rule.setdefault(rule, {"dropped": 0, "redacted": 0})
                counts["dropped" if record["action"] == "drop" else "redacted"] += 1
    return dict(sorted(by_rule.items()))


def test_an_unchanged_unsigned_dataset_verifies(project: Path) -> None:
    attest(project)
    status, said = verify(project)
    assert status == 0, said
    assert "OK (signature unsigned (no att.json.sig); 3 files match their digests)" in said


def test_a_signed_round_trip_verifies_against_the_signers_key(project: Path) -> None:
    key = new_key(project, "signer")
    attest(project, "--sign-key", str(key))
    assert (project / "att.json.sig").read_text().startswith("-----BEGIN SSH SIGNATURE-----")
    status, said = verify(project, "--key", f"{key}.pub")
    assert status == 0, said
    assert f"OK (signature good, by {key}.pub" in said
    status, said = verify(project)
    assert status == 0 and "who signed was not checked (give --key PUB)" in said, said


def test_a_changed_output_byte_is_reported_with_both_digests(project: Path) -> None:
    attest(project)
    expected = sha256(project / "out.jsonl")
    data = bytearray((project / "out.jsonl").read_bytes())
    data[10] ^= 1
    (project / "out.jsonl").write_bytes(bytes(data))
    status, said = verify(project)
    assert status == 1
    assert (f"provguard: att.json: subject out.jsonl: different digest: expected sha256:{expected}, "
            f"actual sha256:{sha256(project / 'out.jsonl')}") in said
    assert "FAILED, 1 difference" in said


def test_a_changed_or_missing_input_is_reported(project: Path) -> None:
    attest(project)
    expected = sha256(project / "in.jsonl")
    with (project / "in.jsonl").open("ab") as corpus:
        corpus.write(b'{"content": "x = 1\\n"}\n')
    status, said = verify(project)
    assert status == 1
    assert f"input in.jsonl: different digest: expected sha256:{expected}, actual sha256:" in said
    (project / "in.jsonl").unlink()
    status, said = verify(project)
    assert status == 1 and f"input in.jsonl: missing (no file at {project / 'in.jsonl'})" in said


def rename_input(project: Path, name: str) -> None:
    """The statement, edited by whoever handed it over, naming `name` as its input (no signature to break)."""
    statement = json.loads((project / "att.json").read_text(encoding="utf-8"))
    statement["predicate"]["inputs"][0]["name"] = name
    (project / "att.json").write_text(json.dumps(statement), encoding="utf-8")


def test_a_statement_naming_a_fifo_or_a_device_is_answered_at_once_not_read_forever(project: Path) -> None:
    attest(project)
    os.mkfifo(project / "pipe")
    for name in ("pipe", "/dev/zero"):
        rename_input(project, name)
        status, said = verify(project)  # a read of either would never end: the call's timeout fails the test
        assert status == 1 and f"input {name}: cannot be read: not a regular file" in said


def test_a_remote_file_a_statement_names_is_not_read_without_remote(project: Path) -> None:
    attest(project)
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    listening.listen()
    listening.setblocking(False)
    port = listening.getsockname()[1]
    rename_input(project, f"s3://bucket/in.jsonl?endpoint_override=127.0.0.1:{port}&scheme=http")

    status, said = verify(project)

    assert status == 1 and "not read: a remote file is read only with --remote" in said
    with pytest.raises(BlockingIOError):  # nobody connected to the address the statement gave
        listening.accept()
    listening.close()


def test_a_pack_edited_after_filtering_is_reported(project: Path) -> None:
    attest(project)
    expected = sha256(project / "pack.yaml")
    pack = project / "pack.yaml"
    pack.write_text(pack.read_text(encoding="utf-8").replace("severity: error", "severity: warning"), encoding="utf-8")
    status, said = verify(project)
    assert status == 1
    assert (f"policy file pack.yaml: different digest: expected sha256:{expected}, "
            f"actual sha256:{sha256(pack)}") in said


def test_a_wrong_key_or_an_edited_statement_fails_the_signature(project: Path) -> None:
    key, other = new_key(project, "signer"), new_key(project, "stranger")
    attest(project, "--sign-key", str(key))
    status, said = verify(project, "--key", f"{other}.pub")
    assert status == 1
    assert "signature att.json.sig: made by another key (ED25519 key SHA256:" in said
    assert f"not by {other}.pub" in said
    statement = json.loads((project / "att.json").read_text(encoding="utf-8"))
    statement["predicate"]["counts"]["dropped"] = 0  # hide what was dropped, digests untouched
    (project / "att.json").write_text(json.dumps(statement, indent=2) + "\n", encoding="utf-8")
    for flags in ((), ("--key", f"{key}.pub")):
        status, said = verify(project, *flags)
        assert status == 1
        assert "signature att.json.sig: does not match the statement: the statement or its signature changed " \
               "after signing" in said


def test_an_unsigned_statement_fails_when_a_key_is_required(project: Path) -> None:
    key = new_key(project, "signer")
    attest(project)
    status, said = verify(project, "--key", f"{key}.pub")
    assert status == 1
    assert "signature att.json.sig: missing: the statement is not signed" in said


def test_a_statement_that_is_not_an_attestation_is_a_usage_error(project: Path) -> None:
    (project / "att.json").write_text('{"_type": "something else"}', encoding="utf-8")
    status, said = verify(project)
    assert status == 2 and f"not an in-toto Statement v1 (_type is not {STATEMENT_TYPE})" in said


@pytest.mark.parametrize("content, reason", [
    ("[" * 5_000 + "]" * 5_000, "nested deeper than 256 levels"),
    ('{"_type": ' + "[" * 900 + "]" * 900 + "}", "nested deeper than 256 levels"),
    ('{"_type": "x",\n  "subject": }', "line 2, column 14: Expecting value"),
    (b'{"_type": "\xc3\x28"}', "not UTF-8 at byte 11"),
], ids=["deeper than the parser goes", "deep but parsable", "broken", "not UTF-8"])
def test_a_statement_that_is_not_json_is_a_usage_error_saying_where(project: Path, content: str | bytes,
                                                                      reason: str) -> None:
    """An auditor verifies a file someone handed over: whatever it holds, a sentence, never a traceback."""
    data = content.encode() if isinstance(content, str) else content
    (project / "att.json").write_bytes(data)
    status, said = verify(project)
    assert status == 2 and "att.json: not JSON (" in said and reason in said
    assert "Traceback" not in said


def test_attest_needs_files_and_sign_key_needs_attest(project: Path) -> None:
    done = provguard(project, "filter", "in.jsonl", "--attest", "att.json", *FLAGS)
    assert done.returncode == 2 and b"--attest needs INPUT and OUTPUT to be files" in done.stderr
    done = provguard(project, "filter", "in.jsonl", "out.jsonl", "--sign-key", "key", *FLAGS)
    assert done.returncode == 2 and b"--sign-key goes with --attest FILE" in done.stderr
    assert not (project / "out.jsonl").exists()


def test_export_snapshot_prints_the_policy_digest_the_attestation_names(project: Path) -> None:
    from_packs = attest(project)["predicate"]["policy"]["digest"]["sha256"]
    done = provguard(project, "export", ".", "--snapshot", "policy.snap", "--pack", "pack.yaml")
    assert done.returncode == 0, done.stderr.decode()
    assert f"policy sha256:{from_packs}" in done.stderr.decode()
    done = provguard(project, "filter", "in.jsonl", "out.jsonl", "--attest", "att.json", "--snapshot", "policy.snap",
                     "--path-field", "path", "--workers", "1")
    assert done.returncode == 0, done.stderr.decode()
    policy = json.loads((project / "att.json").read_text(encoding="utf-8"))["predicate"]["policy"]
    assert policy["digest"]["sha256"] == from_packs
    assert policy["snapshot"] is True
    assert policy["files"] == [{"name": "policy.snap", "digest": {"sha256": sha256(project / "policy.snap")}}]


def test_the_ledger_is_named_with_its_generation(project: Path) -> None:
    ledger = SqliteLedger(project / "team.sqlite3")
    ledger.add_agent_edits([agent_edit("e1"), agent_edit("e2", prints=(4, 5))])
    generation = ledger.generation()
    ledger.close()
    assert generation > 0
    ledger_field = attest(project, "--ledger", "team.sqlite3")["predicate"]["ledger"]
    assert ledger_field == {"location": "team.sqlite3", "generation": generation}


@pytest.fixture(scope="module")
def ray_address() -> Iterator[str]:
    yield from start_ray()


def test_one_machine_and_ray_attest_the_same_subjects_and_counts(project: Path, ray_address: str) -> None:
    local = attest(project, "--redact")
    ray_work = project / "ray"
    ray_work.mkdir()
    shutil.copy(project / "in.jsonl", ray_work / "in.jsonl")
    shutil.copy(project / "pack.yaml", ray_work / "pack.yaml")
    done = provguard(ray_work, "filter", "in.jsonl", "out.jsonl", "--attest", "att.json", "--redact", "--engine", "ray",
                     "--ray-address", ray_address, *FLAGS[:-2])
    assert done.returncode == 0, done.stderr.decode()
    on_ray = json.loads((ray_work / "att.json").read_text(encoding="utf-8"))
    assert on_ray["predicate"]["engine"] == "ray"
    assert on_ray["subject"] == local["subject"]
    assert on_ray["predicate"]["inputs"] == local["predicate"]["inputs"]
    assert on_ray["predicate"]["counts"] == local["predicate"]["counts"]
    assert on_ray["predicate"]["policy"] == local["predicate"]["policy"]
    status, said = verify(ray_work)
    assert status == 0, said


def test_the_digests_are_of_the_bytes_streamed_not_read_again(project: Path, monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    """In this process, with the attestation's own file hashing watched: the input and output are hashed as the
    filter reads and writes them (compressed files by their bytes on disk), never opened again to hash."""
    import gzip

    from provguard import cli
    from provguard.corpus import attestation

    (project / "in.jsonl.gz").write_bytes(gzip.compress((project / "in.jsonl").read_bytes()))
    hashed_again: list[str] = []
    real = attestation.file_sha256

    def watched(path: str | Path) -> str:
        hashed_again.append(Path(path).name)
        return real(path)

    monkeypatch.setattr(attestation, "file_sha256", watched)
    monkeypatch.chdir(project)
    status = cli.dispatch(["filter", "in.jsonl.gz", "out.jsonl.zst", "--attest", "att.json", *FLAGS])
    assert status == 0, capsys.readouterr().err
    statement = json.loads((project / "att.json").read_text(encoding="utf-8"))
    assert statement["subject"] == [{"name": "out.jsonl.zst",
                                     "digest": {"sha256": sha256(project / "out.jsonl.zst")}}]
    assert statement["predicate"]["inputs"] == [{"name": "in.jsonl.gz",
                                                 "digest": {"sha256": sha256(project / "in.jsonl.gz")}}]
    assert hashed_again == ["pack.yaml"]  # only the policy's file; the corpus files were hashed as they streamed
    assert verify(project)[0] == 0


@pytest.mark.parametrize("change", ["appended", "replaced"])
def test_an_input_changed_during_the_run_fails_it_naming_the_file(project: Path, monkeypatch: pytest.MonkeyPatch,
                                                                  capsys: pytest.CaptureFixture[str],
                                                                  change: str) -> None:
    """A real race cannot be timed in a test, so the change is made from inside the run, deterministically: the
    line reader the filter uses is wrapped (in this process) to append a line to the input, or to rename another
    file over it, right after the filter has read its first line. The run fails with the file named, writes no
    output and no attestation: it would attest bytes other than those on disk."""
    from provguard import cli
    from provguard.corpus import pipeline

    real = pipeline.read_lines
    corpus = project / "in.jsonl"

    def changing(*args: Any, **kwargs: Any) -> Iterator[Any]:
        for n, line in enumerate(real(*args, **kwargs)):
            yield line
            if n == 0:
                if change == "appended":
                    with corpus.open("ab") as stream:
                        stream.write(b'{"content": "print(1)\\n"}\n')
                else:
                    other = project / "other.jsonl"
                    other.write_bytes(corpus.read_bytes())
                    os.replace(other, corpus)

    monkeypatch.setattr(pipeline, "read_lines", changing)
    monkeypatch.chdir(project)
    status = cli.dispatch(["filter", "in.jsonl", "out.jsonl", "--attest", "att.json", *FLAGS])
    said = capsys.readouterr().err
    assert status == 2
    assert "in.jsonl changed while it was filtered" in said
    assert ("replaced by another file" if change == "replaced" else "bytes when opened") in said
    assert not (project / "out.jsonl").exists() and not (project / "att.json").exists()
    assert not list(project.glob(".out.jsonl.*.partial"))


@pytest.mark.parametrize("config_name", ["provguard.toml", "pyproject.toml"])
def test_the_project_configuration_that_chose_the_packs_is_attested_and_verified(project: Path,
                                                                                 config_name: str) -> None:
    table = "" if config_name == "provguard.toml" else "[tool.provguard]\n"
    (project / config_name).write_text(f'{table}packs = ["pack.yaml"]\n', encoding="utf-8")
    done = provguard(project, "filter", "in.jsonl", "out.jsonl", "--attest", "att.json", *FLAGS[2:])  # no --pack
    assert done.returncode == 0, done.stderr.decode()
    policy = json.loads((project / "att.json").read_text(encoding="utf-8"))["predicate"]["policy"]
    assert policy["packs"] == [{"id": "team-policy", "version": "1.2.0"}]  # the configuration chose them
    assert policy["config"] == {"name": config_name, "path": config_name,
                                "digest": {"sha256": sha256(project / config_name)}}
    assert verify(project)[0] == 0
    with (project / config_name).open("a", encoding="utf-8") as stream:
        stream.write('severity = { "no-rival-agents" = "info" }\n')
    status, said = verify(project)
    assert status == 1
    assert f"project configuration {config_name}: different digest" in said


def test_a_run_under_a_snapshot_names_no_project_configuration(project: Path) -> None:
    (project / "provguard.toml").write_text('packs = ["pack.yaml"]\n', encoding="utf-8")
    done = provguard(project, "export", ".", "--snapshot", "policy.snap")
    assert done.returncode == 0, done.stderr.decode()
    done = provguard(project, "filter", "in.jsonl", "out.jsonl", "--attest", "att.json", "--snapshot", "policy.snap",
                     *FLAGS[2:])
    assert done.returncode == 0, done.stderr.decode()
    policy = json.loads((project / "att.json").read_text(encoding="utf-8"))["predicate"]["policy"]
    assert policy["snapshot"] is True and policy["config"] is None
