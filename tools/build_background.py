"""Builds provguard's background frequency table (server/provguard/provenance/data/background.bin).

    python tools/build_background.py                  # fetch the corpus if needed, build, write the table
    python tools/build_background.py --dry-run        # the counts only, no file written
    python tools/build_background.py --dry-run --language go   # one language's figures
    python tools/build_background.py --lines-only     # only data/lines.bin (common lines; seconds, no tokenising)

A team whose code is in other languages, or that wants its own libraries' idioms counted, adds packages of the
"background" split to bench/code_corpus.PACKAGES (any Debian, npm or PyPI package, or a local directory) and
runs the script without --language: the table written holds exactly the languages counted.

The corpus is the "background" split of bench/code_corpus.py: real code of every grammar language that no AI
tool wrote for this project and that neither the tuning nor the held-out body of bench/accuracy.py holds (the
Python standard library and a few annotated site-packages, npm and its bundled dependencies, core-js, lodash,
effect, Go's standard library less net/ and go/, two dozen popular Rust crates, the JDK's java.base, the C headers
under /usr/include, libstdc++'s headers and pybind11, Ruby's standard library and rouge, a dozen Lua packages).
Each language is counted on its own, every hash once per file:

- a structural k-gram hash (`winnow.structural_hashes`) or a lexical one (`winnow.lexical_hashes`: names spelled
  out) is common when at least RATE of the language's files hold it, and never fewer than MIN_FILES. A fixed
  count would give a small language (a few hundred Lua files) almost no boilerplate and a large one (Go's three
  thousand files) too much; a rate keeps "one file in 250" for all (for Python, 8 files, as before). Files of a
  few lines (core-js, npm's dependencies) count as fewer files: see LINES_PER_FILE;
- a name (an identifier's or a string literal's text, `tokens.name_value`, three characters or more) is common
  when NAME_RATE of the language's files hold it: `self`, `err`, `value`, `path`, `"utf-8"`;
- a line (white space around it ignored, `fingerprints.line_hash`) is common at RATE, like a k-gram:
  `if err != nil {`, `case reflect.Bool:`, `return None`. These go to data/lines.bin, apart: they change no
  fingerprint, only what `copy_score` counts as lines a copy kept.

The table is the union over languages (token ids are the same across grammars, so JavaScript's boilerplate
also covers TypeScript's). Rebuild after any change to provguard/provenance/tokens.py or winnow.py, and commit
the data file.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections import Counter
from collections.abc import Iterable
from contextlib import nullcontext
from dataclasses import dataclass
from multiprocessing import Pool
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))

import code_corpus  # noqa: E402

from provguard.languages import Language, by_id  # noqa: E402
from provguard.provenance import winnow  # noqa: E402
from provguard.provenance.background import BITS, DATA_FILE, LINE_BITS, LINES_FILE, encode, encode_lines  # noqa: E402
from provguard.provenance.fingerprints import _tokens, line_hash  # noqa: E402

RATE = 1 / 250
"""A k-gram in this share of a language's background files is boilerplate, not evidence."""
MIN_FILES = 5
"""...and never fewer files than this, so that a small corpus does not take one package's idioms for boilerplate."""
NAME_RATE = 1 / 50
"""A name in this share of a language's files (and in MIN_FILES at least) tells no code apart."""
OUT = REPO / "server" / "provguard" / "provenance" / "data" / DATA_FILE
LINES_OUT = OUT.with_name(LINES_FILE)


LINES_PER_FILE = 150
"""Files shorter than this on average count as fewer files (core-js and npm's dependencies are thousands of
files of a few lines): a language's file count, for its thresholds, is at most its lines / LINES_PER_FILE."""


def threshold(files: int, lines: int, rate: float) -> int:
    return max(MIN_FILES, math.ceil(min(files, lines / LINES_PER_FILE) * rate))


@dataclass
class Counts:
    language: str
    files: int
    lines: int
    kgrams: Counter[int]
    names: Counter[int]

    def common_kgrams(self, rate: float = RATE) -> set[int]:
        least = threshold(self.files, self.lines, rate)
        return {h for h, n in self.kgrams.items() if n >= least}

    def common_names(self, rate: float = NAME_RATE) -> set[int]:
        least = threshold(self.files, self.lines, rate)
        return {h for h, n in self.names.items() if n >= least}


def _structural(ids: list[int], names: list[int]) -> list[int]:
    if hasattr(winnow, "structural_hashes"):
        return winnow.structural_hashes(ids, names)
    return winnow.kgram_hashes(ids, names)


def _lexical(ids: list[int], names: list[int]) -> list[int]:
    if hasattr(winnow, "lexical_hashes"):
        return winnow.lexical_hashes(ids, names, lambda _: False)[0]
    return []


