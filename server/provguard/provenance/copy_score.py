"""How strongly a region of a document is a copy of one recorded edit: the one score every surface shows.

Fingerprints (`provguard.provenance.fingerprints`) see code with every name and literal normalised away, so that
moving, re-indenting, reformatting and renaming a copy change nothing. That same blindness makes two different
functions of the same shape look alike. A region found by fingerprints is therefore weighed on two kinds of
evidence:

- **structure**: `coverage`, the share of the edit's distinct structural fingerprints the region holds, and
  `shared`, how many that is; and the same for the lexical fingerprints, which keep names and literals
  (`winnow.lexical_hashes`);
- **what normalisation threw away**: `names`, the share of the region's names (identifiers and string literals
  longer than two characters and not common in code at large: calls, fields, types, messages) that the edit
  also holds, and `verbatim`, the share of the region's code (letters and digits) on lines the edit holds word
  for word, lines common in code at large (`background.common_lines`: `case reflect.Bool:`, `if err != nil {`)
  left out, so an idiom many projects write the same way is no kept line. A renamed copy keeps
  its calls, fields and messages; an excerpt or an edited copy keeps most of its lines; code of merely the
  same shape keeps neither.

`accepted` is the only decision: a region it accepts is reported by every surface (check, the editor, export,
the corpus filter on one machine and on Ray, the guard), with confidence from `confidence`, which is never below
ACCEPTED_CONFIDENCE times the edit's own confidence. The default pack's rules about AI output act from 0.8
(`line_level_confidence`), so every accepted copy of an edit provguard saw itself is shown; an edit imported
from another tool's claim (confidence below 1) carries its doubt into its copies.

Thresholds were chosen with `python bench/accuracy.py --split tune` (see that file and the README's fingerprint
section for the figures on the held-out split).
"""

from __future__ import annotations

from dataclasses import dataclass

