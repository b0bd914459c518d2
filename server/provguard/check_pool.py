"""Checking files on every core: worker processes (the analysis is Python, so threads would share one core),
each with its own `Checker`, results back in walk order so that every `--jobs` gives the same report.

A few files are checked in this process: starting workers costs more than it saves. A file whose check raises
is an error of the run, never a silent pass; a worker that dies (killed, out of memory) ends the run with
`WorkerDied`, never a hang.
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Callable, Iterator, Sequence

from provguard.check_file import Checker, FileOutcome, FileTask, LedgerUnavailable

MIN_FILES_PER_JOB = 8
"""Below this many files per worker, the run stays in one process."""
CHUNK = 16
"""Files sent to a worker at a time: few round trips, and still an even share at the end."""

_checker: Checker | None = None
_make: Callable[[], Checker] | None = None


class WorkerDied(Exception):
    """A worker process ended without an answer (killed, out of memory, a crash in a native library)."""


def default_jobs() -> int:
    """The cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def run_tasks(tasks: Sequence[FileTask], make_checker: Callable[[], Checker], jobs: int) -> Iterator[FileOutcome | str]:
    """Each task's outcome (or what went wrong, as a message), in the tasks' order."""
    jobs = max(1, min(jobs, len(tasks) // MIN_FILES_PER_JOB))
    if jobs > 1:
        import multiprocessing  # only when there are workers to start: one file's check does without it

        if "fork" in multiprocessing.get_all_start_methods():
            yield from _in_workers(tasks, make_checker, jobs)
            return
    checker = make_checker()
    try:
        yield from (_check(checker, task) for task in tasks)
    finally:
        checker.close()


def _in_workers(tasks: Sequence[FileTask], make_checker: Callable[[], Checker],
                jobs: int) -> Iterator[FileOutcome | str]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    global _make
    _make = make_checker  # inherited by the forked workers, with the policies already loaded
    context = multiprocessing.get_context("fork")
    try:
        with ProcessPoolExecutor(jobs, mp_context=context, initializer=_start) as pool:
            try:
                yield from pool.map(_work, tasks, chunksize=CHUNK)
            except BrokenProcessPool as exc:
                raise WorkerDied("a worker process ended while checking files (killed, or out of memory?)") from exc
    finally:
        _make = None


def _start() -> None:
    global _checker
    assert _make is not None
    _checker = _make()


def _work(task: FileTask) -> FileOutcome | str:
    assert _checker is not None
    return _check(_checker, task)


def _check(checker: Checker, task: FileTask) -> FileOutcome | str:
    try:
        return checker.check(task)
    except LedgerUnavailable as exc:
        return f"{task.display}: not checked: {exc}"
    except Exception as exc:  # one file's failure must not hide the others' verdicts, nor pass silently
        where = traceback.extract_tb(exc.__traceback__)[-1]
        return (f"{task.display}: internal error while checking: {type(exc).__name__}: {exc} "
                f"({os.path.basename(where.filename)}:{where.lineno})")
