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
MAX_LINE_BYTES = 64 << 20
"""A longer line is skipped unread and reported at its number: far beyond any record an agent writes (a pasted
image included), and a record file from a cloned repository may hold one line of gigabytes."""


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
    too_long: bool = False
    """Longer than MAX_LINE_BYTES: `data` is empty, the line was counted, not kept."""


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

    def stopped(self) -> bool:
        """The parser refused the line it was last fed (a budget spent): the read ends before that line, and the
        next import starts there, settled file or not."""


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
            record = _decode(line, parser)
            if record is not None:
                parser.feed(line, record)
                if parser.stopped():  # a budget spent: this line and the rest are read next time
                    break
            elif not (line.terminated or settled):
                parser.problems.pop()  # a half-written last line is not a problem: it is read again later
            if line.terminated or settled:
                consumed, count = line.end, count + 1
        held = None if settled else parser.hold()  # a stop ends the read before its line: consumed is there
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
    """Each chunk is searched once and a line's pieces joined once, so a line of any length costs its bytes
    (a line grown by copying and searched again per chunk would cost their square)."""
    file.seek(start)
    parts: list[bytes] = []
    size = 0  # bytes of the current line so far; its parts are dropped once it is too long
    line_start = position = start
    while chunk := file.read(CHUNK_BYTES):
        begin = 0
        while (newline := chunk.find(b"\n", begin)) >= 0:
            size += newline - begin
            too_long = size > MAX_LINE_BYTES
            data = b"" if too_long else b"".join((*parts, chunk[begin:newline])) if parts else chunk[begin:newline]
            yield Line(number, line_start, position + newline + 1, data, True, too_long)
            number += 1
            parts, size = [], 0
            begin = newline + 1
            line_start = position + begin
        size += len(chunk) - begin
        if size <= MAX_LINE_BYTES:
            parts.append(chunk[begin:])
        else:
            parts = []
        position += len(chunk)
    if size > MAX_LINE_BYTES:
        yield Line(number, line_start, position, b"", False, True)
    elif (pending := b"".join(parts)).strip():
        yield Line(number, line_start, position, pending, False)


def _count_breaks(file: BinaryIO, end: int) -> int:
    """Line breaks before `end`: the line number a resumed read starts at, for messages and sources."""
    file.seek(0)
    count = position = 0
    while position < end and (chunk := file.read(min(CHUNK_BYTES, end - position))):
        count += chunk.count(b"\n")
        position += len(chunk)
    return count


def _decode(line: Line, parser: LineParser) -> dict[str, Any] | None:
    if line.too_long:
        parser.problems.append((line.number, f"longer than {MAX_LINE_BYTES >> 20} MiB: skipped unread"))
        return None
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
    """The last line before byte `end` (a line boundary) containing `needle` (no line break in it), or b"":
    read backwards in chunks, so a long file costs only the tail after that line. Each byte is searched once
    (a line longer than a chunk is gathered in pieces, not searched again as it grows), and a line longer than
    MAX_LINE_BYTES is passed over, as the forward read skips it."""
    keep = max(len(needle) - 1, 0)
    position = end
    line: list[bytes] = []  # the line that crosses the block's end, from there on, in pieces
    size, prefix, has = 0, b"", False  # its bytes, its first `keep` bytes, whether it holds the needle
    too_long = False
    while position > 0:
        start = max(0, position - CHUNK_BYTES)
        file.seek(start)
        block = file.read(position - start)
        last_break = block.rfind(b"\n")
        head = block[last_break + 1:]
        if not too_long:
            has = has or needle in head + prefix
            line.insert(0, head)
            size, prefix = size + len(head), (head[:keep] + prefix)[:keep]
            too_long = size > MAX_LINE_BYTES
        if last_break < 0 and start > 0:  # the line goes on before this block
            position = start
            continue
        if has and not too_long:
            return b"".join(line)
        too_long = False
        first_whole = 0 if start == 0 else block.find(b"\n") + 1
        found = block.rfind(needle, first_whole, max(last_break, 0))
        if found >= 0:
            return block[block.rfind(b"\n", 0, found) + 1:block.find(b"\n", found)]
        head = block[:max(first_whole - 1, 0)]  # the line the block's start cuts: its beginning comes next
        line, size, prefix, has = [head], len(head), head[:keep], needle in head
        position = start
    return b""
