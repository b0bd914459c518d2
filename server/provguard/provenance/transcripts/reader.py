"""Reading a JSON-lines file from where the last import stopped, one complete line at a time.

Agents append to their transcripts while they run, so the last line may be half written. Only lines that
end with a line break are consumed; an unterminated last line is looked at (a finished file need not end
with a break) but the cursor stays before it, so it is read again, whole, next time.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from provguard.files import open_regular
from provguard.ledger.model import AgentEdit, ImportCursor
from provguard.untrusted_json import NotJson, loads_untrusted

IDENTITY_BYTES = 4096
CHUNK_BYTES = 1 << 20


@dataclass(frozen=True)
class Line:
    number: int
    """1-based line number in the file."""
    start: int
    """Byte offset of the line's first byte."""
    end: int
    """Byte offset just after its line break (or the end of the file for an unterminated line)."""
    data: bytes
    terminated: bool


@dataclass(frozen=True)
class Problem:
    """A line that was skipped, and why."""

    file: str
    line: int
    """1-based; 0 when the problem is the whole file."""
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.reason}" if self.line else f"{self.file}: {self.reason}"


class LineParser(Protocol):
    """One agent's transcript format: records in, edits and problems (at line numbers) out."""

    edits: list[AgentEdit]
    problems: list[tuple[int, str]]
    skipped: Counter[str]
    """Well-formed lines of types the parser does not know, by type: the agent's format moved on, and a
    count says so once instead of one problem per line."""

    def resume(self, file: BinaryIO, offset: int) -> None:
        """Recovers what the lines before `offset` said that later lines rely on (session, model, folder)."""

    def feed(self, line: Line, record: dict[str, Any]) -> None: ...

    def hold(self) -> int | None:
        """Offset of the earliest tool call still waiting for its outcome: the next read starts there."""


@dataclass(frozen=True)
class FileRead:
    edits: list[AgentEdit]
    problems: list[Problem]
    cursor: ImportCursor
    lines: int
    """Complete lines read."""
    bytes: int
    restarted: bool
    """The file was replaced or shrank since the last import and was read from the start."""
    skipped: Counter[str]
    """Lines of unknown types read this time, by type (also summed up in one problem at line 0)."""


def identity(file: BinaryIO, length: int) -> str:
    file.seek(0)
    return hashlib.blake2b(file.read(min(length, IDENTITY_BYTES)), digest_size=16).hexdigest()


def read_transcript(path: Path, parser: LineParser, cursor: ImportCursor | None,
                    settled: bool = False) -> FileRead:
    """Feeds the lines after `cursor` to `parser`; raises OSError when the file cannot be read.

    `settled`: the agent is done with the file, so an unterminated last line is all there will ever be (read,
    or reported when it is not JSON) and calls without an outcome are abandoned: the cursor goes to the end
    and the file costs nothing in later imports."""
    opened = open_regular(path)  # a FIFO named like a transcript would block the import forever
    if isinstance(opened, str):
        raise OSError(opened)
    with opened as file:
        size = file.seek(0, 2)
        start = 0
        if cursor is not None and cursor.offset <= size and identity(file, cursor.offset) == cursor.identity:
            start = cursor.offset
        restarted = cursor is not None and start == 0 and cursor.offset > 0
        first = 1
        if start:
            parser.resume(file, start)
            first += _count_breaks(file, start)
        consumed, count = start, 0
        for line in _lines(file, start, first):
            if line.terminated or settled:
                consumed, count = line.end, count + 1
            record = _decode(line, parser)
            if record is not None:
                parser.feed(line, record)
            elif not (line.terminated or settled):
                parser.problems.pop()  # a half-written last line is not a problem: it is read again later
        held = None if settled else parser.hold()
        offset = consumed if held is None else min(held, consumed)
        new_cursor = ImportCursor(offset, identity(file, offset))
        problems = [Problem(str(path), number, reason) for number, reason in sorted(parser.problems)]
        if parser.skipped:
            problems.append(Problem(str(path), 0, skipped_summary(parser.skipped)))
    return FileRead(parser.edits, problems, new_cursor, count, consumed - start, restarted, parser.skipped)


def skipped_summary(skipped: Counter[str]) -> str:
    """One line for all the lines of unknown types in a file, commonest first."""
    total = sum(skipped.values())
    kinds = ", ".join(f"{kind!r} ({n})" for kind, n in skipped.most_common())
    return f"{total} line{'' if total == 1 else 's'} of types this version does not read: {kinds}"


def _lines(file: BinaryIO, start: int, number: int) -> Iterator[Line]:
    file.seek(start)
    pending = b""
    position = start
    while chunk := file.read(CHUNK_BYTES):
        pending += chunk
        begin = 0
        while (newline := pending.find(b"\n", begin)) >= 0:
            yield Line(number, position + begin, position + newline + 1, pending[begin:newline], True)
            number += 1
            begin = newline + 1
        position += begin
        pending = pending[begin:]
    if pending.strip():
        yield Line(number, position, position + len(pending), pending, False)


def _count_breaks(file: BinaryIO, end: int) -> int:
    """Line breaks before `end`: the line number a resumed read starts at, for messages and sources."""
    file.seek(0)
    count = position = 0
    while position < end and (chunk := file.read(min(CHUNK_BYTES, end - position))):
        count += chunk.count(b"\n")
        position += len(chunk)
    return count


def _decode(line: Line, parser: LineParser) -> dict[str, Any] | None:
    data = line.data.rstrip(b"\r")
    if not data.strip():
        return {}
    record = loads_untrusted(data)
    if isinstance(record, NotJson):
        if record.encoding:
            reason = f"not valid UTF-8 (byte {(record.offset or 0) + 1} of the line)"
        else:
            reason = f"not JSON: {record.reason}{f' (column {record.column})' if record.column else ''}"
        parser.problems.append((line.number, reason))
        return None
    if not isinstance(record, dict):
        parser.problems.append((line.number, f"a JSON {type(record).__name__}, not an object"))
        return None
    return record


def last_line_with(file: BinaryIO, end: int, needle: bytes) -> bytes:
    """The last line before byte `end` (a line boundary) containing `needle`, or b"": read backwards in
    chunks, so a long file costs only the tail after that line."""
    position, carry = end, b""
    while position > 0:
        start = max(0, position - CHUNK_BYTES)
        file.seek(start)
        block = file.read(position - start) + carry
        first_break = block.find(b"\n")
        whole_from = 0 if start == 0 else first_break + 1 if first_break >= 0 else len(block)
        found = block.rfind(needle, whole_from)
        if found >= 0:
            line_end = block.find(b"\n", found)
            return block[block.rfind(b"\n", 0, found) + 1:line_end if line_end >= 0 else len(block)]
        carry = block[:whole_from]  # a line cut by the chunk's start: its beginning is in the previous chunk
        position = start
    return b""
