"""Before fingerprinting a file for `provguard check`: can any recorded agent edit be found in it at all?

Winnowing a file's k-grams and looking its fingerprints up costs more than parsing it, yet in a typical tree almost
no file holds a copy of a recorded edit. `matching.fingerprint_regions` weighs only candidates: edits sharing at
least `copy_score.MIN_PRINTS` distinct hashes with the file's fingerprints and name prints
(`FingerprintIndex.match_fingerprints`); every acceptance rule of `copy_score` is asked about those alone. A file's
fingerprints are some of its k-gram hashes (winnowing only chooses among them, and the background table only
removes), and its name prints are those of its evidence names. So when no edit shares MIN_PRINTS of *all* of the
file's k-gram hashes and name prints, no edit is a candidate and no region is found by fingerprint: only the
same-file regions (by line hashes, cheap) remain, and the verdict is the one the full lookup gives.

The test reads the same tokens the matcher would (kept for it when the test passes: `tokens.tree_token_columns`),
hashes every k-gram at once in C (`winnow.every_kgram`; the same hashes with NumPy when it is installed:
`check_kgrams`) and intersects them with every hash the ledger holds, loaded once per process
(`Ledger.fingerprint_hashes`: the hashes alone, no edit read) and again whenever the ledger's generation moves. A
file that passes is looked up with `HeldTokens`: only the fingerprints the ledger holds, chosen as winnowing the
whole text would choose them. Ledgers too large to hold in memory are not prefiltered. The verdict on a file is a
value (`Screened`) returned to the caller, which says whether it was ruled out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import compress

from provguard.check_kgrams import HeldHashes, KgramHasher
from provguard.documents import Document
from provguard.ledger.store import Ledger, LedgerError
from provguard.provenance import background
from provguard.provenance.copy_score import MIN_PRINTS
from provguard.provenance.fingerprints import LineTokens, Print, document_tokens
from provguard.provenance.name_prints import name_print
from provguard.provenance.origin import Span
from provguard.provenance.tokens import Columns, evidence_names, tree_token_columns
from provguard.provenance.winnow import LEXICAL_WINDOW, WINDOW, K, chosen_among, nameless

MAX_LEDGER_PRINTS = 500_000
"""Hashes of every recorded edit held in memory at most (about 40 MB as a Python set); a larger ledger is looked
up file by file as before."""


@dataclass(frozen=True)
class Screened:
    """The prefilter's verdict on one file, returned with the tokens it read so the caller needs no other signal."""

    tokens: LineTokens | None
    """What to look the file up with (`matching.find_regions`); None when it is ruled out."""

    @property
    def ruled_out(self) -> bool:
        """No recorded edit can be found in the file by fingerprint: only its own edits' lines are to be looked up
        (`same_file_spans`)."""
        return self.tokens is None


@dataclass
class LedgerPrints:
    """Every fingerprint hash a ledger's edits hold, to rule out files no recorded edit can be found in."""

    hashes: frozenset[int]
    generation: int
    """The ledger's generation when they were read."""
    gave_up: bool = False
    """The ledger grew too large to hold during the run: every file is looked up in full from then on."""
    _names: dict[int, int | None] = field(default_factory=dict, init=False, repr=False)
    """Per name (`tokens.name_value`) met in earlier files: its name print when the ledger holds it and it is an
    evidence name, else None (files of one tree share most of their names)."""
    _held: HeldHashes | None = field(default=None, init=False, repr=False)

    @classmethod
    def load(cls, ledger: Ledger) -> LedgerPrints | None:
        """None when the ledger cannot be read or holds too many hashes (each file is then looked up as before)."""
        try:
            generation = ledger.generation()  # first: an edit recorded meanwhile makes the next file read them again
            hashes = ledger.fingerprint_hashes(MAX_LEDGER_PRINTS)
        except LedgerError:
            return None
        return None if hashes is None else cls(hashes, generation)

    def tokens(self, doc: Document, ledger: Ledger) -> Screened:
        """Whether a recorded edit can be found in `doc` by fingerprint (see the module's docstring), and if so the
        tokens to look it up with: for a text with a grammar, those whose prints are only the ones the ledger holds,
        the rest being no evidence for any edit.

        Raises `LedgerError` when the ledger cannot be asked (as the full lookup would)."""
        tree = doc.tree
        if tree is None or not doc.language.has_grammar or self.gave_up:  # no shortcut
            return Screened(document_tokens(doc))
        if ledger.generation() != self.generation:  # edits recorded since: every hash is read again
            fresh = LedgerPrints.load(ledger)
            if fresh is None:
                self.gave_up = True
                return Screened(document_tokens(doc))
            self.hashes, self.generation, self._names = fresh.hashes, fresh.generation, {}
        columns = tree_token_columns(tree, doc.language, 0, len(doc.source), doc.source, keep=True)
        file_kgrams = _every_kgram(columns[1], columns[2])
        if self._held is None or self._held.hashes is not self.hashes:
            self._held = HeldHashes(self.hashes)
        shared = file_kgrams.held(self._held)
        named = self._name_prints(columns[2])
        shared.update(named.values())
        if len(shared) >= MIN_PRINTS and any(n >= MIN_PRINTS for n in ledger.match_fingerprints(shared).values()):
            held = HeldTokens(columns, file_kgrams.lists(), self.hashes, named)
            held.refresh(doc)
            return Screened(held)
        return Screened(None)

    def _name_prints(self, names: list[int]) -> dict[int, int]:
        """The file's evidence names whose name prints (`LineTokens.name_prints`) the ledger holds, and those prints."""
        known = self._names
        distinct = set(names)
        new = distinct.difference(known)
        if len(known) + len(new) > MAX_NAMES_KNOWN:  # forget the others: every name of this file is then new
            known.clear()
            new = distinct
        if new:
            evidence = evidence_names(new, background.common().has_name)
            for name in new:
                printed = name_print(name) if name in evidence else None
                known[name] = printed if printed in self.hashes else None
        return {name: p for name in distinct if (p := known.get(name)) is not None}


