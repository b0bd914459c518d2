"""One `provguard filter` run: opening the streams (plain, gzip or Zstandard), the progress line, bad lines on stderr,
the side report and the counts around `pipeline.run_filter`."""

from __future__ import annotations

import sys
import zlib
from collections.abc import Iterator
from concurrent.futures.process import BrokenProcessPool
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, TextIO

from provguard.files import relative_to_root

from . import compression
from .pipeline import FilterConfig, Outcome, run_filter
from .progress import Progress
from .side_report import Counts, SideReport

DEFAULT_PLACEMENT = "corpus.jsonl"


class StreamError(Exception):
    """The corpus or an output cannot be read or written; the message names the file."""


def corpus_placement(input_name: str, output_name: str, root: Path) -> str:
    """Where the samples are going, for path rules: the output file, else the input file, else corpus.jsonl;
    without a compression suffix (`train.jsonl.gz` is judged as `train.jsonl`, and so is `.zst`)."""
    for name in (output_name, input_name):
        if name != "-":
            path = Path(compression.bare(name))
            return relative_to_root(path, root)
    return DEFAULT_PLACEMENT


@dataclass
class FilterRun:
    config: FilterConfig
    workers: int
    input_label: str
    """How bad lines name the input: its path, or <stdin>."""
    bad_lines_shown: int
    err: TextIO = sys.stderr

    def run(self, input_name: str, output_name: str, report_path: Path | None) -> Counts:
        counts = Counts()
        with ExitStack() as stack:
            source = stack.enter_context(_opened_input(input_name))
            sink = stack.enter_context(_opened_output(output_name))
            report = None
            if report_path is not None:
                try:
                    report = SideReport(stack.enter_context(report_path.open("w", encoding="utf-8")))
                except OSError as exc:
                    raise StreamError(f"cannot write the report {report_path}: {exc.strerror or exc}") from exc
            progress = None
            if self.err.isatty():
                plain = input_name != "-" and not compression.compressed(input_name)
                total = Path(input_name).stat().st_size if plain else None
                progress = Progress(self.err, total)

            def on_outcome(outcome: Outcome) -> None:
                counts.add(outcome)
                if report is not None:
                    report.add(outcome)
                if outcome.problem is not None:
                    self._show_bad_line(outcome, counts.bad, report is not None)

            try:
                run_filter(self.config, source, sink, self.workers, on_outcome,
                           progress.advance if progress is not None else None)
            except BrokenProcessPool as exc:
                raise StreamError(f"a worker process died (out of memory?) while filtering {self.input_label}; "
                                  f"{counts.lines} lines were done") from exc
            except (OSError, EOFError, zlib.error) as exc:
                raise StreamError(f"{self.input_label} or {output_name}: {exc}") from exc
            finally:
                if progress is not None:
                    progress.close()
            if report is not None:
                report.finish(counts)
        return counts

    def _show_bad_line(self, outcome: Outcome, seen: int, reported: bool) -> None:
        assert outcome.problem is not None
        if seen <= self.bad_lines_shown:
            what = "passed through" if outcome.written else "dropped"
            print(f"provguard: {self.input_label}:{outcome.line}: {outcome.problem.describe()} ({what})",
                  file=self.err)
        elif seen == self.bad_lines_shown + 1:
            where = "listed in the report" if reported else "counted (use --report FILE to list them all)"
            print(f"provguard: more bad lines: {where}", file=self.err)


@contextmanager
def _opened_input(name: str) -> Iterator[BinaryIO]:
    if name == "-":
        yield sys.stdin.buffer
        return
    try:
        with open(name, "rb", buffering=1 << 20) as stream, compression.reading(stream, name) as unpacked:
            yield unpacked
    except OSError as exc:
        raise StreamError(f"cannot read {name}: {exc.strerror or exc}") from exc


@contextmanager
def _opened_output(name: str) -> Iterator[BinaryIO]:
    if name == "-":
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    try:
        with open(name, "wb", buffering=1 << 20) as stream, compression.writing(stream, name) as packed:
            yield packed
    except OSError as exc:
        raise StreamError(f"cannot write {name}: {exc.strerror or exc}") from exc
