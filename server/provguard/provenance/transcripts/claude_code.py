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

Subagents (the Task tool) run on side chains: their lines carry `"isSidechain": true` and, in newer versions,
an `agentId`, and are written to `<session>/subagents/agent-<agentId>.jsonl` (older versions wrote them into the
session's own file). A subagent's prompt is a user line like any other; it must not abandon the main thread's
calls, so unanswered calls are kept per thread. A subagent's edits keep the session's id (the hook reports the
same one, and both must derive the same edit id) and name the agent in their source.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, NamedTuple

from provguard.files import open_regular
from provguard.languages import by_id
from provguard.ledger.model import AgentEdit
from provguard.untrusted_json import loads_untrusted

from . import paths, records
from .records import Call, Recorder, Write, added_lines, agent_edits, field, now, text, utc_time

if TYPE_CHECKING:
    from provguard.ledger.store import Ledger

    from .reader import Line

TOOL = "claude-code"
EDIT_TOOLS = frozenset({"Write", "Edit", "MultiEdit", "NotebookEdit"})
QUIET_TYPES = frozenset({"summary", "system", "file-history-snapshot", "queue-operation", "progress", "result",
                         "attachment", "ai-title", "custom-title", "last-prompt", "permission-mode", "tag", "mode",
                         "agent-name", "worktree-state", "atis-latch", "opentraces_hook"})
"""Line types that never describe an edit: skipped without a word (`mode`, `agent-name`, `worktree-state` and
`atis-latch` as Claude Code 2.1 writes them: session metadata, seen in real transcripts; `opentraces_hook`, which
opentraces' PostToolUse hook appends to the session's transcript after each tool call: a copy of what the call's
own lines already hold). A type not known at all is counted and the file's count reported once, as Codex
rollouts' are."""


@dataclass(frozen=True)
class _Pending:
    name: str
    tool_input: dict[str, Any]
    model: str | None
    session_id: str | None
    cwd: str | None
    start: int
    agent: str | None
    """The subagent that made the call ("" when its lines do not name it); None on the main thread."""


class ClaudeCodeParser:
    def __init__(self, recorder: Recorder, name: str) -> None:
        self.recorder = recorder
        self.name = name
        self.edits: list[AgentEdit] = []
        self.problems: list[tuple[int, str]] = []
        self.skipped: Counter[str] = Counter()
        self._pending: dict[str, _Pending] = {}
        self._file_agent = _agent_from_name(name)
        self.aliases: dict[str, str] = {}
        """Each edit's id -> the id a hook that was sent no tool_use_id gave the same write (see `hook_aliases`)."""

    def resume(self, file: BinaryIO, offset: int) -> None:
        """Every line carries its own session, folder and model: nothing to recover."""

    def hold(self) -> int | None:
        return min((p.start for p in self._pending.values()), default=None)

    def stopped(self) -> bool:
        return False  # a transcript's edits are its own text: reading costs what the file holds

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
            self.skipped[kind] += 1  # a newer Claude Code, not a broken transcript: the file's count said once

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
                                              text(record.get("sessionId")), cwd, line.start, self._agent(record))

    def _user(self, line: Line, record: dict[str, Any]) -> None:
        content = field(record, "message", "content")
        results = [b for b in content if isinstance(b, dict) and b.get("type") == "tool_result"] \
            if isinstance(content, list) else []
        if not results:
            if not record.get("isMeta") and record.get("isSidechain") is not True:
                # a new prompt on the main thread: its calls still unanswered were abandoned; a subagent's prompt
                # starts a side chain and abandons nothing (its agent may run while the main thread waits)
                self._pending = {k: p for k, p in self._pending.items() if p.agent is not None}
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
                        f"transcript {self.name}:{line.number}{subagent_label(pending.agent)}")
            self.edits.extend(agent_edits(self.recorder, call, found))
            self.aliases.update(hook_aliases(self.recorder.tool, call, pending.name, pending.tool_input, found))

    def _agent(self, record: dict[str, Any]) -> str | None:
        return _line_agent(record, self._file_agent)


