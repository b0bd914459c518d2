"""Files on disk as documents, for the CLI: which files to read, and why some are skipped.

A tree holds more than source files: FIFOs (reading one waits for a writer forever), links to devices
(`/dev/zero` never ends), link loops, dangling links, links out of the project. Only regular files are read,
each read stops one byte past the size limit whatever the file's size claims, and everything else is a
`SkippedFile` with its reason, said once.
"""

from __future__ import annotations

import errno
import os
import stat
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from provguard.ignores import Matcher, Selection

if TYPE_CHECKING:
    from provguard.documents import Document

MAX_FILE_BYTES = 8 << 20
"""The largest text judged anywhere: `check` skips a larger file, the language server keeps a larger open
document's text but does not judge it (session.py), the guard and imports do not read one."""
_CHUNK = 1 << 20
_OPEN_FLAGS = (os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
               | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0))
"""Non-blocking, so that a FIFO swapped in after the type check cannot stall the open; no controlling tty."""
_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "FIFO"), (stat.S_ISSOCK, "socket"),
          (stat.S_ISCHR, "character device"), (stat.S_ISBLK, "block device"))


@dataclass(frozen=True)
class SkippedFile:
    path: str
    reason: str


_KINDS_SKIPPED = (("binary file", "binary", "binary"),
                  ("not a regular file", "not a regular file", "not regular files"),
                  ("symbolic link loop", "symbolic link loop", "symbolic link loops"),
                  ("dangling symbolic link", "dangling link", "dangling links"),
                  ("symbolic link to a folder", "linked folder", "linked folders"),
                  ("symbolic link to ", "link out of the project", "links out of the project"),
                  ("cannot list the folder", "folder not listed", "folders not listed"),
                  ("cannot read", "unreadable", "unreadable"))
"""Reason prefix, then how a count of them is said (one, several): the reasons are made in this module."""


def skipped_notes(skipped: Sequence[SkippedFile], verbose: bool = False) -> list[str]:
    """What to tell about files not read: one line per file with `verbose`, then one line counting them
    by kind (a big tree has hundreds of binary files; a line each would bury everything else)."""
    if not skipped:
        return []
    counts = Counter(_kind(s.reason) for s in skipped)
    said = ", ".join(f"{n} {one if n == 1 else many}"
                     for (one, many), n in sorted(counts.items(), key=lambda item: (-item[1], item[0])))
    total = f"skipped {len(skipped)} {'file' if len(skipped) == 1 else 'files'}: {said}"
    if verbose:
        return [*(f"skipped {s.path}: {s.reason}" for s in skipped), total]
    return [f"{total} (--verbose lists {'it' if len(skipped) == 1 else 'them'})"]


def _kind(reason: str) -> tuple[str, str]:
    for prefix, one, many in _KINDS_SKIPPED:
        if reason.startswith(prefix):
            return one, many
    return reason, reason


def open_regular(path: Path) -> BinaryIO | str:
    """`path` open for reading when it is (or links to) a regular file; else why it is not read."""
    opened = _open(path)
    if isinstance(opened, str):
        return opened
    return os.fdopen(opened[0], "rb")


def read_limited(path: Path, limit: int = MAX_FILE_BYTES) -> bytes | str:
    """The bytes of a regular file of at most `limit` bytes, or why they are not read. Reads stop at
    `limit` + 1 bytes: the size `stat` reports is only a hint (/proc files say 0, files grow)."""
    opened = _open(path)
    if isinstance(opened, str):
        return opened
    fd, size = opened
    try:
        chunks: list[bytes] = []
        total, want = 0, min(size, limit) + 1
        while total <= limit and (chunk := os.read(fd, want)):
            chunks.append(chunk)
            total += len(chunk)
            want = min(_CHUNK, limit + 1 - total) or 1
    except OSError as exc:
        return _unreadable(path, exc)
    finally:
        os.close(fd)
    if total > limit:
        return larger_than(limit)
    return b"".join(chunks)


def larger_than(limit: int = MAX_FILE_BYTES) -> str:
    """Why a text over `limit` bytes is not judged, said the same by `check` and the editor."""
    return f"larger than {limit >> 20} MiB" if limit >= 1 << 20 else f"larger than {limit} bytes"


def _open(path: Path) -> tuple[int, int] | str:
    """(descriptor, size) of the regular file at `path`, links followed; the type is checked before opening
    (a device is never opened) and again on the open descriptor (the path may have changed in between)."""
    try:
        mode = os.stat(path).st_mode
        if not stat.S_ISREG(mode):
            return _not_regular(mode)
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        return _unreadable(path, exc)
    try:
        opened = os.fstat(fd)
        if not stat.S_ISREG(opened.st_mode):
            os.close(fd)
            return _not_regular(opened.st_mode)
        os.set_blocking(fd, True)
    except OSError as exc:
        os.close(fd)
        return _unreadable(path, exc)
    return fd, opened.st_size


def _not_regular(mode: int) -> str:
    kind = next((name for test, name in _KINDS if test(mode)), "special file")
    return f"not a regular file ({kind})"


def missing_message(path: Path) -> str:
    """Why a path given on the command line leads to nothing: a link loop and a dangling link say so."""
    try:
        os.stat(path)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOENT) and os.path.islink(path):
            return f"{path}: {_unreadable(path, exc)}"
    return f"no such file or folder: {path}"


