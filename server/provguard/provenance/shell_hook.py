"""The recording hook around an agent's shell tool call (provguard.agent_tools.SHELL_TOOLS): the pre-tool
hook snapshots the files git reports as changed, the post-tool hook records what the call changed as the
agent's edit (source "shell") and reports a change the project's packs refuse to agents.

The snapshot is keyed by the agent, session and tool-call id (or, without an id, the call's input), so the
pre and post payloads of one call meet, and it is removed by the post hook (stale ones after a day).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from provguard import agent_tools
from provguard.ledger.model import AgentEdit
from provguard.provenance import shell_writes
from provguard.provenance.origin import Evidence
from provguard.provenance.transcripts import paths
from provguard.provenance.transcripts.records import Call, Recorder, Write, agent_edits, now, text

PRE_EVENTS = ("PreToolUse", "preToolUse")
POST_EVENTS = ("PostToolUse", "postToolUse")


@dataclass(frozen=True)
class ShellCall:
    agent: str
    tool: str
    pre: bool
    """The pre-tool event (else the post-tool one)."""
    session: str | None
    call_id: str
    tool_input: Any

    @property
    def key(self) -> str:
        return "\0".join((self.agent, self.session or "", self.call_id))


@dataclass
class After:
    edits: list[AgentEdit] = field(default_factory=list)
    stdout: str = ""
    """The report the agent reads (empty when nothing it wrote is refused)."""
    notes: list[str] = field(default_factory=list)


def shell_call(agent: str, payload: dict[str, Any]) -> ShellCall | None:
    """The payload's call when it is a pre- or post-tool event of one of the agent's shell tools."""
    name = payload.get("tool_name", payload.get("toolName"))
    event = payload.get("hook_event_name", payload.get("hookEventName"))
    if not agent_tools.shell(agent, name) or event not in (*PRE_EVENTS, *POST_EVENTS):
        return None
    tool_input = payload.get("tool_input", payload.get("toolArgs"))
    session = (text(payload.get("session_id")) or text(payload.get("sessionId"))
               or text(payload.get("conversation_id")))
    call_id = text(payload.get("tool_use_id")) or text(payload.get("toolUseId"))
    if call_id is None:  # older Claude Code: the call's input is what the pre and post payloads share
        call_id = hashlib.blake2b(json.dumps([name, tool_input], sort_keys=True, default=str).encode(
            "utf-8", "surrogatepass"), digest_size=12).hexdigest()
    return ShellCall(agent, str(name), event in PRE_EVENTS, session, call_id, tool_input)


def before(project: Path, call: ShellCall) -> str | None:
    """Snapshots the project's changed files for the call; returns what the user should hear about."""
    shell_writes.prune(project)
    try:
        taken = shell_writes.snapshot(project)
    except shell_writes.NoGit as exc:
        return f"{project} is not in a git work tree ({exc}): files the {call.tool} command writes are not recorded"
    shell_writes.save(project, call.key, taken)
    return None


def after(project: Path, call: ShellCall, payload: dict[str, Any], roots: tuple[str, ...],
          recorded: set[str]) -> After:
    """The call's changes as the agent's edits (paths in `recorded`, already recorded from the call's own
    input, left out), and the report for a change the packs refuse."""
    done = After()
    taken = shell_writes.load(project, call.key)
    if taken is None:
        if shell_writes.in_git(project):  # else the pre hook said why there is no snapshot
            done.notes.append(f"no snapshot for this {call.tool} call (its pre-tool hook did not run): files it "
                              "wrote are not recorded")
        return done
    shell_writes.discard(project, call.key)
    try:
        writes = shell_writes.changes(project, taken)
    except shell_writes.NoGit as exc:
        done.notes.append(f"files the {call.tool} command wrote are not recorded: {exc}")
        return done
    writes = [w for w in writes if paths.project_path(w.path, roots) not in recorded
              and any(part.strip() for part in w.inserted)]
    done.notes += [w.note for w in writes if w.note]
    model = _model(call, payload)
    record = Call(call.session, call.call_id, model, now(), "shell")
    done.edits = agent_edits(Recorder(call.agent, Evidence.HOOK, roots), record,
                             [Write(w.path, inserted) for w in writes for inserted in w.inserted])
    if writes:
        from provguard.guard.shell_report import report

        done.stdout, notes = report(call.agent, call.tool, writes, model)
        done.notes += notes
    return done


def _model(call: ShellCall, payload: dict[str, Any]) -> str | None:
    model = text(payload.get("model"))
    transcript = text(payload.get("transcript_path"))
    if model is None and call.agent == "claude-code" and transcript and isinstance(call.tool_input, dict):
        from provguard.guard.project import possible
        from provguard.provenance.transcripts.claude_code import find_call

        if possible(transcript):
            found = find_call(Path(transcript), call.call_id, call.tool, call.tool_input)
            model = found[1] if found else None
    return model
