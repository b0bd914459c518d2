"""The streaming filter: lines in, verdicts from a pool of worker processes, lines out in input order.

Memory stays flat whatever the corpus size: lines are read in batches, at most `2 x workers` batches are in
flight, and a batch's lines are written and released as soon as its verdicts (and every earlier batch's) are
back. A worker returns only what changes (the verdict, the redacted line); kept lines are written from the
reader's copy, so the bulk of the corpus crosses a process boundary once.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from enum import StrEnum
from typing import BinaryIO

from .judge import Action, Judge, Reason, Record, Verdict
from .samples import BadLine, Fields, Sample, parse_line

BATCH_LINES = 256
BATCH_BYTES = 4 << 20
MAX_SAMPLE_BYTES = 64 << 20


class OnBadLine(StrEnum):
    PASS = "pass"
    DROP = "drop"


@dataclass(frozen=True)
class FilterConfig:
    """Everything a worker needs, sent once when it starts."""

    judge: Judge
    fields: Fields
    on_bad_line: OnBadLine = OnBadLine.PASS
    max_sample_bytes: int = MAX_SAMPLE_BYTES


@dataclass(frozen=True)
class Line:
    number: int
    """1-based line number in the input."""
    raw: bytes
    """Without its line break; empty for an oversized line, which is never held."""
    size: int
    """Bytes the line took in the input, line break included."""
    oversized: bool = False


@dataclass(frozen=True)
class Outcome:
    """What became of one line. `action` is None for a bad line."""

    line: int
    action: Action | None
    reasons: tuple[Reason, ...] = ()
    replacement: bytes | None = None
    """The line to write instead of the input's (a redacted sample), without its line break."""
    problem: BadLine | None = None
    path: str | None = None
    written: bool = True


def read_lines(stream: BinaryIO, max_bytes: int) -> Iterator[Line]:
    """Lines of a byte stream; a line longer than `max_bytes` is read through in chunks and reported as
    oversized without keeping it, so one huge line cannot exhaust memory."""
    number = 0
    while True:
        raw = stream.readline(max_bytes + 1)
        if not raw:
            return
        number += 1
        if len(raw) <= max_bytes or raw.endswith(b"\n"):
            yield Line(number, raw.rstrip(b"\n"), len(raw))
            continue
        size = len(raw)
        while raw and not raw.endswith(b"\n"):
            raw = stream.readline(1 << 20)
            size += len(raw)
        yield Line(number, b"", size, oversized=True)


def batches(lines: Iterator[Line]) -> Iterator[list[Line]]:
    batch: list[Line] = []
    size = 0
    for line in lines:
        batch.append(line)
        size += line.size
        if len(batch) >= BATCH_LINES or size >= BATCH_BYTES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def judge_lines(config: FilterConfig, batch: list[Line]) -> list[Outcome]:
    """Verdicts for a batch of lines: what `provguard filter` does in each worker."""
    parsed: list[tuple[Line, Sample | BadLine]] = []
    for line in batch:
        if line.oversized:
            parsed.append((line, BadLine(f"longer than {config.max_sample_bytes} bytes (--max-sample-bytes); "
                                         "never passed through, as it cannot be judged")))
        else:
            parsed.append((line, parse_line(line.raw, config.fields)))
    samples = [p for _, p in parsed if isinstance(p, Sample)]
    verdicts = iter(judge_records(config.judge, [s.record for s in samples]))
    out: list[Outcome] = []
    for line, item in parsed:
        if isinstance(item, BadLine):
            passed = config.on_bad_line is OnBadLine.PASS and not line.oversized and item.passable
            out.append(Outcome(line.number, None, problem=item, written=passed))
            continue
        verdict = next(verdicts)
        if isinstance(verdict, BadLine):
            out.append(Outcome(line.number, None, problem=verdict, path=item.record.path, written=False))
            continue
        replacement = None
        if verdict.action is Action.REDACT:
            data = dict(item.data)
            data[config.fields.code] = verdict.redacted
            replacement = json.dumps(data, ensure_ascii=False).encode("utf-8", "surrogatepass")
        out.append(Outcome(line.number, verdict.action, verdict.reasons, replacement, path=item.record.path,
                           written=verdict.action is not Action.DROP))
    return out


def judge_records(judge: Judge, records: list[Record]) -> list[Verdict | BadLine]:
    """The batch's verdicts; when judging fails (a bug, not bad input), each record is judged alone so only the
    one that fails is lost, dropped with the error as its problem: never written unjudged."""
    try:
        return list(judge.judge_batch(records))
    except Exception:
        out: list[Verdict | BadLine] = []
        for record in records:
            try:
                out.append(judge.judge(record))
            except Exception as exc:
                out.append(BadLine(f"cannot be judged ({type(exc).__name__}: {exc})"))
        return out


_CONFIG: FilterConfig | None = None


def _start_worker(config: FilterConfig) -> None:
    global _CONFIG
    _CONFIG = config


def _judge_in_worker(batch: list[Line]) -> list[Outcome]:
    assert _CONFIG is not None, "worker started without its configuration"
    return judge_lines(_CONFIG, batch)


def run_filter(config: FilterConfig, source: BinaryIO, sink: BinaryIO, workers: int,
               on_outcome: Callable[[Outcome], None], on_progress: Callable[[int], None] | None = None) -> None:
    """Filters `source` into `sink`; `on_outcome` sees every line's outcome in input order, `on_progress` the
    input bytes consumed after each batch. `workers` <= 1 judges in this process."""
    lines = read_lines(source, config.max_sample_bytes)

    def emit(batch: list[Line], outcomes: list[Outcome]) -> None:
        for line, outcome in zip(batch, outcomes, strict=True):
            if outcome.written:
                sink.write(outcome.replacement if outcome.replacement is not None else line.raw)
                sink.write(b"\n")
            on_outcome(outcome)
        if on_progress is not None:
            on_progress(sum(line.size for line in batch))

    if workers <= 1:
        for batch in batches(lines):
            emit(batch, judge_lines(config, batch))
        return
    pending: deque[tuple[list[Line], Future[list[Outcome]]]] = deque()
    with ProcessPoolExecutor(workers, initializer=_start_worker, initargs=(config,)) as pool:
        for batch in batches(lines):
            if len(pending) >= 2 * workers:
                done, future = pending.popleft()
                emit(done, future.result())
            pending.append((batch, pool.submit(_judge_in_worker, batch)))
        while pending:
            done, future = pending.popleft()
            emit(done, future.result())
