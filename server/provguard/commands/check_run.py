"""The run `check` and `report` both start: their shared flags checked, the files selected, the projects' policies
loaded (from the guard's policy cache where no flag overrides them), progress shown on a terminal."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .common import EXIT_USAGE, flagged_policy, parse_overrides, root_error, usage_error

if TYPE_CHECKING:
    from provguard.check import CheckRun
    from provguard.policy.policy import Policy
    from provguard.projects import CheckSetup


@dataclass(frozen=True)
class RunFlags:
    """How files are selected and checked, from the command line."""

    exclude: list[str] | None = None
    extend_exclude: Sequence[str] = ()
    force_exclude: bool = False
    jobs: int | None = None
    cache: bool = True
    quiet: bool = False
    lines: bool = False
    """Keep every file's lines by origin (the report's figures)."""


def setup_from(args: argparse.Namespace) -> CheckSetup | int:
    """The setup the flags give (`--pack`, `--severity`, `--ledger`, `--root`, `--no-git`), the paths checked to
    exist; else the exit code once what is wrong is printed."""
    from provguard.files import missing_message
    from provguard.projects import CheckSetup

    overrides = parse_overrides(args.severity)
    if isinstance(overrides, str):
        return usage_error(overrides)
    missing = [p for p in args.paths if not p.exists()]
    if missing:
        return usage_error(missing_message(missing[0]))
    if args.root is not None and (wrong_root := root_error(args.root)) is not None:
        return usage_error(wrong_root)
    return CheckSetup(tuple(args.packs) if args.packs else None, overrides, args.ledger, args.root, args.git)


def checked(paths: Sequence[Path], setup: CheckSetup, flags: RunFlags) -> CheckRun | int:
    """The run over `paths`, or the exit code once what stopped it is printed."""
    from provguard.check import ProjectError, RunOptions, run_check
    from provguard.check_pool import WorkerDied, default_jobs
    from provguard.ignores import check_selection
    from provguard.projects import Roots, outside_projects

    from .check_progress import Progress

    roots, given = Roots(setup.root), outside_projects(paths or [Path(".")])
    selection = check_selection(lambda folder: str(roots.of(Path(folder), given)), flags.exclude,
                                flags.extend_exclude, flags.force_exclude)
    if isinstance(selection, str):
        return usage_error(selection)
    progress = Progress.on_terminal(enabled=not flags.quiet)
    options = RunOptions(flags.jobs or default_jobs(), flags.cache, progress.update if progress else None,
                         selection, lines=flags.lines)
    try:
        return run_check(paths, setup, options, lambda root: project_policy(root, setup))
    except (ProjectError, WorkerDied) as exc:
        return usage_error(str(exc)) if str(exc) else EXIT_USAGE  # empty: what is wrong was said already
    finally:
        if progress is not None:
            progress.close()


def project_policy(root: Path, setup: CheckSetup) -> Policy | None:
    """A project's policy under the flags. Its own packs, when no flag overrides them, come from the policy cache
    the guard keeps (guard/policy_cache.py: valid while no pack or configuration file changed), so checking one
    file does not read YAML and compile every scope query again."""
    from provguard.guard import policy_cache

    own = setup.packs is None and not setup.overrides
    if own and (cached := policy_cache.load(root)) is not None:
        return cached
    policy = flagged_policy(root, list(setup.packs or ()) or None, dict(setup.overrides))
    if own and policy is not None:
        policy_cache.save(root, policy)
    return policy
