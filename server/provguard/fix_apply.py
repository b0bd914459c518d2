"""Applying fixes to files on disk: `provguard check --fix`, `--unsafe-fixes` and `--diff`, as in ruff.

Each finding contributes at most one fix: the first its rule lists that can be applied in bulk (declarations
and suppressions need a person, so they are skipped; a listed fix that is not available, such as mark-reviewed
without a reviewer, means none, never the next one, so a missing name cannot turn into removed code). Unsafe
fixes are taken only when asked. Within a file, fixes whose edits touch or overlap an earlier one wait for the
next pass; a pass writes the file and checks it again, and the next applies only what waited (findings that the
fixes brought about are reported, for a person to see first). Edits are in the core's unit, UTF-8 byte offsets,
so every byte outside them (line breaks, any encoding) stays as it was.

A file is written only when its bytes on disk are still those that were checked, never through a path other
than the checked file's own, atomically (a temporary file beside it, then `os.replace`) with its mode and owner
kept; a file with several hard links gets its own copy, as with any editor that saves atomically.
"""

from __future__ import annotations

import contextlib
import difflib
import os
import stat
import tempfile
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from provguard.check import CheckRun, FileResult
from provguard.documents import Document
from provguard.findings import Finding
from provguard.fixes import Applicability, BuiltinFix, Fix, fixes_for
from provguard.policy.model import FixKind
from provguard.positions import TextEdit

MAX_PASSES = 10
"""Passes over one file; each applies what the previous one had to leave out because it overlapped."""

_PERSON_ONLY = (FixKind.DECLARE, FixKind.SUPPRESS)


def fix_to_apply(doc: Document, finding: Finding, reviewer: str | None, unsafe: bool) -> Fix | None:
    """The finding's fix for a bulk run, or None."""
    offered = fixes_for(doc, finding, reviewer)
    kinds: list[FixKind | BuiltinFix] = [k for k in finding.fixes if k not in _PERSON_ONLY]
    kinds = kinds or [f.kind for f in offered[:1]]
    if not kinds:
        return None
    fix = next((f for f in offered if f.kind == kinds[0]), None)
    if fix is None or not fix.edits or fix.applicability is Applicability.DISPLAY_ONLY:
        return None
    return fix if fix.applicability is Applicability.SAFE or unsafe else None


def _conflict(a: TextEdit, b: TextEdit) -> bool:
    """Edits that overlap or touch: applied together, their result would depend on an order (as in ruff)."""
    return a.start <= b.end and b.start <= a.end


Deferred = Counter[tuple[str, str]]
"""(rule id, fix kind) of the fixes a pass left for the next one because they overlapped a taken fix."""


@dataclass(frozen=True)
class Pass:
    """One pass over one file: the fixes taken, the text they give, and what waits for the next pass."""

    fixes: tuple[Fix, ...]
    source: bytes
    deferred: Deferred


def plan(result: FileResult, reviewer: str | None, unsafe: bool, only: Deferred | None = None) -> Pass:
    """The fixes of one file's findings that apply together, in finding order, and the text after them.

    A later pass takes `only` the fixes an earlier one deferred: findings the fixes themselves brought about are
    reported, not fixed (marking code from a commit as AI output must not then remove it as AI output)."""
    if result.analysis.findings:
        result.document.ensure_tree()  # a report needs no tree, some fixes do (suppressions are read from it)
    wanted = Counter(only) if only is not None else None
    taken: list[Fix] = []
    edits: list[TextEdit] = []
    deferred: Deferred = Counter()
    for finding in result.analysis.findings:
        fix = fix_to_apply(result.document, finding, reviewer, unsafe)
        if fix is None or any(_conflict(a, b) for i, a in enumerate(fix.edits) for b in fix.edits[i + 1:]):
            continue  # none, or one whose own edits collide: that is for a person
        key = (finding.rule_id, fix.kind.value)
        if wanted is not None:
            if wanted[key] <= 0:
                continue
            wanted[key] -= 1
        if any(_conflict(new, old) for new in fix.edits for old in edits):
            deferred[key] += 1
            continue
        taken.append(fix)
        edits.extend(fix.edits)
    return Pass(tuple(taken), apply_edits(result.document.source, edits), deferred)


def apply_edits(source: bytes, edits: Sequence[TextEdit]) -> bytes:
    """The text with non-overlapping edits applied, in one pass from the start."""
    out: list[bytes] = []
    at = 0
    for edit in sorted(edits, key=lambda e: (e.start, e.end)):
        out += [source[at:edit.start], edit.new_text.encode("utf-8", "surrogateescape")]
        at = edit.end
    out.append(source[at:])
    return b"".join(out)


def disk_path(root: Path, result: FileResult) -> Path:
    """Where the checked file is: its shown path is relative to the run's resolved root, or absolute outside it."""
    shown = Path(result.path)
    return Path(os.path.realpath(shown if shown.is_absolute() else Path(os.path.realpath(root)) / shown))


