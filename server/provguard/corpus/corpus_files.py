"""One corpus file filtered by one worker: JSONL (plain, gzip or Zstandard) or Parquet, on any pyarrow file system.

This is the unit of work of the Ray engine (ray_run.py) and it needs no Ray: a worker reads the file,
judges its records with the same judge and the same line handling as `provguard filter` on one machine
(pipeline.run_filter for JSONL, so the outputs are the same bytes), and writes the output file under a
temporary name renamed into place at the end. A worker that dies mid-file leaves no output under the final
name, and the retried task writes the whole file again: every record appears exactly once.

For an attestation (`hashed`), the worker hashes what it read and wrote as the bytes pass, on whatever file
system they are (a URI's object store too): a JSONL input to its last byte, the output as uploaded. A Parquet
input is read by ranges (its footer first), so it is hashed by one sequential reading just before.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, BinaryIO, cast

from . import compression
from .judge import Action, Record
from .pipeline import FilterConfig, OnBadLine, Outcome, judge_records, run_filter
from .samples import BadLine
from .side_report import Counts, report_entry

if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.fs as pafs

JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json")
PARQUET_SUFFIXES = (".parquet", ".pq")
PARTIAL = ".provguard-partial"


class CorpusFileError(Exception):
    """A corpus file cannot be read or written; the message names it."""


def file_format(name: str) -> str | None:
    """"jsonl" or "parquet" by the file's name (`.gz` or `.zst` for compressed JSONL), None for other files."""
    lower = name.lower()
    if compression.bare(lower).endswith(JSONL_SUFFIXES):
        return "jsonl"
    if lower.endswith(PARQUET_SUFFIXES):
        return "parquet"
    return None


@dataclass(frozen=True)
class FileTask:
    source: str
    """Path of the input on the file system."""
    target: str
    """Path of the output on its file system."""
    name: str
    """How reports name the file: its path relative to the input folder (or the input as given)."""
    output_name: str = ""
    """How messages name the output (OUTPUT as given, joined with `name` for a folder); `target` if empty."""


@dataclass
class FileResult:
    name: str
    counts: Counts = field(default_factory=Counts)
    report: list[str] = field(default_factory=list)
    """Side-report lines (JSON, without line breaks) for records not kept as they were, in file order."""
    error: str | None = None
    digests: tuple[str, str] | None = None
    """SHA-256 (hex) of the input and of the output as this worker read and wrote them, when `hashed`."""


def filter_file(config: FilterConfig, task: FileTask, source_fs: pafs.FileSystem, target_fs: pafs.FileSystem,
                batch_rows: int = 1024, hashed: bool = False) -> FileResult:
    result = FileResult(task.name)
    report = _FileReport(task.name, result)
    digests = (hashlib.sha256(), hashlib.sha256()) if hashed else None
    try:
        if file_format(task.source) == "parquet":
            _filter_parquet(config, task, source_fs, target_fs, batch_rows, report, digests)
        else:
            _filter_jsonl(config, task, source_fs, target_fs, report, digests)
    except CorpusFileError as exc:
        return FileResult(task.name, error=str(exc))
    if digests is not None:
        result.digests = (digests[0].hexdigest(), digests[1].hexdigest())
    return result


Digests = tuple["hashlib._Hash", "hashlib._Hash"] | None
"""The input's and the output's running SHA-256, when the run is attested."""


class _FileReport:
    """Counts and side-report lines of one file; each line names the file first, then the line (JSONL) or
    the 0-based row (Parquet)."""

    def __init__(self, name: str, result: FileResult, position: str = "line") -> None:
        self.name = name
        self.result = result
        self.position = position

    def add(self, outcome: Outcome) -> None:
        self.result.counts.add(outcome)
        record = report_entry(outcome)
        if record is not None:
            at = record.pop("line")
            self.result.report.append(json.dumps({"file": self.name, self.position: at, **record},
                                                 ensure_ascii=False))


