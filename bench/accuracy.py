"""Fingerprint accuracy: recall on disguised copies of real snippets, false flags on unrelated code.

    python bench/accuracy.py                 # about a minute; prints the report
    python bench/accuracy.py --snippets 100  # smaller
    python bench/accuracy.py --min-prints 4 --min-coverage 0.5   # the same run at other thresholds

Snippets: distinct functions (sharing at most half their fingerprints with one chosen before) of up to 40
lines holding at least MIN_CODE_LINES = 8 lines of code (blank lines, comments
and docstrings do not count), taken from Python packages installed beside provguard (SNIPPET_PACKAGES,
vendored copies excluded). Each is recorded in a fresh SQLite ledger as an agent edit, then hidden in a file
of an unrelated package in several disguises: moved (pasted whole into the middle of another file), renamed
(every name replaced), re-indented (nested in a class, two-space indents), reformatted (quotes swapped,
calls wrapped one argument a line, comments and blank lines added), partly edited (one line of code in
EDITED_SHARE = 6 edited, at least one: in turn a one-line statement replaced by another, a line added, a line
deleted), and all of these at once. A copy counts as found when a region naming its
edit overlaps it; the report also gives the share of the copies' lines such regions cover.

False flags: every file of a separate body of unrelated packages (UNRELATED_PACKAGES) is checked against
the same ledger, which also holds agent edits of pure boilerplate (imports, getters, licence headers) and 40
whole files of the snippet packages (agents write whole modules too); any region found there is a false flag.
Recall on those whole files is measured too: up to two functions of each, with every disguise, hidden like the
snippets ("part of a file": the copy holds a small share of the edit's fingerprints). Thresholds are the
shipped ones unless overridden.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import sysconfig
import tempfile
import textwrap
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from provguard.documents import Document
from provguard.languages import detect
from provguard.ledger.model import AgentEdit
from provguard.ledger.sqlite import SqliteLedger
from provguard.provenance import matching
from provguard.provenance.fingerprints import document_prints, insertion_prints
from provguard.provenance.origin import Evidence
from provguard.provenance.winnow import GUARANTEE, WINDOW, K

SNIPPET_PACKAGES = ("pip", "setuptools", "hypothesis", "_pytest", "pygments", "jsonschema", "attr", "cattrs")
UNRELATED_PACKAGES = ("mypy", "pygls", "lsprotocol", "pluggy", "referencing", "yaml", "pytest_lsp",
                      "sortedcontainers", "iniconfig", "pathspec", "packaging")
VARIANTS = ("moved", "renamed", "re-indented", "reformatted", "partly edited", "all together")
KEYWORDS = frozenset({"False", "None", "True", "and", "as", "assert", "async", "await", "break", "class",
    "continue", "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in",
    "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while", "with", "yield", "self",
    "cls", "print", "len", "range", "str", "int", "list", "dict", "set", "tuple", "isinstance", "super"})

BOILERPLATE = (
    "import os\nimport sys\nimport json\nimport logging\nimport re\nfrom pathlib import Path\n"
    "from typing import Any, Optional\nfrom collections import defaultdict\n\nlog = logging.getLogger(__name__)\n",
    "class Record:\n" + "".join(f"    @property\n    def {n}(self):\n        return self._{n}\n\n    "
                                f"@{n}.setter\n    def {n}(self, value):\n        self._{n} = value\n\n"
                                for n in ("name", "path", "size", "owner")),
    "# Copyright (c) 2025 Example Corp.\n#\n# Licensed under the Apache License, Version 2.0 (the \"License\");\n"
    "# you may not use this file except in compliance with the License.\n\nfrom __future__ import annotations\n\n"
    "__all__ = [\"main\"]\n\n\ndef main():\n    pass\n\n\nif __name__ == \"__main__\":\n    main()\n",
    "class Config:\n    def __init__(self, name, path, size, mode):\n        self.name = name\n"
    "        self.path = path\n        self.size = size\n        self.mode = mode\n\n"
    "    def __repr__(self):\n        return f\"Config({self.name!r})\"\n\n"
    "    def __eq__(self, other):\n        return isinstance(other, Config) and self.name == other.name\n",
)


MIN_CODE_LINES = 8
"""The guarantee is about snippets of 8 or more lines of code: blank lines, comments and docstrings do not
count."""


@dataclass(frozen=True)
class Snippet:
    id: str
    source: str
    text: str


def site_packages() -> Path:
    return Path(sysconfig.get_paths()["purelib"])


def package_files(names: tuple[str, ...]) -> list[Path]:
    base = site_packages()
    files: list[Path] = []
    for name in names:
        root = base / name
        if root.is_dir():
            files += [p for p in sorted(root.rglob("*.py")) if "_vendor" not in p.parts and "test" not in p.name]
    return files


def snippets(count: int, rng: random.Random) -> list[Snippet]:
    files = package_files(SNIPPET_PACKAGES)
    rng.shuffle(files)
    found: list[Snippet] = []
    seen: set[int] = set()  # the chosen snippets' fingerprints
    for path in files:
        try:
            source = path.read_bytes()
        except OSError:
            continue
        doc = Document(str(path), detect(path.name), source)
        assert doc.tree is not None
        functions = [n for n in _walk(doc.tree.root_node) if n.type == "function_definition"
                     and n.end_point[0] - n.start_point[0] + 1 <= 40]
        rng.shuffle(functions)
        for node in functions[:2]:
            start = doc.lines.line_bounds(node.start_point[0])[0]
            text = doc.source[start:node.end_byte].decode("utf-8", errors="replace") + "\n"
            if len(_code_rows(text)) < MIN_CODE_LINES:
                continue
            prints = set(insertion_prints(text, path.name).fingerprints)
            if sum(h in seen for h in prints) * 2 > len(prints):
                continue  # the same code under other names (packages repeat themselves): either would be right
            seen |= prints
            rel = path.relative_to(site_packages()).as_posix()
            found.append(Snippet(f"s{len(found)}", f"{rel}:{node.start_point[0] + 1}", text))
            if len(found) == count:
                return found
    return found


def _walk(node):  # type: ignore[no-untyped-def]
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(current.children)


# -- disguises -------------------------------------------------------------------------------------------

_NAME = re.compile(r"(?<![.\w])([A-Za-z_]\w*)(?![\w'\"])")
"""A name: not an attribute (after a dot), not a string's prefix (f"...")."""


