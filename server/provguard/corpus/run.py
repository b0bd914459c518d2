"""One `provguard filter` run: opening the streams (plain, gzip or Zstandard), the progress line, bad lines on stderr,
the side report and the counts around `pipeline.run_filter`."""

from __future__ import annotations

import io
import os
import secrets
import stat
import sys
import zlib
from collections.abc import Iterator
from concurrent.futures.process import BrokenProcessPool
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, TextIO, cast

from provguard.files import relative_to_root

from . import compression
from .pipeline import FilterConfig, Outcome, run_filter
from .progress import Progress
from .side_report import Counts, SideReport

DEFAULT_PLACEMENT = "corpus.jsonl"


class StreamError(Exception):
    """The corpus or an output cannot be read or written; the message names the file."""


class InputError(StreamError):
    """The corpus stopped being readable part way (a truncated or damaged .gz or .zst)."""


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
                    report = SideReport(stack.enter_context(_text(stack.enter_context(_replacing(str(report_path))))))
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
            except InputError as exc:
                unwritten = [str(n) for n in (output_name, report_path) if n not in (None, "-")]
                raise InputError(f"{exc}" + (f"; {' and '.join(unwritten)} not written" if unwritten else "")) \
                    from exc
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
            yield cast(BinaryIO, _NamedInput(unpacked, name))
    except OSError as exc:
        raise StreamError(f"cannot read {name}: {exc.strerror or exc}") from exc


class _NamedInput:
    """The corpus stream, whose read failures name it: a cut `.gz` is the input's fault, not the output's.
    Only `readline` is offered: all `pipeline.read_lines` calls."""

    def __init__(self, stream: BinaryIO, name: str) -> None:
        self._stream = stream
        self._name = name

    def readline(self, size: int = -1) -> bytes:
        try:
            return self._stream.readline(size)
        except EOFError as exc:  # gzip's stream ended before its end marker
            raise InputError(f"cannot read {self._name}: truncated: {exc}") from exc
        except (OSError, zlib.error) as exc:
            raise InputError(f"cannot read {self._name}: {exc}") from exc


@contextmanager
def _opened_output(name: str) -> Iterator[BinaryIO]:
    if name == "-":
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    try:
        with _replacing(name) as stream, compression.writing(stream, name) as packed:
            yield packed
    except OSError as exc:
        raise StreamError(f"cannot write {name}: {exc.strerror or exc}") from exc


@contextmanager
def _replacing(name: str) -> Iterator[BinaryIO]:
    """A file written beside `name` and renamed over it when the block ends well, removed when it fails: a
    failed run leaves no empty or partial output behind, nor a clobbered earlier one. Anything that is not a
    regular file (a FIFO, /dev/null) is written in place."""
    target = os.path.realpath(name)  # through a link to where the file is
    try:
        mode: int | None = os.stat(target).st_mode
    except FileNotFoundError:
        mode = None
    if mode is not None and not stat.S_ISREG(mode):
        with open(name, "wb", buffering=1 << 20) as stream:
            yield stream
        return
    folder, base = os.path.split(target)
    partial = os.path.join(folder, f".{base}.{secrets.token_hex(4)}.partial")
    created = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # the umask applies, as to any file
    finished = False
    try:
        with open(created, "wb", buffering=1 << 20) as stream:
            if mode is not None:
                os.chmod(partial, stat.S_IMODE(mode))
            yield stream
        os.replace(partial, target)
        finished = True
    finally:
        if not finished:
            with suppress(OSError):
                os.unlink(partial)


def _text(stream: BinaryIO) -> TextIO:
    return io.TextIOWrapper(stream, encoding="utf-8")
