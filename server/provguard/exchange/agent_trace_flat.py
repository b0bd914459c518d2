"""opentraces' flat lines in `.agent-trace/traces.jsonl`, read as one-range Agent Trace records.

opentraces (a trace recorder for Claude Code, Codex and others) has its Claude Code PostToolUse hook append one
line per Write or Edit to the repository's `.agent-trace/traces.jsonl`, the file Agent Trace's reference hook
writes, calling it "Agent Trace-compatible": `{"schema": "agent-trace/v0.1.0", session_id, file_path (absolute),
start_line, end_line, content_hash ("murmur3:" + 32 hex digits of the text written), confidence (high, medium,
low), tool ("Edit" | "Write"), tool_use_id, timestamp}`. It has no `version`, `files` or `vcs`, so read as Agent
Trace every line is refused; read here, each is the AI range it describes, in the working tree, checked by its
hash like any other. A `low` confidence line is opentraces saying it could not find the text (its range is a
placeholder 1-1): nothing to read.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from provguard.provenance.transcripts.records import utc_time

from .agent_trace import Contributor, Conversation, LineRange, Tool, TracedFile, TraceRecord

FLAT_SCHEMA = re.compile(r"agent-trace/v0\.1(?:\.\d+)?")
TOOL = "claude-code"
"""The agent: opentraces writes these lines only from its Claude Code hook (its tool names, `toolu_` ids)."""


def is_flat(data: dict[str, Any]) -> bool:
    """Whether a parsed line is opentraces' flat shape rather than an Agent Trace record."""
    schema = data.get("schema")
    return isinstance(schema, str) and FLAT_SCHEMA.fullmatch(schema) is not None and "files" not in data \
        and "version" not in data


def read_flat(data: dict[str, Any]) -> TraceRecord | str:
    """The line as a record of one file, one conversation (the session) and one AI range; or why it is not."""
    path, session, call = data.get("file_path"), data.get("session_id"), data.get("tool_use_id")
    start, end = _line(data.get("start_line")), _line(data.get("end_line"))
    if not isinstance(path, str) or not path or "\0" in path:
        return "opentraces line: file_path is not a path"
    if start is None or end is None or end < start:
        return f"opentraces line: start_line {data.get('start_line')!r} and end_line {data.get('end_line')!r} are " \
            "not a range of lines"
    if data.get("confidence") == "low":
        return f"opentraces line: {path} was written but opentraces did not find where (confidence low): skipped"
    timestamp = utc_time(data["timestamp"]) if isinstance(data.get("timestamp"), str) else None
    if timestamp is None:
        return f"opentraces line: timestamp {data.get('timestamp')!r} is not an RFC 3339 date and time"
    digest = data.get("content_hash")
    line_range = LineRange(start, end, digest if isinstance(digest, str) and digest else None)
    conversation = Conversation((line_range,), session if isinstance(session, str) and session else None,
                                Contributor("ai"))
    record_id = call if isinstance(call, str) and call else f"{session}:{path}:{start}-{end}:{timestamp}"
    return TraceRecord("0.1.0", record_id, timestamp, (TracedFile(path, (conversation,)),), None, Tool(TOOL),
                       {"opentraces": {"tool": data.get("tool")}})


def _line(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 1 else None


def is_absolute(path: str) -> bool:
    """A POSIX or Windows absolute path, as opentraces writes them (Agent Trace's own paths are relative)."""
    return path.startswith(("/", "\\")) or (len(path) > 1 and path[1] == ":")


def inside_repository(path: str, repository: Path) -> str | None:
    """An absolute path relative to the repository root, None when outside it (or the root itself)."""
    for candidate in (Path(os.path.normpath(path)), Path(path).resolve()):
        for top in (repository, repository.resolve()):
            if candidate.is_relative_to(top) and candidate != top:
                return candidate.relative_to(top).as_posix()
    return None
