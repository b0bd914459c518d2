"""The k-gram hashes `provguard check` screens files with are the very ones fingerprints are made of, whether
computed by `winnow.every_kgram` or with NumPy (`check_kgrams`): on real files of several languages, on token
streams full of back-references, literals and short names, and in what the ledger is found to share with a file."""

from __future__ import annotations

import random
import sysconfig
from pathlib import Path

import pytest

from provguard.check_kgrams import FileKgrams, HeldHashes, KgramHasher, every_kgram_numpy
from provguard.documents import Document
from provguard.languages import detect
from provguard.provenance.tokens import LITERAL, WEAK, tree_token_columns
from provguard.provenance.winnow import K, every_kgram

pytest.importorskip("numpy")

STDLIB = Path(sysconfig.get_paths()["stdlib"])


def _real_files() -> list[Path]:
    """Real code of several grammar languages: the standard library, and C and JavaScript files installed packages
    ship."""
    site = Path(sysconfig.get_paths()["purelib"])
    files = [STDLIB / name for name in ("textwrap.py", "csv.py", "asyncio/base_events.py",
                                        "email/_header_value_parser.py")]
    for pattern in ("*.c", "*.h", "*.js"):
        files += sorted(p for p in site.rglob(pattern) if 2_000 < p.stat().st_size < 200_000)[:2]
    return files


def _columns(path: Path) -> tuple[list[int], list[int]]:
    source = path.read_bytes()
    language = detect(str(path))
    doc = Document(str(path), language, source)
    assert doc.tree is not None
    _, ids, names = tree_token_columns(doc.tree, language, 0, len(source), source)
    return ids, names


@pytest.mark.parametrize("path", _real_files(), ids=lambda p: p.name)
def test_a_real_files_hashes_are_the_same_computed_with_numpy(path: Path) -> None:
    ids, names = _columns(path)
    assert len(ids) > 100  # a real stream, not a few tokens
    assert every_kgram_numpy(ids, names) == every_kgram(ids, names)


@pytest.mark.parametrize("length", [0, 1, K - 1, K, K + 1, 40, 5_000])
def test_streams_full_of_repeated_names_hash_the_same(length: int) -> None:
    rng = random.Random(length)
    pool = [rng.randrange(1, 1 << 30) for _ in range(6)]  # few names: back-references at every distance
    kinds = [lambda: 0, lambda: rng.choice(pool), lambda: rng.choice(pool) | LITERAL,
             lambda: rng.randrange(1, 4) | WEAK, lambda: rng.randrange(1, 1 << 30)]
    ids = [rng.randrange(1 << 32) for _ in range(length)]
    names = [rng.choice(kinds)() for _ in range(length)]
    assert every_kgram_numpy(ids, names) == every_kgram(ids, names)


@pytest.mark.parametrize("others", [500, 300_000], ids=["small ledger", "large ledger"])
@pytest.mark.parametrize("path", _real_files()[:3], ids=lambda p: p.name)
def test_what_a_ledger_shares_with_a_file_is_found_alike_from_lists_and_arrays(path: Path, others: int) -> None:
    ids, names = _columns(path)
    structural, lexical = every_kgram(ids, names)
    rng = random.Random(7)  # a ledger holding some of the file's hashes and `others` unrelated ones
    held = HeldHashes(frozenset(structural[::50] + lexical[3::40] + [rng.getrandbits(64) - (1 << 63)
                                                                     for _ in range(others)]))
    from_lists = FileKgrams(structural, lexical)
    from_arrays = KgramHasher(numpy_after=0)(ids, names)
    assert type(from_arrays) is not FileKgrams  # NumPy's arrays, not lists
    assert from_arrays.held(held) == from_lists.held(held) == held.hashes & {*structural, *lexical}
    assert from_arrays.held(HeldHashes(frozenset())) == set()
    assert from_arrays.lists() == from_lists.lists()


def test_a_process_hashes_in_python_until_numpy_pays_for_its_import() -> None:
    ids, names = _columns(STDLIB / "textwrap.py")
    hasher = KgramHasher(numpy_after=len(ids) * 2)
    first = hasher(ids, names)
    assert type(first) is FileKgrams
    hasher(ids, names)
    assert type(hasher(ids, names)) is not FileKgrams
    assert hasher(ids, names).lists() == first.lists()
