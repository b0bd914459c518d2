"""The figures of `provguard report`: one check run added up, as plain data that the HTML page draws and
`--format json` prints, so both say the same.

Every share is of lines: each checked file's lines by origin (provenance/line_origins.py), those no source spoke about
counted as "unrecorded". Findings are the run's, the same `check --format json` lists. Training-data and
test-task paths are the path lists of the two rules that guard them, as each project's policy resolves them
(a team's pack that replaces the parameters moves them too).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from provguard import __version__
from provguard.check import CheckRun
from provguard.policy.model import Severity
from provguard.policy.paths import GlobSet
from provguard.policy.policy import Policy
from provguard.provenance.line_origins import FileLines, LineOrigin
from provguard.provenance.origin import AI_KINDS, Kind
from provguard.readable_json import readable_json

UNRECORDED = "unrecorded"
"""Lines no source said anything about (no marker, ledger record or git trailer)."""
CATEGORIES: tuple[str, ...] = (*(k.value for k in (Kind.HUMAN, Kind.AI_COMPLETION, Kind.AI_AGENT,
                                                  Kind.AI_CHAT_PASTE, Kind.PASTE, Kind.EXTERNAL, Kind.UNKNOWN)),
                               UNRECORDED)
"""Where a line came from, in the order reports list them."""
AI_CATEGORIES = frozenset(k.value for k in AI_KINDS)
PROTECTED_RULES: Mapping[str, str] = {"training-data": "rival-ai-output-in-training-data",
                                      "test-task": "ai-output-in-test-task-file"}
"""Which rule's paths say what a training-data or a test-task path is."""
TOP_FILES = 25
DRILL_DEPTH = 3
"""Folder levels the drill-down reaches (`src`, `src/app`, `src/app/models`); deeper files count in the last."""
SEVERITIES = tuple(s.value for s in Severity if s is not Severity.OFF)


@dataclass
class Lines:
    """Lines by category (CATEGORIES), and their total."""

    total: int = 0
    by_origin: dict[str, int] = field(default_factory=dict)
    percent: dict[str, float] = field(default_factory=dict)
    """Each category's share of `total`, in per cent (filled in when the counting is done)."""

    def add(self, category: str, count: int) -> None:
        if count:
            self.total += count
            self.by_origin[category] = self.by_origin.get(category, 0) + count

    @property
    def ai(self) -> int:
        return sum(n for k, n in self.by_origin.items() if k in AI_CATEGORIES)

    def finish(self) -> Lines:
        """Categories in CATEGORIES order, with their shares."""
        self.by_origin = {c: self.by_origin[c] for c in CATEGORIES if self.by_origin.get(c)}
        self.percent = {c: 100.0 * n / self.total for c, n in self.by_origin.items()}
        return self


@dataclass
class Folder:
    folder: str
    """The folder's path under the report's root ("src", "src/app"); "." for files directly in the root."""
    files: int
    lines: Lines
    children: list[Folder] = field(default_factory=list)
    """Its folders holding checked files, most AI lines first, down to DRILL_DEPTH levels under the root."""


@dataclass
class Model:
    """AI lines one model wrote, whatever tool ran it."""

    model: str
    """"" when no source named it."""
    vendor: str
    lines: int = 0
    by_tool: dict[str, int] = field(default_factory=dict)


@dataclass
class Source:
    """AI lines attributed to one tool and vendor, and what said so."""

    tool: str
    vendor: str
    lines: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    by_evidence: dict[str, int] = field(default_factory=dict)
    by_model: dict[str, int] = field(default_factory=dict)
    by_confidence: dict[str, int] = field(default_factory=dict)
    """Lines per confidence the evidence gave (1 for markers and records, 0.5 for git trailers), as text keys."""


@dataclass
class Evidence:
    evidence: str
    lines: int = 0
    by_origin: dict[str, int] = field(default_factory=dict)


@dataclass
class RuleCount:
    rule: str
    severity: str
    findings: int


@dataclass
class FileFindings:
    path: str
    findings: int
    by_severity: dict[str, int]


@dataclass
class ProtectedFile:
    path: str
    category: str
    """training-data or test-task."""
    lines: int
    ai_lines: int
    by_vendor: dict[str, int]
    """AI lines per vendor ("" when no source named one)."""
    findings: int


@dataclass
class Pack:
    id: str
    version: str
    source: str


