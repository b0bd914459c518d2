"""Policy snapshots: everything a pipeline worker needs to judge code, in one versioned, checksummed file.

`provguard export --snapshot FILE` freezes the resolved policy (frozen_policy.py) and the ledger's agent
edits as a fingerprint index (snapshot_index.py); workers of a cluster, which reach neither the project nor
the team ledger, load it once and judge exactly as `provguard filter` does on the machine that wrote it.

Layout (integers little-endian):

    magic "PGSNAP\\r\\n" | u32 format version | u32 0 | u64 header length | header (UTF-8 JSON)
    | sections, each at an 8-byte boundary, as the header lists them
    | SHA-256 of every byte before it | "PGSNEND\\n"

A snapshot that is truncated, altered, or written by a newer provguard (a higher format version) is refused
with a SnapshotError naming the file: a worker never judges with part of a policy.
"""

from __future__ import annotations

import hashlib
import json
import mmap
import os
import struct
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from provguard import __version__
from provguard.documents import Document
from provguard.files import write_atomic
from provguard.ledger.model import AgentEdit
from provguard.policy.policy import Policy
from provguard.provenance.fingerprint_index import FingerprintIndex
from provguard.provenance.origin import Span

from .frozen_policy import FrozenPolicy, FrozenPolicyError, freeze, thaw
from .snapshot_index import SECTIONS, IndexLayoutError, SnapshotIndex, build_sections

MAGIC = b"PGSNAP\r\n"
END = b"PGSNEND\n"
FORMAT_VERSION = 4
"""4: fingerprint scheme 4 (JavaScript and TypeScript class members read inside a class body); 3: fingerprint
scheme 3 (provenance/fingerprint_index.py PRINT_SCHEME), edits' names; 2: scheme 2. An older
snapshot holds prints that would never match again, so it is refused with a message, not read."""
_PREFIX = struct.Struct("<8sIIQ")
_TRAILER = 32 + len(END)

IndexMatcher = Callable[[Document, "str | None", FingerprintIndex], tuple[Span, ...]]
"""Fingerprint matching (provenance/matching.py): spans of a document found in an index. Must be a
module-level function, so a judge holding it can be sent to worker processes."""


def default_matcher() -> IndexMatcher | None:
    """The fingerprint matching judges built from a snapshot use when not given one: every engine (filter
    --snapshot, --engine ray, JudgeStage) goes through here, and `provguard check` uses the same function."""
    from provguard.provenance.matching import index_spans

    return index_spans


class SnapshotError(Exception):
    """A snapshot cannot be written or used; the message names the file and says why."""


@dataclass(frozen=True)
class SnapshotInfo:
    provguard: str
    """The provguard version that wrote it."""
    created: str
    ledger: str | None
    """Where the edits came from (a file, or a PostgreSQL URL without its password); None without a ledger."""
    edits: int
    postings: int
    size: int
    sha256: str
    policy_digest: str
    """`policy_digest` of the frozen policy it holds: what an attestation names (see corpus/attestation.py)."""
    ledger_generation: int | None = None
    """The ledger's generation when the edits were read (None without a ledger, or from an older provguard)."""


@dataclass
class Snapshot:
    name: str
    policy: Policy
    index: SnapshotIndex
    info: SnapshotInfo
    _buffer: Any = field(default=None, repr=False)
    """What the index's views point into (a memory map, or a buffer from Ray's object store): kept alive."""


def policy_digest(frozen: FrozenPolicy) -> str:
    """The SHA-256 (hex) of a frozen policy's content: the packs' flat YAML texts in order and the severity
    overrides, not where the packs were read from. `export --snapshot` prints it and records it in the header,
    and a filter attestation names its policy by it, whether the packs came from the project or a snapshot."""
    content = {"packs": [text for _, text in frozen.packs], "severity": dict(sorted(frozen.severity.items()))}
    return hashlib.sha256(json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode("utf-8")).hexdigest()


def frozen_digest(policy: Policy) -> str:
    """`policy_digest` of a loaded policy. Raises SnapshotError when the policy cannot be frozen."""
    try:
        return policy_digest(freeze(policy))
    except FrozenPolicyError as exc:
        raise SnapshotError(str(exc)) from exc


def snapshot_bytes(policy: Policy, edits: Iterable[AgentEdit], ledger: str | None,
                   ledger_generation: int | None = None) -> bytes:
    """A snapshot of `policy` and `edits`. Raises SnapshotError when the policy cannot be frozen."""
    try:
        frozen = freeze(policy)
    except FrozenPolicyError as exc:
        raise SnapshotError(str(exc)) from exc
    sections = build_sections(edits)
    layout: dict[str, dict[str, int]] = {}
    at = 0
    for name in SECTIONS:
        layout[name] = {"offset": at, "length": len(sections[name])}
        at = _aligned(at + len(sections[name]))
    edit_count = len(sections["edit_ids_at"]) // 8 - 1
    header = {"provguard": __version__, "created": datetime.now(UTC).isoformat(timespec="seconds"),
              "ledger": ledger, "edits": edit_count, "postings": len(sections["print_hashes"]) // 8,
              "ledgerGeneration": ledger_generation, "policyDigest": policy_digest(frozen),
              "policy": frozen.as_json(), "sections": layout}
    head = json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    out = bytearray(_PREFIX.pack(MAGIC, FORMAT_VERSION, 0, len(head)))
    out += head
    out += bytes(_aligned(len(out)) - len(out))
    base = len(out)
    for name in SECTIONS:
        out += bytes(base + layout[name]["offset"] - len(out))
        out += sections[name]
    out += hashlib.sha256(out).digest() + END
    return bytes(out)


