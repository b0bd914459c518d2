"""The tracked-spans workload: a file that grows by bulk insertions (pastes, completions), then small edits.

The insertions are what live capture turns into tracked spans: whole functions pasted between top-level
units and inline completions of one long statement or a few short ones inside function bodies, each one
didChange. A share of them is followed by a `provguard/didInsert` hint naming it (a paste, or an inline
completion from a tool). The typing and line edits that follow are made by the latency workload's
`EditMaker`, here with "inside a marked region or a tracked span" as what `marked_share` aims at.

Also here: the same sequence applied in process through `Session` (what the server does, without the
protocol), stage by stage, for the figures beside the protocol's and for profiling.
"""

from __future__ import annotations

import gc
import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from time import perf_counter

from workload import Edit, EditMaker, Line, Source, generate, weighted

from provguard.lsp.diagnostics import PUBLISH, encoded
from provguard.lsp.plain_json import dumps
from provguard.positions import Encoding, Position, Range
from provguard.provenance.capture import HintKind, HintOutcome, InsertionHint
from provguard.session import OpenDocument, Session
from provguard.settings import Settings

SHAPES = (("function", 4), ("one-long-statement", 3), ("statements", 3))
"""A pasted function (5-10 lines with its blank lines), one statement of 40+ characters, 2-3 short ones."""
PASTE_TOOLS = (None, "chatgpt", "claude")
COMPLETION_TOOLS = ("copilot", "cursor", "codeium", "tabnine")
FUNCTION_LINES = (3, 8)
"""Body statements of a pasted function."""


@dataclass(frozen=True)
class Hint:
    kind: str
    tool: str | None
    start: tuple[int, int]
    end: tuple[int, int]
    """The inserted text's range in the version its change made."""

    def params(self, uri: str, version: int) -> dict[str, object]:
        params: dict[str, object] = {
            "textDocument": {"uri": uri, "version": version},
            "range": {"start": {"line": self.start[0], "character": self.start[1]},
                      "end": {"line": self.end[0], "character": self.end[1]}},
            "kind": self.kind,
        }
        if self.tool is not None:
            params["tool"] = self.tool
        return params


@dataclass(frozen=True)
class Insertion:
    shape: str
    edit: Edit
    hint: Hint | None


