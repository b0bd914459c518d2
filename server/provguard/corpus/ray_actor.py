"""The actor of `provguard filter --engine ray` (ray_run.py): one judge per actor, then whole files, one per call.

It needs Ray only for the snapshot, read from Ray's object store when the actor starts; everything else is
corpus_files.py, the same code as one machine.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from typing import Any

from .corpus_files import FileResult, FileTask, filter_file
from .judge import Judge
from .pipeline import FilterConfig
from .snapshot import snapshot_from_buffer


@dataclass(frozen=True)
class JudgeSettings:
    """What the actors build their judge from, besides the snapshot (plain data, sent to every actor)."""

    placements: tuple[str, ...] | None
    """None: each file is judged at its output path (as the one-machine filter judges at OUTPUT)."""
    min_severity: str
    redact: bool


class FileStage:
    """The Ray actor's class: one judge per actor, built from the snapshot in the object store, then one whole
    file per call (`filter`), read and written by the actor itself; only the file's counts, report lines and
    digests go back to the driver."""

    def __init__(self, snapshot: bytes, settings: JudgeSettings, config: dict[str, Any], filesystems: bytes,
                 batch_rows: int, environment: dict[str, str] | None = None, hashed: bool = False) -> None:
        import ray

        os.environ.update(environment or {})  # before the file systems exist: they may read credentials from it

        from provguard.policy.model import Severity

        from .pipeline import OnBadLine
        from .samples import Fields

        buffer = ray.get(ray.cloudpickle.loads(snapshot))  # a read-only NumPy array in shared memory: no copy
        loaded = snapshot_from_buffer(buffer, "the policy snapshot")
        judge = Judge.from_snapshot(loaded, settings.placements or (), Severity(settings.min_severity), settings.redact)
        self.config = FilterConfig(judge, Fields(**config["fields"]), OnBadLine(config["on_bad_line"]),
                                   config["max_sample_bytes"])
        self.source_fs, self.target_fs = ray.cloudpickle.loads(filesystems)
        self.batch_rows = batch_rows
        self.per_file_placement = settings.placements is None
        self.hashed = hashed

    def started(self) -> bool:
        """Answered once the constructor has run: the actor is ready for files."""
        return True

    def filter(self, task: FileTask, placement: str) -> FileResult:
        """The file filtered into its output; what went wrong with it is the result's `error`, never raised."""
        config = self.config
        if self.per_file_placement:
            config = replace(config, judge=replace(config.judge, placements=(placement,)))
        try:
            return filter_file(config, task, self.source_fs, self.target_fs, self.batch_rows, self.hashed)
        except Exception as exc:  # a file system's own exception types: still this file's error, not the run's
            return FileResult(task.name, error=f"{task.name}: {type(exc).__name__}: {exc}")
