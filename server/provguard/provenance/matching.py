"""A document's code found in recorded AI edits: the spans the ledger's agent edits account for.

Two ways, in this order:

1. **Same file, same lines.** Edits recorded for this very path (by a hook or a transcript) are found by
   the hashes of their lines (white space around each line ignored), so even a two-line edit is found. A
   run of consecutive matching lines (blank lines between do not break it) counts only when it holds at
   least MIN_RUN_CHARS letters, digits and underscores: `}` or `return None` alone is everywhere, and a
   line being identical to one an agent once wrote is no evidence on its own.
2. **Anywhere, by fingerprint.** The document's fingerprints (see `provguard.provenance.fingerprints`) are
   looked up in the ledger's index of every recorded edit, wherever it was written; the edits sharing at least
   `copy_score.MIN_PRINTS` of them are candidates (at most MAX_CANDIDATES, those sharing most). Then each
   candidate's whole print set is read and checked against the document: matching fingerprints within a gap of
   each other form one region, and each region is weighed by `provguard.provenance.copy_score` (structure,
   names, verbatim lines), which alone decides whether it is a copy and how strong.

Regions found by (1) are not reported again by (2). Where several edits claim the same lines, the one that
explains them best (`CopyScore.explains`: the share of the edit found there, and how well names and lines agree)
keeps them, never the one sharing the most fingerprints: a whole file an agent also wrote must not take a
function's lines from that function's own edit. The others keep what is left of their regions where that still
passes on its own.

- Matching fingerprints join one region when at most GAP_LINES = 4 lines, or half the edit's length when
  that is more (GAP_SHARE = 0.5, up to MAX_GAP_LINES = 12), lie between them: edited lines, and calls
  re-wrapped one argument a line, leave longer stretches without a shared fingerprint in longer copies. When
  such a loose region of a long edit is refused, its hits are grouped again GAP_LINES apart: an excerpt of a
  whole file must not be judged together with the unrelated code its structure also meets nearby.
- A region's origin is the edit's (tool, vendor, model, session, time) with evidence "fingerprint", and
  extra fields `source` (the path the edit wrote), `coverage` (the share of the edit's structural fingerprints
  found in the region), `matched` and `matched-lexical` ("shared/total" of each kind), `names` and `verbatim`
  (see `copy_score`; lines common in code at large, `background.common_lines`, weigh nothing in `verbatim`); its
  confidence is `copy_score.confidence`.
- A region's `names` count only names of the edit that candidate edits of fewer than VOCABULARY_PATHS other files
  hold: what the recorded code of several files shares is its framework's API, no sign of a copy.
- A region holding the edit's whole shape has its `names` weighed also over as many lines as the edit has, from its
  first shared fingerprint (the better of the two counts): a renamed method's structural fingerprints are often all
  in its signature and the next line, while the calls, fields and types it kept are in the lines below, which a copy
  of the whole edit spans.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from provguard.documents import Document
from provguard.ledger.model import AgentEdit
from provguard.provenance.background import common_lines
from provguard.provenance.copy_score import (
    MIN_PRINTS,
    NAME_LINES,
    CopyScore,
    accepted,
    confidence,
    eligible,
    named_copy,
    plausible,
    plausible_named,
    whole_shape,
)
from provguard.provenance.fingerprint_index import FingerprintIndex
from provguard.provenance.fingerprints import MAX_NAMES, LineTokens, Print, document_tokens, line_hash
from provguard.provenance.name_prints import name_prints
from provguard.provenance.origin import Evidence, Origin, Span
from provguard.provenance.region import Region, spans
from provguard.provenance.same_file import same_file_regions
from provguard.provenance.winnow import is_lexical

MAX_EDITOR_BYTES = 4 * 1024 * 1024
"""Open documents larger than this are not looked up while edited (fingerprinting one costs about 35 ms per
1,000 lines); `provguard check` looks up every file it reads."""
GAP_LINES = 4
"""Lines without shared fingerprints allowed inside one region (at least; see GAP_SHARE)."""
MAX_CANDIDATES = 64
"""Recorded edits examined per lookup: those sharing the most fingerprints with the whole document. A large
ledger holds many edits sharing a few structural fingerprints with any file; reading them all would cost
more than the lookup itself."""
GAP_SHARE = 0.5
"""Of the edit's own length, the gap allowed inside a region (when more than GAP_LINES, up to MAX_GAP_LINES)."""
MAX_GAP_LINES = 12
"""The longest gap inside a region, however long the edit: a whole file an agent wrote must not join scattered
structural hits across half a file."""
VOCABULARY_PATHS = 2
"""A name that candidate edits of this many other files also hold counts as no agreement in `CopyScore.names`: a
framework's API (React Native's `ReactProp` and `createViewInstance`, a test set-up's `beforeEach`) is written in
many files and agrees between any two that use it, so a region of the same shape using the same framework is no
copy. Chosen on tune and fresh2 (bench/accuracy.py): names of 2 other files removed fresh2's React Native view
managers and package lists matched by shape and a test set-up matching six boilerplate edits (99 of 266 falsely
flagged lines), and cost 2 renamed copies of 570 on tune and 2 of Java's 100 on fresh2; names of 3 other files
removed only the test set-up. The edit's own names, and a framework's names when one file alone holds them, still
count."""


