"""Where a pack's rule tests live and what a fixture is made of.

A pack `rules/team.yaml` is tested by the files under `rules/tests/team/`: that folder is a small project,
and each file is checked at its path inside it (`rules/tests/team/data/train/x.py` as `data/train/x.py`), so
path rules see the paths they are written for. Next to a fixture:

- `x.provenance.yaml` (optional) gives spans the fixture has besides its markers, as the editor, a hint or an
  imported transcript would record them;
- `x.fixed.py` is the fix snapshot: the fixture's text after the fixes its annotations name (`expect: rule
  fix: kind`); `provguard rules test --update` writes it.

Side file format, a YAML list of spans:

    - lines: 3-4              # 1-based, inclusive; one number for one line
      kind: paste             # required: a provenance kind
      evidence: editor-event  # default editor-event
      confidence: 0.5         # default 1
      tool: copilot           # also vendor (inferred from tool or model when left out), model,
      reviewed-by: dana       # declared-by
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import yaml

from provguard.documents import Document
from provguard.policy.errors import SourceError, suggest
from provguard.policy.yaml_reader import read_source
from provguard.provenance.origin import Evidence, Kind, Origin, Span
from provguard.provenance.tools import infer_vendor

TESTS_DIR = "tests"
SIDE_SUFFIX = ".provenance.yaml"
SNAPSHOT_TAG = ".fixed"
SPAN_KEYS = ("lines", "kind", "evidence", "confidence", "tool", "vendor", "model", "reviewed-by", "declared-by")
_LINES = re.compile(r"\A\s*(\d+)\s*(?:-\s*(\d+)\s*)?\Z")


def fixture_root(pack_source: str) -> Path:
    """`rules/team.yaml` -> `rules/tests/team/`."""
    source = Path(pack_source)
    return source.parent / TESTS_DIR / source.stem


def snapshot_path(fixture: Path) -> Path:
    """`app.py` -> `app.fixed.py`; `Makefile` -> `Makefile.fixed`."""
    return fixture.with_name(f"{fixture.stem}{SNAPSHOT_TAG}{fixture.suffix}" if fixture.suffix
                             else fixture.name + SNAPSHOT_TAG)


def side_path(fixture: Path) -> Path:
    return fixture.with_name(fixture.name + SIDE_SUFFIX)


COMPILED_DIRS = frozenset({"__pycache__"})
COMPILED_SUFFIXES = (".pyc", ".pyo")
"""What Python writes beside fixture files that are Python code (pip compiles every .py of an installed wheel,
the shipped packs' fixtures too): never fixtures."""


def is_fixture(path: Path) -> bool:
    """Side files, snapshots and compiled files belong to a fixture; everything else is one."""
    name = path.name
    return not (name.endswith(SIDE_SUFFIX) or PurePosixPath(name).stem.endswith(SNAPSHOT_TAG)
                or name.endswith(SNAPSHOT_TAG) or is_compiled(path))


def is_compiled(path: Path) -> bool:
    return path.name.endswith(COMPILED_SUFFIXES) or not COMPILED_DIRS.isdisjoint(path.parts)


def fixtures(root: Path) -> Iterator[Path]:
    """The fixture files under a pack's test folder, in a stable order."""
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in COMPILED_DIRS)
        for name in sorted(files):
            path = Path(folder) / name
            if is_fixture(path) and not name.startswith("."):
                yield path


def side_spans(fixture: Path, doc: Document) -> tuple[tuple[Span, ...], tuple[SourceError, ...]]:
    """The spans the fixture's side file gives (none without one), or errors at their YAML positions."""
    path = side_path(fixture)
    if not path.is_file():
        return (), ()
    file = str(path)
    text = read_source(path, "provenance side file")
    if isinstance(text, SourceError):
        return (), (text,)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        return (), (SourceError(file, (mark.line if mark else 0) + 1, (mark.column if mark else 0) + 1,
                                f"YAML syntax error: {exc.problem}"),)
    reader = _SideReader(file, doc)
    if root is None:
        return (), ()
    if not isinstance(root, yaml.SequenceNode):
        reader.error(root, "a provenance side file is a list of spans, each with 'lines' and 'kind'")
    else:
        for node in root.value:
            reader.span(node)
    return tuple(reader.spans), tuple(reader.errors)


@dataclass
class _SideReader:
    file: str
    doc: Document

    def __post_init__(self) -> None:
        self.spans: list[Span] = []
        self.errors: list[SourceError] = []

    def error(self, node: yaml.Node, message: str) -> None:
        mark = node.start_mark
        self.errors.append(SourceError(self.file, mark.line + 1, mark.column + 1, message))

    def span(self, node: yaml.Node) -> None:
        if not isinstance(node, yaml.MappingNode):
            return self.error(node, "each span is a mapping with 'lines' and 'kind'")
        fields: dict[str, tuple[str, yaml.Node]] = {}
        for key, value in node.value:
            name = str(key.value)
            if name not in SPAN_KEYS:
                return self.error(key, f"unknown key {name!r} in a span{suggest(name, SPAN_KEYS)}")
            if not isinstance(value, yaml.ScalarNode):
                return self.error(value, f"{name!r} must be a single value")
            fields[name] = (str(value.value), value)
        for required in ("lines", "kind"):
            if required not in fields:
                return self.error(node, f"a span needs {required!r}")
        lines = self.lines(*fields["lines"])
        kind = self.choice(fields["kind"], [k.value for k in Kind], "kind")
        evidence = self.choice(fields.get("evidence", ("editor-event", node)), [e.value for e in Evidence],
                               "evidence")
        confidence = self.confidence(*fields["confidence"]) if "confidence" in fields else 1.0
        if lines is None or kind is None or evidence is None or confidence is None:
            return None
        value = {key: text for key, (text, _) in fields.items()}
        tool, model = value.get("tool"), value.get("model")
        vendor = value.get("vendor") or infer_vendor(tool, model)
        origin = Origin(Kind(kind), Evidence(evidence), tool=tool, vendor=vendor, model=model, confidence=confidence,
                        reviewed_by=value.get("reviewed-by"), declared_by=value.get("declared-by"))
        self.spans.append(Span(*lines, origin))
        return None

    def confidence(self, text: str, node: yaml.Node) -> float | None:
        try:
            value = float(text)
        except ValueError:
            value = -1.0
        if not 0.0 <= value <= 1.0:
            self.error(node, f"'confidence' must be a number from 0 to 1, got {text!r}")
            return None
        return value

    def lines(self, text: str, node: yaml.Node) -> tuple[int, int] | None:
        match = _LINES.match(text)
        count = self.doc.lines.line_count
        first, last = (int(match.group(1)), int(match.group(2) or match.group(1))) if match else (0, 0)
        if match is None or not 1 <= first <= last <= count:
            self.error(node, f"'lines' must be a line or a range like 3-5 within the fixture's {count} lines")
            return None
        starts = self.doc.lines.starts
        return starts[first - 1], starts[last] if last < count else len(self.doc.source)

    def choice(self, field: tuple[str, yaml.Node], allowed: list[str], what: str) -> str | None:
        text, node = field
        if text not in allowed:
            self.error(node, f"unknown {what} {text!r}{suggest(text, allowed)}")
            return None
        return text
