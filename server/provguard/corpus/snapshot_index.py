"""The fingerprint index inside a policy snapshot: the ledger's agent edits as flat arrays a worker maps.

A cluster worker cannot query the team's ledger, and copying the ledger into every worker's memory would
cost as much as the ledger. The index is instead a set of fixed-width arrays read in place from the
memory-mapped snapshot (or from Ray's shared object store), so every worker process on a machine shares one
copy and loading costs no parsing:

- postings: `print_hashes` (int64, ascending) beside `print_edits` (uint32, the edit's number), one pair
  per distinct (fingerprint, edit); a lookup is a binary search;
- per edit, in id order: its fingerprints and line hashes (int64 runs found through uint64 offsets), its names
  (uint32 runs), its id and its metadata (UTF-8 JSON, through offsets).

All integers are little-endian. Edits never carry their text into a snapshot.
"""

from __future__ import annotations

import json
import sys
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any, Literal

from provguard.ledger.model import AgentEdit
from provguard.provenance.fingerprint_index import MAX_EDITS_PER_PRINT
from provguard.provenance.origin import Evidence

SECTIONS: dict[str, Literal["q", "Q", "I", "B"]] = {
    "print_hashes": "q", "print_edits": "I", "edit_prints_at": "Q", "edit_prints": "q", "edit_lines_at": "Q",
    "edit_lines": "q", "edit_ids_at": "Q", "edit_ids": "B", "edit_meta_at": "Q", "edit_meta": "B",
    "edit_names_at": "Q", "edit_names": "I"}
"""Section name -> array type code (`struct` letters: q int64, Q uint64, I uint32, B bytes)."""

META_FIELDS = ("tool", "path", "time", "evidence", "vendor", "model", "session_id", "tool_call_id", "lines",
               "source", "confidence")


class IndexLayoutError(Exception):
    """The index's arrays do not fit together; the caller names the file."""