def find_regions(ledger: FingerprintIndex, path: str | None, doc: Document, tokens: LineTokens) -> list[Region]:
    """Both kinds of regions for `doc` at `path` (relative to the root; None: a text with no file, found by
    fingerprint only), not overlapping, in line order. `ledger` is the team's ledger or a snapshot's index;
    `tokens` the document's, refreshed.

    Raises `LedgerError` when the ledger cannot be read.
    """
    own = same_file_regions(ledger.agent_edits(path=path), doc) if path is not None else []
    taken = [(r.first_line, r.last_line) for r in own]
    found = [r for r in fingerprint_regions(ledger, doc, tokens)
             if not any(a <= r.last_line and r.first_line <= b for a, b in taken)]
    return sorted(own + found, key=lambda r: (r.first_line, r.last_line))


def index_spans(doc: Document, path: str | None, index: FingerprintIndex) -> tuple[Span, ...]:
    """Spans of `doc` that recorded agent edits account for: what `provguard check` adds for each file, and the
    matcher every corpus judge uses (one machine, snapshots, Ray), so their verdicts agree."""
    return spans(doc, find_regions(index, path, doc, document_tokens(doc)))


# -- anywhere, by fingerprints (same_file.py: in the edit's own file) ---------------------------------------------


@dataclass(frozen=True)
class _Found:
    """An accepted fingerprint region before overlaps are resolved."""

    first_line: int
    last_line: int
    edit: AgentEdit
    hits: tuple[Print, ...]
    score: CopyScore
    by_names: bool = False


def fingerprint_regions(ledger: FingerprintIndex, doc: Document, tokens: LineTokens) -> list[Region]:
    """Regions of `doc` that copy edits recorded anywhere, not overlapping, each kept by the edit that explains its
    lines best (see the module's docstring)."""
    groups = _candidate_groups(ledger, tokens.prints(), tokens.name_prints())
    weigh = _Weigher(doc, tokens, [edit for edit, _, _ in groups])
    found: list[_Found] = []
    last_line = doc.lines.line_count - 1
    for edit, group, by_names in groups:
        accepted = weigh.accepted(edit, group, 0, last_line, by_names)
        if accepted is not None:
            found.append(accepted)
        elif gap_lines(edit) > GAP_LINES and not by_names:  # a long edit's hits may join a copied part to other code
            found += [f for tight in _groups(group, GAP_LINES)
                      if (f := weigh.accepted(edit, tight, 0, last_line)) is not None]
    return [_region(f) for f in _resolve(found, weigh)]


def _candidate_groups(ledger: FingerprintIndex, prints: Sequence[Print],
                      named: Sequence[Print] = ()) -> list[tuple[AgentEdit, list[Print], bool]]:
    """Every group of hits of every candidate edit: of its k-gram fingerprints; and where the edit indexes its names
    (`named`: the document's `LineTokens.name_prints`), of those and its names together, marked True. The first are
    weighed as ever; names must not stretch them over the host's code around a copy that uses the same names."""
    if not prints and not named:
        return []
    counts = ledger.match_fingerprints({p.hash for p in prints} | {p.hash for p in named})
    ranked = sorted((edit_id for edit_id, n in counts.items() if n >= MIN_PRINTS), key=lambda e: (-counts[e], e))
    candidates = ranked[:MAX_CANDIDATES]
    if not candidates:
        return []
    out: list[tuple[AgentEdit, list[Print], bool]] = []
    for edit in ledger.agent_edits(ids=candidates):
        recorded = set(edit.fingerprints)
        by_name = recorded & name_prints(edit.names)
        if not eligible(len(recorded) - len(by_name)) and not plausible_named(len(by_name), NAME_LINES):
            continue
        hits = [p for p in prints if p.hash in recorded and p.hash not in by_name]
        out += [(edit, group, False) for group in _groups(hits, gap_lines(edit))]
        if by_name:
            both = sorted(hits + [p for p in named if p.hash in by_name], key=lambda p: (p.first_line, p.last_line))
            out += [(edit, group, True) for group in _groups(both, gap_lines(edit))
                    if plausible_named(len({p.hash for p in group if p.hash in by_name}), NAME_LINES)]
    return out


