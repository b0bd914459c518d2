"""From "this tool call wrote this text to this file" to the `AgentEdit` the ledger stores.

Shared by transcript import and hooks so both derive the same id for the same call: the id hashes the
tool, session, tool-call id, the absolute path and the write's index among the call's writes to that path.
The absolute path (not the project-relative one) goes into the id, so importing with another project root
cannot turn one edit into two.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from provguard.ledger.model import AgentEdit
from provguard.provenance.fingerprints import insertion_prints
from provguard.provenance.origin import Evidence
from provguard.provenance.tools import infer_vendor

from . import paths


@dataclass(frozen=True)
class Recorder:
    """Who records and where: the same for every edit of one import or hook call."""

    tool: str
    evidence: Evidence
    roots: tuple[str, ...] = ()
    """The project root as given and as resolved (symlinks), cleaned; the first holding a path wins."""
    within: tuple[str, ...] | None = None
    """Only sessions whose working folder is inside one of these count (discovered transcripts of all
    projects); None: every session."""

    def in_scope(self, cwd: str | None) -> bool:
        return self.within is None or (cwd is not None and any(paths.inside(cwd, f) for f in self.within))


@dataclass(frozen=True)
class Write:
    """The text one tool call inserted into one file."""

    path: str
    """Absolute and cleaned when the agent's working folder is known."""
    text: str
    grammar: str | None = None
    """A file name whose extension picks the grammar when the path's cannot: a notebook's code cell is in the
    notebook's language ("cell.py"; "cell", no extension, for the generic reader)."""


@dataclass(frozen=True)
class Call:
    """What every write of one tool call shares."""

    session_id: str | None
    call_id: str
    model: str | None
    time: str
    source: str


def edit_id(tool: str, session_id: str | None, call_id: str, path: str, index: int) -> str:
    key = "\0".join((tool, session_id or "", call_id, path, str(index)))
    return hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def input_call_id(name: object, tool_input: object) -> str:
    """A call id for a payload that names none (Claude Code before tool_use_id was sent): derived from the tool
    and its input, which the call's pre- and post-tool payloads and its transcript line share, so all three find
    the same id. Fields left empty or false (a default one version fills in, `replace_all: false`) are left out."""
    given = {k: v for k, v in tool_input.items() if v is not None and v is not False and v != ""} \
        if isinstance(tool_input, dict) else tool_input
    key = json.dumps([name, given], sort_keys=True, default=str)
    return hashlib.blake2b(key.encode("utf-8", "surrogatepass"), digest_size=12).hexdigest()


def write_ids(tool: str, call: Call, writes: Iterable[Write]) -> list[tuple[Write, str]]:
    """The writes that inserted text, each with its edit's id; pure deletions insert nothing to recognise later."""
    seen: Counter[str] = Counter()
    found: list[tuple[Write, str]] = []
    for write in writes:
        index = seen[write.path]
        seen[write.path] += 1
        if write.text.strip():
            found.append((write, edit_id(tool, call.session_id, call.call_id, write.path, index)))
    return found


def agent_edits(recorder: Recorder, call: Call, writes: Iterable[Write]) -> list[AgentEdit]:
    """One edit per write that inserted text."""
    edits: list[AgentEdit] = []
    model = call.model if call.model and not call.model.startswith("<") else None  # "<synthetic>" is no model
    for write, id_ in write_ids(recorder.tool, call, writes):
        stored_path = paths.project_path(write.path, recorder.roots)
        prints = insertion_prints(write.text, write.grammar or stored_path)
        edits.append(AgentEdit(
            id=id_, tool=recorder.tool, path=stored_path, time=call.time, evidence=recorder.evidence,
            vendor=infer_vendor(recorder.tool, model), model=model, session_id=call.session_id,
            tool_call_id=call.call_id, lines=prints.lines, fingerprints=prints.fingerprints,
            line_hashes=prints.line_hashes, names=prints.names, text=write.text, source=call.source))
    return edits


def utc_time(value: object) -> str | None:
    """An ISO 8601 timestamp from a record, in UTC; None when absent or unreadable."""
    from datetime import UTC, datetime  # only transcripts need it: the hook's start-up time counts

    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).isoformat(timespec="seconds")


def now() -> str:
    """The current time as `utc_time` writes times."""
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())


def added_lines(hunk_lines: Iterable[object]) -> str:
    """The text of a hunk's added lines ("+..."), each ending with a line break."""
    return "".join(line[1:] + "\n" for line in hunk_lines if isinstance(line, str) and line.startswith("+"))


def unified_added(diff: str) -> str:
    """The added lines of a unified diff's hunks; file headers ("--- a", "+++ b") before the first hunk are
    not text."""
    lines = diff.splitlines()
    first = next((i for i, line in enumerate(lines) if line.startswith("@@")), 0)
    return added_lines(lines[first:])


def field(record: dict[str, Any], *keys: str) -> Any:
    """`record[k1][k2]...`, or None when a step is missing or not an object."""
    value: Any = record
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