def renamed(text: str) -> str:
    """Every name that is not a keyword, builtin or attribute replaced by a new one, consistently."""
    names: dict[str, str] = {}

    def new(match: re.Match[str]) -> str:
        word = match.group(1)
        if word in KEYWORDS:
            return word
        return names.setdefault(word, f"n{len(names)}_{word[::-1][:3]}")

    return "\n".join(_NAME.sub(new, line) if not line.lstrip().startswith(("#", '"', "'")) else line
                     for line in text.splitlines()) + "\n"


def reindented(text: str) -> str:
    lines = []
    for line in text.splitlines():
        stripped = line.lstrip(" ")
        depth = (len(line) - len(stripped)) // 4
        lines.append(("  " * (depth + 1) + stripped) if stripped else "")
    return "class Wrapper:\n" + "\n".join(lines) + "\n"


def reformatted(text: str, rng: random.Random) -> str:
    out = []
    for line in text.splitlines():
        swapped = line.replace("'", '"') if '"' not in line else line
        indent = swapped[:len(swapped) - len(swapped.lstrip())]
        call = re.match(r"^(\s*[^#'\"]*?\w\()([^()'\"]+,[^()'\"]+)\)(:?)$", swapped)
        if call:
            args = [a.strip() for a in call.group(2).split(",") if a.strip()]
            out.append(call.group(1))
            out += [f"{indent}    {a}," for a in args]
            out.append(f"{indent}){call.group(3)}")
        else:
            out.append(swapped)
        if swapped.strip() and rng.random() < 0.15:
            out.append(f"{indent}# reviewed\n")
    return "\n".join(out) + "\n"