def gap_lines(edit: AgentEdit) -> int:
    """Lines without shared fingerprints allowed inside one region of a copy of `edit`."""
    return max(GAP_LINES, min(MAX_GAP_LINES, int(edit.lines * GAP_SHARE)))


class _Weigher:
    """Scores groups of hits against an edit, reading the document's names and line hashes only where needed."""

    def __init__(self, doc: Document, tokens: LineTokens, candidates: Sequence[AgentEdit] = ()) -> None:
        self._doc = doc
        self._tokens = tokens
        self._candidates = {edit.id: edit for edit in candidates}
        """The edits looked up for this document: whose names in several files are the code base's vocabulary."""
        self._name_sets: dict[str, frozenset[int]] = {}
        self._vocabulary: dict[int, frozenset[str]] = {}
        self._lines: dict[int, tuple[int, int]] = {}
        self._totals: dict[str, tuple[int, int, frozenset[int]]] = {}
        """Per edit id: its distinct structural and lexical fingerprints, and its name prints (a long edit is weighed
        in many groups)."""

    def accepted(self, edit: AgentEdit, group: Sequence[Print], low: int, high: int,
                 by_names: bool = False) -> _Found | None:
        """The group as a copy of `edit`, its lines kept within low..high, when `copy_score.accepted` says so; a group
        holding names (`by_names`) only as a copy found by them (`copy_score.named_copy`)."""
        total, total_lexical, by_name = self._total(edit)
        named = [p for p in group if p.hash in by_name]
        shaped = [p for p in group if p.hash not in by_name] if named else group
        hashes = {p.hash for p in shaped}
        print_lines = len({p.first_line for p in shaped})
        shared_names = len({p.hash for p in named})
        name_lines = len({p.first_line for p in named})
        spelled = sum(is_lexical(h) for h in hashes)
        if not plausible(len(hashes), print_lines, whole_shape(len(hashes) - spelled, total)) and not (
                plausible_named(shared_names, name_lines)):
            return None
        first = max(low, group[0].first_line)
        last = min(high, max(p.last_line for p in group))
        verbatim, kept_lines = self._verbatim(edit, first, last)
        names = self._names(edit, first, last)
        spans_to = min(high, first + edit.lines - 1)
        if spans_to > last and whole_shape(len(hashes) - spelled, total):
            names = max(names, self._names(edit, first, spans_to))
        score = CopyScore(shared=len(hashes) - spelled, total=total, shared_lexical=spelled,
                          total_lexical=total_lexical, print_lines=print_lines, lines=last - first + 1,
                          names=names, verbatim=verbatim, kept_lines=kept_lines,
                          shared_names=shared_names, name_lines=name_lines)
        if not (named_copy(score) if by_names else accepted(score)):
            return None
        return _Found(first, last, edit, tuple(group), score, by_names)

    def _total(self, edit: AgentEdit) -> tuple[int, int, frozenset[int]]:
        known = self._totals.get(edit.id)
        if known is None:
            recorded = set(edit.fingerprints)
            by_name = frozenset(recorded & name_prints(edit.names))
            recorded -= by_name
            lexical = sum(is_lexical(h) for h in recorded)
            known = self._totals[edit.id] = (len(recorded) - lexical, lexical, by_name)
        return known

    def _names(self, edit: AgentEdit, first: int, last: int) -> float:
        mine = self._tokens.names(first, last)
        if not edit.names or not mine:
            return 0.0
        if len(edit.names) >= MAX_NAMES:  # a sample of the edit's names: only the region's names it could hold
            mine = {n for n in mine if n <= edit.names[-1]}
            if not mine:
                return 0.0
        agree = mine & self._names_of(edit)
        return sum(len(self._files_holding(n) - {edit.path}) < VOCABULARY_PATHS for n in agree) / len(mine)

    def _names_of(self, edit: AgentEdit) -> frozenset[int]:
        known = self._name_sets.get(edit.id)
        if known is None:
            known = self._name_sets[edit.id] = frozenset(edit.names)
        return known

    def _files_holding(self, name: int) -> frozenset[str]:
        """The paths of the candidate edits holding `name`: a name recorded in edits of VOCABULARY_PATHS other files
        is the code base's vocabulary (a framework's API: `ReactProp`, `beforeEach`), no sign that a region copies
        one edit rather than shares a framework with it."""
        known = self._vocabulary.get(name)
        if known is None:
            known = self._vocabulary[name] = frozenset(
                edit.path for edit in self._candidates.values() if name in self._names_of(edit))
        return known

    def _verbatim(self, edit: AgentEdit, first: int, last: int) -> tuple[float, int]:
        """`CopyScore.verbatim` and `CopyScore.kept_lines` of lines first..last."""
        held = set(edit.line_hashes)
        matched = total = 0
        kept: set[int] = set()
        for row in range(first, last + 1):
            hashed, weight = self._line(row)
            total += weight
            if weight and hashed in held:
                matched += weight
                if self._tokens.has_code(row):
                    kept.add(hashed)
        return (matched / total if total else 0.0), len(kept)

    def _line(self, row: int) -> tuple[int, int]:
        """A line's hash and its letters, digits and underscores: none for a line common in code at large
        (`background.common_lines`), which unrelated code of the same idiom holds word for word."""
        known = self._lines.get(row)
        if known is None:
            start, end = self._doc.lines.line_bounds(row)
            text = self._doc.source[start:end].decode("utf-8", errors="replace")
            hashed = line_hash(text)
            weight = 0 if hashed in common_lines() else sum(ch.isalnum() or ch == "_" for ch in text)
            known = self._lines[row] = (hashed, weight)
        return known


