"""Copies in the file an edit was recorded in, found by its line hashes: the cheap lookup, made before the
fingerprints (matching.py) look everywhere, and the only one for an edit too short to fingerprint."""

from __future__ import annotations

from collections.abc import Sequence

from provguard.documents import Document
from provguard.ledger.model import AgentEdit
from provguard.provenance.fingerprints import line_hash
from provguard.provenance.region import Region

MIN_RUN_CHARS = 20
"""Word characters a run of lines matched by line hash must hold to count."""


def same_file_regions(edits: Sequence[AgentEdit], doc: Document) -> list[Region]:
    """Runs of lines whose hashes one of `edits` recorded; the newest edit claims a line first."""
    owner: dict[int, int] = {}
    by_hash: dict[int, int] = {}
    for index, edit in enumerate(edits):  # oldest first: later edits overwrite
        for h in edit.line_hashes:
            by_hash[h] = index
    if not by_hash:
        return []
    weights: dict[int, int] = {}
    for row in range(doc.lines.line_count):
        start, end = doc.lines.line_bounds(row)
        text = doc.source[start:end].decode("utf-8", errors="replace")
        if not text.strip():
            continue
        claimed = by_hash.get(line_hash(text))
        if claimed is not None:
            owner[row] = claimed
            weights[row] = sum(ch.isalnum() or ch == "_" for ch in text)
    regions: list[Region] = []
    rows = sorted(owner)
    i = 0
    while i < len(rows):
        j = i
        while j + 1 < len(rows) and owner[rows[j + 1]] == owner[rows[i]] and _only_blank_between(
                doc, rows[j], rows[j + 1]):
            j += 1
        weight = sum(weights[r] for r in rows[i:j + 1])
        if weight >= MIN_RUN_CHARS:
            edit = edits[owner[rows[i]]]
            regions.append(Region(rows[i], rows[j], edit.origin(), edit.id, weight))
        i = j + 1
    return regions


def _only_blank_between(doc: Document, row: int, next_row: int) -> bool:
    for between in range(row + 1, next_row):
        start, end = doc.lines.line_bounds(between)
        if doc.source[start:end].strip():
            return False
    return True
