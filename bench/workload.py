"""The benchmark's input: a large Python file with marked regions, and a seeded sequence of small edits.

Everything is ASCII, so LSP UTF-16 columns, code points and UTF-8 bytes coincide and one edit can be
replayed unchanged over the protocol, through tree-sitter and through provguard's `Document`.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TypeVar

INDENT = "    "
LINES_PER_UNIT = 13.5
"""A little more than the mean lines of a generated unit with its blank lines, so every planned marked
unit comes before the file reaches its size."""
MAX_UNIT_LINES = 45
REVIEWER = "alice@example.com"
T = TypeVar("T")
_WORD = re.compile(r"\b(?:value|arg|tmp|total|item|result)_?[A-Za-z0-9_]*")


@dataclass(frozen=True)
class Origin:
    kind: str
    tool: str | None = None
    vendor: str | None = None
    model: str | None = None


# (origin, weight): mostly AI tools of several vendors, a few non-AI origins that no rule selects.
ORIGINS: tuple[tuple[Origin, int], ...] = (
    (Origin("ai-agent", "claude-code", "anthropic", "claude-sonnet-4"), 8),
    (Origin("ai-agent", "codex", "openai", "gpt-5-codex"), 5),
    (Origin("ai-completion", "copilot", "github"), 7),
    (Origin("ai-completion", "cursor", "anysphere"), 4),
    (Origin("ai-agent", "aider", "openai", "gpt-4o"), 2),
    (Origin("ai-chat-paste", "chatgpt", "openai", "gpt-4o"), 3),
    (Origin("ai-agent", "gemini-cli", "google", "gemini-2.5-pro"), 3),
    (Origin("external"), 2),
    (Origin("human"), 2),
)
SHAPES = (("block", 9), ("next-function", 8), ("next-class", 2), ("next-method", 1))
"""How a region is marked: begin/end around one or two top-level units, or a next-unit marker."""


@dataclass(frozen=True)
class Region:
    shape: str
    origin: Origin
    reviewed: bool
    vendor_written: bool
    covers_test: bool

    @property
    def is_ai(self) -> bool:
        return self.origin.kind.startswith("ai-")

    def marker(self, indent: str = "") -> str:
        fields = [f"kind={self.origin.kind}"]
        o = self.origin
        fields += [f"tool={o.tool}"] if o.tool else []
        fields += [f"vendor={o.vendor}"] if o.vendor and self.vendor_written else []
        fields += [f"model={o.model}"] if o.model else []
        fields += [f"reviewed-by={REVIEWER}"] if self.reviewed else []
        fields += ["declared-by=bob"] if o.kind == "human" else []
        verb = "begin " if self.shape == "block" else ""
        return f"{indent}# provguard: {verb}{' '.join(fields)}\n"


@dataclass
class Line:
    text: str
    unit: int | None = None
    """The function (or method) whose body statement this line is, else None."""
    marked: bool = False
    editable: bool = False
    """A plain statement inside a body: safe to type in, delete, or insert after."""


@dataclass
class Source:
    lines: list[Line]
    regions: list[Region]
    statements: Counter[int] = field(default_factory=Counter)
    """Body statements per unit, so deleting a line never empties a body."""

    @property
    def text(self) -> str:
        return "".join(line.text for line in self.lines)

    def mix(self) -> Mix:
        ai = [r for r in self.regions if r.is_ai]
        return Mix(
            lines=len(self.lines),
            regions=len(self.regions),
            shapes=dict(Counter(r.shape for r in self.regions)),
            origins=dict(Counter(r.origin.tool or r.origin.kind for r in self.regions).most_common()),
            ai_regions=len(ai),
            reviewed=sum(r.reviewed for r in ai),
            without_vendor=sum(not r.vendor_written for r in ai),
            non_ai=len(self.regions) - len(ai),
            over_test_functions=sum(r.covers_test for r in ai),
            marked_lines=sum(line.marked for line in self.lines),
        )


@dataclass(frozen=True)
class Mix:
    """What the generated file holds, for the report."""

    lines: int
    regions: int
    shapes: dict[str, int]
    origins: dict[str, int]
    """Regions per tool (or kind, for the non-AI ones), most frequent first."""
    ai_regions: int
    reviewed: int
    without_vendor: int
    non_ai: int
    over_test_functions: int
    marked_lines: int


class _Builder:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.lines: list[Line] = []
        self.statements: Counter[int] = Counter()
        self.units = 0

    def add(self, text: str, unit: int | None = None, marked: bool = False, editable: bool = False) -> None:
        self.lines.append(Line(text, unit, marked, editable))
        if editable and unit is not None:
            self.statements[unit] += 1

    def blank(self, n: int = 2) -> None:
        for _ in range(n):
            self.add("\n")

    def function(self, indent: str, marked: bool, test: bool = False, method: bool = False) -> None:
        self.units += 1
        unit = self.units
        name = f"test_case_{unit}" if test else f"compute_{unit}"
        params = "self, arg_a, arg_b" if method else "arg_a, arg_b"
        body = indent + INDENT
        self.add(f"{indent}def {name}({params}):\n", marked=marked)
        if self.rng.random() < 0.5:
            self.add(f'{body}"""Combine the inputs for step {unit}."""\n', marked=marked)
        previous = "arg_a"
        for i in range(self.rng.randint(3, 9)):
            op = self.rng.choice("+-*")
            self.add(f"{body}value_{i} = {previous} {op} arg_b + {self.rng.randint(1, 99)}\n",
                     unit, marked, editable=True)
            previous = f"value_{i}"
        if test:
            self.add(f"{body}assert {previous} is not None\n", unit, marked)
        else:
            self.add(f"{body}return {previous}\n", unit, marked)

    def klass(self, marked: bool, method_region: Region | None = None) -> None:
        self.units += 1
        self.add(f"class Model{self.units}:\n", marked=marked)
        self.add(f'{INDENT}"""State for model {self.units}."""\n', marked=marked)
        for i in range(self.rng.randint(2, 3)):
            self.add("\n", marked=marked)
            covered = method_region is not None and i == 1
            if covered:
                assert method_region is not None
                self.add(method_region.marker(INDENT), marked=True)
            self.function(INDENT, marked or covered, method=True)


def weighted(rng: random.Random, table: Sequence[tuple[T, int]]) -> T:
    return rng.choices([item for item, _ in table], [weight for _, weight in table])[0]


def _region(rng: random.Random) -> Region:
    origin = weighted(rng, ORIGINS)
    ai = origin.kind.startswith("ai-")
    return Region(
        shape=weighted(rng, SHAPES),
        origin=origin,
        reviewed=ai and rng.random() < 0.35,
        vendor_written=not ai or rng.random() >= 0.15,
        covers_test=ai and rng.random() < 0.08,
    )


def generate(lines: int, regions: int, seed: int) -> Source:
    """About `lines` lines of Python with `regions` marked regions spread evenly through it."""
    rng = random.Random(seed)
    b = _Builder(rng)
    b.add('"""Generated module for the provguard latency benchmark."""\n')
    b.add("\n")
    b.add("import math\n")
    b.blank()
    planned = max(regions + 1, int(lines / LINES_PER_UNIT))
    marked_units = set(rng.sample(range(planned), regions)) if regions else set()
    made: list[Region] = []
    index = 0
    while len(b.lines) < lines - MAX_UNIT_LINES or len(made) < regions:
        if index in marked_units:
            region = _region(rng)
            made.append(region)
            _marked_unit(b, region)
        elif rng.random() < 0.1:
            b.klass(marked=False)
        else:
            b.function("", marked=False, test=rng.random() < 0.05)
        b.blank()
        index += 1
    while len(b.lines) < lines:
        b.add(f"CONSTANT_{len(b.lines)} = {len(b.lines)}\n")
    return Source(b.lines, made, b.statements)


def _marked_unit(b: _Builder, region: Region) -> None:
    if region.shape == "next-method":
        b.klass(marked=False, method_region=region)
        return
    b.add(region.marker(), marked=True)
    if region.shape == "next-class":
        b.klass(marked=True)
        return
    b.function("", marked=True, test=region.covers_test)
    if region.shape == "block":
        if b.rng.random() < 0.4:
            b.add("\n", marked=True)
            b.function("", marked=True)
        b.add("# provguard: end\n", marked=True)


# ---------------------------------------------------------------------------------------------- edits


@dataclass(frozen=True)
class Edit:
    """One change in both coordinate systems: LSP (line, character) and tree-sitter bytes/points."""

    kind: str
    marked: bool
    start: tuple[int, int]
    end: tuple[int, int]
    new_end: tuple[int, int]
    start_byte: int
    old_end_byte: int
    text: str

    @property
    def new_end_byte(self) -> int:
        return self.start_byte + len(self.text)


EDIT_KINDS = (("type", 55), ("backspace", 15), ("insert-line", 15), ("delete-line", 15))


class EditMaker:
    """Produces edits against the current text, applying each to its own copy of the lines."""

    def __init__(self, source: Source, seed: int, marked_share: float) -> None:
        self.rng = random.Random(seed + 1)
        self.lines = [Line(x.text, x.unit, x.marked, x.editable) for x in source.lines]
        self.statements = Counter(source.statements)
        self.marked_share = marked_share
        self.inserted = 0

    def make(self, count: int) -> list[Edit]:
        edits: list[Edit] = []
        while len(edits) < count:
            edit = self._one(weighted(self.rng, EDIT_KINDS))
            if edit is not None:
                edits.append(edit)
        return edits

    @property
    def text(self) -> str:
        return "".join(line.text for line in self.lines)

    def _one(self, kind: str) -> Edit | None:
        row = self._pick_line(marked=self.rng.random() < self.marked_share)
        line = self.lines[row]
        if kind == "type":
            return self._type(row, line)
        if kind == "backspace":
            return self._backspace(row, line)
        if kind == "insert-line":
            return self._insert_line(row, line)
        return self._delete_line(row, line)

    def _pick_line(self, marked: bool) -> int:
        """A random editable line inside (or outside) a marked region; either kind if none is found."""
        for _ in range(10_000):
            row = self.rng.randrange(len(self.lines))
            line = self.lines[row]
            if line.editable and line.marked == marked:
                return row
        rows = [i for i, line in enumerate(self.lines) if line.editable]
        if not rows:
            raise SystemExit("bench: the generated file has no function bodies to edit; give more --lines")
        return self.rng.choice(rows)

    def _inner_positions(self, text: str, margin: int) -> list[int]:
        """Columns strictly inside benchmark identifiers, `margin` characters from either end."""
        return [i for m in _WORD.finditer(text) for i in range(m.start() + 1, m.end() + 1 - margin)]

    def _type(self, row: int, line: Line) -> Edit | None:
        columns = self._inner_positions(line.text, 1)
        if not columns:
            return None
        col = self.rng.choice(columns)
        char = self.rng.choice("abcdefghijklmnopqrstuvwxyz")
        edit = self._edit("type", line, (row, col), (row, col), char)
        line.text = line.text[:col] + char + line.text[col:]
        return edit

    def _backspace(self, row: int, line: Line) -> Edit | None:
        columns = self._inner_positions(line.text, 2)
        if not columns:
            return None
        col = self.rng.choice(columns)
        edit = self._edit("backspace", line, (row, col), (row, col + 1), "")
        line.text = line.text[:col] + line.text[col + 1 :]
        return edit

    def _insert_line(self, row: int, line: Line) -> Edit:
        self.inserted += 1
        indent = line.text[: len(line.text) - len(line.text.lstrip())]
        text = f"{indent}tmp_{self.inserted} = arg_a + {self.rng.randint(1, 9)}\n"
        edit = self._edit("insert-line", line, (row + 1, 0), (row + 1, 0), text)
        self.lines.insert(row + 1, Line(text, line.unit, line.marked, editable=True))
        assert line.unit is not None
        self.statements[line.unit] += 1
        return edit

    def _delete_line(self, row: int, line: Line) -> Edit | None:
        if line.unit is None or self.statements[line.unit] <= 2:
            return None
        edit = self._edit("delete-line", line, (row, 0), (row + 1, 0), "")
        del self.lines[row]
        self.statements[line.unit] -= 1
        return edit

    def _edit(self, kind: str, line: Line, start: tuple[int, int], end: tuple[int, int], text: str) -> Edit:
        """The edit replacing [start, end) of the current lines by `text` (before it is applied)."""
        start_byte = self._offset(start)
        rows = text.count("\n")
        new_end = (start[0] + rows, start[1] + len(text) if rows == 0 else len(text) - text.rfind("\n") - 1)
        return Edit(kind, line.marked, start, end, new_end, start_byte, self._offset(end), text)

    def _offset(self, point: tuple[int, int]) -> int:
        row, col = point
        return sum(len(x.text) for x in self.lines[:row]) + col


def make_edits(source: Source, count: int, seed: int, marked_share: float = 0.4) -> tuple[list[Edit], str]:
    """`count` edits in order, and the text after all of them."""
    maker = EditMaker(source, seed, marked_share)
    edits = maker.make(count)
    return edits, maker.text
