"""In-source suppressions: a person allows a finding where it is, and says why.

    # provguard: allow[ai-output-unreviewed] reason: vendored from upstream, reviewed there
    def generated(): ...

    x = load()  // provguard: allow[rule-a, rule-b] reason: ...      (a trailing comment: its own line)

A comment alone on its lines covers the next line (other suppression comments in between are skipped) and,
when that line starts a function, class or method, the whole unit; a trailing comment covers its own line
(and the unit it starts). A finding of a named rule that starts there is suppressed: reports leave it out,
SARIF lists it with the reason as its justification. The reason is required; a rule with
`suppressible: false` cannot be suppressed; a suppression that silences nothing is reported, so stale ones
do not pile up. Suppression comments are found by the marker scan (only real comments count).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from provguard.documents import Document
from provguard.findings import Finding, Justification
from provguard.policy.errors import suggest
from provguard.policy.model import Severity
from provguard.positions import TextEdit
from provguard.provenance.markers import comment_body
from provguard.provenance.units import next_unit_end

SUPPRESSION_RULES: dict[str, tuple[Severity, str]] = {
    "suppression-invalid": (Severity.WARNING, "A suppression comment cannot be read, names an unknown rule or "
                                              "gives no reason, so it suppresses nothing."),
    "suppression-forbidden": (Severity.WARNING, "A suppression names a rule that may not be suppressed."),
    "suppression-unused": (Severity.WARNING, "A suppression comment suppresses no finding; remove it."),
}
"""Built-in rules about suppression comments: (default severity, description). They cannot be suppressed."""

REASON_PLACEHOLDER = "<why>"
_ALLOW = re.compile(r"allow\s*")
_RULE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_REASON = re.compile(r"reason\s*:", re.IGNORECASE)
_DECORATION = re.compile(r"^[\s*#/;%-]*", re.MULTILINE)
_FORMAT = "write it as 'provguard: allow[rule-id] reason: why this is acceptable'"


@dataclass(frozen=True)
class RuleRef:
    id: str
    start: int
    end: int


@dataclass(frozen=True)
class Suppression:
    rules: tuple[RuleRef, ...]
    reason: str
    start: int
    end: int
    """The comment."""
    cover_start: int
    cover_end: int
    """Findings of its rules that start in [cover_start, cover_end) are suppressed."""


@dataclass(frozen=True)
class Problem:
    code: str
    message: str
    start: int
    end: int


@dataclass(frozen=True)
class Applied:
    visible: list[Finding]
    suppressed: list[Finding]
    problems: list[Problem]


def apply(doc: Document, comments: Sequence[tuple[int, int]], findings: Sequence[Finding],
          suppressible: Mapping[str, bool]) -> Applied:
    """Findings split into visible and suppressed, plus problems with the comments.

    `suppressible` maps every known rule id (pack and built-in rules) to whether it may be suppressed."""
    problems: list[Problem] = []
    lines = doc.lines
    standalone = {lines.line_of(s): lines.line_of(max(s, e - 1)) for s, e in comments
                  if not doc.source[lines.starts[lines.line_of(s)]:s].strip()}
    suppressions = [s for c in comments if (s := _read(doc, c, standalone, problems)) is not None]
    used: set[tuple[int, str]] = set()
    usable: list[tuple[Suppression, frozenset[str]]] = []
    for suppression in suppressions:
        ids: set[str] = set()
        for ref in suppression.rules:
            if ref.id in SUPPRESSION_RULES or ref.id not in suppressible:
                known = sorted(k for k in suppressible if k not in SUPPRESSION_RULES)
                what = "is about suppressions themselves" if ref.id in SUPPRESSION_RULES else "is not a known rule"
                problems.append(Problem("suppression-invalid", f"{ref.id!r} {what}, so it cannot be suppressed"
                                        f"{suggest(ref.id, known) if ref.id not in SUPPRESSION_RULES else ''}",
                                        ref.start, ref.end))
            elif not suppressible[ref.id]:
                problems.append(Problem("suppression-forbidden", f"rule {ref.id!r} may not be suppressed "
                                        "(its pack says suppressible: false); change the code instead",
                                        ref.start, ref.end))
            else:
                ids.add(ref.id)
        usable.append((suppression, frozenset(ids)))
    visible: list[Finding] = []
    suppressed: list[Finding] = []
    for finding in findings:
        match = next((s for s, ids in usable if finding.rule_id in ids
                      and s.cover_start <= finding.start < s.cover_end), None)
        if match is None:
            visible.append(finding)
            continue
        used.add((match.start, finding.rule_id))
        suppressed.append(replace(finding, suppressed=Justification(match.reason, match.start, match.end)))
    for suppression, allowed in usable:
        for ref in suppression.rules:
            if ref.id in allowed and (suppression.start, ref.id) not in used:
                problems.append(Problem("suppression-unused", f"no {ref.id} finding here to suppress; remove "
                                        "this suppression", ref.start, ref.end))
    return Applied(visible, suppressed, problems)


def _read(doc: Document, comment: tuple[int, int], standalone: Mapping[int, int],
          problems: list[Problem]) -> Suppression | None:
    """One suppression comment, or None after recording why it cannot be used."""
    start, end = comment
    raw = doc.source[start:end].decode("utf-8", errors="surrogateescape")
    body = comment_body(raw)
    if body is None:
        return None
    offset = _Offsets(raw, start)
    verb = _ALLOW.match(raw, len(raw) - len(raw[body[0]:].lstrip()))
    pos, body_end = verb.end() if verb else body[0], body[1]
    if verb is None or pos >= body_end or raw[pos] != "[":
        problems.append(Problem("suppression-invalid", f"name the rules to allow in brackets; {_FORMAT}",
                                start, end))
        return None
    close = raw.find("]", pos, body_end)
    if close == -1:
        problems.append(Problem("suppression-invalid", f"'[' is never closed; {_FORMAT}", offset(pos), end))
        return None
    refs: list[RuleRef] = []
    for match in re.finditer(r"[^,\s]+", raw[pos + 1:close]):
        at = pos + 1 + match.start()
        if not _RULE_ID.fullmatch(match.group()):
            problems.append(Problem("suppression-invalid", f"{match.group()!r} is not a rule id",
                                    offset(at), offset(at + len(match.group()))))
            return None
        refs.append(RuleRef(match.group(), offset(at), offset(at + len(match.group()))))
    if not refs:
        problems.append(Problem("suppression-invalid", f"the brackets name no rule; {_FORMAT}",
                                offset(pos), offset(close + 1)))
        return None
    rest = raw[close + 1:body_end]
    reason_at = _REASON.search(rest)
    if reason_at is None or rest[:reason_at.start()].strip():
        problems.append(Problem("suppression-invalid", "a suppression needs a reason: add 'reason: why this is "
                                "acceptable' after the brackets", start, end))
        return None
    reason = " ".join(_DECORATION.sub("", rest[reason_at.end():]).split())
    if not reason or reason == REASON_PLACEHOLDER:
        what = f"replace {REASON_PLACEHOLDER} with" if reason else "write"
        problems.append(Problem("suppression-invalid", f"the reason is empty: {what} why this is acceptable",
                                offset(close + 1 + reason_at.start()), end))
        return None
    readable = reason.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    cover_start, cover_end = _cover(doc, start, standalone)
    return Suppression(tuple(refs), readable, start, end, cover_start, cover_end)


def _cover(doc: Document, start: int, standalone: Mapping[int, int]) -> tuple[int, int]:
    """The byte range whose findings a suppression comment reaches; `standalone` maps the first line of each
    suppression comment alone on its lines to its last line."""
    lines = doc.lines
    line = lines.line_of(start)
    if line in standalone:  # alone on its line: the next line that is not another suppression
        line = standalone[line] + 1
        while line in standalone:
            line = standalone[line] + 1
        if line >= lines.line_count:
            return len(doc.source), len(doc.source)
    line_start, line_end = lines.line_bounds(line)
    text = doc.source[line_start:line_end]
    if not text.strip():
        return line_start, line_end
    first = line_start + len(text) - len(text.lstrip())
    unit_end = next_unit_end(doc, first, _never) if doc.tree is not None else None
    return line_start, max(line_end, unit_end or line_end)


def _never(comment: bytes) -> bool:
    return False


class _Offsets:
    """Character indexes of a comment's decoded text to absolute byte offsets."""

    def __init__(self, raw: str, base: int) -> None:
        self._raw, self._base = raw, base

    def __call__(self, index: int) -> int:
        return self._base + len(self._raw[:index].encode("utf-8", "surrogateescape"))


def suppression_edit(doc: Document, finding: Finding) -> TextEdit:
    """A suppression comment for the finding's rule on its own line above the line the finding starts on,
    indented like it, with a reason placeholder the person replaces."""
    line = doc.lines.line_of(finding.start)
    line_start, line_end = doc.lines.line_bounds(line)
    text = doc.source[line_start:line_end]
    indent = text[: len(text) - len(text.lstrip())].decode("utf-8", "replace")
    body = f"provguard: allow[{finding.rule_id}] reason: {REASON_PLACEHOLDER}"
    syntax = doc.language.comment
    if syntax.line is None and syntax.block is not None:
        comment = f"{syntax.block[0]} {body} {syntax.block[1]}"
    else:
        comment = f"{syntax.line or '#'} {body}"
    eol = "\r\n" if b"\r\n" in doc.source[:4096] else "\n"
    return TextEdit(line_start, line_start, f"{indent}{comment}{eol}")

