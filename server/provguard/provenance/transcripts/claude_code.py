"""Claude Code session transcripts: `<config>/projects/<encoded cwd>/<session>.jsonl`.

Each line is one JSON object. The ones that matter here:

- `{"type": "assistant", "message": {"model": ..., "content": [{"type": "tool_use", "id": "toolu_…",
  "name": "Write" | "Edit" | "MultiEdit", "input": {"file_path": …, …}}]}, "sessionId", "cwd", "timestamp"}`
- `{"type": "user", "message": {"content": [{"type": "tool_result", "tool_use_id": "toolu_…",
  "is_error": …}]}, "toolUseResult": {"filePath", "structuredPatch": [{"oldStart", "oldLines", "newStart",
  "newLines", "lines": [" ctx", "-old", "+new"]}], "type": "create" | "update", "content", …}}`

A call counts once its result line says it succeeded; the inserted text is the patch's added lines (what
landed in the file), or the written content for a new file. The PostToolUse hook gets the same `tool_input`
and, as `tool_response`, the same object the transcript stores as `toolUseResult`, so `writes` serves both.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from provguard.files import open_regular
from provguard.ledger.model import AgentEdit
from provguard.untrusted_json import loads_untrusted

from . import paths
from .records import Call, Recorder, Write, added_lines, agent_edits, field, now, text, utc_time

if TYPE_CHECKING:
    from .reader import Line

TOOL = "claude-code"
EDIT_TOOLS = frozenset({"Write", "Edit", "MultiEdit", "NotebookEdit"})
QUIET_TYPES = frozenset({"summary", "system", "file-history-snapshot", "queue-operation", "progress", "result",
                         "attachment", "ai-title", "custom-title", "last-prompt", "permission-mode", "tag"})
"""Line types that never describe an edit: skipped without a word."""


@dataclass(frozen=True)
class _Pending:
    name: str
    tool_input: dict[str, Any]
    model: str | None
    session_id: str | None
    cwd: str | None
    start: int


class ClaudeCodeParser:
    def __init__(self, recorder: Recorder, name: str) -> None:
        self.recorder = recorder
        self.name = name
        self.edits: list[AgentEdit] = []
        self.problems: list[tuple[int, str]] = []
        self._pending: dict[str, _Pending] = {}

    def resume(self, file: BinaryIO, offset: int) -> None:
        """Every line carries its own session, folder and model: nothing to recover."""

    def hold(self) -> int | None:
        return min((p.start for p in self._pending.values()), default=None)

    def feed(self, line: Line, record: dict[str, Any]) -> None:
        if not record:
            return
        kind = record.get("type")
        if kind == "assistant":
            self._assistant(line, record)
        elif kind == "user":
            self._user(line, record)
        elif not isinstance(kind, str):
            self.problems.append((line.number, "no 'type' field"))
        elif kind not in QUIET_TYPES:
            self.problems.append((line.number, f"unknown line type {kind!r}"))

    def _assistant(self, line: Line, record: dict[str, Any]) -> None:
        cwd = text(record.get("cwd"))
        content = field(record, "message", "content")
        if not isinstance(content, list) or not self.recorder.in_scope(cwd):
            return
        for block in content:
            if not isinstance(block, dict) or block.get("type") != "tool_use" or block.get("name") not in EDIT_TOOLS:
                continue
            call_id, tool_input = text(block.get("id")), block.get("input")
            if call_id is None or not isinstance(tool_input, dict):
                self.problems.append((line.number, f"{block.get('name')} call without an id or input"))
                continue
            self._pending[call_id] = _Pending(block["name"], tool_input, text(field(record, "message", "model")),
                                              text(record.get("sessionId")), cwd, line.start)

    def _user(self, line: Line, record: dict[str, Any]) -> None:
        content = field(record, "message", "content")
        results = [b for b in content if isinstance(b, dict) and b.get("type") == "tool_result"] \
            if isinstance(content, list) else []
        if not results:
            if not record.get("isMeta"):
                self._pending.clear()  # a new prompt: calls still unanswered were abandoned
            return
        shared = record.get("toolUseResult")
        for result in results:
            pending = self._pending.pop(str(result.get("tool_use_id")), None)
            if pending is None or result.get("is_error") is True:
                continue
            outcome = shared if len(results) == 1 else None  # one structured result per line
            found = writes(pending.name, pending.tool_input, outcome, pending.cwd)
            if isinstance(found, str):
                self.problems.append((line.number, found))
                continue
            call = Call(pending.session_id or text(record.get("sessionId")), str(result.get("tool_use_id")),
                        pending.model, utc_time(record.get("timestamp")) or now(),
                        f"transcript {self.name}:{line.number}")
            self.edits.extend(agent_edits(self.recorder, call, found))


def writes(name: str, tool_input: dict[str, Any], outcome: Any, cwd: str | None) -> list[Write] | str:
    """What a successful Write, Edit, MultiEdit or NotebookEdit inserted, or why that cannot be told."""
    if isinstance(outcome, str) and outcome.lower().startswith("error"):
        return []  # an older transcript's way of saying the call failed
    if name == "NotebookEdit":
        return _notebook(tool_input, cwd)
    result = outcome if isinstance(outcome, dict) else {}
    path = text(result.get("filePath")) or text(tool_input.get("file_path"))
    if path is None:
        return f"{name} call without a file_path"
    hunks = result.get("structuredPatch")
    if isinstance(hunks, list) and hunks:
        inserted = "".join(added_lines(h.get("lines") or ()) for h in hunks if isinstance(h, dict))
    elif name == "Write" or result.get("type") == "create":
        inserted = text(result.get("content")) or text(tool_input.get("content")) or ""
    elif name == "Edit":
        inserted = text(tool_input.get("new_string")) or ""
    else:
        edits = tool_input.get("edits")
        inserted = "\n".join(e["new_string"] for e in edits if isinstance(e, dict) and text(e.get("new_string"))) \
            if isinstance(edits, list) else ""
    return [Write(paths.resolve(path, cwd), inserted)]


def _notebook(tool_input: dict[str, Any], cwd: str | None) -> list[Write] | str:
    """A code cell's new source, recorded at the notebook's path and fingerprinted as Python (the kernel is
    not in the call; Python's grammar is the notebooks' common case), so copies into .py files are found.
    Markdown cells and deletions put no code in."""
    path = text(tool_input.get("notebook_path"))
    if path is None:
        return "NotebookEdit call without a notebook_path"
    if tool_input.get("edit_mode") == "delete" or tool_input.get("cell_type") == "markdown":
        return []
    return [Write(paths.resolve(path, cwd), text(tool_input.get("new_source")) or "", "cell.py")]


TAIL_BYTES = 1 << 20
"""How much of a transcript's end the hook searches for the call it was told about."""


def find_call(transcript: Path, call_id: str | None, name: str,
              tool_input: dict[str, Any]) -> tuple[str, str | None] | None:
    """The id and model of the call a hook reports, from the end of its transcript (the assistant line holding
    it is written before the tool runs). Without an id, the latest call of that tool with the same input."""
    opened = open_regular(transcript)  # a path from the hook's input: never a FIFO the agent would wait on
    if isinstance(opened, str):
        return None
    try:
        with opened as file:
            size = file.seek(0, 2)
            file.seek(max(0, size - TAIL_BYTES))
            tail = file.read(TAIL_BYTES)
    except OSError:
        return None
    needle = f'"{call_id}"'.encode() if call_id else b'"tool_use"'
    for data in reversed(tail.split(b"\n")):
        if needle not in data or b'"assistant"' not in data:
            continue
        record = loads_untrusted(data)
        if not isinstance(record, dict):
            continue
        content = field(record, "message", "content")
        for block in content if isinstance(content, list) else ():
            if not isinstance(block, dict) or block.get("type") != "tool_use":
                continue
            if block.get("id") == call_id or (call_id is None and block.get("name") == name
                                               and block.get("input") == tool_input):
                return str(block.get("id")), text(field(record, "message", "model"))
    return None
