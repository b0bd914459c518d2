"""The recording hook around an agent's shell tool call (provguard.agent_tools.SHELL_TOOLS): the pre-tool
hook snapshots the files git reports as changed (and the gitignored ones under the paths the project's packs
refuse to agents), the post-tool hook records what the call changed as the agent's edit (source "shell") and
reports a change the project's packs refuse to agents.

The snapshot is keyed by the agent, session and tool-call id (or, without an id, the call's input), so the
pre and post payloads of one call meet, and it is removed by the post hook (stale ones after a day).

Calls may overlap (pre A, pre B, post A, post B). Each change is recorded once, by the first post hook that
finds it: the calls still running take the file as it is then as their starting point (shell_snapshots.advance).
It is recorded as the finding call's, unless it can be told to be another running call's: that call's
snapshot does not already show it (so it may have been made while that call ran), its command names the file
and the finding call's does not. Then it is recorded under that call's id at once (never lost if that call's
post hook does not come) and reported to that call's agent by its own post hook.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from provguard import agent_tools
from provguard.ledger.model import AgentEdit
from provguard.provenance import shell_snapshots, shell_writes
from provguard.provenance.origin import Evidence
from provguard.provenance.transcripts import paths
from provguard.provenance.transcripts.records import Call, Recorder, Write, agent_edits, input_call_id, now, text
from provguard.untrusted_json import NotJson, loads_untrusted

PRE_EVENTS = ("PreToolUse", "preToolUse")
POST_EVENTS = ("PostToolUse", "postToolUse")
FAILURE_EVENTS = ("PostToolUseFailure", "postToolUseFailure")
"""The post-tool event for a call that failed, in place of the post-tool one: Claude Code's (`error`,
`is_interrupt` in place of `tool_response`), and the Copilot CLI's (1.0.15 and later: `error` in place of the
result; the VS Code compatible name gives `hook_event_name`, the camelCase one no event name at all). A failing
command may still have written files, so it is handled as the post-tool event. Codex has no such event: it sends
PostToolUse for a failed call too."""


def event_of(payload: dict[str, Any]) -> object:
    """The payload's hook event. The Copilot CLI's camelCase payloads name none (the hooks file's key does), so
    theirs is read from their shape: a `toolResult` is postToolUse's, an `error` without one postToolUseFailure's,
    neither preToolUse's (GitHub's hooks reference). None for any other payload without an event name."""
    event = payload.get("hook_event_name", payload.get("hookEventName"))
    if event is not None or "toolName" not in payload:
        return event
    if any(key in payload for key in ("toolResult", "tool_result", "tool_response")):
        return "postToolUse"
    return "postToolUseFailure" if "error" in payload else "preToolUse"


def failed(payload: dict[str, Any]) -> bool:
    """The payload reports a failed call: its event says so, or (a payload naming no event) it carries an `error`
    and no result."""
    event = event_of(payload)
    if event is not None:
        return event in FAILURE_EVENTS
    return "error" in payload and not any(key in payload for key in ("toolResult", "tool_result", "tool_response"))


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
    code: int = 0
    """The hook's exit code: 2 when the report is the Copilot CLI's recovery guidance after a failed call (it reads
    that only from a command hook exiting 2; guard.shell_report.failure_guidance), else 0."""


def shell_call(agent: str, payload: dict[str, Any]) -> ShellCall | None:
    """The payload's call when it is a pre- or post-tool event of one of the agent's shell tools."""
    name = payload.get("tool_name", payload.get("toolName"))
    event = event_of(payload)
    if not agent_tools.shell(agent, name) or (event not in (*PRE_EVENTS, *POST_EVENTS, *FAILURE_EVENTS)
                                              and not (event is None and failed(payload))):
        return None
    tool_input = payload.get("tool_input", payload.get("toolArgs"))
    if isinstance(tool_input, str):  # the Copilot CLI's camelCase toolArgs may be a JSON string
        parsed = loads_untrusted(tool_input)
        tool_input = tool_input if isinstance(parsed, NotJson) else parsed
    session = (text(payload.get("session_id")) or text(payload.get("sessionId"))
               or text(payload.get("conversation_id")))
    call_id = text(payload.get("tool_use_id")) or text(payload.get("toolUseId"))
    if call_id is None:  # older Claude Code, the Copilot CLI: the call's input is what its pre and post payloads
        call_id = input_call_id("shell", tool_input)  # share (not the name: `Bash` in one, `bash` in another)
    return ShellCall(agent, str(name), event in PRE_EVENTS, session, call_id, tool_input)


def before(project: Path, call: ShellCall, payload: dict[str, Any]) -> str | None:
    """Snapshots the project's changed files for the call; returns what the user should hear about."""
    from provguard.guard.shell_report import protected_paths

    problem = shell_writes.not_in_git(project)  # asked first: outside git, nothing is written (not even a lock)
    if problem is not None:
        return f"{project} is not in a git work tree ({problem}): files the {call.tool} command writes are not recorded"
    shell_snapshots.prune(project)
    try:
        protected, notes = protected_paths(project)
    except Exception as exc:  # a policy that cannot be read must not stop the recording
        protected, notes = None, [f"gitignored files are not snapshotted: the packs' paths could not be read "
                                  f"({type(exc).__name__}: {exc})"]
    with shell_snapshots.locked(project) as held:
        try:
            taken = shell_writes.snapshot(project, protected)
        except shell_writes.NoGit as exc:
            return (f"{project} is not in a git work tree ({exc}): files the {call.tool} command writes are not "
                    "recorded")
        taken.owner = shell_writes.Owner(call.agent, call.session, call.call_id, call.tool, call.tool_input,
                                         text(payload.get("model")), text(payload.get("transcript_path")))
        shell_snapshots.save(project, call.key, taken)
    notes += taken.notes
    if not held:
        notes.append(_UNLOCKED)
    return "; ".join(notes) or None


