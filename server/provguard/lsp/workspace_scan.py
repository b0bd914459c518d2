"""A workspace scan's blocking part (lsp/workspace_diagnostics.py runs it in a worker thread): what it needs
from the session, taken on the event loop (`plan_of`), and `provguard check` over each workspace folder, each
file under its nearest project as the editor opens it, a folder in no project in two passes (its own files,
then the projects nested in it). Folders at the file system's root, the home folder or above are never read
(ledger/location.py's `unplaced`), and no check cache is made where a project is such a place.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from provguard.check import FileResult, ProjectError, RunOptions, run_check
from provguard.editor_project import EditorProject
from provguard.ignores import Selection, check_selection
from provguard.ledger.location import is_url, unplaced
from provguard.ledger.sqlite import MEMORY
from provguard.lsp.nested_projects import NestedAside
from provguard.policy.policy import Policy
from provguard.project_markers import nearest_project
from provguard.projects import CheckSetup, Roots
from provguard.session import Session
from provguard.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FolderPlan:
    """One workspace folder's part of a scan."""

    folder: Path
    settings: Settings
    explicit: frozenset[str]
    policies: dict[Path, Policy]
    """The policies of the projects in this folder the session has met, by root (the last good ones)."""
    unplaced: str | None = None
    """Why the folder is not scanned (it is the file system's root, the home folder or above it), or None."""


@dataclass(frozen=True)
class Plan:
    """What a scan needs from the session, taken on the event loop before the worker thread starts."""

    folders: tuple[FolderPlan, ...]
    """Innermost first: a file in nested workspace folders is judged in the innermost, as open documents are."""


def plan_of(session: Session) -> Plan:
    folders = []
    for folder in session.roots:
        settings, explicit = session.settings_of(folder)
        policies = {p.root: p.policy for p in session.projects.values() if p.folder == folder}
        folders.append(FolderPlan(folder, settings, explicit, policies, unplaced(folder)))
    return Plan(tuple(folders))


class Stopped(Exception):
    """The scan was cancelled (raised in the worker thread to leave run_check, and to the caller when the
    progress was cancelled)."""


def run_scan(plan: Plan, found: Callable[[FileResult, Path], None], done: Callable[[int, int, Path], None],
             stop: threading.Event) -> tuple[str, ...]:
    """The scan itself (blocking): returns what a person should know (a project that cannot be checked)."""
    problems: list[str] = []
    for folder in plan.folders:
        if stop.is_set():
            break
        if folder.unplaced is not None:  # nothing is read or made there (module docstring)
            continue
        try:
            problem = _scan_folder(folder, found, done, problems)
        except Stopped:
            break
        if problem is not None:
            problems.append(f"{folder.folder}: workspace not checked: {problem}")
    return tuple(problems)


def _scan_folder(plan: FolderPlan, found: Callable[[FileResult, Path], None],
                 done: Callable[[int, int, Path], None], problems: list[str]) -> str | None:
    """Each file under its nearest project (as the session opens it). Files of a folder in no project are judged
    from the folder (run_check would judge them from the server's working folder), in a pass that leaves the
    projects nested in it (a checkout of several repositories, say) to a second pass under their own roots."""
    folder = plan.folder
    if nearest_project(Path(os.path.realpath(folder))) is not None:
        return _check(plan, [folder], None, found, done, problems)
    aside = NestedAside(folder)
    problem = _check(plan, [folder], aside, found, done, problems)
    nested = [Path(root) for root in sorted(aside.nested)
              if not any(root.startswith(other + os.sep) for other in aside.nested)]
    if problem is None and nested:
        problem = _check(plan, nested, None, found, done, problems)
    return problem


def _check(plan: FolderPlan, paths: list[Path], aside: NestedAside | None,
           found: Callable[[FileResult, Path], None], done: Callable[[int, int, Path], None],
           problems: list[str]) -> str | None:
    """run_check over `paths` in the folder: each file in its nearest project, or, with `aside`, in the folder."""
    folder = plan.folder
    roots = Roots(folder if aside is not None else None)
    shown_from = Path(os.path.commonpath([str(roots.of(path, path)) for path in paths]))  # run_check's (real)
    real_folder = os.path.realpath(folder)  # file paths are relative to it; uris are written under the folder
    if _within(str(shown_from), real_folder):  # as the client named it
        shown_from = folder / os.path.relpath(shown_from, real_folder)
    selection: Selection | str = Selection(ignore_files=True, projects=aside) if aside is not None else \
        check_selection(lambda path: str(roots.of(Path(path), folder)))
    if isinstance(selection, str):
        return selection

    def progress(count: int, total: int) -> None:
        done(count, total, folder)

    def result(checked: FileResult) -> None:
        found(checked, shown_from)

    def policy(root: Path) -> Policy:
        if (known := plan.policies.get(root)) is not None:
            return known
        project = EditorProject(root, folder, plan.settings, plan.explicit)
        update = project.reload_policy()
        if update.errors:
            problems.append(f"{root}: rule pack error at {update.errors[0]}; checked with the packs that loaded")
        return project.policy

    setup = CheckSetup(None, {}, _ledger(plan.settings, folder), roots.given, plan.settings.git, folder)
    cache = all(unplaced(roots.of(path, path)) is None for path in paths)  # no `.provguard/` in the home folder
    options = RunOptions(jobs=1, cache=cache, selection=selection, progress=progress, on_result=result)
    try:
        run = run_check(paths, setup, options, policy)
    except ProjectError as exc:
        return str(exc) or "its rule packs or ledger cannot be used"
    except Stopped:
        raise
    except Exception:  # a bug must not end the server, nor pass for a clean workspace silently
        log.exception("checking the workspace folder %s failed", folder)
        return "see the log"
    for error in run.errors:
        log.warning("%s", error)
    return None


def _within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _ledger(settings: Settings, root: Path) -> str | None:
    """The ledger the session uses, as `provguard check --ledger` takes it (a relative path is the
    workspace folder's, as in the settings)."""
    given = settings.ledger
    if not given or given == MEMORY or is_url(given):
        return None if given == MEMORY else given
    path = Path(given).expanduser()
    return str(path if path.is_absolute() else root / path)
