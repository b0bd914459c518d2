"""Builds provguard's background frequency table (server/provguard/provenance/data/background.bin).

    python tools/build_background.py            # from this machine's code; prints what it read
    python tools/build_background.py --dry-run  # the counts only, no file written

The corpus is code shipped with the machine that no AI tool wrote for this project: the Python standard
library (without site-packages), a few annotated packages of provguard's test environment (SITE_PACKAGES), the
JavaScript of node's bundled npm, the C headers under /usr/include, and Java sources of an installed JDK
(src.zip, the first MAX_JAVA_FILES in name order). Every k-gram hash of every file is counted once per file; a
hash found in at least MIN_FILES files is "common" and is never chosen as a fingerprint (see
provguard.provenance.background). Files over MAX_BYTES are skipped (generated tables, not code people write).

Rebuild after any change to provguard/provenance/tokens.py or winnow.py, and commit the data file.
"""

from __future__ import annotations

import argparse
import sys
import sysconfig
import zipfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from provguard.languages import detect
from provguard.provenance.background import DATA_FILE, encode
from provguard.provenance.fingerprints import _tokens
from provguard.provenance.winnow import kgram_hashes

MIN_FILES = 8
"""A k-gram in this many distinct files of the corpus is boilerplate, not evidence."""
MAX_BYTES = 512 * 1024
OUT = Path(__file__).resolve().parents[1] / "server" / "provguard" / "provenance" / "data" / DATA_FILE


JDK_SOURCES = "/usr/lib/jvm/*/lib/src.zip"
MAX_JAVA_FILES = 4000
SITE_PACKAGES = ("mypyc", "typing_extensions.py", "pytest_asyncio")
"""Modern annotated Python, which the standard library has little of: installed with provguard's test
dependencies, and used by neither body of bench/accuracy.py."""


def corpus() -> Iterator[tuple[str, str, bytes]]:
    """(body, file name, bytes) for every file of the corpus, in a stable order."""
    for body, path in _files():
        try:
            if path.is_file() and path.stat().st_size <= MAX_BYTES:
                yield body, path.name, path.read_bytes()
        except OSError:
            continue
    yield from _java()


def _java() -> Iterator[tuple[str, str, bytes]]:
    for source in sorted(Path("/").glob(JDK_SOURCES.lstrip("/"))):
        if not source.is_file():
            continue
        with zipfile.ZipFile(source) as archive:
            names = sorted(n for n in archive.namelist() if n.endswith(".java"))
            for name in names[:MAX_JAVA_FILES]:
                info = archive.getinfo(name)
                if info.file_size <= MAX_BYTES:
                    yield "jdk java", name, archive.read(name)
        return


def _files() -> Iterator[tuple[str, Path]]:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    for path in sorted(stdlib.rglob("*.py")):
        if "site-packages" not in path.parts:
            yield "python stdlib", path
    packages = Path(sysconfig.get_paths()["purelib"])
    for name in SITE_PACKAGES:
        root = packages / name
        for path in [root] if root.is_file() else sorted(root.rglob("*.py")):
            yield "python, annotated (site-packages)", path
    for base in (Path("/usr/lib/node_modules/npm"), Path("/usr/local/lib/node_modules/npm")):
        for path in sorted(base.rglob("*.js")):
            yield "npm javascript", path
    for path in sorted(Path("/usr/include").rglob("*.h")):
        yield "c headers", path


def count(min_files: int) -> tuple[set[int], Counter[str]]:
    seen: Counter[int] = Counter()
    files: Counter[str] = Counter()
    for body, name, source in corpus():
        tokens = _tokens(source, detect(name))
        seen.update(set(kgram_hashes([t[1] for t in tokens], [t[2] for t in tokens])))
        files[body] += 1
    return {h for h, n in seen.items() if n >= min_files}, files


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--min-files", type=int, default=MIN_FILES)
    parser.add_argument("--dry-run", action="store_true")
    args = parser.parse_args()
    common, files = count(args.min_files)
    for body, n in sorted(files.items()):
        print(f"{body}: {n} files")
    data = encode(common)
    print(f"{len(common)} common k-grams (in >= {args.min_files} files), {len(data)} bytes compressed")
    if not args.dry_run:
        OUT.write_bytes(data)
        print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