_every_kgram = KgramHasher()
"""`winnow.every_kgram`, in NumPy once a process has hashed enough tokens to pay for importing it."""

MAX_NAMES_KNOWN = 200_000
"""Names whose verdict `LedgerPrints` remembers at most (a few MB)."""


class HeldTokens(LineTokens):
    """A whole document's tokens (names and lines as `LineTokens` keeps them) whose fingerprints and name prints are
    only those a ledger holds: what `matching.fingerprint_regions` reads of them, since a print no recorded edit holds
    counts for no edit, is in no edit's hits, and is never weighed. Which k-grams are fingerprints is decided for the
    held ones alone (`winnow.chosen_among`): the same positions winnowing the whole text chooses."""

    def __init__(self, columns: Columns, kgrams: tuple[list[int], list[int]], held: frozenset[int],
                 named: dict[int, int]) -> None:
        """`kgrams`: the columns' structural and lexical k-gram hashes (`winnow.every_kgram`); `named`: their
        evidence names whose name prints `held` holds, and those prints."""
        super().__init__()
        self._columns = columns
        self._kgrams = kgrams
        self._held = held
        self._held_names = named
        self._held_prints: list[Print] | None = None
        self._held_named: list[Print] | None = None

    def prints(self) -> list[Print]:
        if self._held_prints is None:
            self._held_prints = self._read_prints()
        return self._held_prints

    def name_prints(self) -> list[Print]:
        if self._held_named is None:
            rows, _, names = self._columns
            named = self._held_names
            seen: set[tuple[int, int]] = set()
            out: list[Print] = []
            for i in compress(range(len(names)), map(named.__contains__, names)):
                key = (rows[i], names[i])
                if key not in seen:
                    seen.add(key)
                    out.append(Print(named[names[i]], rows[i], rows[i]))
            self._held_named = out
        return self._held_named

    def _read_prints(self) -> list[Print]:
        rows, _, names = self._columns
        held, table = self._held, background.common()
        structural, spelled = self._kgrams
        chosen = [(i, structural[i]) for i in chosen_among(
            structural, WINDOW, compress(range(len(structural)), map(held.__contains__, structural)),
            lambda q: structural[q] not in table)]
        blocked = nameless(names, table.has_name)
        chosen += [(i, spelled[i]) for i in chosen_among(
            spelled, LEXICAL_WINDOW, compress(range(len(spelled)), map(held.__contains__, spelled)),
            lambda q: not blocked[q] and spelled[q] not in table)]
        return [Print(h, rows[i], rows[i + K - 1]) for i, h in sorted(chosen)]


def same_file_spans(doc: Document, rule_path: str, ledger: Ledger) -> tuple[Span, ...]:
    """What `matching.index_spans` finds when no edit is a candidate: the regions of edits recorded for this very
    path, by their lines."""
    from provguard.provenance.region import spans
    from provguard.provenance.same_file import same_file_regions

    own = same_file_regions(ledger.agent_edits(path=rule_path), doc)
    return spans(doc, sorted(own, key=lambda r: (r.first_line, r.last_line)))