MIN_EDIT_PRINTS = 5
"""An edit with fewer distinct fingerprints (of both kinds) is too small to tell apart from common code: it is found
in its own file by its lines, never elsewhere. About three lines of code not made only of boilerplate."""
MIN_PRINTS = 3
"""Distinct fingerprints a region must share with the edit."""
MIN_LINES = 2
"""Distinct lines the shared fingerprints must start on: one line alone is no copied snippet."""
MIN_SHAPE_LINES = 3
"""...and for a copy found by its shape or its lexical fingerprints, not by its lines: two lines of any code are
alike too often."""
MIN_LEXICAL_PRINTS = 4
"""Lexical fingerprints (names kept) a region must share to count by their share of the edit."""
MIN_SHAPE_PRINTS = 4
"""Structural fingerprints an edit needs before its shape (its names changed) may find it elsewhere."""
SAME_CODE_COVERAGE = 0.85
"""A region holding this share of the edit's structural fingerprints, and at least SAME_CODE_PRINTS of them, is a
copy whatever its names: consistent renaming keeps every one, while code of merely the same shape rarely holds
so many of another's."""
SAME_CODE_PRINTS = 8
RENAMED_COVERAGE = 0.6
"""A region holding this share of the edit's structural fingerprints is a copy when RENAMED_NAMES of its names
agree: renaming changes the local names, not the calls, fields, types and messages."""
RENAMED_NAMES = 0.25
KEPT_NAME_COVERAGE = 0.8
"""A region holding this share of the edit's structural fingerprints, and at least SAME_CODE_PRINTS of them, is a copy
when any of its names is the edit's (see KEPT_NAME_LINES): unrelated code held at most 67% of an edit's on tune (8 of
12), and none of its names."""
WHOLE_SHAPE_PRINTS = 4
"""A region holding every one of the edit's structural fingerprints, at least this many, on MIN_LINES lines, is a
copy when WHOLE_SHAPE_NAMES of its names agree: a short function, renamed, whose shape is mostly common keeps only
a few fingerprints, but all of them, and its calls, fields and types."""
WHOLE_SHAPE_NAMES = 0.3
KEPT_NAME_LINES = 2
"""On this many lines or more, a region holding every one of the edit's structural fingerprints (at least
WHOLE_SHAPE_PRINTS) is a copy when any of its names is the edit's, or any of its lines of code (not common in code
at large) is the edit's word for word: the names that count are rare in code at large (`background.Table.has_name`
leaves the common ones out), and a renamed short function keeps only its calls, fields and types, one or two of
them, among as many new local names (`acc0(key1)` calling `AccessController.doPrivileged`: one name in five), or a
line without a local name (`return Err(Error::Eof);`). Its fingerprints are often on two lines only: a Go or Java
signature and the line that uses its parameters (3 lines, before, lost 6 renamed copies of tune, fresh2 and
fresh3). The unrelated regions of those splits (1.5 million lines) holding the whole shape of an edit of four or
more structural fingerprints (TypeScript boilerplate, 5 of 5 on 2 or 3 lines) held none of its names and none of its
lines."""
FEW_SHAPE_PRINTS = 3
"""With fewer fingerprints (at least this many), or all on one line (a long signature over a body of common
code), the whole shape needs FEW_SHAPE_NAMES of the region's names: a function of the same shape and signature
calling the same library (`bufio.NewScanner`) agrees on a third of its names, a renamed copy on more than half."""
FEW_SHAPE_NAMES = 0.5
WHOLE_CODE_PRINTS = 6
"""A region holding every one of the edit's structural fingerprints, at least this many, on WHOLE_CODE_LINES lines
or more, is a copy whatever its names: a renamed function whose every name is local (or common in code at large)
keeps nothing but its shape, and unrelated code never held all of an edit's six or more (tune split: a
boilerplate edit's 5, on 3 lines, was the nearest)."""
WHOLE_CODE_LINES = 2
"""On this many lines or more: a renamed Go or Java method's six to nine fingerprints are often all in its signature
and one line, and unrelated code of the tune, fresh2 and fresh3 splits never held all of an edit's six or more on any
number of lines (4 lines, before, lost 7 renamed copies there)."""
CONFIRMED_PRINTS = 3
"""Structural fingerprints a region confirmed by its names or lines must share."""
MIN_COVERAGE = 0.35
"""With the region's names or lines agreeing (LEXICAL), or with names kept (lexical fingerprints), the share of
the edit's fingerprints that suffices: an edited copy loses the fingerprints around every edited line."""
LEXICAL = 0.5
"""Agreement of names or verbatim lines (the larger) that confirms a copy found by its shape."""
SAME_LINES = 0.7
"""Share of a region's code (letters and digits) on lines the edit holds word for word that makes it a copy with
only a few shared fingerprints (SAME_LINES_PRINTS of either kind, SAME_LINES_DENSITY a line): an excerpt of a
long edit, or a copy with many lines edited, keeps its other lines as they were."""
SAME_LINES_PRINTS = 3
SAME_LINES_DENSITY = 0.2
SAME_LINES_KEPT = 2
"""...and the lines kept word for word must be at least this many distinct lines of code (a token of code starts on
them: a comment beside a line is no evidence) not common in code at large (`CopyScore.kept_lines`): as one line of
shared fingerprints is no copied snippet (MIN_LINES), one line kept word for word is too often the same idiom in
another project. On the held-out split a Ruby guard, `ruby2_keywords(:method_missing) if respond_to?(:ruby2_keywords,
true)`, with a coverage pragma comment beside it, made 72% of a four-line region "kept" from a long edit that also
held both; the guard is in no background file word for word (its variants in two), too rare for the common lines.
Chosen on tune: 3 lines lost 17 copies with 30% of their lines edited (their kept lines are mostly `}` and `end`);
2 lost two copies with every disguise at once and nothing else."""
NAMED_SHAPE_DENSITY = 0.5
"""An edit with fewer structural fingerprints than this many a line (and than MIN_SHAPE_PRINTS) has a shape mostly
common in code at large, so renaming it or cutting an excerpt from it leaves too few fingerprints to find it by: its
names are indexed too (`fingerprints.name_print`, at most MAX_NAME_PRINTS of them), and a copy found by them needs
NAME_PRINTS of its names on NAME_LINES lines, either with NAMED_SHAPE_NAMES of the region's names the edit's and
every one of its few structural fingerprints (renamed), or with SAME_LINES of its code on lines the edit holds word
for word (moved, excerpted)."""
MAX_NAME_PRINTS = 64
NAME_PRINTS = 3
NAME_LINES = 3
NAMED_SHAPE_NAMES = 0.5
NAME_DENSITY = 0.3
"""...and at least this many of those names a line of the region: a class of getters with the edit's field names
(boilerplate, its lines idioms) shares a name every four lines or fewer, a copy of a function more."""
ACCEPTED_CONFIDENCE = 0.8
"""Confidence of the weakest accepted copy of an edit whose own confidence is 1; the strongest reaches 1."""


