"""Texts of files being edited, read instead of the files on disk while a pack is checked in the editor.

An editor shows a pack's errors as the person types, before the file is saved; the pack may extend or
include other files that are open and unsaved too. The loader reads every file through `read_source`, which
asks here first, so one load sees the editor's view of the whole pack family. Outside `editing(...)` the
files on disk are read, as the CLI and the policy in force always do.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

_TEXTS: ContextVar[Mapping[str, str] | None] = ContextVar("provguard_open_texts", default=None)


@contextmanager
def editing(texts: Mapping[Path, str]) -> Iterator[None]:
    """Within the block, `text_of(path)` gives the editor's text for these files."""
    token = _TEXTS.set({_key(path): text for path, text in texts.items()})
    try:
        yield
    finally:
        _TEXTS.reset(token)


def text_of(path: str | Path) -> str | None:
    texts = _TEXTS.get()
    return texts.get(_key(Path(path))) if texts else None


def _key(path: Path) -> str:
    try:
        return str(path.resolve())
    except OSError:
        return str(path.absolute())
