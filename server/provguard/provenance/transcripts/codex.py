"""Codex CLI rollouts: `<CODEX_HOME>/sessions/YYYY/MM/DD/rollout-<time>-<uuid>.jsonl`.

Each line is `{"timestamp", "type", "payload"}`:

- `session_meta`: `payload.id` is the session, `payload.cwd` its folder (the first line);
- `turn_context`: `payload.model` and `payload.cwd` for the turn that follows;
- `response_item`: the model's calls, `function_call` (`arguments`, a JSON string) or `custom_tool_call`
  (`input`, the raw patch) named `apply_patch`, older shell calls running `apply_patch` with the patch as an
  argument, and their `*_output` items;
- `event_msg` with `payload.type == "patch_apply_end"`: `call_id`, `success` and, in newer versions,
  `changes` (path -> `{"type": "add", "content"}` | `{"type": "update", "unified_diff", "move_path"}` | delete).

A call is recorded when its outcome is known, from whichever of the output item and `patch_apply_end` comes
first; both name the same files, so they give the same edit ids.

Codex adds line types as it grows (`world_state`, `inter_agent_communication_metadata`, ...). Those known to
carry no edit are passed over; a type not known at all is counted, and the file's count reported once, not one
problem per line: a newer rollout is not a broken one.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, BinaryIO

from provguard.agent_tools import normalise
from provguard.ledger.model import AgentEdit
from provguard.untrusted_json import NotJson, loads_untrusted

from . import paths
from .apply_patch import Patch, contains_patch, parse_patch
from .reader import last_line_with
from .records import Call, Recorder, Write, agent_edits, field, now, text, unified_added, utc_time

if TYPE_CHECKING:
    from .reader import Line

TOOL = "codex"
TOP_TYPES = frozenset({"session_meta", "response_item", "event_msg", "turn_context", "compacted"})
QUIET_TYPES = frozenset({"world_state", "inter_agent_communication", "inter_agent_communication_metadata",
                         "security_risk_score", "token_usage_record"})
"""Line types that never describe an edit: passed over without a word."""
CALL_TYPES = frozenset({"function_call", "custom_tool_call", "local_shell_call"})
OUTPUT_TYPES = frozenset({"function_call_output", "custom_tool_call_output"})
ABANDONING_EVENTS = frozenset({"user_message", "turn_aborted"})
"""A new prompt or an interrupted turn: calls still without an outcome never get one."""
LEGACY_ITEM_TYPES = CALL_TYPES | OUTPUT_TYPES | {"message", "reasoning"}
"""Rollouts from before the `{"type", "payload"}` envelope hold response items directly."""


@dataclass(frozen=True)
class _Pending:
    patch: Patch
    base: str | None
    model: str | None
    start: int


class CodexParser:
    def __init__(self, recorder: Recorder, name: str) -> None:
        self.recorder = recorder
        self.name = name
        self.edits: list[AgentEdit] = []
        self.problems: list[tuple[int, str]] = []
        self.skipped: Counter[str] = Counter()
        self.session_id: str | None = None
        self.cwd: str | None = None
        self.model: str | None = None
        self._pending: dict[str, _Pending] = {}
        self._done: set[str] = set()

    def resume(self, file: BinaryIO, offset: int) -> None:
        """The session is on the first line, the model and folder on the last turn_context before `offset`."""
        file.seek(0)
        first = file.readline(min(offset, 1 << 20))
        for data in (first, last_line_with(file, offset, b'"type":"turn_context"')):
            record = loads_untrusted(data)
            if isinstance(record, dict):
                self._context(record)

    def hold(self) -> int | None:
        return min((p.start for p in self._pending.values()), default=None)

    def stopped(self) -> bool:
        return False  # a transcript's edits are its own text: reading costs what the file holds

    def feed(self, line: Line, record: dict[str, Any]) -> None:
        if not record:
            return
        kind = record.get("type")
        payload = record.get("payload")
        if kind in LEGACY_ITEM_TYPES and payload is None:
            kind, payload = "response_item", record
        elif kind is None and "id" in record and "timestamp" in record:
            kind, payload = "session_meta", record  # the legacy first line
        elif kind is None and "record_type" in record:
            return  # the legacy format's state markers (`{"record_type": "state"}`): no edit in them
        if isinstance(kind, str) and kind and kind not in TOP_TYPES:
            if kind not in QUIET_TYPES:
                self.skipped[kind] += 1
            return
        if kind not in TOP_TYPES:
            self.problems.append((line.number, "no 'type' field" if kind is None else "a 'type' that is not a name"))
            return
        if not isinstance(payload, dict):
            self.problems.append((line.number, f"{kind} line without a payload object"))
            return
        if kind in ("session_meta", "turn_context"):
            self._context(record)
        elif kind == "response_item":
            self._item(line, record, payload)
        elif kind == "event_msg" and payload.get("type") == "patch_apply_end":
            self._patch_end(line, record, payload)
        elif kind == "event_msg" and payload.get("type") in ABANDONING_EVENTS:
            self._pending.clear()

    def _context(self, record: dict[str, Any]) -> None:
        payload = record.get("payload", record)
        if not isinstance(payload, dict):
            return
        if record.get("type") == "turn_context":
            self.model = text(payload.get("model")) or self.model
        else:
            self.session_id = text(payload.get("id")) or self.session_id
        self.cwd = text(payload.get("cwd")) or self.cwd

    def _item(self, line: Line, record: dict[str, Any], payload: dict[str, Any]) -> None:
        kind = payload.get("type")
        call_id = text(payload.get("call_id")) or text(payload.get("id"))
        if kind in CALL_TYPES:
            found = _patch_call(payload, self.cwd)
            if found is None:
                return
            patch_text, base = found
            if call_id is None:
                self.problems.append((line.number, "apply_patch call without a call_id"))
                return
            patch = parse_patch(patch_text)
            for problem in patch.problems:
                self.problems.append((line.number, f"apply_patch {problem}"))
            self._pending[call_id] = _Pending(patch, base, self.model, line.start)
        elif kind in OUTPUT_TYPES and call_id in self._pending:
            pending = self._pending.pop(call_id)
            if _succeeded(payload.get("output")):
                writes = [Write(paths.resolve(f.target, pending.base), f.added) for f in pending.patch.files]
                self._record(line, record, call_id, pending.model, writes)

    def _patch_end(self, line: Line, record: dict[str, Any], payload: dict[str, Any]) -> None:
        call_id = text(payload.get("call_id"))
        if call_id is None or call_id in self._done:
            return
        pending = self._pending.pop(call_id, None)
        if payload.get("success") is not True or payload.get("status") in ("failed", "declined"):
            self._done.add(call_id)
            return
        changes = payload.get("changes")
        base = pending.base if pending else self.cwd
        if isinstance(changes, dict) and changes:
            writes = [w for path, change in changes.items() if (w := _change(str(path), change, base)) is not None]
        elif pending is not None:
            writes = [Write(paths.resolve(f.target, base), f.added) for f in pending.patch.files]
        else:
            return
        self._record(line, record, call_id, pending.model if pending else self.model, writes)

    def _record(self, line: Line, record: dict[str, Any], call_id: str, model: str | None,
                writes: list[Write]) -> None:
        self._done.add(call_id)
        if not self.recorder.in_scope(self.cwd):
            return
        call = Call(self.session_id, call_id, model, utc_time(record.get("timestamp")) or now(),
                    f"transcript {self.name}:{line.number}")
        self.edits.extend(agent_edits(self.recorder, call, writes))


def _patch_call(payload: dict[str, Any], cwd: str | None) -> tuple[str, str | None] | None:
    """The patch text a call carries and the folder its paths are relative to; None for other calls."""
    name = payload.get("name")
    name = normalise(name) if isinstance(name, str) else name  # Codex Desktop: `functions.apply_patch`
    if payload.get("type") == "custom_tool_call":
        patch = payload.get("input")
        return (patch, cwd) if name == "apply_patch" and isinstance(patch, str) else None
    if payload.get("type") == "local_shell_call":
        arguments: Any = payload.get("action")
    else:
        raw = payload.get("arguments")
        if not isinstance(raw, str) or (name != "apply_patch" and not contains_patch(raw)):
            return None
        arguments = loads_untrusted(raw)
        if isinstance(arguments, NotJson):
            arguments = {"input": raw} if name == "apply_patch" else None
    if not isinstance(arguments, dict):
        return None
    workdir = text(arguments.get("workdir")) or text(arguments.get("working_directory"))
    base = paths.resolve(workdir, cwd) if workdir else cwd
    for key in ("input", "patch", "command", "cmd"):
        value = arguments.get(key)
        parts = value if isinstance(value, list) else [value]
        for part in parts:
            if isinstance(part, str) and contains_patch(part):
                return part, base
    return None


def _succeeded(output: Any) -> bool:
    """Whether a call's output says the patch applied: exit code 0 in its metadata, or apply_patch's own
    "Success." summary."""
    if isinstance(output, list):
        output = "".join(str(item.get("text", "")) for item in output if isinstance(item, dict))
    if isinstance(output, dict):
        output = json.dumps(output)
    if not isinstance(output, str):
        return False
    decoded = loads_untrusted(output)
    if isinstance(decoded, dict):
        exit_code = field(decoded, "metadata", "exit_code")
        if isinstance(exit_code, int):
            return exit_code == 0
        output = str(decoded.get("output", ""))
    stripped = output.lstrip()
    return stripped.startswith(("Success.", "Exit code: 0")) or "Success. Updated the following files" in output


def _change(path: str, change: Any, base: str | None) -> Write | None:
    """One entry of `patch_apply_end.changes`, internally tagged (`{"type": "add", …}`) or, as older versions
    wrote it, externally tagged (`{"add": {…}}`)."""
    if not isinstance(change, dict):
        return None
    kind = change.get("type")
    body: Any = change
    if kind is None and len(change) == 1:
        kind, body = next(iter(change.items()))
    if not isinstance(body, dict):
        return None
    if kind == "add":
        return Write(paths.resolve(path, base), text(body.get("content")) or "")
    if kind == "update":
        target = text(body.get("move_path")) or path
        return Write(paths.resolve(target, base), unified_added(text(body.get("unified_diff")) or ""))
    return None