@dataclass
class Measured:
    """How the figures were measured: enough for a reader to repeat the run."""

    provguard: str
    generated: str
    root: str
    files_checked: int
    files_skipped: int
    files_failed: int
    packs: list[Pack]
    ledgers: list[str]
    """Each project's ledger (location and generation), or why none was read."""
    git: bool
    sources: list[str]
    """The kinds of evidence that spoke about at least one line."""


@dataclass
class Entered:
    """A protected file that held no AI lines at the end of the week before, and does at the end of this one."""

    path: str
    category: str
    by_vendor: dict[str, int]


@dataclass
class Week:
    """The tree as of the last commit before `end`, judged by today's packs and ledger."""

    start: str
    end: str
    """The day after the week's last day (ISO dates, UTC)."""
    commit: str
    """Empty when the history has no commit before `end`."""
    lines: int = 0
    ai_lines: int = 0
    ai_percent: float = 0.0
    findings: int = 0
    by_severity: dict[str, int] = field(default_factory=dict)
    protected_ai_lines: int = 0
    """AI lines in training-data and test-task files (each file once)."""
    entered: list[Entered] = field(default_factory=list)


@dataclass
class Summary:
    measured: Measured
    lines: Lines
    folders: list[Folder]
    sources: list[Source]
    models: list[Model]
    evidence: list[Evidence]
    findings: int
    suppressed: int
    by_severity: dict[str, int]
    by_rule: list[RuleCount]
    top_files: list[FileFindings]
    files_with_findings: int
    protected: list[ProtectedFile]
    protected_paths: dict[str, list[str]]
    """The globs of each protected category, per project (first project's when they differ, see `measured`)."""
    history: list[Week] = field(default_factory=list)
    """Per week since `--since`, oldest first; empty without it."""
    version: int = 1

    def to_json(self) -> str:
        return readable_json(asdict(self), indent=2) + "\n"  # read on a terminal: nothing raw it obeys


def category(origin: LineOrigin) -> str:
    return origin.kind if origin.kind in CATEGORIES else Kind.UNKNOWN.value


def summarize(run: CheckRun, ledgers: Iterable[str], git: bool, now: datetime | None = None) -> Summary:
    """The report's figures for a run made with `RunOptions(lines=True)`."""
    guards = {root: _guards(policy) for root, policy in zip(run.roots, run.policies, strict=False)}
    overall = Lines()
    folders: dict[str, Folder] = {}
    sources: dict[tuple[str, str], Source] = {}
    evidence: dict[str, Evidence] = {}
    findings_per_file: dict[str, list[str]] = {}
    for result, finding in run.findings:
        findings_per_file.setdefault(result.path, []).append(finding.severity.value)
    protected: list[ProtectedFile] = []
    for file in run.lines:
        chain = _folder_chain(folders, file.path)
        per_file = _add_file(file, overall, [f.lines for f in chain], sources, evidence)
        kinds = [name for name, globs in guards.get(file.root, {}).items() if globs.matches(file.rule_path)]
        for kind in kinds:
            protected.append(ProtectedFile(file.path, kind, file.counts.total, per_file.ai, _vendors(file),
                                           len(findings_per_file.get(file.path, ()))))
    rules: dict[tuple[str, str], int] = {}
    by_severity = dict.fromkeys(SEVERITIES, 0)
    for _, finding in run.findings:
        key = (finding.rule_id, finding.severity.value)
        rules[key] = rules.get(key, 0) + 1
        by_severity[finding.severity.value] = by_severity.get(finding.severity.value, 0) + 1
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    top_files = sorted((FileFindings(path, len(found), {s: found.count(s) for s in SEVERITIES if s in found})
                        for path, found in findings_per_file.items()),
                       key=lambda f: (-f.findings, f.path))
    protected.sort(key=lambda p: (-p.ai_lines, -p.findings, p.category, p.path))
    first = run.policies[0] if run.policies else None
    overall.finish()
    top_level = _finish_folders(folders)
    return Summary(
        measured=Measured(__version__, (now or datetime.now(UTC)).isoformat(timespec="seconds"),
                          str(run.root or Path(".")), run.files_checked, len(run.skipped), len(run.errors),
                          _packs(run.policies), list(ledgers), git,
                          sorted(e.evidence for e in evidence.values() if e.evidence != UNRECORDED)),
        lines=overall,
        folders=top_level,
        sources=sorted(sources.values(), key=lambda s: (-s.lines, s.tool, s.vendor)),
        models=_models(sources.values()),
        evidence=sorted(evidence.values(), key=lambda e: (-e.lines, e.evidence)),
        findings=len(run.findings), suppressed=len(run.suppressed), by_severity=by_severity,
        by_rule=sorted((RuleCount(r, s, n) for (r, s), n in rules.items()),
                       key=lambda r: (-r.findings, rank.get(r.severity, 9), r.rule)),
        top_files=top_files[:TOP_FILES], files_with_findings=len(top_files),
        protected=protected,
        protected_paths={name: list(_rule_globs(first, rule)) for name, rule in PROTECTED_RULES.items()},
    )