@dataclass
class SpanPlan:
    base: Source
    insertions: list[Insertion]
    edits: list[Edit]
    """Warm-up edits, then the measured ones, against the text after the insertions."""
    text_after_insertions: str
    final_text: str

    @property
    def base_text(self) -> str:
        return self.base.text

    @property
    def hinted(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for insertion in self.insertions:
            key = insertion.hint.kind if insertion.hint else "no hint"
            counts[key] = counts.get(key, 0) + 1
        return counts

    @property
    def shapes(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for insertion in self.insertions:
            counts[insertion.shape] = counts.get(insertion.shape, 0) + 1
        return counts


class _SpanMaker(EditMaker):
    """EditMaker with bulk insertions besides its small edits; inserted lines count as marked."""

    def __init__(self, source: Source, seed: int, marked_share: float) -> None:
        super().__init__(source, seed, marked_share)
        self.units = max((line.unit or 0 for line in self.lines), default=0)
        self.pasted = 0

    def insertion(self, shape: str, size: int, hinted: bool) -> Insertion:
        self.pasted += 1
        n = self.pasted
        if shape == "function":
            row = self._top_level_row()
            self.units += 1
            unit = self.units
            body = [f"    result_{n}_{i} = arg_a * arg_b + {self.rng.randint(1, 99)}\n" for i in range(size)]
            texts = [f"def pasted_{n}(arg_a, arg_b):\n", *body, f"    return result_{n}_0\n", "\n", "\n"]
            new = [Line(t, unit, True, editable=t in body) for t in texts]
            self.statements[unit] += size
            hint = ("paste", self.rng.choice(PASTE_TOOLS))
        else:
            row = self._pick_line(marked=self.rng.random() < self.marked_share) + 1
            host = self.lines[row - 1]
            indent = host.text[: len(host.text) - len(host.text.lstrip())]
            if shape == "one-long-statement":
                texts = [f"{indent}result_{n} = compute_total(arg_a, arg_b) * {self.rng.randint(2, 99)}\n"]
            else:
                texts = [f"{indent}total_{n}_{i} = arg_a + {self.rng.randint(1, 9)}\n" for i in range(size)]
            new = [Line(t, host.unit, True, editable=True) for t in texts]
            assert host.unit is not None
            self.statements[host.unit] += len(texts)
            hint = ("inline-completion", self.rng.choice(COMPLETION_TOOLS))
        text = "".join(texts)
        edit = self._edit(shape, new[0], (row, 0), (row, 0), text)
        self.lines[row:row] = new
        return Insertion(shape, edit, Hint(*hint, (row, 0), (row + len(texts), 0)) if hinted else None)

    def _top_level_row(self) -> int:
        """A row starting a top-level def or class after a blank line (so no next-unit marker moves)."""
        for _ in range(100_000):
            row = self.rng.randrange(1, len(self.lines))
            if self.lines[row].text.startswith(("def ", "class ")) and self.lines[row - 1].text == "\n":
                return row
        raise SystemExit("bench: no top-level unit to paste before; give more --lines")


def _planned_lines(shape: str, size: int) -> int:
    return {"function": size + 4, "one-long-statement": 1}.get(shape, size)


def plan(lines: int, spans: int, regions: int, edits: int, seed: int, marked_share: float,
         hinted_share: float) -> SpanPlan:
    """`spans` insertions that bring a generated file to about `lines` lines, then `edits` small edits."""
    rng = random.Random(seed + 7)
    shapes = [weighted(rng, SHAPES) for _ in range(spans)]
    sizes = [rng.randint(*FUNCTION_LINES) if s == "function" else rng.randint(2, 3) for s in shapes]
    hinted = [rng.random() < hinted_share for _ in range(spans)]
    inserted = sum(_planned_lines(s, n) for s, n in zip(shapes, sizes, strict=True))
    base_lines = max(lines - inserted, 400)
    base = generate(base_lines, min(regions, base_lines // 50), seed)
    maker = _SpanMaker(base, seed, marked_share)
    insertions = [maker.insertion(s, n, h) for s, n, h in zip(shapes, sizes, hinted, strict=True)]
    after = maker.text
    return SpanPlan(base, insertions, maker.make(edits), after, maker.text)


# --------------------------------------------------------------------------------------- in process


@dataclass
class StageTimes:
    """Seconds per measured edit through `Session`, as the server's didChange handler runs it."""

    replace: list[float] = field(default_factory=list)
    tracking: list[float] = field(default_factory=list)
    analyze: list[float] = field(default_factory=list)
    convert: list[float] = field(default_factory=list)
    serialize: list[float] = field(default_factory=list)
    spans: int = 0
    records: int = 0
    findings: int = 0
    final_source: bytes = b""

    def total(self) -> list[float]:
        stages = zip(self.replace, self.tracking, self.analyze, self.convert, self.serialize, strict=True)
        return [sum(s) for s in stages]


class SessionPipeline:
    """One document under a `Session` (memory ledger), driven as the LSP handlers drive it."""

    def __init__(self, root: Path, path: Path, text: str) -> None:
        self.session = Session([root])
        self.session.configure(Settings(reviewer="bench@example.com"))
        self.uri = path.as_uri()
        self.opened: OpenDocument = self.session.open(self.uri, str(path), "python", text, 1)
        self._replace_seconds = 0.0
        doc = self.opened.document
        replace = doc.replace

        def timed_replace(start: int, end: int, new_text: str) -> None:
            started = perf_counter()
            replace(start, end, new_text)
            self._replace_seconds += perf_counter() - started

        doc.replace = timed_replace  # type: ignore[method-assign]
        self.publish()

    def publish(self) -> tuple[float, float, float]:
        """analyze, convert, serialize: seconds of each, as the server's push makes them (diagnostics.publish:
        each finding's JSON reused from the last push where the finding did not change, then joined)."""
        doc = self.opened.document
        t0 = perf_counter()
        analysis = self.session.analysis(self.opened)
        t1 = perf_counter()
        items = encoded(analysis.findings, doc, Encoding.UTF16, self.uri)
        t2 = perf_counter()
        params = f'{{"uri":{dumps(self.uri)},"diagnostics":[{",".join(items)}],"version":{json.dumps(doc.version)}}}'
        f'{{"jsonrpc":"2.0","method":{dumps(PUBLISH)},"params":{params}}}'.encode()
        self.findings = len(items)
        return t1 - t0, t2 - t1, perf_counter() - t2

    def change(self, edit: Edit, version: int) -> tuple[float, float]:
        """didChange without the protocol: (replace, tracking) seconds."""
        self._replace_seconds = 0.0
        opened, doc = self.opened, self.opened.document
        started = perf_counter()
        opened.capture.edit(doc, edit.start_byte, edit.old_end_byte, edit.text, version)
        doc.version = version
        opened.capture.finish(doc, version, Encoding.UTF16)
        elapsed = perf_counter() - started
        return self._replace_seconds, elapsed - self._replace_seconds

    def hint(self, hint: Hint, version: int) -> bool:
        """The hint joined to its insertion (the server also persists and republishes: not needed here)."""
        opened = self.opened
        found = InsertionHint(version, Range(Position(*hint.start), Position(*hint.end)), HintKind(hint.kind),
                              hint.tool)
        if opened.capture.hint(opened.document, found) is not HintOutcome.APPLIED:
            return False
        opened.invalidate()
        return True


def session_times(root: Path, path: Path, spans: SpanPlan, warmup: int,
                  between: Callable[[], None] | None = None) -> StageTimes:
    """The plan through `Session`: insertions (and hints), then the edits, stage times per measured edit.

    `between` runs after the insertions, before the edits (to start a profiler there). What exists before
    the session (the plan, the modules) is frozen out of the collector, as the server freezes its start-up
    state: collections then scan what they would scan in the server, the session's own objects."""
    gc.collect()
    gc.freeze()
    try:
        return _session_times(root, path, spans, warmup, between)
    finally:
        gc.unfreeze()


def _session_times(root: Path, path: Path, spans: SpanPlan, warmup: int,
                   between: Callable[[], None] | None) -> StageTimes:
    pipeline = SessionPipeline(root, path, spans.base_text)
    times = StageTimes()
    version = 1
    for insertion in spans.insertions:  # timed over the protocol; here only brought about
        version += 1
        pipeline.change(insertion.edit, version)
        if insertion.hint is not None and not pipeline.hint(insertion.hint, version):
            raise SystemExit(f"bench: the {insertion.hint.kind} hint for version {version} was not applied")
    pipeline.publish()
    tracker = pipeline.opened.capture.tracker
    times.spans, times.records = len(tracker.intervals), len(tracker.records())
    if between is not None:
        between()
    for i, edit in enumerate(spans.edits):
        version += 1
        replace, tracking = pipeline.change(edit, version)
        analyze, convert, serialize = pipeline.publish()
        if i >= warmup:
            times.replace.append(replace)
            times.tracking.append(tracking)
            times.analyze.append(analyze)
            times.convert.append(convert)
            times.serialize.append(serialize)
    times.findings = pipeline.findings
    times.final_source = pipeline.opened.document.source
    return times