_UNLOCKED = ("another provguard hook held the shell snapshots' lock too long; went on without it (a change made "
             "while both calls ran may be recorded twice)")


def after(project: Path, call: ShellCall, payload: dict[str, Any], roots: tuple[str, ...],
          recorded: set[str]) -> After:
    """The call's changes as the agent's edits (paths in `recorded`, already recorded from the call's own
    input, left out), and the report for a change the packs refuse."""
    done = After()
    if shell_snapshots.load(project, call.key) is None:  # only this call's post hook removes it: no lock needed
        if shell_writes.in_git(project):  # else the pre hook said why there is no snapshot
            done.notes.append(f"no snapshot for this {call.tool} call (its pre-tool hook did not run): files it "
                              "wrote are not recorded")
        return done
    with shell_snapshots.locked(project) as held:
        if not held:
            done.notes.append(_UNLOCKED)
        taken = shell_snapshots.load(project, call.key)  # again: another call's hook may have advanced it meanwhile
        if taken is None:
            return done
        shell_snapshots.discard(project, call.key)
        try:
            writes = shell_writes.changes(project, taken)
        except shell_writes.NoGit as exc:
            done.notes.append(f"files the {call.tool} command wrote are not recorded: {exc}")
            return done
        running = shell_snapshots.others(project, call.key)
        mine, theirs = attribute(call.tool_input, writes, running)
        for index, (file, other) in enumerate(running):
            seen = [w for w in writes if overlaps(other, w)]
            if seen or index in theirs:
                shell_snapshots.advance(file, other, seen, tuple(theirs.get(index, ())))
    wanted = [w for w in mine if paths.project_path(w.path, roots) not in recorded and _inserts(w)]
    done.notes += [w.note for w in wanted if w.note]
    model = _model(call, payload)
    done.edits = agent_edits(Recorder(call.agent, Evidence.HOOK, roots), Call(call.session, call.call_id, model,
                             now(), "shell"), [Write(w.path, part) for w in wanted for part in w.inserted])
    for index, handed in theirs.items():
        owner = running[index][1].owner
        assert owner is not None, "only a call with an owner is handed a change"
        done.edits += agent_edits(Recorder(owner.agent, Evidence.HOOK, roots),
                                  Call(owner.session, owner.call_id, _owner_model(owner), now(), "shell"),
                                  [Write(w.path, part) for w in handed if _inserts(w) for part in w.inserted])
    told = wanted + [w for w in taken.handed if _inserts(w)]  # what another call's hook recorded as this one's
    if told:
        from provguard.guard.shell_report import FAILURE_GUIDANCE_EXIT, failure_guidance, report

        done.stdout, notes = report(call.agent, call.tool, told, model,  # the Copilot CLI's camelCase events too
                                    "PostToolUseFailure" if failed(payload) else "PostToolUse")
        done.notes += notes
        if done.stdout and failure_guidance(call.agent, failed(payload)):
            done.code = FAILURE_GUIDANCE_EXIT
    return done


def attribute(tool_input: Any, writes: list[shell_writes.ShellWrite],
              running: list[tuple[Path, shell_writes.Snapshot]]
              ) -> tuple[list[shell_writes.ShellWrite], dict[int, list[shell_writes.ShellWrite]]]:
    """The changes this call's hook found, split into its own and those of a running call (by index) that can be
    told to be that call's: it was running when the change may have been made, its command names the file and
    this call's does not. Any other change is this call's: it ended first, so its hook found it first."""
    mine: list[shell_writes.ShellWrite] = []
    theirs: dict[int, list[shell_writes.ShellWrite]] = {}
    for write in writes:
        naming = [index for index, (_, other) in enumerate(running) if overlaps(other, write)
                  and other.owner is not None and names(other.owner.tool_input, write.rel)]
        if len(naming) == 1 and not names(tool_input, write.rel):
            theirs.setdefault(naming[0], []).append(write)
        else:
            mine.append(write)
    return mine, theirs


def overlaps(other: shell_writes.Snapshot, write: shell_writes.ShellWrite) -> bool:
    """The other call may have made the change: its snapshot does not already show the file as it is now."""
    seen = other.files.get(write.rel)
    return not (seen is not None and write.entry is not None and seen.digest == write.entry.digest)


def names(tool_input: Any, rel: str) -> bool:
    """The call's input names the file: its path from git's top, or its name as a whole word."""
    said = tool_input if isinstance(tool_input, str) else json.dumps(tool_input, default=str)
    return any(re.search(rf"(?<![\w.-]){re.escape(name)}(?![\w-])", said)
               for name in dict.fromkeys((rel, os.path.basename(rel))) if name)


def _inserts(write: shell_writes.ShellWrite) -> bool:
    return any(part.strip() for part in write.inserted)


def _owner_model(owner: shell_writes.Owner) -> str | None:
    """The model of a running call another call's hook records a change for (from its pre-tool payload)."""
    payload = {"model": owner.model, "transcript_path": owner.transcript}
    return _model(ShellCall(owner.agent, owner.tool, False, owner.session, owner.call_id, owner.tool_input), payload)


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