@dataclass(frozen=True)
class CopyScore:
    """The evidence that lines of a document are a copy of one recorded edit."""

    shared: int
    """Distinct structural fingerprints the region shares with the edit."""
    total: int
    """The edit's distinct structural fingerprints."""
    shared_lexical: int
    """Distinct lexical fingerprints (names kept: `winnow.lexical_hashes`) the region shares with the edit."""
    total_lexical: int
    """The edit's distinct lexical fingerprints."""
    print_lines: int
    """Distinct lines the shared fingerprints start on."""
    lines: int
    """Lines the region spans."""
    names: float
    """Share of the region's names that the edit holds (0 when the region has none), names that the looked-up edits
    of several other files also hold left out (`matching.VOCABULARY_PATHS`: a framework's API)."""
    verbatim: float
    """Share of the region's letters and digits on lines the edit holds word for word (common lines left out)."""
    shared_names: int = 0
    """Distinct names of the edit found in the region by its name prints (only an edit whose names are indexed,
    `indexes_names`)."""
    name_lines: int = 0
    """Distinct lines those names are on."""
    kept_lines: int = 0
    """Distinct lines of code (a token of code starts on them) of the region, not common in code at large, that the
    edit holds word for word: what `verbatim` rests on, counted, for SAME_LINES_KEPT."""

    @property
    def coverage(self) -> float:
        """Share of the edit's structural fingerprints in the region."""
        return min(1.0, self.shared / self.total) if self.total else 0.0

    @property
    def lexical_coverage(self) -> float:
        """Share of the edit's lexical fingerprints in the region."""
        return min(1.0, self.shared_lexical / self.total_lexical) if self.total_lexical else 0.0

    @property
    def lexical(self) -> float:
        """How much of what normalisation threw away agrees: the better of names and verbatim lines."""
        return max(self.names, self.verbatim)

    @property
    def explains(self) -> float:
        """How well the edit explains the region, from 0 to 1: where several edits claim the same lines, the one
        that explains them best keeps them (a function's own edit, not a whole file that also holds it)."""
        return (max(self.coverage, self.lexical_coverage) + self.lexical) / 2


def eligible(total: int) -> bool:
    """Whether an edit with `total` distinct fingerprints (both kinds) may be found outside its own file at all."""
    return total >= MIN_EDIT_PRINTS


def indexes_names(structural: int, total: int, lines: int) -> bool:
    """Whether an edit of `lines` non-blank lines with `total` distinct k-gram fingerprints, `structural` of them
    structural, also indexes its names: its shape is mostly common code (NAMED_SHAPE_DENSITY), yet it holds
    MIN_PRINTS fingerprints (boilerplate, every k-gram of it common, indexes nothing)."""
    return total >= MIN_PRINTS and structural < max(MIN_SHAPE_PRINTS, lines * NAMED_SHAPE_DENSITY)


def whole_shape(shared: int, total: int) -> bool:
    """Whether a region holds every one of the edit's `total` structural fingerprints (`shared` of them), and enough
    of them to weigh (FEW_SHAPE_PRINTS)."""
    return shared >= max(total, FEW_SHAPE_PRINTS)


def plausible(shared: int, print_lines: int, whole: bool = False) -> bool:
    """The cheap part of `accepted`, before names and lines are read: `shared` fingerprints of both kinds on
    `print_lines` lines; `whole`, the region holds the edit's whole shape (`whole_shape`), which may be on one line."""
    return shared >= MIN_PRINTS and (print_lines >= MIN_LINES or whole)


