"""Runs a pack's rule tests: every fixture checked alone under the pack, every annotation a case.

For each rule a fixture's annotations name, every finding of that rule in the fixture must be annotated
(`expect` or `todo-ok`), so a rule that starts firing where nobody expects it fails its test. A rule the pack
itself defines passes only when at least one case expects it to fire: a rule without a test is a failure.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from provguard.analysis import BUILTIN_RULES, analyze
from provguard.documents import Document
from provguard.files import SkippedFile, read_document
from provguard.findings import Finding
from provguard.fixes import fixes_for
from provguard.policy.errors import SourceError
from provguard.policy.extends import LoadedPack
from provguard.policy.model import Pack
from provguard.policy.policy import Policy, load_reference
from provguard.positions import TextEdit
from provguard.ruletest.annotations import Case, Verb, read_annotations
from provguard.ruletest.fixtures import fixture_root, fixtures, is_compiled, side_spans, snapshot_path

REVIEWER = "reviewer@example.com"
"""The name the mark-reviewed fix writes in snapshots, so they do not depend on who runs the tests."""


@dataclass(frozen=True)
class CaseResult:
    rule_id: str
    file: str
    line: int
    """1-based line of the annotation (or of the unexpected finding)."""
    verb: Verb | None
    """None for a finding no annotation expected."""
    failure: str | None = None

    @property
    def passed(self) -> bool:
        return self.failure is None

    @property
    def gap(self) -> bool:
        return self.verb in (Verb.TODO_EXPECT, Verb.TODO_OK) and self.passed


@dataclass
class RuleResult:
    rule_id: str
    origin: str
    """"own" (the pack defines it), "inherited" (from a pack it extends) or "built-in"."""
    cases: list[CaseResult] = field(default_factory=list)

    @property
    def failures(self) -> list[CaseResult]:
        return [c for c in self.cases if not c.passed]

    @property
    def untested(self) -> bool:
        """An own rule no case expects to fire: its test proves nothing."""
        return self.origin == "own" and not any(c.verb is Verb.EXPECT for c in self.cases)

    @property
    def passed(self) -> bool:
        return not self.failures and not self.untested


@dataclass
class PackTest:
    pack: Pack
    root: Path
    fixtures: int = 0
    rules: dict[str, RuleResult] = field(default_factory=dict)
    errors: list[SourceError] = field(default_factory=list)
    """Problems with fixtures themselves: bad annotations and side files, unreadable files, snapshots."""
    written: list[Path] = field(default_factory=list)
    """Snapshots `--update` wrote or removed."""

    @property
    def cases(self) -> int:
        return sum(len(r.cases) for r in self.rules.values())

    @property
    def passed(self) -> bool:
        return self.cases > 0 and not self.errors and all(r.passed for r in self.rules.values())


def run_reference(reference: str, base: Path, update: bool = False) -> PackTest | tuple[SourceError, ...]:
    """Loads the pack a reference names and runs its tests; the pack's errors when it does not load."""
    loaded = load_reference(reference, base)
    if loaded.pack is None:
        return loaded.errors
    return run_pack(loaded.pack, update)


def run_pack(pack: Pack, update: bool = False) -> PackTest:
    root = fixture_root(pack.source)
    run = PackTest(pack, root)
    inherited = _inherited_ids(pack)
    for rule in pack.rules:
        run.rules[rule.id] = RuleResult(rule.id, "inherited" if rule.id in inherited else "own")
    if not root.is_dir():
        where = shown_path(root)
        run.errors.append(SourceError(where, 1, 1, f"no rule tests: create fixtures under {where}"))
        return run
    policy = Policy((pack,))
    known = {*run.rules, *BUILTIN_RULES}
    for path in fixtures(root):
        run.fixtures += 1
        _run_fixture(run, policy, path, known, update)
    for path in sorted(root.rglob("*")):
        if path.is_file() and not is_compiled(path.relative_to(root)) and _orphan_snapshot(path):
            _orphan(run, path, update)
    return run


def _inherited_ids(pack: Pack) -> set[str]:
    """Ids of rules that come from the packs this one extends (each loaded on its own)."""
    if not isinstance(pack, LoadedPack) or not pack.bases:
        return set()
    base = load_reference(pack.bases[0].source)
    return {r.id for r in base.pack.rules} if base.pack is not None else set()


def _run_fixture(run: PackTest, policy: Policy, path: Path, known: set[str], update: bool) -> None:
    display = path.relative_to(run.root).as_posix()
    shown = shown_path(path)
    doc = read_document(path, display)
    if isinstance(doc, SkippedFile):
        run.errors.append(SourceError(shown, 1, 1, f"fixture not checked: {doc.reason}"))
        return
    annotations = read_annotations(doc, shown, known)
    spans, side_errors = side_spans(path, doc)
    run.errors.extend((*annotations.errors, *(replace(e, file=shown_path(Path(e.file))) for e in side_errors)))
    analysis = analyze(doc, display, policy, spans)
    found: dict[tuple[str, int], list[Finding]] = {}
    for finding in analysis.findings:
        found.setdefault((finding.rule_id, doc.lines.line_of(finding.start)), []).append(finding)
    edits: list[TextEdit] = []
    for case in annotations.cases:
        result = _case(run, doc, shown, case, found.get((case.rule_id, case.line), []), edits)
        _rule(run, case.rule_id).cases.append(result)
    annotated = {(c.rule_id, c.line) for c in annotations.cases}  # an `ok:` that fails has said it already
    named = {c.rule_id for c in annotations.cases}
    for (rule_id, line), here in sorted(found.items()):
        if rule_id in named and (rule_id, line) not in annotated:
            _rule(run, rule_id).cases.append(CaseResult(
                rule_id, shown, line + 1, None,
                f"unexpected finding of {rule_id} on line {line + 1} ({here[0].message}); annotate it with "
                f"'expect: {rule_id}' or change the rule"))
    _snapshot(run, doc, path, edits, update)


