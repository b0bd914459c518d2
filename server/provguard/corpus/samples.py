"""One line of a JSONL corpus as a sample, or the reason it is not one (with the column where it breaks)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from provguard.untrusted_json import NotJson, loads_untrusted

from .judge import Record


@dataclass(frozen=True)
class Fields:
    """Which fields of a corpus line hold the code, its path and its language."""

    code: str = "content"
    path: str | None = None
    language: str | None = None


@dataclass(frozen=True)
class BadLine:
    """A line that is not a sample; `column` is 1-based in bytes of the line, when known."""

    problem: str
    column: int | None = None
    passable: bool = True
    """False for a line that may hold a sample provguard could not look at (nested too deeply): passing it
    through unjudged would let anyone slip a sample past the filter, so it is dropped whatever --on-bad-line."""

    def describe(self) -> str:
        return f"column {self.column}: {self.problem}" if self.column is not None else self.problem


@dataclass(frozen=True)
class Sample:
    record: Record
    data: dict[str, Any]
    """The whole JSON object, to write it back with the code field replaced when redacting."""


def parse_line(raw: bytes, fields: Fields) -> Sample | BadLine:
    """The sample on a line (without its line break), or why it is not one."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return BadLine(f"not valid UTF-8 ({exc.reason})", exc.start + 1)
    if not text.strip():
        return BadLine("blank line")
    data = loads_untrusted(text)
    if isinstance(data, NotJson):
        if data.unread:
            return BadLine(f"{data.reason}; never passed through, as it cannot be judged", passable=False)
        column = None if data.offset is None else len(text[:data.offset].encode("utf-8")) + 1
        return BadLine(f"not JSON: {data.reason}", column)
    if not isinstance(data, dict):
        return BadLine(f"a JSON {_type_name(data)}, not an object")
    code = data.get(fields.code)
    if code is None:
        return BadLine(f"no {fields.code!r} field (the code field; see --code-field)")
    if not isinstance(code, str):
        return BadLine(f"field {fields.code!r} is a {_type_name(code)}, not a string")
    path = _optional(data, fields.path)
    language = _optional(data, fields.language)
    if isinstance(path, BadLine):
        return path
    if isinstance(language, BadLine):
        return language
    return Sample(Record(code, path, language), data)


def _optional(data: dict[str, Any], name: str | None) -> str | BadLine | None:
    if name is None:
        return None
    value = data.get(name)
    if value is None or isinstance(value, str):
        return value or None
    return BadLine(f"field {name!r} is a {_type_name(value)}, not a string")


def _type_name(value: object) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", int: "number", float: "number"}
    return names.get(type(value), "null")
