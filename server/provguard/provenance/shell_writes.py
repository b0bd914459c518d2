"""Files an agent changes through its shell tool (`cat > f <<'EOF'`, `tee`, `sed -i`, `python - <<EOF`,
`git apply`): no hook names them, so the files git reports as changed are snapshotted before the call and
compared after it, the way git-ai's checkpoints work.

The snapshot holds, for every file `git status` reports as modified, added or untracked, its size, modification
time, inode and a content hash, and its text so that a later change can be diffed. Files git ignores are not in
`git status`, yet training data often is (`data/`, `*.jsonl` in .gitignore): the ignored files that match the
paths the project's packs refuse to agents (`Protected`) are snapshotted too. After the call only the files whose
size, time or inode moved are read again, and of those only the ones whose hash differs count: each with the
lines the call inserted (a line diff against the text before, or against `HEAD` for a file git saw as clean, or
the whole text of a new file). Other ignored files (build output, virtual environments) are never recorded.

Bounds, as a hang guard and not a promise of speed: at most `MAX_FILES` changed files and `MAX_IGNORED` ignored
ones are snapshotted (the rest are judged after the call by their modification time alone: one older than the
snapshot is not the call's; `Snapshot.notes` says when), at most `MAX_READ_BYTES` are hashed and
`MAX_TEXT_BYTES` of text kept (a changed file whose text was not kept is compared with `HEAD`, or taken whole),
each file at most `files.MAX_FILE_BYTES`; git runs under `GIT_TIMEOUT` seconds, without optional locks (it never
takes the index lock from the agent's own git). Only regular files are read: a link, a FIFO or a device is
skipped, and so is a binary file. Without git there is nothing to snapshot, and the caller says so.

Several shell calls may run at once (parallel tool calls, two sessions in one project): `locked` serialises the
hooks' snapshot and compare steps, and `others` gives the calls still running, so that a change is recorded once
(shell_hook.py attributes it).
"""

from __future__ import annotations

import difflib
import hashlib
import os
import stat
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from provguard.files import MAX_FILE_BYTES, read_limited
from provguard.provenance.shell_ignored import Protected as Protected  # where the snapshot format and callers name it
from provguard.provenance.shell_ignored import listing

MAX_FILES = 10_000
MAX_IGNORED = 2_000
"""Ignored files under the protected paths snapshotted one by one; beyond them, their time decides."""
MAX_READ_BYTES = 64 << 20
MAX_TEXT_BYTES = 4 << 20
GIT_TIMEOUT = 5.0
"""Inside the 10 s the installed hooks give the command."""
STALE_SECONDS = 24 * 3600
"""A snapshot whose post hook never came (the call was refused, the agent stopped) is removed after a day."""
FOLDER = ("shell",)
"""Under the project's `.provguard` folder."""
FORMAT = 2
LOCK_SECONDS = 8.0
"""How long a hook waits for another one's snapshot or compare step (each bounded by its git calls)."""


@dataclass(frozen=True)
class Entry:
    size: int
    mtime_ns: int
    digest: str | None
    """The content's hash; None when the file was not read (over the read bound, or not readable)."""
    text: str | None
    """The text before the call; None when not kept (binary, over the text bound)."""
    inode: int = 0

    @property
    def stamp(self) -> tuple[int, int, int]:
        return self.size, self.mtime_ns, self.inode


@dataclass(frozen=True)
class Owner:
    """The shell call a snapshot was taken for: who to record a change under when another call's hook finds it."""

    agent: str
    session: str | None
    call_id: str
    tool: str
    tool_input: Any
    """The call's input (JSON): a file its command names is taken as written by it (shell_hook.attribute)."""
    model: str | None = None
    transcript: str | None = None


@dataclass
class Snapshot:
    top: str
    """git's top folder: the paths below are relative to it, as git gives them."""
    taken_ns: int
    files: dict[str, Entry]
    complete: bool
    """Every file git reported is in `files` (else the bound was reached)."""
    protected: Protected | None = None
    ignored: frozenset[str] = frozenset()
    """The ignored files in `files` (under `protected`)."""
    ignored_complete: bool = True
    """Every ignored file under `protected` is in `files`."""
    owner: Owner | None = None
    handed: list[ShellWrite] = field(default_factory=list)
    """Changes another call's hook found and recorded as this call's: reported when this call's post hook runs."""
    notes: list[str] = field(default_factory=list)
    """What was left out, for stderr (not stored)."""


@dataclass(frozen=True)
class ShellWrite:
    path: str
    """Absolute."""
    before: str | None
    """The text before the call; None for a file that did not exist (or that git did not track)."""
    after: str
    inserted: tuple[str, ...]
    """The text of each run of lines the call inserted or replaced, in order."""
    note: str | None = None
    rel: str = ""
    """Relative to git's top folder, as in `Snapshot.files`."""
    entry: Entry | None = None
    """The file as found after the call: another running call's snapshot takes it as its own starting point."""