def shown_path(path: Path) -> str:
    """Relative to the working folder when inside it, as people type paths."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(path)


def _rule(run: PackTest, rule_id: str) -> RuleResult:
    if rule_id not in run.rules:
        run.rules[rule_id] = RuleResult(rule_id, "built-in")
    return run.rules[rule_id]


def _case(run: PackTest, doc: Document, file: str, case: Case, here: list[Finding],
          edits: list[TextEdit]) -> CaseResult:
    line, target = case.annotation_line + 1, case.line + 1

    def result(failure: str | None = None) -> CaseResult:
        return CaseResult(case.rule_id, file, line, case.verb, failure)

    if case.verb is Verb.EXPECT and not here:
        return result(f"expected a finding of {case.rule_id} on line {target}; there is none")
    if case.verb is Verb.OK and here:
        return result(f"expected no finding of {case.rule_id} on line {target}; found: {here[0].message}")
    if case.verb is Verb.TODO_EXPECT and here:
        return result(f"the known gap is closed: {case.rule_id} now fires on line {target}; change "
                      "'todo-expect:' to 'expect:'")
    if case.verb is Verb.TODO_OK and not here:
        return result(f"the known false positive is gone: no finding of {case.rule_id} on line {target}; change "
                      "'todo-ok:' to 'ok:'")
    if case.fix is not None:
        offered = [f for f in fixes_for(doc, here[0], REVIEWER) if f.kind is case.fix]
        if not offered:
            kinds = ", ".join(f.kind.value for f in fixes_for(doc, here[0], REVIEWER)) or "none"
            return result(f"the {case.rule_id} finding on line {target} offers no {case.fix.value} fix "
                          f"(offered: {kinds})")
        if any(_overlap(new, old) for new in offered[0].edits for old in edits):
            return result("this fix overlaps another fix of the snapshot; test it in a fixture of its own")
        edits.extend(offered[0].edits)
    return result()


def _overlap(a: TextEdit, b: TextEdit) -> bool:
    """Edits that touch the same bytes, or insert at the same place (their order would be a guess)."""
    return (a.start < b.end and b.start < a.end) or a.start == a.end == b.start == b.end


def _snapshot(run: PackTest, doc: Document, path: Path, edits: list[TextEdit], update: bool) -> None:
    """Compares (or with `update`, writes) the text after the fixes the annotations name."""
    snapshot = snapshot_path(path)
    if not edits:
        if snapshot.is_file():
            _orphan(run, snapshot, update)
        return
    source = doc.source
    for edit in sorted(edits, key=lambda e: (e.start, e.end), reverse=True):
        source = source[:edit.start] + edit.new_text.encode("utf-8") + source[edit.end:]
    if update:
        if not snapshot.is_file() or snapshot.read_bytes() != source:
            snapshot.write_bytes(source)
            run.written.append(snapshot)
        return
    if not snapshot.is_file():
        run.errors.append(SourceError(shown_path(snapshot), 1, 1, f"no fix snapshot for {path.name}; run "
                                      "'provguard rules test --update' and review the file it writes"))
        return
    expected = snapshot.read_bytes()
    if expected != source:
        line = _first_difference(expected, source)
        got = source.split(b"\n")[line - 1].decode("utf-8", "replace") if line <= source.count(b"\n") + 1 else ""
        run.errors.append(SourceError(shown_path(snapshot), line, 1, f"the fixed text differs from the snapshot here; "
                                      f"the fixes now give: {got!r} (run with --update if that is right)"))


def _first_difference(a: bytes, b: bytes) -> int:
    """1-based line of the first difference between two texts."""
    for number, (x, y) in enumerate(zip(a.split(b"\n"), b.split(b"\n"), strict=False), start=1):
        if x != y:
            return number
    return min(a.count(b"\n"), b.count(b"\n")) + 1


def _orphan_snapshot(path: Path) -> bool:
    """A snapshot whose fixture is gone."""
    name = path.name
    if ".fixed" not in name:
        return False
    original = path.with_name(name.replace(".fixed", "", 1))
    return (name.endswith(".fixed") or Path(name).stem.endswith(".fixed")) and not original.is_file()


def _orphan(run: PackTest, snapshot: Path, update: bool) -> None:
    if update:
        snapshot.unlink()
        run.written.append(snapshot)
    else:
        run.errors.append(SourceError(shown_path(snapshot), 1, 1, "fix snapshot of a fixture that names no fix (or "
                                      "is gone); remove it, or run with --update"))