def hook_aliases(tool: str, call: Call, name: str, tool_input: dict[str, Any],
                 writes: list[Write]) -> dict[str, str]:
    """Each write's edit id -> the id the PostToolUse hook of a Claude Code that sent no `tool_use_id` (mid-2025)
    recorded it under, from the call's input (`records.input_call_id`): an import finding that one in the ledger
    knows the edit already."""
    derived = replace(call, call_id=records.input_call_id(name, tool_input))
    ids, hooked = records.write_ids(tool, call, writes), records.write_ids(tool, derived, writes)
    return {id_: alias for (_, id_), (_, alias) in zip(ids, hooked, strict=True)}


def imported_already(ledger: Ledger, edits: list[AgentEdit], name: object,
                     tool_input: object) -> tuple[list[AgentEdit], int]:
    """The hook's edits still to record, and how many were left out: an edit under the id derived from the call's
    input (a Claude Code that sent no `tool_use_id`, its transcript unreadable) whose write an import of that
    transcript recorded already under the transcript's id. The same write is the same session, tool, file and
    inserted text (its prints: the text itself is seldom stored); the import's record, with its model, stands."""
    derived = records.input_call_id(name, tool_input)
    stored: dict[str, list[AgentEdit]] = {}
    kept: list[AgentEdit] = []
    for edit in edits:
        if edit.tool_call_id == derived:
            if edit.path not in stored:
                stored[edit.path] = ledger.agent_edits(path=edit.path)
            if any(other.id != edit.id and _same_write(edit, other) for other in stored[edit.path]):
                continue
        kept.append(edit)
    return kept, len(edits) - len(kept)


def _same_write(one: AgentEdit, other: AgentEdit) -> bool:
    return ((one.tool, one.session_id, one.path, one.lines, one.line_hashes, one.names)
            == (other.tool, other.session_id, other.path, other.lines, other.line_hashes, other.names)
            and set(one.fingerprints) == set(other.fingerprints))


def _line_agent(record: dict[str, Any], file_agent: str | None) -> str | None:
    """The subagent a line belongs to: its `agentId`, else the file's name; a side-chain line with neither
    (an older session file) belongs to an unnamed one, ""; None on the main thread."""
    if record.get("isSidechain") is not True and file_agent is None:
        return None
    return text(record.get("agentId")) or file_agent or ""


def subagent_label(agent: str | None) -> str:
    """How an edit's source names the subagent that made it (nothing on the main thread)."""
    return "" if agent is None else f" (subagent {agent})" if agent else " (subagent)"


def _agent_from_name(name: str) -> str | None:
    """`agent-<id>` from a subagent transcript's file name (`<session>/subagents/agent-<id>.jsonl`)."""
    path = Path(name)
    if path.parent.name == "subagents" and path.stem.startswith("agent-") and len(path.stem) > len("agent-"):
        return path.stem.removeprefix("agent-")
    return None


def writes(name: str, tool_input: dict[str, Any], outcome: Any, cwd: str | None) -> list[Write] | str:
    """What a successful Write, Edit, MultiEdit or NotebookEdit inserted, or why that cannot be told."""
    if isinstance(outcome, str) and outcome.lower().startswith("error"):
        return []  # an older transcript's way of saying the call failed
    if name == "NotebookEdit":
        return _notebook(tool_input, outcome, cwd)
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


def _notebook(tool_input: dict[str, Any], outcome: Any, cwd: str | None) -> list[Write] | str:
    """A code cell's new source, recorded at the notebook's path and fingerprinted with the grammar of the
    notebook's language, so copies into source files are found. Markdown and raw cells and deletions put no code
    in.

    The call often names neither: a replaced cell keeps its type, and the kernel's language is in the notebook.
    The result says both (`cell_type`, `language`; the notebook after the edit as `updated_file`): it wins when
    the input is silent. A language provguard has no grammar for (R, Julia, ...) is read by the generic reader;
    only a notebook that says nothing at all is taken for Python, the common case."""
    path = text(tool_input.get("notebook_path"))
    result = outcome if isinstance(outcome, dict) else {}
    path = path or text(result.get("notebook_path"))
    if path is None:
        return "NotebookEdit call without a notebook_path"
    if text(result.get("error")) or tool_input.get("edit_mode") == "delete":
        return []
    cell_type = text(tool_input.get("cell_type")) or text(result.get("cell_type")) or "code"
    language = _notebook_language(result)
    if cell_type != "code" or language == "markdown":
        return []
    source = text(tool_input.get("new_source")) or text(result.get("new_source")) or ""
    return [Write(paths.resolve(path, cwd), source, cell_grammar(language))]