_NAME_FLAGS = (1 << 30) | (1 << 31)
"""tokens.WEAK and tokens.LITERAL: a name's key ignores them (see background.name_key)."""


def _file_hashes(job: tuple[str, str]) -> tuple[int, list[int], list[int]]:
    """(lines, distinct k-gram hashes, distinct names) of one file."""
    language_id, path = job
    language: Language | None = by_id(language_id)
    assert language is not None, language_id
    try:
        source = Path(path).read_bytes()
        tokens = _tokens(source, language)
    except (OSError, ValueError):
        return 0, [], []
    ids = [t[1] for t in tokens]
    names = [t[2] for t in tokens]
    hashes = set(_structural(ids, names))
    hashes.update(_lexical(ids, names))
    return source.count(b"\n"), list(hashes), list({n & ~_NAME_FLAGS for n in names if n and not n & (1 << 30)})


def count(language: str, jobs: int) -> Counts:
    code_corpus.ensure([language])
    paths = code_corpus.files(language, "background")
    counts = Counts(language, len(paths), 0, Counter(), Counter())
    tasks = [(language, str(p)) for p in paths]
    with Pool(jobs) if jobs > 1 else nullcontext() as pool:
        work: Iterable[tuple[int, list[int], list[int]]] = (
            pool.imap_unordered(_file_hashes, tasks, chunksize=16) if pool else map(_file_hashes, tasks))
        for lines, hashes, names in work:
            counts.lines += lines
            counts.kgrams.update(hashes)
            counts.names.update(names)
    return counts


def common_lines(language: str, rate: float = RATE) -> tuple[int, int, set[int]]:
    """(files, lines, the common lines' hashes) of one language's background: each line counted once per file."""
    code_corpus.ensure([language])
    seen: Counter[int] = Counter()
    files = lines = 0
    for path in code_corpus.files(language, "background"):
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        files += 1
        rows = text.splitlines()
        lines += len(rows)
        seen.update({line_hash(row) for row in rows if row.strip()})
    least = threshold(files, lines, rate)
    return files, lines, {h for h, n in seen.items() if n >= least}


def write_lines(languages: list[str], rate: float, dry_run: bool) -> None:
    common: set[int] = set()
    for language in languages:
        files, lines, found = common_lines(language, rate)
        common |= found
        print(f"{language:<11} {files:>6} files {lines:>8} lines: {len(found)} common lines", flush=True)
    data = encode_lines(common)
    filled = 1 - math.exp(-len(common) / (1 << LINE_BITS))
    print(f"lines: {len(common)} common lines in 2**{LINE_BITS} bits: {filled:.2%} of other lines taken for common; "
          f"{len(data)} bytes compressed")
    if not dry_run:
        LINES_OUT.write_bytes(data)
        print(f"wrote {LINES_OUT}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--language", action="append", choices=code_corpus.LANGUAGES,
                        help="only these languages (repeat; default: all)")
    parser.add_argument("--rate", type=float, default=RATE)
    parser.add_argument("--name-rate", type=float, default=NAME_RATE)
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--dry-run", action="store_true")
    parser.add_argument("--lines-only", action="store_true", help="only the common lines (data/lines.bin)")
    args = parser.parse_args()
    started = time.monotonic()
    write_lines(args.language or code_corpus.LANGUAGES, args.rate, args.dry_run)
    if args.lines_only:
        return 0
    kgrams: set[int] = set()
    names: set[int] = set()
    print(f"{'language':<11} {'files':>6} {'lines':>8} {'distinct k-grams':>17} {'threshold':>9} "
          f"{'common k-grams':>15} {'of them lexical':>15} {'common names':>13} {'seconds':>8}")
    for language in args.language or code_corpus.LANGUAGES:
        t0 = time.monotonic()
        counts = count(language, args.jobs)
        common, common_names = counts.common_kgrams(args.rate), counts.common_names(args.name_rate)
        kgrams |= common
        names |= common_names
        least = threshold(counts.files, counts.lines, args.rate)
        print(f"{language:<11} {counts.files:>6} {counts.lines:>8} {len(counts.kgrams):>17} {least:>9} "
              f"{len(common):>15} {sum(h & 1 for h in common):>15} {len(common_names):>13} "
              f"{time.monotonic() - t0:>8.0f}", flush=True)
        del counts
    data = encode(kgrams, names)
    keys = len(kgrams) + len(names)
    filled = 1 - math.exp(-keys / (1 << BITS))
    print(f"table: {len(kgrams)} common k-grams and {len(names)} common names, {keys} keys in 2**{BITS} bits: "
          f"{filled:.2%} of bits set, so {filled:.2%} of other k-grams are taken for common; "
          f"{len(data)} bytes compressed; {time.monotonic() - started:.0f} s")
    if not args.dry_run:
        OUT.write_bytes(data)
        print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
