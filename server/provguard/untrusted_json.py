"""Parsing JSON that someone else wrote (a transcript line, a hook's stdin, a trace record, a corpus line).

Python's parser recurses once per nesting level and raises `RecursionError` (not `ValueError`) on a line of
100,000 `[`; and a value that parses just under the interpreter's limit can still fail later, where code
walks or re-serialises it from a deeper stack. So every untrusted text goes through `loads_untrusted`, which
returns a value no deeper than MAX_DEPTH, or a `NotJson` saying why not: never raises on bad input.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

MAX_DEPTH = 256
"""Deeper than any record provguard reads (transcripts, hooks, traces, notes and corpus lines nest a few
levels), far below the interpreter's recursion limit."""
MAX_CONTAINERS = 2_000_000
"""Arrays and objects in one value. Each costs 56 bytes or more in memory for 2 of text: a 63 MiB line of `[],`
under every size limit parsed into 1.7 GB in half a minute. Two million is more than any record holds (an
Agent Trace import reads at most 1,000,000 lines of ranges) and costs a few hundred MB at worst."""
_STRINGS = re.compile(rb'"(?:[^"\\]++|\\.)*+"')
_TEXT_STRINGS = re.compile(r'"(?:[^"\\]++|\\.)*+"')
"""A JSON string (an unterminated one is left alone); possessive, so matching never backtracks."""


@dataclass(frozen=True)
class NotJson:
    """Why a text is not a JSON value provguard reads; where, when there is one place to point at."""

    reason: str
    """json's own message ("Expecting value"), or "nested deeper than 256 levels", or the UTF-8 error."""
    line: int | None = None
    column: int | None = None
    """1-based, in characters, as json counts them."""
    offset: int | None = None
    """0-based index into the text: characters, or bytes for a UTF-8 error."""
    encoding: bool = False
    """The bytes are not UTF-8 (or another JSON encoding): `offset` is the first bad byte."""
    unread: bool = False
    """Valid JSON, maybe, but nothing in it was looked at: nested deeper than MAX_DEPTH, or holding more than
    MAX_CONTAINERS arrays and objects (refused before parsing). Callers that must judge every value (the corpus
    filter) drop it."""


def loads_untrusted(data: str | bytes) -> object | NotJson:
    """The JSON value in `data`, or why there is none (syntax, encoding, nesting, size in objects)."""
    openings = _openings(data)
    if openings > MAX_CONTAINERS and _containers(data) > MAX_CONTAINERS:
        return NotJson(f"holds more than {MAX_CONTAINERS:,} arrays and objects", unread=True)
    try:
        value: object = json.loads(data)
    except UnicodeDecodeError as exc:
        return NotJson(exc.reason, offset=exc.start, encoding=True)
    except json.JSONDecodeError as exc:  # its msg may end in a dangling "at": the position follows
        return NotJson(exc.msg.removesuffix(" at"), exc.lineno, exc.colno, exc.pos)
    except ValueError as exc:  # bytes in no JSON encoding, for one
        return NotJson(str(exc))
    except RecursionError:
        return _too_deep()
    if openings > MAX_DEPTH and too_deep(value):
        return _too_deep()
    return value


def json_object(data: str | bytes, what: str) -> dict[str, object] | str:
    """The JSON object in `data`, or a sentence saying why `what` ("the hook input") is not one, with where."""
    value = loads_untrusted(data)
    if isinstance(value, NotJson):
        return f"{what} is not UTF-8" if value.encoding else f"{what} is not JSON ({describe(value)})"
    return value if isinstance(value, dict) else f"{what} is not a JSON object"


def describe(not_json: NotJson) -> str:
    """Why, with where: "line 1, column 5: Expecting value", "nested deeper than 256 levels"."""
    if not_json.encoding:
        return f"not UTF-8 at byte {not_json.offset}: {not_json.reason}"
    where = f"line {not_json.line}, column {not_json.column}: " if not_json.line is not None else ""
    return f"{where}{not_json.reason}"


def too_deep(value: object, limit: int = MAX_DEPTH) -> bool:
    """Whether arrays and objects nest more than `limit` levels; walked without recursion."""
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def _openings(data: str | bytes) -> int:
    """Brackets and braces in the text: fewer than MAX_DEPTH cannot nest deeper, so most values skip the walk."""
    if isinstance(data, bytes):
        return data.count(b"[") + data.count(b"{")
    return data.count("[") + data.count("{")


def _containers(data: str | bytes) -> int:
    """Brackets and braces outside strings: the arrays and objects parsing would make (only counted when the
    text holds more brackets than the limit, so that code quoted in a transcript line is not taken for them)."""
    if isinstance(data, bytes):
        bare = _STRINGS.sub(b"", data)
        return bare.count(b"[") + bare.count(b"{")
    text = _TEXT_STRINGS.sub("", data)
    return text.count("[") + text.count("{")


def _too_deep() -> NotJson:
    return NotJson(f"nested deeper than {MAX_DEPTH} levels", unread=True)
