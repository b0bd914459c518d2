"""In-process timings of the same edits: tree-sitter alone, and provguard's core stage by stage."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from time import perf_counter
from typing import Any

import tree_sitter as ts
import tree_sitter_python
from lsprotocol import types
from workload import Edit

from provguard.analysis import Analysis, analyze
from provguard.documents import Document
from provguard.languages import detect
from provguard.lsp.convert import diagnostic
from provguard.policy.policy import Policy, load_policy
from provguard.positions import Encoding


def reparse_times(text: str, edits: list[Edit], warmup: int) -> list[float]:
    """Seconds of `tree.edit` + `parser.parse(new, old_tree)` per edit after the warm-up ones."""
    parser = ts.Parser(ts.Language(tree_sitter_python.language()))
    source = text.encode()
    tree = parser.parse(source)
    times: list[float] = []
    for i, edit in enumerate(edits):
        source = source[: edit.start_byte] + edit.text.encode() + source[edit.old_end_byte :]
        start = perf_counter()
        tree.edit(start_byte=edit.start_byte, old_end_byte=edit.old_end_byte, new_end_byte=edit.new_end_byte,
                  start_point=edit.start, old_end_point=edit.end, new_end_point=edit.new_end)
        tree = parser.parse(source, tree)
        if i >= warmup:
            times.append(perf_counter() - start)
    return times


@dataclass
class CoreTimes:
    """Seconds per measured edit for each stage the server runs on a didChange."""

    replace: list[float] = field(default_factory=list)
    analyze: list[float] = field(default_factory=list)
    convert: list[float] = field(default_factory=list)
    serialize: list[float] = field(default_factory=list)
    findings: int = 0
    final_source: bytes = b""

    def core(self) -> list[float]:
        return [a + b for a, b in zip(self.replace, self.analyze, strict=True)]

    def through_serialize(self) -> list[float]:
        stages = zip(self.replace, self.analyze, self.convert, self.serialize, strict=True)
        return [sum(s) for s in stages]


def default_policy() -> Policy:
    loaded = load_policy(["default"], {})
    if loaded.errors:
        raise SystemExit(f"bench: cannot load the default pack: {loaded.errors[0]}")
    return loaded.policy


class CorePipeline:
    """What the server does for one document, without the protocol: replace, analyze, convert, dump."""

    def __init__(self, path: str, relative_path: str, text: str, policy: Policy) -> None:
        self.doc = Document.from_text(path, detect(path, "python"), text, 1)
        self.relative_path = relative_path
        self.policy = policy

    def analysis(self) -> Analysis:
        return analyze(self.doc, self.relative_path, self.policy)

    def convert(self, analysis: Analysis) -> list[dict[str, Any]]:
        doc = self.doc
        return [diagnostic(f, doc.lines, Encoding.UTF16, doc.version) for f in analysis.findings]

    def serialize(self, diagnostics: list[dict[str, Any]]) -> str:
        """As lsp/diagnostics.publish sends them: plain JSON."""
        params = {"uri": "file:///bench.py", "diagnostics": diagnostics, "version": self.doc.version}
        return json.dumps({"jsonrpc": "2.0", "method": types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS, "params": params})

    def step(self, edit: Edit, version: int, times: CoreTimes | None) -> int:
        """Applies one edit through every stage; records the stage times when `times` is given."""
        t0 = perf_counter()
        self.doc.replace(edit.start_byte, edit.old_end_byte, edit.text)
        self.doc.version = version
        t1 = perf_counter()
        analysis = self.analysis()
        t2 = perf_counter()
        diagnostics = self.convert(analysis)
        t3 = perf_counter()
        self.serialize(diagnostics)
        t4 = perf_counter()
        if times is not None:
            times.replace.append(t1 - t0)
            times.analyze.append(t2 - t1)
            times.convert.append(t3 - t2)
            times.serialize.append(t4 - t3)
        return len(diagnostics)


def core_times(path: str, relative_path: str, text: str, edits: list[Edit], warmup: int) -> CoreTimes:
    pipeline = CorePipeline(path, relative_path, text, default_policy())
    times = CoreTimes()
    for i, edit in enumerate(edits):
        times.findings = pipeline.step(edit, i + 2, times if i >= warmup else None)
    times.final_source = pipeline.doc.source
    return times


def initial_findings(path: str, relative_path: str, text: str) -> dict[str, int]:
    """Findings per rule for the unedited file."""
    counts: dict[str, int] = {}
    for finding in CorePipeline(path, relative_path, text, default_policy()).analysis().findings:
        counts[finding.rule_id] = counts.get(finding.rule_id, 0) + 1
    return dict(sorted(counts.items()))


def profile_core(path: str, relative_path: str, text: str, edits: list[Edit], top: int,
                 out: Callable[[str], None]) -> None:
    """cProfile of the in-process pipeline over all edits, printed by own time and cumulative time."""
    import cProfile
    import io
    import pstats

    pipeline = CorePipeline(path, relative_path, text, default_policy())
    profiler = cProfile.Profile()
    profiler.enable()
    for i, edit in enumerate(edits):
        pipeline.step(edit, i + 2, None)
    profiler.disable()
    for sort in ("tottime", "cumulative"):
        buffer = io.StringIO()
        pstats.Stats(profiler, stream=buffer).strip_dirs().sort_stats(sort).print_stats(top)
        out(f"\n--- cProfile of replace+analyze+convert+serialize over {len(edits)} edits, by {sort} ---")
        out(buffer.getvalue().split("\n\n", 1)[-1].rstrip())
