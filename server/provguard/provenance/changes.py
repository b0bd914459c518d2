"""What an edit was: typing, a deletion, a bulk insertion or a replacement; and full-text changes as edits.

A full-document change (a client without incremental sync, or a buffer reloaded after an agent wrote the
file) is diffed against the previous text so it is classified exactly like incremental changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher
from enum import StrEnum

from provguard.provenance.markers import comment_body


class ChangeKind(StrEnum):
    TYPING = "typing"
    DELETION = "deletion"
    BULK_INSERTION = "bulk-insertion"
    REPLACEMENT = "replacement"


@dataclass(frozen=True)
class BulkThreshold:
    """An insertion is bulk when it brings at least `chars` characters (surrounding whitespace not
    counted) or code on at least `lines` lines; typing, Enter with auto-indent and auto-closed brackets
    stay below it."""

    chars: int = 40
    lines: int = 2


@dataclass(frozen=True)
class Edit:
    """Replace bytes [start, end) of the text before the edit with `text`."""

    start: int
    end: int
    text: bytes


def classify(deleted: int, inserted: bytes, threshold: BulkThreshold) -> ChangeKind:
    if not inserted:
        return ChangeKind.DELETION
    if is_bulk(inserted, threshold):
        return ChangeKind.BULK_INSERTION
    return ChangeKind.REPLACEMENT if deleted else ChangeKind.TYPING


def is_bulk(inserted: bytes, threshold: BulkThreshold) -> bool:
    text = inserted.decode("utf-8", errors="replace").strip()
    if _only_provguard_comments(text):  # a marker or suppression a quick fix (or a person) wrote: not code
        return False
    if len(text) >= threshold.chars:
        return True
    return sum(1 for line in text.splitlines() if line.strip()) >= threshold.lines


def _only_provguard_comments(text: str) -> bool:
    return bool(text) and all(comment_body(line) is not None for line in text.splitlines() if line.strip())


_REFINE_LIMIT = 64 * 1024
_SIMILAR = 0.6


def diff(old: bytes, new: bytes) -> list[Edit]:
    """Edits, in old-text offsets and document order, that turn `old` into `new`.

    Lines are matched first. A changed block that still looks like the old one (reformatted, re-indented,
    partly edited) is refined byte by byte so unchanged bytes keep their provenance; a block that does
    not is one replacement, so new code arrives as one insertion, as a paste would.
    """
    old_lines = old.splitlines(keepends=True)
    new_lines = new.splitlines(keepends=True)
    old_starts = _starts(old_lines)
    new_starts = _starts(new_lines)
    edits: list[Edit] = []
    matcher = SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        a, b = old_starts[i1], old_starts[i2]
        block = new[new_starts[j1] : new_starts[j2]]
        if op == "replace" and (b - a) + len(block) <= _REFINE_LIMIT:
            inner = SequenceMatcher(None, old[a:b], block, autojunk=False)
            if inner.ratio() >= _SIMILAR:
                edits.extend(Edit(a + x1, a + x2, block[y1:y2])
                             for tag, x1, x2, y1, y2 in inner.get_opcodes() if tag != "equal")
                continue
        edits.append(Edit(a, b, block))
    return edits


def _starts(lines: list[bytes]) -> list[int]:
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    return starts
