"""`provguard verify`: an attestation's signature and the digest of every file it names, against the disk.

The statement comes from someone else (an auditor is handed it): it is read through the untrusted-JSON reader and
its shape checked before anything in it is used; every difference is reported, not only the first.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from provguard.untrusted_json import NotJson, describe, loads_untrusted

from .attestation import (
    NAMESPACE,
    PREDICATE_TYPE,
    SIGNER,
    STATEMENT_TYPE,
    AttestationError,
    keygen_said,
    run_keygen,
    signature_path,
    ssh_keygen,
)


@dataclass(frozen=True)
class Difference:
    """One way the files on disk, or the signature, differ from what the statement says."""

    what: str
    """subject, input, policy file, or signature."""
    name: str
    problem: str

    def __str__(self) -> str:
        return f"{self.what} {self.name}: {self.problem}"


@dataclass(frozen=True)
class Verification:
    signature: str
    """What the signature check found, for the summary: checked against the key, intact, or unsigned."""
    differences: tuple[Difference, ...]
    files: int


def read_statement(path: Path) -> tuple[bytes, dict[str, Any]]:
    """The statement's bytes and content; raises AttestationError when it is not a provguard filter statement."""
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise AttestationError(f"cannot read {path}: {exc.strerror or exc}") from exc
    data = loads_untrusted(content)  # someone hands the auditor this file: nesting bounded, never a traceback
    if isinstance(data, NotJson):
        raise AttestationError(f"{path}: not JSON ({describe(data)})")
    if not isinstance(data, dict) or data.get("_type") != STATEMENT_TYPE:
        raise AttestationError(f"{path}: not an in-toto Statement v1 (_type is not {STATEMENT_TYPE})")
    if data.get("predicateType") != PREDICATE_TYPE:
        raise AttestationError(f"{path}: predicateType is {data.get('predicateType')!r}, not {PREDICATE_TYPE} "
                               "(a provguard filter attestation)")
    for where, items in (("subject", data.get("subject")), ("predicate.inputs", _get(data, "inputs")),
                         ("predicate.policy.files", _get(data, "policy", "files"))):
        if not isinstance(items, list) or not all(_described_item(item) for item in items):
            raise AttestationError(f"{path}: {where} must be a list of {{name, digest: {{sha256}}}}")
    config = _get(data, "policy", "config")
    if config is not None and not (_described_item(config) and isinstance(config.get("path"), str)):
        raise AttestationError(f"{path}: predicate.policy.config must be null or {{name, path, digest: {{sha256}}}}")
    return content, data


def _get(data: dict[str, Any], *keys: str) -> Any:
    value: Any = data.get("predicate")
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _described_item(item: Any) -> bool:
    return (isinstance(item, dict) and isinstance(item.get("name"), str) and isinstance(item.get("digest"), dict)
            and isinstance(item["digest"].get("sha256"), str))


def verify(path: Path, public_key: Path | None, remote: bool = False) -> Verification:
    """Checks the signature beside `path` (against `public_key` when given, else only that it is intact) and the
    digest of every file the statement names. Raises AttestationError when the statement cannot be read.

    A statement may come from anyone, so what it names is read with care: local names only as regular files (a
    FIFO or a device named there would never end), and URIs only with `remote`: reading one connects, with this
    environment's credentials, to whatever address the statement gives."""
    content, data = read_statement(path)
    differences: list[Difference] = []
    signature = _check_signature(path, content, public_key, differences)
    folder = path.resolve().parent
    config = _get(data, "policy", "config")
    groups: Sequence[tuple[str, list[dict[str, Any]]]] = (
        ("subject", data["subject"]), ("input", _get(data, "inputs")), ("policy file", _get(data, "policy", "files")),
        ("project configuration", [config] if config is not None else []))
    files = 0
    for what, items in groups:
        for item in items:
            files += 1
            name = item["name"]
            expected = item["digest"]["sha256"]
            target = name if "://" in name else folder / name
            if "://" in name and not remote:
                differences.append(Difference(what, name, "not read: a remote file is read only with --remote "
                                                           "(it connects with this environment's credentials to the "
                                                           "address the statement names)"))
                continue
            try:
                actual = uri_sha256(name) if "://" in name else regular_file_sha256(target)
            except FileNotFoundError:
                differences.append(Difference(what, name, f"missing (no file at {target})"))
                continue
            except OSError as exc:
                differences.append(Difference(what, name, f"cannot be read: {exc.strerror or exc}"))
                continue
            if actual != expected:
                differences.append(Difference(what, name, f"different digest: expected sha256:{expected}, "
                                                           f"actual sha256:{actual}"))
    return Verification(signature, tuple(differences), files)