def _filter_jsonl(config: FilterConfig, task: FileTask, source_fs: pafs.FileSystem, target_fs: pafs.FileSystem,
                  report: _FileReport, digests: Digests = None) -> None:
    with _input(source_fs, task.source, digests and digests[0]) as source, \
            _output(target_fs, task.target, task.output_name, digests and digests[1]) as sink:
        try:
            run_filter(config, source, sink, 1, report.add)
        except (OSError, EOFError) as exc:
            raise CorpusFileError(f"{task.name}: {exc}") from exc


def _filter_parquet(config: FilterConfig, task: FileTask, source_fs: pafs.FileSystem, target_fs: pafs.FileSystem,
                    batch_rows: int, report: _FileReport, digests: Digests = None) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    report.position = "row"
    try:
        if digests is not None:
            with _input(source_fs, task.source, digests[0], unpack=False) as whole:
                while whole.read(1 << 20):
                    pass
        stream = source_fs.open_input_file(task.source)
        parquet = pq.ParquetFile(stream)
        schema = parquet.schema_arrow
    except (OSError, pa.ArrowException) as exc:
        raise CorpusFileError(f"{task.name}: not a readable Parquet file ({exc})") from exc
    with _output(target_fs, task.target, task.output_name, digests and digests[1]) as sink:
        writer = pq.ParquetWriter(sink, schema)
        row = 0
        try:
            for batch in parquet.iter_batches(batch_size=batch_rows):
                table = pa.Table.from_batches([batch], schema)
                writer.write_table(_judge_table(config, table, row, report))
                row += table.num_rows
        except (OSError, pa.ArrowException) as exc:
            raise CorpusFileError(f"{task.name}: cannot read row {row} onwards ({exc})") from exc
        finally:
            writer.close()


def _judge_table(config: FilterConfig, table: pa.Table, first_row: int, report: _FileReport) -> pa.Table:
    """The rows of `table` to write (redacted where judged so), reporting each row's outcome; rows are
    numbered from 0 in the file."""
    import pyarrow as pa

    fields = config.fields
    items = table_records(table, fields.code, fields.path, fields.language)
    records = [item for item in items if isinstance(item, Record)]
    verdicts = iter(judge_records(config.judge, records))
    keep: list[bool] = []
    codes: list[Any] = table.column(fields.code).to_pylist() if fields.code in table.column_names else []
    for i, item in enumerate(items):
        number = first_row + i
        if isinstance(item, BadLine):
            written = config.on_bad_line is OnBadLine.PASS
            report.add(Outcome(number, None, problem=item, written=written))
            keep.append(written)
            continue
        verdict = next(verdicts)
        if isinstance(verdict, BadLine):
            report.add(Outcome(number, None, problem=verdict, path=item.path, written=False))
            keep.append(False)
            continue
        if verdict.action is Action.REDACT:
            codes[i] = verdict.redacted
        report.add(Outcome(number, verdict.action, verdict.reasons, path=item.path,
                           written=verdict.action is not Action.DROP))
        keep.append(verdict.action is not Action.DROP)
    if codes:
        at = table.column_names.index(fields.code)
        table = table.set_column(at, table.schema.field(at), pa.array(codes, table.schema.field(at).type))
    return table.filter(pa.array(keep, pa.bool_()))


def table_records(table: pa.Table, code: str, path: str | None, language: str | None) -> list[Record | BadLine]:
    """Each row of a table as a record, or why it is not one (no code column, null or non-text code)."""
    if code not in table.column_names:
        return [BadLine(f"no {code!r} column (the code field; see --code-field)")] * table.num_rows
    codes = table.column(code).to_pylist()
    optional = [table.column(name).to_pylist() if name is not None and name in table.column_names
                else [None] * table.num_rows for name in (path, language)]
    out: list[Record | BadLine] = []
    for i, value in enumerate(codes):
        out.append(_record(table, code, (path, language), value, optional[0][i], optional[1][i]))
    return out