def build_sections(edits: Iterable[AgentEdit]) -> dict[str, bytes]:
    """The index's arrays for `edits`, as little-endian bytes by section name."""
    ordered = sorted({e.id: e for e in edits}.values(), key=lambda e: e.id)
    postings = sorted((h, number) for number, edit in enumerate(ordered) for h in set(edit.fingerprints))
    out: dict[str, array[int]] = {name: array(code) for name, code in SECTIONS.items()}
    out["print_hashes"].extend(h for h, _ in postings)
    out["print_edits"].extend(n for _, n in postings)
    for name in ("edit_prints_at", "edit_lines_at", "edit_names_at", "edit_ids_at", "edit_meta_at"):
        out[name].append(0)
    for edit in ordered:
        _append_run(out, "edit_prints", sorted(set(edit.fingerprints)))
        _append_run(out, "edit_lines", edit.line_hashes)
        _append_run(out, "edit_names", edit.names)
        _append_run(out, "edit_ids", edit.id.encode("utf-8"))
        meta = {name: getattr(edit, name) for name in META_FIELDS}
        meta["evidence"] = edit.evidence.value
        _append_run(out, "edit_meta", json.dumps(meta, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    if sys.byteorder != "little":
        for arr in out.values():
            arr.byteswap()
    return {name: arr.tobytes() for name, arr in out.items()}


def _append_run(out: dict[str, array[int]], name: str, values: Iterable[int]) -> None:
    out[name].extend(values)
    out[f"{name}_at"].append(len(out[name]))


class SnapshotIndex:
    """The read-only index over a snapshot's buffers; satisfies `provenance.fingerprint_index.FingerprintIndex`.

    Holds views into the snapshot's memory, never copies of the arrays."""

    def __init__(self, sections: Mapping[str, memoryview]) -> None:
        if sys.byteorder != "little":
            raise IndexLayoutError("snapshots are read on little-endian machines only")
        views = {name: sections[name].cast(code) if code != "B" else sections[name]
                 for name, code in SECTIONS.items()}
        self._hashes = views["print_hashes"]
        self._edit_of = views["print_edits"]
        self._prints_at, self._prints = views["edit_prints_at"], views["edit_prints"]
        self._lines_at, self._lines = views["edit_lines_at"], views["edit_lines"]
        self._names_at, self._names = views["edit_names_at"], views["edit_names"]
        self._ids_at, self._ids = views["edit_ids_at"], views["edit_ids"]
        self._meta_at, self._meta = views["edit_meta_at"], views["edit_meta"]
        self.edit_count = len(self._ids_at) - 1
        self._check()

    def _check(self) -> None:
        """Cheap consistency checks, so a snapshot whose checksum happens to pass cannot index out of range."""
        if len(self._hashes) != len(self._edit_of):
            raise IndexLayoutError("postings arrays differ in length")
        for offsets, data in ((self._prints_at, self._prints), (self._lines_at, self._lines),
                              (self._names_at, self._names),
                              (self._ids_at, self._ids), (self._meta_at, self._meta)):
            if len(offsets) != self.edit_count + 1 or offsets[0] != 0 or offsets[-1] != len(data):
                raise IndexLayoutError("an offsets array does not cover its data")

    def __len__(self) -> int:
        return self.edit_count

    @property
    def posting_count(self) -> int:
        return len(self._hashes)

    def match_fingerprints(self, hashes: Collection[int]) -> dict[str, int]:
        counts: dict[int, int] = {}
        found = self._hashes
        total = len(found)
        for value in set(hashes):
            at = bisect_left(found, value)
            if bisect_right(found, value, at) - at > MAX_EDITS_PER_PRINT:
                continue  # the index's boilerplate, as every FingerprintIndex leaves it out
            while at < total and found[at] == value:
                number = self._edit_of[at]
                if number >= self.edit_count:
                    raise IndexLayoutError("a posting names an edit the index does not hold")
                counts[number] = counts.get(number, 0) + 1
                at += 1
        return {self._id(number): count for number, count in counts.items()}

    def agent_edits(self, path: str | None = None, ids: Sequence[str] | None = None) -> list[AgentEdit]:
        if ids is not None:
            numbers = [n for n in (self._number(i) for i in dict.fromkeys(ids)) if n is not None]
        else:
            numbers = list(range(self.edit_count))
        edits = [self._edit(n) for n in numbers]
        if path is not None:
            edits = [e for e in edits if e.path == path]
        return sorted(edits, key=lambda e: (e.time, e.id))

    def _id(self, number: int) -> str:
        return bytes(self._ids[self._ids_at[number]:self._ids_at[number + 1]]).decode("utf-8")

    def _number(self, edit_id: str) -> int | None:
        ids = _Ids(self)
        at = bisect_left(ids, edit_id)
        return at if at < self.edit_count and ids[at] == edit_id else None

    def _edit(self, number: int) -> AgentEdit:
        meta: dict[str, Any] = json.loads(bytes(self._meta[self._meta_at[number]:self._meta_at[number + 1]]))
        prints = tuple(self._prints[self._prints_at[number]:self._prints_at[number + 1]])
        lines = tuple(self._lines[self._lines_at[number]:self._lines_at[number + 1]])
        names = tuple(self._names[self._names_at[number]:self._names_at[number + 1]])
        return AgentEdit(id=self._id(number), tool=meta["tool"], path=meta["path"], time=meta["time"],
                         evidence=Evidence(meta["evidence"]), vendor=meta["vendor"], model=meta["model"],
                         session_id=meta["session_id"], tool_call_id=meta["tool_call_id"], lines=meta["lines"],
                         fingerprints=prints, line_hashes=lines, source=meta["source"],
                         confidence=float(meta.get("confidence", 1.0)), names=names)

    def release(self) -> None:
        """Lets go of the views, so the memory map under them can be closed."""
        for view in (self._hashes, self._edit_of, self._prints_at, self._prints, self._lines_at, self._lines,
                     self._names_at, self._names,
                     self._ids_at, self._ids, self._meta_at, self._meta):
            view.release()


class _Ids(Sequence[str]):
    """The ids in order, as a sequence `bisect` can search without decoding them all."""

    def __init__(self, index: SnapshotIndex) -> None:
        self._index = index

    def __len__(self) -> int:
        return self._index.edit_count

    def __getitem__(self, number: int) -> str:  # type: ignore[override]
        return self._index._id(number)