def _resolve(found: list[_Found], weigh: _Weigher) -> list[_Found]:
    """Regions not overlapping each other: the best explained first; the others keep the parts outside, scored
    again on their own."""
    kept: list[_Found] = []
    spans: list[tuple[int, int]] = []
    for f in sorted(found, key=lambda f: (-f.score.explains, -f.score.shared, f.first_line, f.edit.id)):
        if not any(a <= f.last_line and f.first_line <= b for a, b in spans):
            kept.append(f)
            spans.append((f.first_line, f.last_line))
            continue
        for low, high in _free_stretches(spans, f.first_line, f.last_line):
            rest = [p for p in f.hits if low <= p.first_line <= high]
            for group in _groups(rest, gap_lines(f.edit)):
                part = weigh.accepted(f.edit, group, low, high, f.by_names)
                if part is not None:
                    kept.append(part)
                    spans.append((part.first_line, part.last_line))
    return sorted(kept, key=lambda f: (f.first_line, f.last_line))


def _free_stretches(spans: Sequence[tuple[int, int]], first: int, last: int) -> list[tuple[int, int]]:
    """The stretches of lines first..last that no span covers."""
    out: list[tuple[int, int]] = []
    at = first
    for a, b in sorted(spans):
        if b < at or a > last:
            continue
        if a > at:
            out.append((at, a - 1))
        at = max(at, b + 1)
    if at <= last:
        out.append((at, last))
    return out


def _region(found: _Found) -> Region:
    return Region(found.first_line, found.last_line, fingerprint_origin(found.edit, found.score), found.edit.id,
                  found.score.shared)


def fingerprint_origin(edit: AgentEdit, score: CopyScore) -> Origin:
    base = edit.origin()
    return replace(base, evidence=Evidence.FINGERPRINT, confidence=confidence(score, edit.confidence),
                   extra=(("source", edit.path), *base.extra, ("coverage", f"{score.coverage:.2f}"),
                          ("matched", f"{score.shared}/{score.total}"),
                          ("matched-lexical", f"{score.shared_lexical}/{score.total_lexical}"),
                          ("names", f"{score.names:.2f}"),
                          ("verbatim", f"{score.verbatim:.2f}")))


def _groups(hits: list[Print], gap: int) -> list[list[Print]]:
    """Hits (in text order) split where more than `gap` lines separate one from the next."""
    groups: list[list[Print]] = []
    last = -10**9
    for p in hits:
        if groups and p.first_line <= last + gap + 1:
            groups[-1].append(p)
            last = max(last, p.last_line)
        else:
            groups.append([p])
            last = p.last_line
    return groups
