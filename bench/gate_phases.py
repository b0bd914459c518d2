"""Where a cold `provguard check` spends its CPU on one core, phase by phase (`check_gate.py --phases`).

Each phase runs over the whole tree in this process and is timed as CPU time (immune to waiting for a core on a
shared machine), per MB of source. Beside the token walk stand two floors of the tree-sitter binding itself: a
cursor moved over every node and nothing else, and the same asking each node's kind; a token walk cannot cost
less than the second, whatever it does with the nodes. The prefilter phase is what `provguard check` does per file
once it has the tree (`LedgerPrints.tokens`: token walk, k-gram hashing, name prints, the ledger's intersection);
it hashes with NumPy once the process has hashed enough tokens (`check_kgrams`), as a check does.
"""

from __future__ import annotations

import time
from itertools import pairwise
from pathlib import Path

import tree_sitter as ts

from provguard.check_kgrams import kgram_arrays
from provguard.check_prefilter import LedgerPrints
from provguard.documents import Document
from provguard.languages import detect
from provguard.ledger.sqlite import SqliteLedger
from provguard.provenance.tokens import tree_token_columns
from provguard.provenance.winnow import K, every_kgram


def _navigate(tree: ts.Tree) -> None:
    """Every node visited by a cursor, nothing asked of it: the least any walk costs."""
    cursor = tree.walk()
    first_child, next_sibling, parent = cursor.goto_first_child, cursor.goto_next_sibling, cursor.goto_parent
    while True:
        if first_child():
            continue
        while not next_sibling():
            if not parent():
                return


def _kinds(tree: ts.Tree) -> None:
    """Every node visited and asked its kind: what deciding anything about a node costs at least."""
    cursor = tree.walk()
    first_child, next_sibling, parent = cursor.goto_first_child, cursor.goto_next_sibling, cursor.goto_parent
    while True:
        cursor.node.kind_id  # noqa: B018 - the attribute read is what is measured
        if first_child():
            continue
        while not next_sibling():
            if not parent():
                return


PHASES = ("read the files", "tree-sitter parse", "binding floor: a cursor over every node",
          "binding floor: ... asking each node's kind", "token walk (tree_token_columns)",
          "k-gram hashing (every_kgram)", "the same hashes with NumPy (check_kgrams.kgram_arrays)",
          "prefilter per file, tree given (walk + hashing + ledger)")


def phases(root: Path, batch: int = 100) -> list[tuple[str, float]]:
    """(phase, CPU seconds per MB) over the .py files of the project at `root`, its ledger included; `batch` files
    at a time (trees take about 1 MB per 1,000 lines)."""
    files = sorted(p for p in root.rglob("*.py") if ".provguard" not in p.parts)
    spent = [0.0] * len(PHASES)
    size = 0
    ledger = SqliteLedger(root / ".provguard" / "ledger.sqlite3")
    try:
        prints = LedgerPrints.load(ledger)
        assert prints is not None
        for at in range(0, len(files), batch):
            size += _batch(files[at:at + batch], prints, ledger, spent)
    finally:
        ledger.close()
    return [(phase, seconds / (size / 1e6)) for phase, seconds in zip(PHASES, spent, strict=True)]


def _batch(files: list[Path], prints: LedgerPrints, ledger: SqliteLedger, spent: list[float]) -> int:
    """Adds each phase's CPU seconds over `files` to `spent`; returns their size in bytes."""
    language = detect("x.py")
    parser = language.parser()
    clock = time.process_time
    marks = [clock()]
    sources = [p.read_bytes() for p in files]
    marks.append(clock())
    trees = [parser.parse(s) for s in sources]
    marks.append(clock())
    for tree in trees:
        _navigate(tree)
    marks.append(clock())
    for tree in trees:
        _kinds(tree)
    marks.append(clock())
    columns = [tree_token_columns(t, language, 0, len(s), s) for t, s in zip(trees, sources, strict=True)]
    marks.append(clock())
    for _, ids, names in columns:
        every_kgram(ids, names)
    marks.append(clock())
    for _, ids, names in columns:
        if len(ids) >= K:
            kgram_arrays(ids, names)
    marks.append(clock())
    docs = [Document(str(p), language, s, parse=False) for p, s in zip(files, sources, strict=True)]
    for doc, tree in zip(docs, trees, strict=True):
        doc.tree = tree
    started = clock()
    for doc in docs:
        prints.tokens(doc, ledger)
    marks += [started, clock()]
    durations = [b - a for a, b in pairwise(marks)]
    durations = durations[:7] + durations[8:]  # the documents' set-up between the last two phases is not timed
    for i, seconds in enumerate(durations):
        spent[i] += seconds
    return sum(map(len, sources))
