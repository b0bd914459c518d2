"""The attestation of a filtered corpus: an in-toto Statement v1 that `provguard filter --attest FILE` writes, and
its check by `provguard verify`.

Subjects are the output files with their SHA-256 digests; the predicate records what produced them: the input
files and digests, the policy (its content digest, as `export --snapshot` prints it, its packs, and the files
it was read from with their digests, and the project configuration that chose them: provguard.toml or
pyproject.toml, by its path in the project and its digest), the ledger's identity and generation, provguard's
version, the counts kept / redacted / dropped (per rule too), the engine and the time. Both engines build the
statement here, from the same counts, so the one-machine filter and Ray attest the same subjects and counts for
the same input.

The one-machine filter hashes its input and output while it streams them (corpus/run.py): the digests are of the
bytes it read and wrote, and a run whose input changed on disk meanwhile fails instead of attesting. Other files
(the packs, the configuration, Ray's outputs) are hashed here.

Files are named relative to the statement's own folder when they lie inside it (the dataset and its attestation
move together), else by absolute path. Signing is `ssh-keygen -Y sign` over the statement's bytes, as git signs
commits: no network, and the signature (FILE.sig) checks with `ssh-keygen -Y verify` against a public key.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from provguard import __version__
from provguard.files import open_regular, write_atomic
from provguard.ledger.location import is_url, read_ledger, redact
from provguard.ledger.store import LedgerError
from provguard.policy.policy import Policy

from .side_report import Counts
from .snapshot import Snapshot, frozen_digest

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://provguard.dev/attestation/filter/v1"
NAMESPACE = "provguard-attestation"
"""The `ssh-keygen -Y` namespace: a signature made for something else (a commit, a file) does not pass here."""
SIGNER = "provguard"
SIGNATURE_SUFFIX = ".sig"
SSH_KEYGEN_TIMEOUT = 60.0
_CHUNK = 1 << 20


class AttestationError(Exception):
    """The attestation cannot be written, signed or read; the message names the file and says why."""


@dataclass(frozen=True)
class PolicyIdentity:
    digest: str
    packs: tuple[tuple[str, str], ...]
    """(id, version) of each pack, in the policy's order."""
    files: tuple[str, ...]
    """What the policy was read from, to hash: the packs' files, or the snapshot file."""
    snapshot: bool


@dataclass(frozen=True)
class LedgerIdentity:
    location: str
    """A file, or a PostgreSQL URL without password or query (location.redact)."""
    generation: int | None


@dataclass(frozen=True)
class ConfigIdentity:
    """The project configuration file that chose the packs (and severities), hashed when the policy was loaded."""

    file: str
    """Where it is, as opened."""
    path: str
    """Its path relative to the project root (the folder the run's --root names)."""
    sha256: str


@dataclass(frozen=True)
class FilterFacts:
    """What one filter run did, as either engine knows it."""

    engine: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    policy: PolicyIdentity
    ledger: LedgerIdentity | None
    counts: Counts
    settings: dict[str, Any]
    digests: Mapping[str, str] = field(default_factory=dict)
    """SHA-256 of files as the run streamed them, by the name given in inputs or outputs; others are hashed now."""
    config: ConfigIdentity | None = None


def config_identity(root: Path) -> ConfigIdentity | None:
    """The configuration the project at `root` is read from, with its digest now; None when it has none.
    Raises AttestationError when it cannot be read."""
    from provguard.policy.project import find_project_config

    found = find_project_config(root)
    if found is None:
        return None
    try:
        digest = file_sha256(found.file)
    except OSError as exc:
        raise AttestationError(f"cannot read {found.file} to attest it: {exc.strerror or exc}") from exc
    base = root.resolve()
    absolute = found.file.resolve()
    relative = absolute.relative_to(base).as_posix() if absolute.is_relative_to(base) else \
        Path(os.path.relpath(absolute, base)).as_posix()
    return ConfigIdentity(str(found.file), relative, digest)


def policy_identity(policy: Policy, snapshot: Snapshot | None = None) -> PolicyIdentity:
    """The policy of a run: from a snapshot (named by its file) or from the project's packs (named by theirs).
    Raises SnapshotError when the policy cannot be frozen."""
    packs = tuple((p.id, p.version) for p in policy.packs)
    if snapshot is not None:
        return PolicyIdentity(snapshot.info.policy_digest, packs, (snapshot.name,), True)
    return PolicyIdentity(frozen_digest(policy), packs, policy.pack_files, False)


def ledger_identity(given: str | None, root: Path) -> LedgerIdentity | str | None:
    """The ledger `--ledger` names, with its generation now; an error message when it cannot be read."""
    ledger = read_ledger(given, root)
    if ledger is None or isinstance(ledger, str):
        return ledger
    try:
        location = ledger.location
        return LedgerIdentity(redact(location) if is_url(location) else location, ledger.generation())
    except LedgerError as exc:
        return f"cannot read the ledger's generation: {exc}"
    finally:
        ledger.close()


def snapshot_ledger(snapshot: Snapshot) -> LedgerIdentity | None:
    ledger = snapshot.info.ledger
    if ledger is None:
        return None
    return LedgerIdentity(redact(ledger) if is_url(ledger) else ledger, snapshot.info.ledger_generation)


