"""Reading Agent Trace records tolerantly: each part checked by hand, the sound parts kept.

No schema library at run time: the structure is checked field by field, so a problem can say where it is. A
bad range or conversation is a problem at its JSON path (files[0].conversations[1].ranges[2]) and the rest of
the record still counts; a record without its required fields, or of a version provguard does not read, is a
problem as a whole. Unknown keys are ignored: minor versions only add optional fields.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from provguard.provenance.transcripts.records import utc_time

from .agent_trace import (
    CONTRIBUTOR_TYPES,
    READ_VERSIONS,
    SPEC_VERSION,
    VCS_TYPES,
    Contributor,
    Conversation,
    LineRange,
    Related,
    Tool,
    TracedFile,
    TraceRecord,
    Vcs,
)
from .agent_trace_flat import is_flat, read_flat

_VERSION = re.compile(r"(\d+)\.(\d+)(?:\.(\d+))?")


@dataclass(frozen=True)
class ReadRecord:
    """One JSON object read as a trace record: the record (None when it is unusable) and what was wrong."""

    record: TraceRecord | None
    problems: tuple[str, ...]
    """Each "where: why", where a JSON path like files[0].conversations[1].ranges[2]."""


class _Invalid(Exception):
    """A part of the record that cannot be read; the message says where and why."""


# -- reading --------------------------------------------------------------------------------------------


def read_record(data: dict[str, Any]) -> ReadRecord:
    """The record in `data` (one parsed JSON line), keeping every sound file, conversation and range; an
    opentraces flat line (`agent_trace_flat`) as the one-range record it describes."""
    if is_flat(data):
        flat = read_flat(data)
        return ReadRecord(None, (flat,)) if isinstance(flat, str) else ReadRecord(flat, ())
    problems: list[str] = []
    try:
        version = _text(data, "version", "")
        known = _VERSION.fullmatch(version)
        if known is None or (int(known.group(1)), int(known.group(2))) not in READ_VERSIONS:
            raise _Invalid(f"unknown Agent Trace version {version!r} (provguard reads {SPEC_VERSION})")
        record_id = _text(data, "id", "")
        timestamp = utc_time(_text(data, "timestamp", ""))
        if timestamp is None:
            raise _Invalid(f"timestamp: not an RFC 3339 date and time: {data['timestamp']!r}")
        files = _list(data, "files", "")
        vcs = _vcs(data["vcs"]) if data.get("vcs") is not None else None
        tool = _tool(data["tool"]) if data.get("tool") is not None else None
        metadata = data.get("metadata")
        if metadata is not None and not isinstance(metadata, dict):
            raise _Invalid("metadata: not an object")
    except _Invalid as exc:
        return ReadRecord(None, (str(exc),))
    read_files: list[TracedFile] = []
    for index, item in enumerate(files):
        where = f"files[{index}]"
        try:
            read_files.append(_file(item, where, problems))
        except _Invalid as exc:
            problems.append(str(exc))
    record = TraceRecord(version, record_id, timestamp, tuple(read_files), vcs, tool, dict(metadata or {}))
    return ReadRecord(record, tuple(problems))


def _file(item: object, where: str, problems: list[str]) -> TracedFile:
    data = _object(item, where)
    path = _name(data, "path", where)
    conversations: list[Conversation] = []
    for index, value in enumerate(_list(data, "conversations", where)):
        at = f"{where}.conversations[{index}]"
        try:
            conversations.append(_conversation(value, at, problems))
        except _Invalid as exc:
            problems.append(str(exc))
            conversations.append(Conversation(()))  # keeps the indexes of the ones after it
    return TracedFile(path, tuple(conversations))


def _conversation(item: object, where: str, problems: list[str]) -> Conversation:
    data = _object(item, where)
    url = _text(data, "url", where) if data.get("url") is not None else None
    contributor = (_contributor(data["contributor"], f"{where}.contributor")
                   if data.get("contributor") is not None else None)
    related: list[Related] = []
    for index, value in enumerate(_list(data, "related", where) if data.get("related") is not None else ()):
        try:
            entry = _object(value, f"{where}.related[{index}]")
            related.append(Related(_text(entry, "type", f"{where}.related[{index}]"),
                                   _text(entry, "url", f"{where}.related[{index}]")))
        except _Invalid as exc:
            problems.append(str(exc))
    ranges: list[LineRange] = []
    for index, value in enumerate(_list(data, "ranges", where)):
        try:
            ranges.append(_range(value, f"{where}.ranges[{index}]"))
        except _Invalid as exc:
            problems.append(str(exc))
    return Conversation(tuple(ranges), url, contributor, tuple(related))


def _range(item: object, where: str) -> LineRange:
    data = _object(item, where)
    start, end = _line(data, "start_line", where), _line(data, "end_line", where)
    if end < start:
        raise _Invalid(f"{where}: end_line {end} is before start_line {start}")
    content_hash = _text(data, "content_hash", where) if data.get("content_hash") is not None else None
    contributor = (_contributor(data["contributor"], f"{where}.contributor")
                   if data.get("contributor") is not None else None)
    return LineRange(start, end, content_hash, contributor)


def _contributor(item: object, where: str) -> Contributor:
    data = _object(item, where)
    kind = _text(data, "type", where)
    if kind not in CONTRIBUTOR_TYPES:
        raise _Invalid(f"{where}.type: {kind!r} is not one of {', '.join(CONTRIBUTOR_TYPES)}")
    model = _text(data, "model_id", where) if data.get("model_id") is not None else None
    return Contributor(kind, model)


def _vcs(item: object) -> Vcs:
    data = _object(item, "vcs")
    kind = _text(data, "type", "vcs")
    if kind not in VCS_TYPES:
        raise _Invalid(f"vcs.type: {kind!r} is not one of {', '.join(VCS_TYPES)}")
    return Vcs(kind, _name(data, "revision", "vcs"))


def _tool(item: object) -> Tool:
    data = _object(item, "tool")
    version = _text(data, "version", "tool") if data.get("version") is not None else None
    return Tool(_text(data, "name", "tool"), version)


def _object(item: object, where: str) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise _Invalid(f"{where}: expected an object, found {_json_type(item)}")
    return item


def _text(data: dict[str, Any], key: str, where: str) -> str:
    value = data.get(key)
    name = f"{where}.{key}" if where else key
    if value is None:
        raise _Invalid(f"{name}: missing")
    if not isinstance(value, str) or not value:
        raise _Invalid(f"{name}: expected a non-empty string, found {_json_type(value)}")
    return value


def _name(data: dict[str, Any], key: str, where: str) -> str:
    """A text that reaches the operating system (a path, a revision given to git), which rejects a NUL."""
    value = _text(data, key, where)
    if "\0" in value:
        raise _Invalid(f"{where}.{key}: contains a NUL character")
    return value


def _list(data: dict[str, Any], key: str, where: str) -> list[Any]:
    value = data.get(key)
    name = f"{where}.{key}" if where else key
    if value is None:
        raise _Invalid(f"{name}: missing")
    if not isinstance(value, list):
        raise _Invalid(f"{name}: expected an array, found {_json_type(value)}")
    return value


def _line(data: dict[str, Any], key: str, where: str) -> int:
    value = data.get(key)
    if value is None:
        raise _Invalid(f"{where}.{key}: missing")
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _Invalid(f"{where}.{key}: expected a line number from 1, found {value!r}")
    return value


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return "an empty string" if not value else "a string"
    return "an array" if isinstance(value, list) else "an object"
