"""Many distinct source files in Python, TypeScript and Go, for the memory section.

Python files come from the latency workload's generator (each with its own seed); TypeScript and Go files
are written here in the same spirit: functions, classes or structs with methods, tests in some files, and
about one unit in fifty under a provenance marker (begin/end blocks and next-unit markers).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from workload import generate

LANGUAGES = (("python", ".py"), ("typescript", ".ts"), ("go", ".go"))
MARKERS = (
    "kind=ai-agent tool=claude-code vendor=anthropic model=claude-sonnet-4",
    "kind=ai-completion tool=copilot vendor=github",
    "kind=ai-agent tool=codex vendor=openai reviewed-by=alice@example.com",
    "kind=ai-completion tool=cursor",
    "kind=external",
)
MARKED_SHARE = 0.02


@dataclass(frozen=True)
class File:
    relative_path: str
    language_id: str
    text: str

    @property
    def lines(self) -> int:
        return self.text.count("\n")


def files(count: int, lines: int, seed: int) -> list[File]:
    """`count` distinct files of about `lines` lines each, the languages taken in turn."""
    out: list[File] = []
    for i in range(count):
        language_id, extension = LANGUAGES[i % len(LANGUAGES)]
        write = _WRITERS[language_id]
        out.append(File(f"pkg{i // 50}/module_{i:04d}{extension}", language_id,
                        write(lines, seed * 10_007 + i)))
    return out


def _python(lines: int, seed: int) -> str:
    return generate(lines, max(1, int(lines * MARKED_SHARE / 10)), seed).text


class _Writer:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.out: list[str] = []
        self.units = 0

    def emit(self, *lines: str) -> None:
        self.out.extend(lines)

    def statements(self, indent: str, declare: str, end: str, count: int) -> None:
        previous = "argA"
        for i in range(count):
            op = self.rng.choice("+-*")
            self.emit(f"{indent}{declare}value{i} {'=' if declare else ':='} {previous} {op} argB + "
                      f"{self.rng.randint(1, 99)}{end}")
            previous = f"value{i}"

    def marked(self, comment: str, body: Callable[[], None], unit: bool = True) -> None:
        """One unit, under a marker now and then: a begin/end block, or a next-unit marker over a `unit`."""
        if self.rng.random() >= MARKED_SHARE:
            body()
            return
        fields = self.rng.choice(MARKERS)
        if not unit or self.rng.random() < 0.5:
            self.emit(f"{comment} provguard: begin {fields}")
            body()
            self.emit(f"{comment} provguard: end")
        else:
            self.emit(f"{comment} provguard: {fields}")
            body()


def _ts_test(w: _Writer, n: int) -> None:
    w.emit(f"describe('unit {n}', () => {{", f"  it('computes {n}', () => {{")
    w.statements("    ", "const ", ";", w.rng.randint(2, 5))
    w.emit("    assert.ok(value0 !== undefined);", "  });", "});")


def _ts_class(w: _Writer, n: int) -> None:
    w.emit(f"export class Model{n} {{", "  private total = 0;", "")
    for m in range(w.rng.randint(2, 3)):
        w.emit(f"  step{m}(argA: number, argB: number): number {{")
        w.statements("    ", "const ", ";", w.rng.randint(2, 6))
        w.emit("    this.total += value0;", "    return this.total;", "  }", "")
    w.emit("}")


def _ts_function(w: _Writer, n: int) -> None:
    w.emit(f"export function compute{n}(argA: number, argB: number): number {{")
    w.statements("  ", "const ", ";", w.rng.randint(3, 9))
    w.emit("  return value0;", "}")


def _typescript(lines: int, seed: int) -> str:
    w = _Writer(seed)
    w.emit("// Generated module for the provguard memory benchmark.", "import { strict as assert } from 'assert';",
           "")
    test_file = w.rng.random() < 0.2
    while len(w.out) < lines - 40:
        w.units += 1
        roll = w.rng.random()
        if test_file and roll < 0.15:
            w.marked("//", partial(_ts_test, w, w.units), unit=False)  # a call: no next-unit marker over it
        else:
            w.marked("//", partial(_ts_class if roll < 0.25 else _ts_function, w, w.units))
        w.emit("")
    while len(w.out) < lines:
        w.emit(f"export const CONSTANT_{len(w.out)} = {len(w.out)};")
    return "\n".join(w.out) + "\n"


def _go_test(w: _Writer, n: int) -> None:
    w.emit(f"func TestCompute{n}(t *testing.T) {{", "\targA, argB := 1, 2")
    w.statements("\t", "", "", w.rng.randint(2, 5))
    w.emit("\tif value0 == 0 {", '\t\tt.Fatal("zero")', "\t}", "}")


def _go_struct(w: _Writer, n: int) -> None:
    w.emit(f"type Model{n} struct {{", "\ttotal int", "}", "")
    for m in range(w.rng.randint(2, 3)):
        w.emit(f"func (s *Model{n}) Step{m}(argA, argB int) int {{")
        w.statements("\t", "", "", w.rng.randint(2, 6))
        w.emit("\ts.total += value0", "\treturn s.total", "}", "")


def _go_function(w: _Writer, n: int) -> None:
    w.emit(f"func Compute{n}(argA, argB int) int {{")
    w.statements("\t", "", "", w.rng.randint(3, 9))
    w.emit("\treturn value0", "}")


def _go(lines: int, seed: int) -> str:
    w = _Writer(seed)
    w.emit("// Package generated is written by the provguard memory benchmark.", "package generated", "",
           'import "testing"', "", "var _ = testing.Short", "")
    while len(w.out) < lines - 40:
        w.units += 1
        roll = w.rng.random()
        unit = _go_test if roll < 0.05 else _go_struct if roll < 0.2 else _go_function
        w.marked("//", partial(unit, w, w.units))
        w.emit("")
    while len(w.out) < lines:
        w.emit(f"const Constant{len(w.out)} = {len(w.out)}")
    return "\n".join(w.out) + "\n"


_WRITERS: dict[str, Callable[[int, int], str]] = {"python": _python, "typescript": _typescript, "go": _go}