def write_fixed(path: Path, checked: bytes, fixed: bytes) -> str | None:
    """Replaces the file's text, or says why not; nothing else on disk changes."""
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            return "not a regular file"
        if not info.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(path, os.W_OK):
            return "the file is read-only"
        if path.read_bytes() != checked:
            return "the file changed on disk since it was checked; run again"
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".provguard-fix")
    except OSError as exc:
        return f"cannot write it: {exc.strerror or exc}"
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(fixed)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, stat.S_IMODE(info.st_mode))
        if (info.st_uid, info.st_gid) != (os.getuid(), os.getgid()):
            with contextlib.suppress(PermissionError):  # someone else's file, fixed by root: it stays theirs
                os.chown(temporary, info.st_uid, info.st_gid)
        if path.read_bytes() != checked:
            raise _Changed
        os.replace(temporary, path)
    except _Changed:
        os.unlink(temporary)
        return "the file changed on disk since it was checked; run again"
    except OSError as exc:
        if os.path.exists(temporary):
            os.unlink(temporary)
        return f"cannot write it: {exc.strerror or exc}"
    return None


class _Changed(Exception):
    pass


@dataclass
class FixResult:
    run: CheckRun
    """The findings that remain (after writing) or would remain (with `--diff`, those of the first check)."""
    fixed: int = 0
    """Findings fixed (or, with `--diff`, that would be)."""
    changes: dict[str, tuple[bytes, bytes]] = field(default_factory=dict)
    """Shown path -> (text as checked, text after the fixes)."""
    problems: list[str] = field(default_factory=list)
    """Files that could not be fixed, and why."""
    reviewer: str | None = None
    """The name mark-reviewed fixes write."""
    overlapping: int = 0
    """With `--diff`: fixes left out because they overlap others (`--fix` applies them in a further pass)."""


def fix_run(run: CheckRun, root: Path, reviewer: str | None, unsafe: bool,
            recheck: Callable[[Sequence[Path]], CheckRun] | None) -> FixResult:
    """Applies the fixes of a check run whose shown paths are relative to `root`. With `recheck` (checks those
    files again, the way `run` was made), fixed files are written and checked again until no fix is left;
    without it, nothing is written and `changes` holds one pass of every file (what `--diff` shows)."""
    outcome = FixResult(run, reviewer=reviewer)
    pending = [(disk_path(root, r), r) for r in run.files]
    # each file's path as the first run showed it: a check of only a few files may show them from another root
    shown = {path: result.path for path, result in pending}
    waiting: dict[Path, Deferred] = {}
    for _ in range(MAX_PASSES if recheck is not None else 1):
        written: list[Path] = []
        deferred: dict[Path, Deferred] = {}
        for path, result in pending:
            if waiting and not waiting.get(path):
                continue
            step = plan(result, reviewer, unsafe, waiting.get(path))
            if not step.fixes or step.source == result.document.source:
                continue
            name = shown.get(path, result.path)
            if recheck is not None:
                problem = write_fixed(path, result.document.source, step.source)
                if problem is not None:
                    outcome.problems.append(f"{name}: not fixed: {problem}")
                    continue
                written.append(path)
                deferred[path] = step.deferred
            if recheck is None:
                outcome.overlapping += sum(step.deferred.values())
            first = outcome.changes.get(name, (result.document.source, b""))[0]
            outcome.changes[name] = (first, step.source)
            outcome.fixed += len(step.fixes)
        if recheck is None or not written:
            break
        again = recheck(written)
        pending = [(path, replace(r, path=shown.get(path, r.path)))
                   for r in again.files if (path := disk_path(again.root or root, r)) in shown]
        outcome.run = _merged(outcome.run, {shown[p] for p in written}, [r for _, r in pending], again)
        waiting = {path: left for path, left in deferred.items() if left}
        if not waiting:
            break
    return outcome


def _merged(run: CheckRun, rechecked: set[str], fresh: list[FileResult], again: CheckRun) -> CheckRun:
    """The run with the results of the files checked again in place of their earlier ones (a file with nothing
    left to report may be missing from `fresh`)."""
    by_path = {f.path: f for f in fresh}
    files = tuple(by_path.get(f.path, f) for f in run.files
                  if f.path not in rechecked or f.path in by_path)
    notes = run.notes + tuple(n for n in again.notes if n not in run.notes)
    return replace(run, files=files, skipped=run.skipped + again.skipped, notes=notes,
                             errors=run.errors + again.errors)


def remaining_unsafe(run: CheckRun, reviewer: str | None) -> int:
    """Findings whose fix only `--unsafe-fixes` would apply: the hint ruff gives too."""
    return sum(1 for result, finding in run.findings
               if (fix := fix_to_apply(result.document, finding, reviewer, True)) is not None and not fix.safe)


def unified_diff(path: str, before: bytes, after: bytes) -> bytes:
    """A unified diff of one file's change, byte for byte (CRLF and any encoding shown as they are)."""
    lines = difflib.diff_bytes(difflib.unified_diff, before.splitlines(keepends=True),
                               after.splitlines(keepends=True), path.encode("utf-8", "surrogateescape"),
                               path.encode("utf-8", "surrogateescape"))
    out: list[bytes] = []
    for line in lines:
        out.append(line if line.endswith((b"\n", b"\r")) else line + b"\n\\ No newline at end of file\n")
    return b"".join(out)