def plausible_named(shared_names: int, name_lines: int) -> bool:
    """The cheap part of `named_copy`: enough of an edit's indexed names on enough lines."""
    return shared_names >= NAME_PRINTS and name_lines >= NAME_LINES


def accepted(score: CopyScore) -> bool:
    """Whether the region is a copy of the edit: the one decision every surface reports."""
    if named_copy(score):
        return True
    whole = whole_shape(score.shared, score.total)
    if not eligible(score.total + score.total_lexical) or not plausible(score.shared + score.shared_lexical,
                                                                         score.print_lines, whole):
        return False
    if whole and (score.names >= _whole_shape_names(score) or (
            (score.names > 0 or score.kept_lines > 0) and score.print_lines >= KEPT_NAME_LINES
            and score.shared >= WHOLE_SHAPE_PRINTS)):
        return True
    if score.print_lines < MIN_LINES:
        return False
    return _names_kept(score) or _same_structure(score)


def named_copy(score: CopyScore) -> bool:
    """A copy of an edit whose shape is mostly common, found by its names: renamed (its calls, fields, types and
    messages kept, with all of its few structural fingerprints) or with its lines kept (an excerpt)."""
    if not plausible_named(score.shared_names, score.name_lines) or score.shared_names < NAME_DENSITY * score.lines:
        return False
    if _same_lines(score) and score.names >= NAMED_SHAPE_NAMES:
        return True
    return score.shared >= score.total and score.total < MIN_SHAPE_PRINTS and score.names >= NAMED_SHAPE_NAMES


def _whole_shape_names(score: CopyScore) -> float:
    """The share of names that confirms a region holding the edit's whole shape: more when that shape is small or
    on one line."""
    return WHOLE_SHAPE_NAMES if score.shared >= WHOLE_SHAPE_PRINTS and score.print_lines >= MIN_LINES else (
        FEW_SHAPE_NAMES)


def _names_kept(score: CopyScore) -> bool:
    """A copy that kept its names and most of its lines: moved, re-indented, reformatted, edited in places, or a
    part of a longer edit."""
    if (score.shared_lexical >= MIN_LEXICAL_PRINTS and score.lexical_coverage >= MIN_COVERAGE
            and score.print_lines >= MIN_SHAPE_LINES):
        return True
    found = score.shared + score.shared_lexical
    return _same_lines(score) and found >= SAME_LINES_PRINTS and found >= SAME_LINES_DENSITY * score.lines


def _same_lines(score: CopyScore) -> bool:
    """Most of the region's code on lines the edit holds word for word, and enough such lines to be no idiom."""
    return score.verbatim >= SAME_LINES and score.kept_lines >= SAME_LINES_KEPT


def _same_structure(score: CopyScore) -> bool:
    """A copy found by its shape: renamed copies, confirmed by what normalisation threw away unless nearly whole."""
    if whole_shape(score.shared, score.total) and score.shared >= WHOLE_CODE_PRINTS and (
            score.print_lines >= WHOLE_CODE_LINES):
        return True
    if score.shared < CONFIRMED_PRINTS or score.total < MIN_SHAPE_PRINTS or score.print_lines < MIN_SHAPE_LINES:
        return False
    coverage = score.coverage
    if coverage >= SAME_CODE_COVERAGE and score.shared >= SAME_CODE_PRINTS:
        return True
    if coverage >= RENAMED_COVERAGE and score.names >= RENAMED_NAMES:
        return True
    if coverage >= KEPT_NAME_COVERAGE and score.shared >= SAME_CODE_PRINTS and score.names > 0:
        return True
    return coverage >= MIN_COVERAGE and score.lexical >= LEXICAL


def confidence(score: CopyScore, edit_confidence: float) -> float:
    """The confidence of an accepted copy: from ACCEPTED_CONFIDENCE to 1 as the edit explains it, times the edit's."""
    return round((ACCEPTED_CONFIDENCE + (1 - ACCEPTED_CONFIDENCE) * score.explains) * edit_confidence, 3)