def file_sha256(path: str | Path) -> str:
    """The SHA-256 of the regular file at `path`. Raises OSError, also for anything else found there: a pack or
    configuration swapped for a FIFO or a device after the policy loaded is refused, never waited on or read."""
    opened = open_regular(Path(path))
    if isinstance(opened, str):
        raise OSError(errno.EINVAL, opened.removeprefix("cannot read: "))
    digest = hashlib.sha256()
    with opened as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def statement(facts: FilterFacts, attestation: Path, now: datetime | None = None) -> dict[str, Any]:
    """The in-toto Statement of a run whose attestation is written at `attestation`. Raises AttestationError
    when a file to hash cannot be read."""
    folder = attestation.resolve().parent
    counts = facts.counts
    rules = sorted(set(counts.dropped_rules) | set(counts.redacted_rules))
    predicate: dict[str, Any] = {
        "engine": facts.engine,
        "provguard": {"version": __version__},
        "time": (now or datetime.now(UTC)).isoformat(timespec="seconds"),
        "inputs": _described(facts.inputs, folder, facts.digests),
        "policy": {
            "digest": {"sha256": facts.policy.digest},
            "packs": [{"id": pack, "version": version} for pack, version in facts.policy.packs],
            "snapshot": facts.policy.snapshot,
            "files": _described(facts.policy.files, folder),
            "config": None if facts.config is None else {
                **_described([facts.config.file], folder, {facts.config.file: facts.config.sha256})[0],
                "path": facts.config.path},
        },
        "ledger": None if facts.ledger is None else {"location": facts.ledger.location,
                                                     "generation": facts.ledger.generation},
        "settings": facts.settings,
        "counts": {
            "lines": counts.lines, "samples": counts.samples, "kept": counts.kept, "dropped": counts.dropped,
            "redacted": counts.redacted, "badLines": counts.bad, "badLinesWritten": counts.bad_written,
            "rules": {rule: {"dropped": counts.dropped_rules[rule], "redacted": counts.redacted_rules[rule]}
                      for rule in rules},
        },
    }
    return {"_type": STATEMENT_TYPE, "subject": _described(facts.outputs, folder, facts.digests),
            "predicateType": PREDICATE_TYPE,
            "predicate": predicate}


def _described(paths: Iterable[str], folder: Path, known: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """Each file by name and digest: the one `known` gives (hashed as it streamed), else hashed now."""
    out = []
    for path in sorted(set(paths)):
        try:
            digest = known[path] if known and path in known else file_sha256(path)
        except OSError as exc:
            raise AttestationError(f"cannot read {path} to attest it: {exc.strerror or exc}") from exc
        out.append({"name": _name(path, folder), "digest": {"sha256": digest}})
    return sorted(out, key=lambda item: str(item["name"]))


def _name(given: str, folder: Path) -> str:
    if "://" in given:  # a URI (ray_run.attested_uri): named as it is, for verify to open again
        return given
    absolute = Path(given).resolve()
    return absolute.relative_to(folder).as_posix() if absolute.is_relative_to(folder) else str(absolute)


def statement_bytes(data: dict[str, Any]) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def write_attestation(path: Path, data: dict[str, Any], sign_key: Path | None) -> None:
    """Writes the statement at `path` and, with a key, its signature at `path`.sig. Raises AttestationError."""
    content = statement_bytes(data)
    signature = sign(content, sign_key) if sign_key is not None else None
    _write(path, content)
    if signature is not None:
        _write(signature_path(path), signature)
    else:
        try:  # an old signature beside a new statement would only fail verification, confusingly
            signature_path(path).unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise AttestationError(f"cannot remove the old signature {signature_path(path)}: {exc}") from exc


def signature_path(path: Path) -> Path:
    return path.with_name(path.name + SIGNATURE_SUFFIX)


def ssh_keygen() -> str:
    found = shutil.which("ssh-keygen")
    if found is None:
        raise AttestationError("signing and checking signatures need ssh-keygen (OpenSSH 8.1 or later), "
                               "which is not on PATH")
    return found


def sign(content: bytes, key: Path) -> bytes:
    """An SSH signature of `content` by the private `key` (`ssh-keygen -Y sign`, namespace provguard-attestation)."""
    if not key.is_file():
        raise AttestationError(f"no such key file: {key}")
    done = run_keygen([ssh_keygen(), "-q", "-Y", "sign", "-f", str(key), "-n", NAMESPACE], content)
    if done.returncode != 0 or not done.stdout.startswith(b"-----BEGIN SSH SIGNATURE-----"):
        raise AttestationError(f"ssh-keygen cannot sign with {key}: {keygen_said(done)}")
    return done.stdout


def run_keygen(command: list[str], content: bytes) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(command, input=content, capture_output=True, timeout=SSH_KEYGEN_TIMEOUT, check=False)
    except subprocess.TimeoutExpired as exc:
        raise AttestationError(f"ssh-keygen did not finish within {SSH_KEYGEN_TIMEOUT:g} s (a key with a "
                               "passphrase needs an ssh-agent)") from exc
    except OSError as exc:
        raise AttestationError(f"cannot run ssh-keygen: {exc.strerror or exc}") from exc


def keygen_said(done: subprocess.CompletedProcess[bytes]) -> str:
    said = (done.stderr + done.stdout).decode("utf-8", "replace").strip()
    return " ".join(said.split()) or f"ssh-keygen exit status {done.returncode}"


def _write(path: Path, data: bytes) -> None:
    try:
        write_atomic(path, data, 0o644)
    except OSError as exc:
        raise AttestationError(f"cannot write {path}: {exc.strerror or exc}") from exc