def _folder_chain(folders: dict[str, Folder], path: str) -> list[Folder]:
    """The folders a file counts in, from the top level down to DRILL_DEPTH, each counting the file once."""
    parts = path.split("/")[:-1][:DRILL_DEPTH] or ["."]
    chain = []
    for depth in range(1, len(parts) + 1):
        name = "/".join(parts[:depth])
        folder = folders.setdefault(name, Folder(name, 0, Lines()))
        folder.files += 1
        chain.append(folder)
    return chain


def _finish_folders(folders: dict[str, Folder]) -> list[Folder]:
    """The top-level folders, each with its sub-folders nested, all sorted most AI lines first."""
    def order(folder: Folder) -> tuple[int, int, str]:
        return -folder.lines.ai, -folder.lines.total, folder.folder

    top: list[Folder] = []
    for name, folder in folders.items():
        folder.lines.finish()
        parent = folders.get(name.rsplit("/", 1)[0]) if "/" in name else None
        (parent.children if parent is not None else top).append(folder)
    for folder in folders.values():
        folder.children.sort(key=order)
    return sorted(top, key=order)


def _models(sources: Iterable[Source]) -> list[Model]:
    models: dict[tuple[str, str], Model] = {}
    for source in sources:
        for name, count in source.by_model.items():
            model = models.setdefault((name, source.vendor), Model(name, source.vendor))
            model.lines += count
            model.by_tool[source.tool] = model.by_tool.get(source.tool, 0) + count
    return sorted(models.values(), key=lambda m: (-m.lines, m.model, m.vendor))


def _add_file(file: FileLines, overall: Lines, folders: list[Lines], sources: dict[tuple[str, str], Source],
              evidence: dict[str, Evidence]) -> Lines:
    own = Lines()
    rows: list[tuple[str, str, LineOrigin | None, int]] = [(category(o), o.evidence, o, n)
                                                         for o, n in file.counts.origins]
    rows.append((UNRECORDED, UNRECORDED, None, file.counts.unrecorded))
    for name, said_by, origin, count in rows:
        if not count:
            continue
        for lines in (overall, own, *folders):
            lines.add(name, count)
        seen = evidence.setdefault(said_by, Evidence(said_by))
        seen.lines += count
        seen.by_origin[name] = seen.by_origin.get(name, 0) + count
        if origin is None or name not in AI_CATEGORIES:
            continue
        source = sources.setdefault((origin.tool, origin.vendor), Source(origin.tool, origin.vendor))
        source.lines += count
        for table, key in ((source.by_kind, name), (source.by_evidence, said_by),
                           (source.by_model, origin.model), (source.by_confidence, f"{origin.confidence:g}")):
            table[key] = table.get(key, 0) + count
    return own


def _vendors(file: FileLines) -> dict[str, int]:
    out: dict[str, int] = {}
    for origin, count in file.counts.origins:
        if category(origin) in AI_CATEGORIES:
            out[origin.vendor] = out.get(origin.vendor, 0) + count
    return dict(sorted(out.items(), key=lambda kv: (-kv[1], kv[0])))


def _guards(policy: Policy) -> dict[str, GlobSet]:
    """The path lists of the rules in PROTECTED_RULES that the policy has (and that name paths)."""
    by_id = {rule.id: rule for rule in policy.rules}
    return {name: rule.paths for name, rule_id in PROTECTED_RULES.items()
            if (rule := by_id.get(rule_id)) is not None and rule.paths.include}


def _rule_globs(policy: Policy | None, rule_id: str) -> tuple[str, ...]:
    rule = next((r for r in policy.rules if r.id == rule_id), None) if policy is not None else None
    return rule.paths.include if rule is not None else ()


def _packs(policies: Iterable[Policy]) -> list[Pack]:
    seen: dict[tuple[str, str, str], Pack] = {}
    for policy in policies:
        for pack in policy.packs:
            seen.setdefault((pack.id, pack.version, pack.source), Pack(pack.id, pack.version, pack.source))
    return list(seen.values())


def to_dict(summary: Summary) -> dict[str, Any]:
    return asdict(summary)
