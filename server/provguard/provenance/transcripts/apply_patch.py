"""The patch format of Codex's `apply_patch` tool: which files a patch touches and the text it adds.

    *** Begin Patch
    *** Add File: src/new.py          every following "+" line is the new file's text
    *** Update File: src/old.py
    *** Move to: src/renamed.py       optional
    @@ def context():                 hunks: " " context, "-" removed, "+" added lines
    *** End of File                   optional, after a hunk that ends the file
    *** Delete File: src/gone.py
    *** End Patch

Provenance needs the paths and the added text; the guard (provguard.guard.patches) also needs each update's
hunks, to work out the text a file would have. Nothing here applies a patch. Like Codex's own parser, marker
lines may carry surrounding white space and the patch may sit inside a shell heredoc.
"""

from __future__ import annotations

from dataclasses import dataclass, field

BEGIN = "*** Begin Patch"
END = "*** End Patch"
ADD = "*** Add File: "
DELETE = "*** Delete File: "
UPDATE = "*** Update File: "
MOVE = "*** Move to: "
END_OF_FILE = "*** End of File"


@dataclass(frozen=True)
class Hunk:
    """One `@@` section of an update: the lines it expects (context and removed) and what replaces them."""

    context: str
    """The text after `@@` (a line to find first, such as `def f():`); empty when none is given."""
    old: tuple[str, ...]
    new: tuple[str, ...]
    end_of_file: bool = False
    """The hunk must match at the end of the file (`*** End of File`)."""


@dataclass(frozen=True)
class FilePatch:
    op: str
    """add, update or delete."""
    path: str
    """As written in the patch (relative to the agent's working folder, or absolute)."""
    added: str = ""
    """The added lines, each ending with a line break."""
    move_to: str | None = None
    hunks: tuple[Hunk, ...] = field(default=(), compare=False)
    """The update's hunks, in order (empty for add and delete)."""

    @property
    def target(self) -> str:
        """Where the text ends up: the new name of a moved file."""
        return self.move_to or self.path


@dataclass(frozen=True)
class PatchProblem:
    line: int
    """1-based line within the patch text."""
    reason: str

    def __str__(self) -> str:
        return f"patch line {self.line}: {self.reason}"


@dataclass(frozen=True)
class Patch:
    files: tuple[FilePatch, ...]
    problems: tuple[PatchProblem, ...] = ()


def contains_patch(text: str) -> bool:
    return BEGIN in text


def parse_patch(text: str) -> Patch:
    """The files of the first patch in `text`; a malformed line is a problem, the rest is still read."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip() == BEGIN), None)
    if start is None:
        return Patch((), (PatchProblem(1, f"no '{BEGIN}' line"),))
    files: list[FilePatch] = []
    problems: list[PatchProblem] = []
    current: _Building | None = None
    ended = False
    for number, raw in enumerate(lines[start + 1:], start + 2):
        marker = raw.strip()
        if marker == END:
            ended = True
            break
        header = _header(marker)
        if header is not None:
            if current is not None:
                files.append(current.done())
            op, path = header
            current = None
            if not path:
                problems.append(PatchProblem(number, f"'{marker}' names no file"))
            elif op == "delete":
                files.append(FilePatch(op, path))
            else:
                current = _Building(op, path)
            continue
        if current is None:
            if marker:
                problems.append(PatchProblem(number, "text outside any file section"))
            continue
        if marker.startswith(MOVE.strip()) and current.op == "update":
            current.move_to = marker[len(MOVE.strip()):].strip() or None
        elif raw.startswith("+"):
            current.added.append(raw[1:])
            current.line(None, raw[1:])
        elif raw.startswith("@@"):
            current.start_hunk(raw[2:].strip())
        elif marker == END_OF_FILE:
            current.end_of_file = True
        elif raw.startswith(("-", " ")) or raw == "":
            current.line(raw[1:], None if raw.startswith("-") else raw[1:])
        else:
            problems.append(PatchProblem(number, f"unexpected line in {current.op} of {current.path}"))
    if current is not None:
        files.append(current.done())
    if not ended:
        problems.append(PatchProblem(len(lines), f"no '{END}' line"))
    return Patch(tuple(files), tuple(problems))


def _header(marker: str) -> tuple[str, str] | None:
    for prefix, op in ((ADD, "add"), (UPDATE, "update"), (DELETE, "delete")):
        if marker.startswith(prefix.strip()):
            return op, marker[len(prefix.strip()):].strip()
    return None


class _Building:
    def __init__(self, op: str, path: str) -> None:
        self.op, self.path = op, path
        self.added: list[str] = []
        self.move_to: str | None = None
        self.hunks: list[Hunk] = []
        self.context: str | None = None
        self.old: list[str] = []
        self.new: list[str] = []
        self.end_of_file = False

    def start_hunk(self, context: str) -> None:
        self.close_hunk()
        self.context = context

    def line(self, old: str | None, new: str | None) -> None:
        """A line of the current hunk (a hunk without `@@` starts at the first line): context has both."""
        if self.context is None:
            self.context = ""
        if old is not None:
            self.old.append(old)
        if new is not None:
            self.new.append(new)

    def close_hunk(self) -> None:
        if self.context is not None and self.op == "update":
            self.hunks.append(Hunk(self.context, tuple(self.old), tuple(self.new), self.end_of_file))
        self.context, self.old, self.new, self.end_of_file = None, [], [], False

    def done(self) -> FilePatch:
        self.close_hunk()
        added = "".join(line + "\n" for line in self.added)
        return FilePatch(self.op, self.path, added, self.move_to, tuple(self.hunks))
