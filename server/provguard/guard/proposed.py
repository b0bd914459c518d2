"""What an agent's tool call would write: a file's text after the call, and which of its lines are the agent's.

Every agent's payload (a whole file, string replacements, a patch) becomes the same `ProposedWrite`, so the
judging is the same for all of them. The agent's lines are the lines of the new text that the old text does
not have, found by a line diff: a rewrite that keeps most of a file leaves the kept lines to whoever wrote them.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass
from pathlib import Path

from provguard.files import MAX_FILE_BYTES, read_limited  # larger files are not judged, as by `check`


@dataclass(frozen=True)
class ProposedWrite:
    path: str
    """Where the text would land: absolute, symbolic links resolved (project.landing)."""
    text: bytes
    """The whole file after the call."""
    agent_ranges: tuple[tuple[int, int], ...]
    """Byte ranges of `text` the agent wrote."""
    note: str | None = None
    """Why the write is judged in part (say, an edit that does not fit the file: its new text alone)."""
    moved_from: str | None = None
    """The file a patch moves here: its kept lines are not the agent's, but they land at this path now, so copies
    of recorded agent edits among them are judged too (judge.py)."""


@dataclass(frozen=True)
class Skipped:
    """A write the guard cannot judge, and why: it is let through, and the reason goes to stderr."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: not judged: {self.reason}"


@dataclass(frozen=True)
class Unapplied:
    """An edit that cannot be applied and adds no text (a pure deletion whose old text is not in the file, or
    of a file that does not exist): it writes nothing, so there is nothing to judge; the note says so. Not a
    `Skipped`, which a project saying `agent-write-on-error: deny` refuses: an edit the agent's own tool will
    refuse cannot put anything in a file."""

    path: str
    note: str


@dataclass(frozen=True)
class Current:
    """A file's text before the call (None when the file does not exist)."""

    text: str | None


def read_current(path: str) -> Current | Skipped:
    """The file as text (bytes that are not UTF-8 survive as surrogates), or why it cannot be judged. Only a
    regular file is read, and at most the size limit of it: a link to /dev/zero or a FIFO is not judged."""
    if not os.path.exists(path):  # a dangling link too: the write creates its target
        return Current(None)
    data = read_limited(Path(path), MAX_FILE_BYTES)
    if isinstance(data, str):
        return Skipped(path, data)
    if b"\0" in data[:8192]:
        return Skipped(path, "binary file")
    return Current(data.decode("utf-8", errors="surrogateescape"))


def proposed(path: str, old: str | None, new: str, note: str | None = None,
             moved_from: str | None = None) -> ProposedWrite | Skipped:
    """The write of `new` over `old` (None: a new file; with `moved_from`, the text of the file moved here): the
    agent's ranges are the lines `old` lacks."""
    if "\0" in new[:8192]:
        return Skipped(path, "binary content")
    data = _encode(new)
    if len(data) > MAX_FILE_BYTES:
        return Skipped(path, f"larger than {MAX_FILE_BYTES >> 20} MiB")
    new_lines = new.splitlines(keepends=True)
    starts = [0]
    for line in new_lines:
        starts.append(starts[-1] + len(_encode(line)))
    if old is None:
        changed = [(0, len(new_lines))]
    else:
        matcher = difflib.SequenceMatcher(None, old.splitlines(keepends=True), new_lines, autojunk=False)
        changed = [(j1, j2) for tag, _, _, j1, j2 in matcher.get_opcodes() if tag in ("replace", "insert")]
    ranges = tuple((starts[j1], starts[j2]) for j1, j2 in changed if starts[j1] < starts[j2])
    return ProposedWrite(path, data, ranges, note, moved_from)


def _encode(text: str) -> bytes:
    """UTF-8, with the file's own undecodable bytes restored; a lone surrogate from JSON becomes U+FFFD."""
    try:
        return text.encode("utf-8", errors="surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", errors="replace")