def _notebook_language(result: dict[str, Any]) -> str:
    """The notebook's language, lower case: the result's `language`, else the kernel named in the notebook it
    wrote, else "python"."""
    language = text(result.get("language"))
    if language is None and (updated := text(result.get("updated_file"))) is not None:
        notebook = loads_untrusted(updated)
        if isinstance(notebook, dict):
            language = text(field(notebook, "metadata", "language_info", "name")) \
                or text(field(notebook, "metadata", "kernelspec", "language"))
    return (language or "python").strip().lower()


_LANGUAGE_NAMES = {"python3": "python", "c++": "cpp", "c++11": "cpp", "c++14": "cpp", "c++17": "cpp",
                   "node": "javascript", "js": "javascript", "ts": "typescript"}
"""Names kernels give their language that are not provguard's language ids."""


def cell_grammar(language: str) -> str:
    """A file name whose extension picks `language`'s grammar; one without an extension (the generic reader)
    when provguard has no grammar for it."""
    found = by_id(_LANGUAGE_NAMES.get(language, language))
    return f"cell{found.extensions[0]}" if found is not None and found.extensions else "cell"


TAIL_BYTES = 1 << 20
"""How much of a transcript's end the hook searches for the call it was told about."""
SUBAGENT_FILES = 16
"""How many of a session's subagent files (the newest) the hook searches when the payload does not name one."""


class FoundCall(NamedTuple):
    id: str
    model: str | None
    agent: str | None
    """The subagent that made the call ("" when its line does not name it); None on the main thread."""


def find_call(transcript: Path, call_id: str | None, name: str, tool_input: dict[str, Any],
              agent_id: str | None = None) -> FoundCall | None:
    """The call a hook reports, from the end of the transcript holding it (the assistant line is written
    before the tool runs). Without an id, the latest call of that tool with the same input. A subagent's call
    is in `<session>/subagents/agent-<id>.jsonl` in newer versions: the one the payload's `agent_id` names,
    else the newest of them when the session's own file does not hold it."""
    folder = transcript.with_suffix("") / "subagents"
    agent_id = agent_name(agent_id)
    if agent_id:
        found = _find_in(folder / f"agent-{agent_id}.jsonl", call_id, name, tool_input, agent_id)
        if found is not None:
            return found
    found = _find_in(transcript, call_id, name, tool_input, None)
    if found is not None or agent_id:
        return found
    for sub in _newest(folder, SUBAGENT_FILES):
        found = _find_in(sub, call_id, name, tool_input, _agent_from_name(str(sub)))
        if found is not None:
            return found
    return None


def agent_name(agent_id: str | None) -> str | None:
    """A payload's `agent_id` when it is a name (letters, digits, `-`, `_`), never a path to follow."""
    if agent_id and all(c.isascii() and (c.isalnum() or c in "-_") for c in agent_id):
        return agent_id
    return None


def _newest(folder: Path, count: int) -> list[Path]:
    """The `agent-*.jsonl` files in `folder`, newest first, at most `count`; none when it cannot be read."""
    found: list[tuple[int, str]] = []
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.name.startswith("agent-") and entry.name.endswith(".jsonl") and entry.is_file():
                    found.append((entry.stat().st_mtime_ns, entry.path))
    except OSError:
        return []
    return [Path(path) for _, path in sorted(found, reverse=True)[:count]]


def _find_in(transcript: Path, call_id: str | None, name: str, tool_input: dict[str, Any],
             file_agent: str | None) -> FoundCall | None:
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
                return FoundCall(str(block.get("id")), text(field(record, "message", "model")),
                                 _line_agent(record, file_agent))
    return None
