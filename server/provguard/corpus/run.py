"""One `provguard filter` run: opening the streams (plain, gzip or Zstandard), the progress line, bad lines on stderr,
the side report and the counts around `pipeline.run_filter`.

The input and output files are hashed (SHA-256) while they stream, for `--attest`: the input's digest is of the
bytes the filter read (the rest of the file, when a compressed stream ends before it, read at the end), the
output's of the bytes it wrote, so nothing is read twice and an attestation never names bytes the run did not see.
"""

from __future__ import annotations

import hashlib
import io
import os
import secrets
import stat
import sys
import zlib
from collections.abc import Iterator
from concurrent.futures.process import BrokenProcessPool
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, TextIO, cast

from provguard.files import relative_to_root
from provguard.printable import say

from . import compression
from .pipeline import FilterConfig, Outcome, run_filter
from .progress import Progress
from .side_report import Counts, SideReport

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer, WriteableBuffer

DEFAULT_PLACEMENT = "corpus.jsonl"


class StreamError(Exception):
    """The corpus or an output cannot be read or written; the message names the file."""


class InputError(StreamError):
    """The corpus stopped being readable part way (a truncated or damaged .gz or .zst)."""


class InputChanged(StreamError):
    """The input file changed on disk while the run read it: its bytes cannot be attested."""


@dataclass(frozen=True)
class Streamed:
    """SHA-256 of the files as the run read and wrote them, by the names they were given."""

    input: tuple[str, str] | None = None
    output: tuple[str, str] | None = None

    def digests(self) -> dict[str, str]:
        return dict(pair for pair in (self.input, self.output) if pair is not None)


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
    err: TextIO = field(default_factory=lambda: sys.stderr)  # the one in use when the run starts
    hashed: bool = False
    """Hash the input and output files as they stream (for --attest), and fail when the input changes meanwhile."""
    streamed: Streamed = Streamed()
    """Filled by `run` when `hashed`: the digests of the input and output files (not of standard input or output)."""

    def run(self, input_name: str, output_name: str, report_path: Path | None) -> Counts:
        """Raises StreamError (InputChanged when the input file changed on disk during the run)."""
        counts = Counts()
        read = _Hashing(None) if self.hashed and input_name != "-" else None
        written = _Hashing(None) if self.hashed and output_name != "-" else None
        with ExitStack() as stack:
            source = stack.enter_context(_opened_input(input_name, read))
            sink = stack.enter_context(_opened_output(output_name, written))
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
            if read is not None:
                read.finish(input_name)  # before the output is renamed into place: a changed input leaves none
        self.streamed = Streamed(None if read is None else (input_name, read.hexdigest()),
                                 None if written is None else (output_name, written.hexdigest()))
        return counts

    def _show_bad_line(self, outcome: Outcome, seen: int, reported: bool) -> None:
        assert outcome.problem is not None
        if seen <= self.bad_lines_shown:
            what = "passed through" if outcome.written else "dropped"
            say(f"{self.input_label}:{outcome.line}: {outcome.problem.describe()} ({what})", stream=self.err)
        elif seen == self.bad_lines_shown + 1:
            where = "listed in the report" if reported else "counted (use --report FILE to list them all)"
            say(f"more bad lines: {where}", stream=self.err)


