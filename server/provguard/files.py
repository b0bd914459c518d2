"""Files on disk as documents, for the CLI: which files to read, and why some are skipped."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from provguard.documents import Document
from provguard.languages import detect

MAX_FILE_BYTES = 8 << 20
SKIPPED_DIRS = frozenset({".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", "venv", ".mypy_cache",
                          ".ruff_cache", ".pytest_cache", ".tox", ".provguard"})


@dataclass(frozen=True)
class SkippedFile:
    path: str
    reason: str


def walk(paths: Sequence[Path]) -> Iterator[Path]:
    """Files under the given paths in a stable order, skipping VCS, dependency and cache folders."""
    for root in paths:
        if root.is_file():
            yield root
            continue
        for folder, dirs, files in os.walk(root):
            dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS)
            for name in sorted(files):
                yield Path(folder) / name


def read_document(path: Path, display: str) -> Document | SkippedFile:
    """The file as a document; huge and binary files are skipped with the reason, never parsed."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return SkippedFile(display, f"larger than {MAX_FILE_BYTES >> 20} MiB")
        data = path.read_bytes()
    except OSError as exc:
        return SkippedFile(display, f"cannot read: {exc.strerror or exc}")
    if b"\0" in data[:8192]:
        return SkippedFile(display, "binary file")
    return Document(display, detect(str(path)), data)


def relative_to_root(path: Path, root: Path) -> str:
    """The path rules see: relative to the project root, with forward slashes."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.resolve().as_posix()