def _unreadable(path: Path, exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "symbolic link loop"
    if exc.errno == errno.ENOENT and os.path.islink(path):
        return "dangling symbolic link: its target does not exist"
    return f"cannot read: {exc.strerror or exc}"


def walk(paths: Sequence[Path], root: Path, selection: Selection | None = None) -> Iterator[Path | SkippedFile]:
    """Files under the given paths, each once, in a stable order, without what `selection` leaves out (by
    default VCS, dependency and cache folders and virtual environments; see ignores.py). What is left out is
    not said: it was not selected. A generator: folders are listed as they are reached.

    Inside a folder, a symbolic link is followed only to a file within the project root (or within the folder
    given, when that is outside the root); a link that leaves is a `SkippedFile`, so nothing outside the
    project is read because a link points there. Linked folders are never descended (so no loop), and said
    so. A path given by name is yielded as given (even if ignored, unless `force_exclude`), and reading it
    says whether it can be read."""
    matcher = Matcher(root, selection or Selection())
    seen: set[str] = set()
    noted: set[str] = set()

    def once(item: Path | SkippedFile, real: str | None = None) -> Iterator[Path | SkippedFile]:
        """`item` unless it was met before: a file by where it really is, a skipped one by its name."""
        key = item.path if isinstance(item, SkippedFile) else real or os.path.realpath(item)
        marks = noted if isinstance(item, SkippedFile) else seen
        if key not in marks:
            marks.add(key)
            yield item

    home = os.path.realpath(root)
    for top in paths:
        if not top.is_dir():
            if not (matcher.selection.force_exclude and matcher.excludes_file(top)):
                yield from once(top)
            continue
        start = matcher.start(top)
        if start is None:
            continue
        bases = (home,) if _within(os.path.realpath(top), home) else (home, os.path.realpath(top))
        rules = {os.fspath(top): start}
        """The rules of each folder os.walk has yet to reach: the walk's frontier, not the tree."""
        problems: list[OSError] = []
        for folder, dirs, files in os.walk(top, onerror=problems.append):
            yield from (s for p in problems for s in once(_listing_failed(p, root)))
            problems.clear()
            here, real_here, inside = Path(folder), os.path.realpath(folder), rules.pop(folder)
            linked = {d for d in dirs if os.path.islink(here / d)}
            kept = sorted(d for d in dirs if not inside.excluded(d, is_dir=True))
            for name in (d for d in kept if d in linked):
                link = here / name
                yield from once(_skipped_link(link, root, bases)
                                or SkippedFile(link_display(link, root), "symbolic link to a folder: not followed"))
            dirs[:] = [d for d in kept if d not in linked]
            rules.update((os.path.join(folder, d), inside.child(d)) for d in dirs)
            for name in sorted(files):
                if inside.excluded(name, is_dir=False):
                    continue
                path = here / name
                if not os.path.islink(path):
                    yield from once(path, os.path.join(real_here, name))
                    continue
                skipped = _skipped_link(path, root, bases)
                yield from once(path if skipped is None else skipped)
        yield from (s for p in problems for s in once(_listing_failed(p, root)))


def _skipped_link(link: Path, root: Path, bases: tuple[str, ...]) -> SkippedFile | None:
    """Why a link found in a tree is not followed: it loops, dangles or leaves the project; None to follow it."""
    display = link_display(link, root)
    try:
        os.stat(link)
    except OSError as exc:
        return SkippedFile(display, _unreadable(link, exc))
    target = os.path.realpath(link)
    if not any(_within(target, base) for base in bases):
        return SkippedFile(display, f"symbolic link to {target}, outside the project root: not followed")
    return None


def link_display(link: Path, root: Path) -> str:
    """Where a link itself is, as rules would see it (its folder resolved, not the link)."""
    return f"{relative_to_root(link.parent, root)}/{link.name}".removeprefix("./")


def _within(path: str, base: str) -> bool:
    return path == base or path.startswith(base.rstrip(os.sep) + os.sep)


def _listing_failed(exc: OSError, root: Path) -> SkippedFile:
    where = Path(exc.filename) if exc.filename else root
    return SkippedFile(relative_to_root(where, root), f"cannot list the folder: {exc.strerror or exc}")


def read_document(path: Path, display: str, parse: bool = True) -> Document | SkippedFile:
    """The file as a document; special, huge and binary files are skipped with the reason, never parsed. With
    `parse` False the tree waits for `ensure_tree` (a cached verdict needs none)."""
    from provguard.documents import Document
    from provguard.languages import detect

    data = read_limited(path)
    if isinstance(data, str):
        return SkippedFile(display, data)
    if b"\0" in data[:8192]:
        return SkippedFile(display, "binary file")
    return Document(display, detect(str(path)), data, parse=parse)


def relative_to_root(path: Path | str, root: Path | str) -> str:
    """The path rules see, the same for check, the editor, the guard and the hooks: where the file lands
    (symbolic links resolved, those above a file not created yet too; `..` taken after the link before it, as
    the system does), relative to the resolved project root, with forward slashes. A file that lands outside
    the root is outside: its resolved absolute path, so the project's anchored globs never match it."""
    landed, home = os.path.realpath(path), os.path.realpath(root)  # never raises; a link loop stays as written
    if landed == home:
        return "."
    prefix = home if home.endswith(os.sep) else home + os.sep
    if landed.startswith(prefix):
        return Path(landed[len(prefix):]).as_posix()
    return Path(landed).as_posix()


def write_atomic(path: Path, data: bytes, mode: int | None = None) -> None:
    """Writes `path` whole: a temporary file beside it renamed over it, so a reader never sees half of it.
    Raises OSError."""
    import tempfile

    folder = path.parent if str(path.parent) else Path(".")
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        if mode is not None:
            os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        os.unlink(temp)
        raise
