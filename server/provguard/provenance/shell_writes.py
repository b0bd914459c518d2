"""Files an agent changes through its shell tool (`cat > f <<'EOF'`, `tee`, `sed -i`, `python - <<EOF`,
`git apply`): no hook names them, so the files git reports as changed are snapshotted before the call and
compared after it, the way git-ai's checkpoints work.

The snapshot holds, for every file `git status` reports as modified, added or untracked (ignored files left
out), its size, modification time and a content hash, and its text so that a later change can be diffed. After
the call only the files git reports as changed whose size or time moved are read again, and of those only the
ones whose hash differs count: each with the lines the call inserted (a line diff against the text before, or
against `HEAD` for a file git saw as clean, or the whole text of a new file).

Bounds, as a hang guard and not a promise of speed: at most `MAX_FILES` files are snapshotted (the rest are
judged after the call by their modification time alone: one older than the snapshot is not the call's), at most
`MAX_READ_BYTES` are hashed and `MAX_TEXT_BYTES` of text kept (a changed file whose text was not kept is compared
with `HEAD`), each file at most `files.MAX_FILE_BYTES`; git runs under `GIT_TIMEOUT` seconds, without optional
locks (it never takes the index lock from the agent's own git). Only regular files are read: a link, a FIFO or a
device is skipped, and so is a binary file. Without git there is nothing to snapshot, and the caller says so.
"""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import json
import os
import stat
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from provguard.files import MAX_FILE_BYTES, read_limited
from provguard.private_files import read_private, write_private

MAX_FILES = 10_000
MAX_READ_BYTES = 64 << 20
MAX_TEXT_BYTES = 4 << 20
GIT_TIMEOUT = 5.0
"""Inside the 10 s the installed hooks give the command."""
STALE_SECONDS = 24 * 3600
"""A snapshot whose post hook never came (the call was refused, the agent stopped) is removed after a day."""
FOLDER = ("shell",)
"""Under the project's `.provguard` folder."""
FORMAT = 1


@dataclass(frozen=True)
class Entry:
    size: int
    mtime_ns: int
    digest: str | None
    """The content's hash; None when the file was not read (over the read bound, or not readable)."""
    text: str | None
    """The text before the call; None when not kept (binary, over the text bound)."""


@dataclass(frozen=True)
class Snapshot:
    top: str
    """git's top folder: the paths below are relative to it, as git gives them."""
    taken_ns: int
    files: dict[str, Entry]
    complete: bool
    """Every file git reported is in `files` (else the bound was reached)."""


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


class NoGit(Exception):
    """No git repository here, or git failed: nothing can be snapshotted."""


def snapshot(root: Path) -> Snapshot:
    """The files git reports as changed below `root`, before the call. Raises NoGit."""
    taken = time.time_ns()
    top, changed = _status(root)
    files: dict[str, Entry] = {}
    read = kept = 0
    for rel in sorted(changed)[:MAX_FILES]:
        status = _regular(os.path.join(top, rel))
        if status is None:
            continue
        digest = text = None
        if read + status.st_size <= MAX_READ_BYTES:
            data = read_limited(Path(top, rel), MAX_FILE_BYTES)
            if isinstance(data, bytes):
                read += len(data)
                digest = _digest(data)
                if not _binary(data) and kept + len(data) <= MAX_TEXT_BYTES:
                    kept += len(data)
                    text = data.decode("utf-8", errors="surrogateescape")
        files[rel] = Entry(status.st_size, status.st_mtime_ns, digest, text)
    return Snapshot(top, taken, files, len(changed) <= MAX_FILES)