class NoGit(Exception):
    """No git repository here, or git failed: nothing can be snapshotted."""


def snapshot(root: Path, protected: Protected | None = None) -> Snapshot:
    """The files git reports as changed below `root`, and the ignored ones under `protected`, before the call.
    Raises NoGit."""
    taken = time.time_ns()
    top, changed = _status(root)
    notes: list[str] = []
    listed = _ignored(root, top, protected, notes)
    ignored, rest = listed[:MAX_IGNORED], listed[MAX_IGNORED:]
    files: dict[str, Entry] = {}
    budget = _Budget()
    for rel in [*sorted(changed)[:MAX_FILES], *ignored]:
        entry = budget.entry(top, rel)
        if entry is not None:
            files[rel] = entry
    if rest:
        notes.append(_over_bound(len(listed), rest))
    return Snapshot(top, taken, files, len(changed) <= MAX_FILES, protected, frozenset(ignored), not rest,
                    notes=notes)


SHOWN = 3
"""How many of the files left out of a snapshot its note names."""


def _over_bound(total: int, rest: list[str]) -> str:
    """The note for gitignored files over the snapshot's bound: how many, and the first few by name."""
    named = ", ".join(rest[:SHOWN]) + (f" and {len(rest) - SHOWN} more" if len(rest) > SHOWN else "")
    return (f"{total} gitignored files under the paths agents may not write, over the bound of {MAX_IGNORED}: "
            f"{len(rest)} of them ({named}) are compared after the call by their modification time alone")


class _Budget:
    """What a snapshot may still read and keep (MAX_READ_BYTES, MAX_TEXT_BYTES)."""

    def __init__(self) -> None:
        self.read = self.kept = 0

    def entry(self, top: str, rel: str) -> Entry | None:
        status = _regular(os.path.join(top, rel))
        if status is None:
            return None
        digest = text = None
        if self.read + status.st_size <= MAX_READ_BYTES:
            data = read_limited(Path(top, rel), MAX_FILE_BYTES)
            if isinstance(data, bytes):
                self.read += len(data)
                digest = _digest(data)
                if not _binary(data) and self.kept + len(data) <= MAX_TEXT_BYTES:
                    self.kept += len(data)
                    text = data.decode("utf-8", errors="surrogateescape")
        return Entry(status.st_size, status.st_mtime_ns, digest, text, status.st_ino)


def changes(root: Path, before: Snapshot) -> list[ShellWrite]:
    """The files the call changed, with what it inserted; a deleted file or a file now clean in git is none
    (nothing was inserted), nor is a binary, oversized or non-regular one. Raises NoGit."""
    top, changed = _status(root)
    listed = _ignored(root, top, before.protected, [])  # all of them: only those whose stamp moved are read
    ignored = frozenset(listed)
    candidates: dict[str, str | None] = dict.fromkeys(listed)  # no HEAD text: git does not track them
    candidates.update(changed)
    found: list[tuple[str, str, str | None, Entry | None, Entry]] = []  # (rel, text now, HEAD path, before, now)
    for rel, origin in sorted(candidates.items()):
        status = _regular(os.path.join(top, rel))
        if status is None:
            continue
        entry = before.files.get(rel)
        if entry is not None and entry.stamp == (status.st_size, status.st_mtime_ns, status.st_ino):
            continue
        complete = before.ignored_complete if rel in ignored else before.complete
        if entry is None and not complete and status.st_mtime_ns < before.taken_ns:
            continue  # beyond the snapshot's bound, and not touched since
        data = read_limited(Path(top, rel), MAX_FILE_BYTES)
        if isinstance(data, str) or _binary(data) or (entry is not None and entry.digest == _digest(data)):
            continue
        after = data.decode("utf-8", errors="surrogateescape")
        now = Entry(status.st_size, status.st_mtime_ns, _digest(data), after, status.st_ino)
        found.append((rel, after, origin, entry, now))
    wanted = [origin for _, _, origin, entry, _ in found
              if origin is not None and (entry is None or entry.text is None)]
    heads = _head_texts(top, wanted)
    writes: list[ShellWrite] = []
    for rel, after, origin, entry, now in found:
        note = None
        old: str | None
        if entry is not None and entry.text is not None:
            old = entry.text
        else:
            old = heads.get(origin) if origin is not None else None
            if entry is not None:
                taken = ("the lines that differ from HEAD are taken as the call's" if origin is not None
                         else "the whole file is taken as the call's")
                note = f"{rel}: its text before the call was not kept (over the snapshot's bound); {taken}"
        writes.append(ShellWrite(os.path.join(top, rel), old, after, inserted(old, after), note, rel, now))
    return writes


def inserted(before: str | None, after: str) -> tuple[str, ...]:
    """The runs of lines `after` has that `before` lacks (all of `after` for a new file)."""
    new = after.splitlines(keepends=True)
    if before is None:
        return ("".join(new),) if new else ()
    matcher = difflib.SequenceMatcher(None, before.splitlines(keepends=True), new, autojunk=False)
    return tuple("".join(new[j1:j2]) for tag, _, _, j1, j2 in matcher.get_opcodes()
                 if tag in ("replace", "insert") and j1 < j2)