def _record(table: pa.Table, code: str, names: tuple[str | None, str | None], value: Any, path: Any,
            language: Any) -> Record | BadLine:
    if value is None:
        return BadLine(f"{code!r} is null")
    if isinstance(value, bytes):
        try:
            value = value.decode("utf-8")
        except UnicodeDecodeError as exc:
            return BadLine(f"{code!r} is not valid UTF-8 ({exc.reason} at byte {exc.start})")
    if not isinstance(value, str):
        return BadLine(f"{code!r} is a {table.schema.field(code).type} column, not text")
    for name, found in zip(names, (path, language), strict=True):
        if found is not None and not isinstance(found, str):
            return BadLine(f"{name!r} is a {table.schema.field(name).type} column, not text")
    return Record(value, path or None, language or None)


# -- streams on pyarrow file systems ---------------------------------------------------------------------


class _Raw(io.RawIOBase):
    """A pyarrow stream as a Python raw stream, so it can be buffered (pyarrow's streams lack `readline`); with a
    digest, every byte read or written through it is hashed."""

    def __init__(self, stream: Any, digest: hashlib._Hash | None = None) -> None:
        self._stream = stream
        self._digest = digest

    def readable(self) -> bool:
        return True

    def writable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._stream.read(len(buffer))
        buffer[: len(data)] = data
        if self._digest is not None:
            self._digest.update(data)
        return len(data)

    def write(self, data: Any) -> int:
        self._stream.write(data)
        if self._digest is not None:
            self._digest.update(data)
        return len(memoryview(data))

    def drain(self) -> None:
        """Hashes what the reader left unread (a compressed stream's padding, say): the digest is the file's."""
        if self._digest is not None:
            while data := self._stream.read(1 << 20):
                self._digest.update(data)


@contextmanager
def _input(fs: pafs.FileSystem, path: str, digest: hashlib._Hash | None = None,
           unpack: bool = True) -> Iterator[BinaryIO]:
    try:
        stream = fs.open_input_stream(path, compression=None)
    except OSError as exc:
        raise CorpusFileError(f"cannot read {path}: {exc}") from exc
    with stream:
        raw = _Raw(stream, digest)
        buffered = io.BufferedReader(raw, 1 << 20)
        if not unpack:
            yield cast(BinaryIO, buffered)
        else:
            with compression.reading(cast(BinaryIO, buffered), path) as unpacked:
                yield unpacked
        try:
            raw.drain()
        except OSError as exc:
            raise CorpusFileError(f"cannot read {path}: {exc}") from exc


@contextmanager
def _output(fs: pafs.FileSystem, path: str, shown: str = "", digest: hashlib._Hash | None = None) -> Iterator[BinaryIO]:
    """A stream to `path + PARTIAL`, moved to `path` when the block ends without an error. Failing to create,
    finish (flush, close: an object store's upload) or rename it is a CorpusFileError naming `shown`."""
    partial = path + PARTIAL
    try:
        parent = path.rpartition("/")[0]
        if parent:
            fs.create_dir(parent, recursive=True)
        stream = fs.open_output_stream(partial, compression=None)
    except OSError as exc:
        raise CorpusFileError(f"cannot write {shown or path}: {_reason(exc)}") from exc
    written = False
    try:
        buffered = io.BufferedWriter(_Raw(stream, digest), 1 << 20)
        with compression.writing(cast(BinaryIO, buffered), path) as packed:
            yield packed
            written = True
        buffered.flush()
        stream.close()
        fs.move(partial, path)
    except BaseException as exc:
        with suppress(OSError):
            stream.close()
        with suppress(OSError):
            fs.delete_file(partial)
        if written and isinstance(exc, OSError):
            raise CorpusFileError(f"cannot write {shown or path}: {_reason(exc)}") from exc
        raise


def _reason(exc: OSError) -> str:
    """The system's words for an error with a number (pyarrow's own text repeats the temporary paths)."""
    return os.strerror(exc.errno) if exc.errno else str(exc)