EDITED_SHARE = 6
"""Partly edited copies have one line in this many edited (at least one): changed, inserted or deleted."""
_SIMPLE_STATEMENTS = frozenset({"expression_statement", "return_statement", "raise_statement", "assert_statement",
                                "pass_statement", "delete_statement", "global_statement", "nonlocal_statement"})


def partly_edited(text: str, rng: random.Random) -> str:
    """One line in EDITED_SHARE edited, as a person would: the first a changed statement, the second an added
    line, the third a deleted one, and so on, each on a different one-line statement (the copy still parses)."""
    lines = text.splitlines()
    edits = max(1, len(_code_rows(text)) // EDITED_SHARE)
    rows = sorted(_one_line_statements(text) - {0}) or list(range(1, len(lines)))
    chosen = sorted(rng.sample(rows, min(edits, len(rows))), reverse=True)
    for n, row in enumerate(chosen):  # bottom up, so earlier rows keep their numbers
        indent = lines[row][:len(lines[row]) - len(lines[row].lstrip())]
        kind = n % 3
        if kind == 0:
            lines[row] = f"{indent}value_{row} = compute(value_{row}, {row})"
        elif kind == 1:
            lines.insert(row, f"{indent}trace('here', {row})")
        else:
            del lines[row]
    return "\n".join(lines) + "\n"


def _one_line_statements(text: str) -> set[int]:
    doc = Document.from_text("s.py", detect("s.py"), textwrap.dedent(text))
    assert doc.tree is not None
    return {n.start_point[0] for n in _walk(doc.tree.root_node)
            if n.type in _SIMPLE_STATEMENTS and n.start_point[0] == n.end_point[0]
            and not (n.type == "expression_statement" and n.named_child_count == 1
                     and n.named_children[0].type == "string")}


def _code_rows(text: str) -> set[int]:
    """Rows on which a token of code starts: not blank, not only a comment, not inside a docstring or any other
    string spanning lines."""
    doc = Document.from_text("s.py", detect("s.py"), textwrap.dedent(text))
    assert doc.tree is not None
    rows: set[int] = set()
    stack = [doc.tree.root_node]
    while stack:
        node = stack.pop()
        if node.type == "comment" or (node.type == "expression_statement" and node.named_child_count == 1
                                      and node.named_children[0].type == "string"):
            continue
        if node.type == "string" or node.child_count == 0:
            rows.add(node.start_point[0])
            continue
        stack.extend(node.children)
    return rows


def disguise(variant: str, text: str, rng: random.Random) -> str:
    if variant == "renamed":
        return renamed(text)
    if variant == "re-indented":
        return reindented(text)
    if variant == "reformatted":
        return reformatted(text, rng)
    if variant == "partly edited":
        return partly_edited(text, rng)
    if variant == "all together":
        return reindented(reformatted(renamed(partly_edited(text, rng)), rng))
    return text


def hide(copy: str, host: str, rng: random.Random) -> tuple[str, int, int]:
    """The host text with the copy pasted before one of its top-level statements; the copy's first and last
    line (0-based)."""
    doc = Document.from_text("host.py", detect("host.py"), host)
    assert doc.tree is not None
    tops = sorted({child.start_point[0] for child in doc.tree.root_node.children}) or [0]
    at = rng.choice(tops)
    lines = host.splitlines()
    copy_lines = textwrap.dedent(copy).splitlines()  # pasted at the top level, as a function is
    merged = [*lines[:at], "", *copy_lines, "", *lines[at:]]
    return "\n".join(merged) + "\n", at + 1, at + len(copy_lines)


# -- the run ---------------------------------------------------------------------------------------------


def regions_of(ledger: SqliteLedger, path: str, text: str) -> list[matching.Region]:
    doc = Document.from_text(path, detect(path), text)
    return matching.find_regions(ledger, path, doc, document_prints(doc))


def run(args: argparse.Namespace) -> int:
    if args.min_prints is not None:
        matching.MIN_PRINTS = args.min_prints
    if args.gap is not None:
        matching.GAP_LINES = args.gap
    if args.min_lines is not None:
        matching.MIN_LINES = args.min_lines
    if args.min_coverage is not None:
        matching.MIN_COVERAGE = args.min_coverage
    if args.strong is not None:
        matching.STRONG_PRINTS = args.strong
    if args.gap_share is not None:
        matching.GAP_SHARE = args.gap_share
    if args.strong_density is not None:
        matching.STRONG_DENSITY = args.strong_density
    rng = random.Random(args.seed)
    started = time.perf_counter()
    chosen = snippets(args.snippets, rng)
    hosts = [p for p in package_files(UNRELATED_PACKAGES) if 2_000 < p.stat().st_size < 60_000]
    rng.shuffle(hosts)
    with tempfile.TemporaryDirectory() as tmp:
        ledger = SqliteLedger(Path(tmp) / "ledger.sqlite3")
        edits = [_edit(s.id, f"recorded/{s.id}.py", s.text) for s in chosen]
        edits += [_edit(f"boiler{i}", f"recorded/boiler{i}.py", text) for i, text in enumerate(BOILERPLATE)]
        wholes = whole_files(chosen, args.whole_files, random.Random(args.seed + 1))
        edits += [_edit(f"file{i}", f"recorded/file{i}.py", text) for i, text in enumerate(wholes)]
        ledger.add_agent_edits(edits)
        found: Counter[str] = Counter()
        covered: Counter[str] = Counter()
        copied: Counter[str] = Counter()
        for index, snippet in enumerate(chosen):
            host = hosts[index % len(hosts)].read_text(encoding="utf-8", errors="replace")
            for variant in VARIANTS:
                copy = disguise(variant, snippet.text, rng)
                text, first, last = hide(copy, host, rng)
                mine = [r for r in regions_of(ledger, "scanned/host.py", text) if r.edit_id == snippet.id]
                overlap = sum(_overlap(r, first, last) for r in mine)
                found[variant] += overlap > 0
                covered[variant] += overlap
                copied[variant] += last - first + 1
        parts = parts_of(wholes, rng)
        parts_found = 0
        for index, (number, part) in enumerate(parts):
            host = hosts[(index + len(chosen)) % len(hosts)].read_text(encoding="utf-8", errors="replace")
            text, first, last = hide(disguise("all together", part, rng), host, rng)
            parts_found += any(r.edit_id == f"file{number}" and _overlap(r, first, last)
                               for r in regions_of(ledger, "scanned/host.py", text))
        body = package_files(UNRELATED_PACKAGES)[:args.unrelated_files]
        flagged_files, flagged_regions, flagged_lines, total_lines = 0, 0, 0, 0
        examples: list[str] = []
        for path in body:
            text = path.read_text(encoding="utf-8", errors="replace")
            total_lines += text.count("\n") + 1
            regions = regions_of(ledger, "scanned/" + path.name, text)
            if regions:
                flagged_files += 1
                flagged_regions += len(regions)
                flagged_lines += sum(r.last_line - r.first_line + 1 for r in regions)
                examples += [f"{path.relative_to(site_packages())}:{r.first_line + 1}-{r.last_line + 1} "
                             f"~ {r.edit_id} ({r.strength} prints)" for r in regions]
        ledger.close()
    elapsed = time.perf_counter() - started
    n = len(chosen)
    lines = [len(_code_rows(s.text)) for s in chosen]
    print(f"fingerprint accuracy (k={K} tokens, window={WINDOW}, guarantee={GUARANTEE} tokens; "
          f"MIN_PRINTS={matching.MIN_PRINTS}, GAP_LINES={matching.GAP_LINES}, "
          f"MIN_LINES={matching.MIN_LINES}, MIN_COVERAGE={matching.MIN_COVERAGE}, "
          f"STRONG_PRINTS={matching.STRONG_PRINTS}, STRONG_DENSITY={matching.STRONG_DENSITY}, "
          f"GAP_SHARE={matching.GAP_SHARE}, MAX_GAP_LINES={matching.MAX_GAP_LINES}; seed {args.seed})")
    print(f"snippets: {n} functions of {min(lines)}-{max(lines)} lines of code (median {sorted(lines)[n // 2]}) from "
          f"{', '.join(SNIPPET_PACKAGES)}")
    print("recall (copy hidden in an unrelated file): copies found, and the share of their lines covered")
    for variant in VARIANTS:
        print(f"  {variant:<14} {found[variant]:>4}/{n}  {100 * found[variant] / n:5.1f}%   "
              f"lines covered {100 * covered[variant] / max(copied[variant], 1):5.1f}%")
    print(f"  {'part of a file':<14} {parts_found:>4}/{len(parts)}  {100 * parts_found / max(len(parts), 1):5.1f}%   "
          "(a function of a recorded whole file, with every disguise)")
    print(f"false flags on {len(body)} unrelated files ({total_lines} lines) from {', '.join(UNRELATED_PACKAGES)},")
    print(f"  against a ledger of {n} snippets + {len(BOILERPLATE)} boilerplate edits + {len(wholes)} whole files "
          f"({sum(t.count(chr(10)) for t in wholes)} lines):")
    print(f"  files flagged {flagged_files}/{len(body)}, regions {flagged_regions}, "
          f"lines {flagged_lines} ({100 * flagged_lines / max(total_lines, 1):.3f}% of lines)")
    for example in examples[:args.show]:
        print(f"    {example}")
    print(f"({elapsed:.0f} s)")
    return 0


def whole_files(chosen: list[Snippet], count: int, rng: random.Random) -> list[str]:
    """Whole files of the snippet packages (none a snippet came from), as an agent writes new modules: long
    edits whose scattered structure must not add up to a match in unrelated code."""
    used = {s.source.rsplit(":", 1)[0] for s in chosen}
    files = [p for p in package_files(SNIPPET_PACKAGES) if 4_000 < p.stat().st_size < 40_000
             and p.relative_to(site_packages()).as_posix() not in used]
    rng.shuffle(files)
    return [p.read_text(encoding="utf-8", errors="replace") for p in files[:count]]


def parts_of(wholes: list[str], rng: random.Random) -> list[tuple[int, str]]:
    """Up to two functions (>= MIN_CODE_LINES lines of code) of each whole file: (its number, the function)."""
    found: list[tuple[int, str]] = []
    for number, text in enumerate(wholes):
        doc = Document.from_text("w.py", detect("w.py"), text)
        assert doc.tree is not None
        functions = [n for n in _walk(doc.tree.root_node) if n.type == "function_definition"
                     and n.end_point[0] - n.start_point[0] + 1 <= 40]
        rng.shuffle(functions)
        taken = 0
        for node in functions:
            start = doc.lines.line_bounds(node.start_point[0])[0]
            part = doc.source[start:node.end_byte].decode("utf-8", errors="replace") + "\n"
            if len(_code_rows(part)) >= MIN_CODE_LINES and taken < 2:
                found.append((number, part))
                taken += 1
    return found


def _edit(edit_id: str, path: str, text: str) -> AgentEdit:
    prints = insertion_prints(text, path)
    return AgentEdit(id=edit_id, tool="claude-code", path=path, time="2026-11-25T00:00:00+00:00",
                     evidence=Evidence.HOOK, vendor="anthropic", lines=prints.lines,
                     fingerprints=prints.fingerprints, line_hashes=prints.line_hashes)


def _overlap(region: matching.Region, first: int, last: int) -> int:
    return max(0, min(region.last_line, last) - max(region.first_line, first) + 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--snippets", type=int, default=300)
    parser.add_argument("--unrelated-files", type=int, default=400)
    parser.add_argument("--whole-files", type=int, default=40, help="whole files recorded as edits (default 40)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--min-prints", type=int)
    parser.add_argument("--gap", type=int)
    parser.add_argument("--min-lines", type=int)
    parser.add_argument("--min-coverage", type=float)
    parser.add_argument("--strong", type=int)
    parser.add_argument("--gap-share", type=float)
    parser.add_argument("--strong-density", type=float)
    parser.add_argument("--show", type=int, default=10, help="false flags listed (default 10)")
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