# -- git ----------------------------------------------------------------------------------------------------------

def _git(cwd: str | Path, *args: str, data: bytes | None = None) -> bytes:
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}
    try:
        done = subprocess.run(["git", *args], cwd=cwd, input=data, capture_output=True, env=env,
                              timeout=GIT_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise NoGit(f"git {args[0]} failed: {exc}") from exc
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise NoGit(message[0] if message else f"git {args[0]} failed")
    return done.stdout


def _status(root: Path) -> tuple[str, dict[str, str | None]]:
    """git's top folder, and each file git reports as changed or untracked below `root` (relative to the top)
    with the path its text had at HEAD (itself, where it was before a rename; None for an untracked file)."""
    top = os.fsdecode(_git(root, "rev-parse", "--show-toplevel").rstrip(b"\n"))
    fields = _git(root, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--", ".",
                  ":(exclude).provguard").split(b"\0")  # provguard's own files: the ledger, these snapshots
    changed: dict[str, str | None] = {}
    index = 0
    while index < len(fields):
        item = fields[index]
        index += 1
        if len(item) < 4:
            continue
        code, path = item[:2], os.fsdecode(item[3:])
        origin: str | None = path
        if code[:1] in (b"R", b"C") or code[1:] in (b"R", b"C"):
            origin = os.fsdecode(fields[index]) if index < len(fields) else path
            index += 1
        elif code == b"??":
            origin = None
        changed[path] = origin
    return top, changed


def _ignored(root: Path, top: str, protected: Protected | None, notes: list[str]) -> list[str]:
    """The files git ignores below `root` that lie under the protected paths (relative to the top, sorted;
    shell_ignored.py says how they are found without walking every ignored tree). A failing listing leaves them
    out, with a note."""
    if protected is None or not protected.globs:
        return []
    below = os.path.relpath(root, top).replace(os.sep, "/")
    below = "" if below == "." else below + "/"
    try:
        found, walked = listing(root, top, protected, _git)
    except NoGit as exc:
        notes.append(f"gitignored files under the paths agents may not write are not compared: {exc}")
        return []
    notes += walked
    base = protected.below_top(top)
    if base is None:  # git's top is inside the project (a nested repository): paths through it
        return sorted(rel for rel in dict.fromkeys(found)
                      if rel.startswith(below) and protected.matches(os.path.join(top, rel)))
    prefix = base + "/" if base else ""
    return sorted(rel for rel in dict.fromkeys(found) if rel.startswith(below) and rel.startswith(prefix)
                  and protected.matches_relative(rel[len(prefix):]))


def _head_texts(top: str, paths: list[str]) -> dict[str, str | None]:
    """Each path's text at HEAD (None: not there, binary, or larger than a file read now may be), with one
    `git cat-file --batch` for all; sizes are asked first (`--batch-check`): a huge committed file is never read."""
    named = [p for p in dict.fromkeys(paths) if "\n" not in p]
    if not named:
        return {}
    try:
        sizes = _git(top, "cat-file", "--batch-check",
                     data="".join(f"HEAD:{p}\n" for p in named).encode("utf-8", "surrogateescape")).splitlines()
    except NoGit:
        return {}
    asked = [path for path, line in zip(named, sizes, strict=False)
             if len(parts := line.split()) == 3 and parts[1] == b"blob" and int(parts[2]) <= MAX_FILE_BYTES]
    if not asked:
        return {}
    try:
        output = _git(top, "cat-file", "--batch",
                      data="".join(f"HEAD:{p}\n" for p in asked).encode("utf-8", "surrogateescape"))
    except NoGit:
        return {}
    texts: dict[str, str | None] = {}
    at = 0
    for path in asked:
        end = output.find(b"\n", at)
        if end < 0:
            break
        header = output[at:end].split()
        at = end + 1
        if len(header) != 3 or header[1] != b"blob":
            texts[path] = None
            continue
        size = int(header[2])
        data = output[at:at + size]
        at += size + 1
        texts[path] = None if _binary(data) else data.decode("utf-8", errors="surrogateescape")
    return texts


def _regular(path: str) -> os.stat_result | None:
    """The file's status when it is a regular file (not a link, FIFO or device) within the size limit."""
    try:
        status = os.lstat(path)
    except OSError:
        return None
    return status if stat.S_ISREG(status.st_mode) and status.st_size <= MAX_FILE_BYTES else None


def _digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _binary(data: bytes) -> bool:
    return b"\0" in data[:8192]


def in_git(root: Path) -> bool:
    """Whether `root` is in a git work tree (git answers)."""
    return not_in_git(root) is None


def not_in_git(root: Path) -> str | None:
    """Why `root` is not in a git work tree (None: it is)."""
    try:
        _git(root, "rev-parse", "--show-toplevel")
    except NoGit as exc:
        return str(exc)
    return None