def regular_file_sha256(path: Path) -> str:
    """The SHA-256 of a regular file; OSError for anything else (opened without blocking, so a FIFO is refused
    rather than waited on)."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | getattr(os, "O_CLOEXEC", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file")
        digest = hashlib.sha256()
        while chunk := os.read(fd, 1 << 20):
            digest.update(chunk)
    finally:
        os.close(fd)
    return digest.hexdigest()


def uri_sha256(uri: str) -> str:
    """The SHA-256 of the file a URI names (an attested Ray run's remote files: ray_run.attested_uri), read
    through pyarrow's file systems with this environment's credentials. Raises FileNotFoundError or OSError."""
    try:
        import pyarrow.fs as pafs
    except ImportError as exc:
        raise OSError(f"reading a URI needs pyarrow: pip install 'provguard[ray]' ({exc})") from exc
    try:
        fs, path = pafs.FileSystem.from_uri(uri)
        if fs.get_file_info(path).type == pafs.FileType.NotFound:
            raise FileNotFoundError(uri)
        digest = hashlib.sha256()
        with fs.open_input_stream(path, compression=None) as stream:
            while chunk := stream.read(1 << 20):
                digest.update(chunk)
    except (FileNotFoundError, OSError):
        raise
    except Exception as exc:  # pyarrow's errors for a scheme or URI it does not know
        raise OSError(str(exc)) from exc
    return digest.hexdigest()


def _check_signature(path: Path, content: bytes, public_key: Path | None, differences: list[Difference]) -> str:
    sig = signature_path(path)
    if not sig.is_file():
        if public_key is not None:
            differences.append(Difference("signature", str(sig), "missing: the statement is not signed, but --key "
                                                                 "asks for a signature by that key"))
            return "missing"
        return "unsigned (no " + sig.name + ")"
    done = run_keygen([ssh_keygen(), "-Y", "check-novalidate", "-n", NAMESPACE, "-s", str(sig)], content)
    if done.returncode != 0:
        differences.append(Difference("signature", str(sig), "does not match the statement: the statement or its "
                                                             f"signature changed after signing ({keygen_said(done)})"))
        return "bad"
    signer = _signer(done)
    if public_key is None:
        return f"intact, by {signer}; who signed was not checked (give --key PUB)"
    try:
        key = public_key.read_text(encoding="utf-8").split()
    except (OSError, UnicodeDecodeError) as exc:
        raise AttestationError(f"cannot read the public key {public_key}: {exc}") from exc
    if len(key) < 2:
        raise AttestationError(f"{public_key}: not an SSH public key (expected `TYPE BASE64 [COMMENT]`)")
    with tempfile.TemporaryDirectory(prefix="provguard-verify-") as temp:
        allowed = Path(temp) / "allowed_signers"
        allowed.write_text(f'{SIGNER} namespaces="{NAMESPACE}" {key[0]} {key[1]}\n', encoding="utf-8")
        done = run_keygen([ssh_keygen(), "-Y", "verify", "-f", str(allowed), "-I", SIGNER, "-n", NAMESPACE, "-s",
                           str(sig)], content)
    if done.returncode != 0:
        differences.append(Difference("signature", str(sig), f"made by another key ({signer}), not by {public_key}"))
        return "by another key"
    return f"good, by {public_key} ({signer})"


def _signer(done: subprocess.CompletedProcess[bytes]) -> str:
    """The signing key as `ssh-keygen -Y check-novalidate` names it (`ED25519 key SHA256:...`)."""
    said = (done.stdout + done.stderr).decode("utf-8", "replace")
    _, found, rest = said.partition(" signature with ")
    return rest.strip().splitlines()[0] if found and rest.strip() else "an unknown key"