class _Hashing(io.RawIOBase):
    """A raw file whose bytes are hashed as they pass, read or written; the input's identity on disk (device,
    inode, size, modification time) is taken when it opens and compared when the run ends."""

    def __init__(self, raw: io.FileIO | None) -> None:
        self.raw = raw
        self.digest = hashlib.sha256()
        self.size = 0
        self.opened: tuple[int, int, int, int] | None = None

    def attach(self, raw: io.FileIO) -> None:
        self.raw = raw
        self.opened = _identity(os.fstat(raw.fileno()))

    def readable(self) -> bool:
        return self.raw is not None and not self.raw.closed and self.raw.readable()

    def writable(self) -> bool:
        return self.raw is not None and not self.raw.closed and self.raw.writable()

    def readinto(self, buffer: WriteableBuffer) -> int:
        assert self.raw is not None
        count = self.raw.readinto(buffer) or 0
        self.digest.update(memoryview(buffer)[:count])
        self.size += count
        return count

    def write(self, data: ReadableBuffer) -> int:
        assert self.raw is not None
        count = self.raw.write(data) or 0
        self.digest.update(memoryview(data)[:count])
        self.size += count
        return count

    def close(self) -> None:
        if self.closed:
            return
        if self.raw is not None and not self.raw.closed and self.raw.writable():
            self.raw.close()  # a writer closes its file (an input's is closed by its `with`)
        super().close()

    def hexdigest(self) -> str:
        return self.digest.hexdigest()

    def finish(self, name: str) -> None:
        """Hashes what a compressed stream left unread (a .zst's padding, say), then checks the file is still
        the one opened, as long as it was then and unmodified: else what was hashed is not what is on disk."""
        assert self.raw is not None and self.opened is not None
        while chunk := self.raw.read(1 << 20):
            self.digest.update(chunk)
            self.size += len(chunk)
        try:
            now = os.stat(name)
        except OSError as exc:
            raise InputChanged(f"{name} changed while it was filtered (it cannot be read any more: "
                               f"{exc.strerror or exc}); nothing is attested") from exc
        ends = _identity(now)
        if ends != self.opened or self.size != now.st_size:
            what = "replaced by another file" if ends[:2] != self.opened[:2] else \
                f"{self.opened[2]} bytes when opened, {now.st_size} at the end, {self.size} read" \
                if self.opened[2] != now.st_size or self.size != now.st_size else "modified"
            raise InputChanged(f"{name} changed while it was filtered ({what}): the output and any attestation "
                               "would not match the file on disk; run again on a file that stays as it is")


def _identity(st: os.stat_result) -> tuple[int, int, int, int]:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


@contextmanager
def _opened_input(name: str, hashing: _Hashing | None = None) -> Iterator[BinaryIO]:
    if name == "-":
        yield sys.stdin.buffer
        return
    try:
        with _raw_input(name, hashing) as stream, compression.reading(stream, name) as unpacked:
            yield cast(BinaryIO, _NamedInput(unpacked, name))
    except OSError as exc:
        raise StreamError(f"cannot read {name}: {exc.strerror or exc}") from exc


@contextmanager
def _raw_input(name: str, hashing: _Hashing | None) -> Iterator[BinaryIO]:
    """The file buffered as usual, its bytes passing through `hashing` when given."""
    if hashing is None:
        with open(name, "rb", buffering=1 << 20) as stream:
            yield stream
        return
    with open(name, "rb", buffering=0) as raw:
        hashing.attach(raw)
        yield cast(BinaryIO, io.BufferedReader(hashing, 1 << 20))


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
def _opened_output(name: str, hashing: _Hashing | None = None) -> Iterator[BinaryIO]:
    if name == "-":
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    try:
        with _replacing(name, hashing) as stream, compression.writing(stream, name) as packed:
            yield packed
    except OSError as exc:
        raise StreamError(f"cannot write {name}: {exc.strerror or exc}") from exc


@contextmanager
def _replacing(name: str, hashing: _Hashing | None = None) -> Iterator[BinaryIO]:
    """A file written beside `name` and renamed over it when the block ends well, removed when it fails: a
    failed run leaves no empty or partial output behind, nor a clobbered earlier one. Anything that is not a
    regular file (a FIFO, /dev/null) is written in place. With `hashing`, the bytes written pass through it."""
    target = os.path.realpath(name)  # through a link to where the file is
    try:
        mode: int | None = os.stat(target).st_mode
    except FileNotFoundError:
        mode = None
    if mode is not None and not stat.S_ISREG(mode):
        with _writer(open(name, "wb", buffering=0), hashing) as stream:
            yield stream
        return
    folder, base = os.path.split(target)
    partial = os.path.join(folder, f".{base}.{secrets.token_hex(4)}.partial")
    created = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # the umask applies, as to any file
    finished = False
    try:
        with _writer(open(created, "wb", buffering=0), hashing) as stream:
            if mode is not None:
                os.chmod(partial, stat.S_IMODE(mode))
            yield stream
        os.replace(partial, target)
        finished = True
    finally:
        if not finished:
            with suppress(OSError):
                os.unlink(partial)


def _writer(raw: io.FileIO, hashing: _Hashing | None) -> io.BufferedWriter:
    """`raw` buffered as usual; closing the writer closes `raw`."""
    if hashing is None:
        return io.BufferedWriter(raw, 1 << 20)
    hashing.raw = raw
    return io.BufferedWriter(hashing, 1 << 20)


def _text(stream: BinaryIO) -> TextIO:
    return io.TextIOWrapper(stream, encoding="utf-8")