def changes(root: Path, before: Snapshot) -> list[ShellWrite]:
    """The files the call changed, with what it inserted; a deleted file or a file now clean in git is none
    (nothing was inserted), nor is a binary, oversized or non-regular one. Raises NoGit."""
    top, changed = _status(root)
    found: list[tuple[str, str, str | None, Entry | None]] = []  # (rel, text now, its HEAD path, entry)
    for rel, origin in sorted(changed.items()):
        status = _regular(os.path.join(top, rel))
        if status is None:
            continue
        entry = before.files.get(rel)
        if entry is not None and (entry.size, entry.mtime_ns) == (status.st_size, status.st_mtime_ns):
            continue
        if entry is None and not before.complete and status.st_mtime_ns < before.taken_ns:
            continue  # beyond the snapshot's bound, and not touched since
        data = read_limited(Path(top, rel), MAX_FILE_BYTES)
        if isinstance(data, str) or _binary(data) or (entry is not None and entry.digest == _digest(data)):
            continue
        found.append((rel, data.decode("utf-8", errors="surrogateescape"), origin, entry))
    wanted = [origin for _, _, origin, entry in found if origin is not None and (entry is None or entry.text is None)]
    heads = _head_texts(top, wanted)
    writes: list[ShellWrite] = []
    for rel, after, origin, entry in found:
        note = None
        old: str | None
        if entry is not None and entry.text is not None:
            old = entry.text
        else:
            old = heads.get(origin) if origin is not None else None
            if entry is not None:
                note = (f"{rel}: its text before the call was not kept (over the snapshot's bound); the lines that "
                        "differ from HEAD are taken as the call's")
        writes.append(ShellWrite(os.path.join(top, rel), old, after, inserted(old, after), note))
    return writes


def inserted(before: str | None, after: str) -> tuple[str, ...]:
    """The runs of lines `after` has that `before` lacks (all of `after` for a new file)."""
    new = after.splitlines(keepends=True)
    if before is None:
        return ("".join(new),) if new else ()
    matcher = difflib.SequenceMatcher(None, before.splitlines(keepends=True), new, autojunk=False)
    return tuple("".join(new[j1:j2]) for tag, _, _, j1, j2 in matcher.get_opcodes()
                 if tag in ("replace", "insert") and j1 < j2)


# -- storage under .provguard/shell, one private file per call --------------------------------------------------

def snapshot_file(root: Path, key: str) -> Path:
    name = hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
    return root.joinpath(".provguard", *FOLDER, f"{name}.json")


def save(root: Path, key: str, taken: Snapshot) -> None:
    record = {"format": FORMAT, "top": taken.top, "taken_ns": taken.taken_ns, "complete": taken.complete,
              "files": {rel: [e.size, e.mtime_ns, e.digest, e.text] for rel, e in taken.files.items()}}
    write_private(snapshot_file(root, key), json.dumps(record).encode("ascii"))


def load(root: Path, key: str) -> Snapshot | None:
    """The call's snapshot (None: none was taken, or it is not the user's own file)."""
    data = read_private(snapshot_file(root, key))
    if data is None:
        return None
    try:
        record = json.loads(data)
        if record["format"] != FORMAT:
            return None
        files = {str(rel): Entry(int(size), int(mtime), digest, text)
                 for rel, (size, mtime, digest, text) in record["files"].items()}
        return Snapshot(str(record["top"]), int(record["taken_ns"]), files, bool(record["complete"]))
    except (ValueError, KeyError, TypeError):
        return None


def discard(root: Path, key: str) -> None:
    with contextlib.suppress(OSError):
        snapshot_file(root, key).unlink()


def prune(root: Path, now: float | None = None) -> None:
    """Removes snapshots older than a day (their post hook never came)."""
    folder = root.joinpath(".provguard", *FOLDER)
    limit = (time.time() if now is None else now) - STALE_SECONDS
    try:
        with os.scandir(folder) as found:
            for item in found:
                if item.name.endswith(".json") and item.stat(follow_symlinks=False).st_mtime < limit:
                    os.unlink(item.path)
    except OSError:
        pass


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


def _head_texts(top: str, paths: list[str]) -> dict[str, str | None]:
    """Each path's text at HEAD (None: not there, or binary), with one `git cat-file --batch` for all."""
    asked = [p for p in dict.fromkeys(paths) if "\n" not in p]
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
    try:
        _git(root, "rev-parse", "--show-toplevel")
    except NoGit:
        return False
    return True