def write_snapshot(path: Path, data: bytes) -> None:
    """Writes atomically (a temporary file renamed over `path`): readers never see half a snapshot."""
    try:
        write_atomic(path, data)
    except OSError as exc:
        raise SnapshotError(f"cannot write the snapshot {path}: {exc.strerror or exc}") from exc


def open_snapshot(path: str | Path) -> Snapshot:
    """The snapshot at `path`, its index memory-mapped (shared by every process on the machine)."""
    name = str(path)
    try:
        with open(path, "rb") as stream:
            size = os.fstat(stream.fileno()).st_size
            if size == 0:
                raise SnapshotError(f"{name}: not a provguard snapshot (the file is empty)")
            mapped = mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ)
    except OSError as exc:
        raise SnapshotError(f"cannot read the snapshot {name}: {exc.strerror or exc}") from exc
    return snapshot_from_buffer(mapped, name)


def snapshot_from_buffer(buffer: Any, name: str) -> Snapshot:
    """The snapshot in `buffer` (anything with the buffer protocol: a memory map, bytes, a NumPy array from
    Ray's object store), read in place; `name` is how errors name it."""
    view = memoryview(buffer).cast("B")
    size = len(view)
    if size < _PREFIX.size or bytes(view[:len(MAGIC)]) != MAGIC:
        raise SnapshotError(f"{name}: not a provguard snapshot (written by `provguard export --snapshot`)")
    _, version, _, head_length = _PREFIX.unpack_from(view)
    if version > FORMAT_VERSION:
        raise SnapshotError(f"{name}: snapshot format {version} is newer than this provguard reads "
                            f"({FORMAT_VERSION}); install the provguard that wrote it ({_writer(view)}) on the workers")
    if version < 1:
        raise SnapshotError(f"{name}: unknown snapshot format {version}")
    if version < FORMAT_VERSION:
        raise SnapshotError(f"{name}: snapshot format {version} holds fingerprints of an older scheme that no "
                            "longer match; write it again with `provguard export --snapshot`")
    if size < _PREFIX.size + head_length + _TRAILER or bytes(view[size - len(END):]) != END:
        raise SnapshotError(f"{name}: the snapshot is truncated ({size} bytes); write it again")
    digest = hashlib.sha256(view[:size - _TRAILER]).digest()
    if digest != bytes(view[size - _TRAILER:size - len(END)]):
        raise SnapshotError(f"{name}: the snapshot is corrupt (its SHA-256 checksum does not match); write it again")
    try:
        header = json.loads(bytes(view[_PREFIX.size:_PREFIX.size + head_length]))
        base = _aligned(_PREFIX.size + head_length)
        sections = {}
        for section in SECTIONS:
            start = base + int(header["sections"][section]["offset"])
            end = start + int(header["sections"][section]["length"])
            if not base <= start <= end <= size - _TRAILER:
                raise SnapshotError(f"{name}: the snapshot is corrupt (section {section} lies outside the file)")
            sections[section] = view[start:end]
        frozen = FrozenPolicy.from_json(header["policy"])
        generation = header.get("ledgerGeneration")
        info = SnapshotInfo(str(header["provguard"]), str(header["created"]), header.get("ledger"),
                            int(header["edits"]), int(header["postings"]), size, digest.hex(), policy_digest(frozen),
                            int(generation) if generation is not None else None)
        policy = thaw(frozen)
        index = SnapshotIndex(sections)
    except (ValueError, KeyError, TypeError) as exc:
        raise SnapshotError(f"{name}: the snapshot is corrupt ({type(exc).__name__}: {exc})") from exc
    except (FrozenPolicyError, IndexLayoutError) as exc:
        raise SnapshotError(f"{name}: {exc}") from exc
    return Snapshot(name, policy, index, info, buffer)


def _writer(view: memoryview) -> str:
    """The version that wrote a snapshot this provguard cannot read, when its header still says."""
    try:
        _, _, _, head_length = _PREFIX.unpack_from(view)
        return "provguard " + str(json.loads(bytes(view[_PREFIX.size:_PREFIX.size + head_length]))["provguard"])
    except (ValueError, KeyError, TypeError, struct.error):
        return "a newer provguard"


def _aligned(offset: int) -> int:
    return (offset + 7) & ~7


@dataclass
class IndexedSpans:
    """A judge's `extra_spans` provider: fingerprint matches of a document in a snapshot's index.

    Sent to worker processes as the snapshot's path; each process maps the file the first time it judges."""

    path: str
    matcher: IndexMatcher
    _index: FingerprintIndex | None = field(default=None, repr=False, compare=False)

    @staticmethod
    def loaded(snapshot: Snapshot, matcher: IndexMatcher) -> IndexedSpans:
        provider = IndexedSpans(snapshot.name, matcher)
        provider._index = snapshot.index
        return provider

    def __call__(self, doc: Document, path: str | None) -> tuple[Span, ...]:
        if self._index is None:
            self._index = open_snapshot(self.path).index
        return self.matcher(doc, path, self._index)

    def __getstate__(self) -> dict[str, Any]:
        return {"path": self.path, "matcher": self.matcher}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.path, self.matcher, self._index = state["path"], state["matcher"], None
