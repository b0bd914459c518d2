"""git-ai authorship notes (`refs/notes/ai`, schema `authorship/3.0.0`) read into typed values.

A note is git-ai's claim about one commit: an attestation section, a line holding exactly `---`, and a JSON
object. Each attestation names a file (quoted with double quotes when it holds a space, tab or line break)
followed by lines indented by exactly two spaces: `KEY RANGES`, where RANGES is `12`, `3-9` or a comma
list of both, 1-based, in that commit's version of the file. The key says who wrote the lines:
`s_<hex>::t_<hex>` an AI session (one trace per checkpoint) looked up in `sessions` by the part before
`::`, `h_<hex>` a known human (in `humans`, not AI, so not read here), and bare hex (7 or 16 digits, or a UUID) an
older AI session looked up in `prompts`. A session's `agent_id` holds the tool, the tool's own session id
and the model. Released git-ai (1.3.5 to 1.5.x) also writes the bare checkpoint kinds `ai_agent` and `ai_tab`
as keys, with no metadata entry, for lines an agent changed outside any session it knew (lock files an agent's
`npm install` rewrote, in git-ai's own notes): git-ai counts every author but a human as AI, so these are AI
lines of an agent the note does not name. Its earlier notes (2025, seen in its own repository) also key
`prompts` by the agent's session UUID and write a legacy `human` key (a person's lines, not AI); a session key
may come without its `::t_` trace. git-ai also prunes metadata entries that attestations still name (446
attestations in its own history, `prompts: {}` and no `sessions`): the key's form still claims the lines as AI,
so they are read as an unnamed agent's, as are lines whose entry cannot be read (fail closed: a note's AI lines
are never dropped for want of who wrote them).

What a note gets wrong is a `NoteProblem` at the note's line, never an exception: an attestation line that
cannot be read is skipped and the rest of the note still counts, and so does a note whose `base_commit_sha`,
`prompts` or `sessions` is missing or of the wrong type (each said once; the attestations that need it are an
unnamed agent's). A key with no entry at all is no problem of the note's: `AuthorshipNote.unnamed` lists it.
A note whose structure or schema version is not understood is skipped whole (guessing at another version's line
numbers could call a person's lines AI).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TypeVar

from provguard.untrusted_json import NotJson, loads_untrusted

SCHEMA_VERSION = "authorship/3.0.0"
DIVIDER = "---"
MAX_LINE_NUMBER = 1 << 31
"""A larger line number is no line of any file git can blame: the note is wrong, not the file long."""

_HEX = r"[0-9a-f]+"
_SESSION_KEY = re.compile(rf"(s_{_HEX})(?:::t_{_HEX})?")
_HUMAN_KEY = re.compile(rf"h_{_HEX}|human")
_PROMPT_KEY = re.compile(r"[0-9a-f]{7}|[0-9a-f]{16}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_RANGE = re.compile(r"([0-9]+)(?:-([0-9]+))?")
_KIND_KEYS = {"ai_agent": "ai_agent", "ai_tab": "ai_tab"}
"""Checkpoint kinds git-ai writes as attestation keys when it knows no session -> the tool id recorded."""
_UNKNOWN_MODELS = frozenset({"", "unknown"})
"""What git-ai writes when the agent did not say which model ran."""

T = TypeVar("T")
Range = tuple[int, int]
"""First and last line, 1-based, inclusive."""


@dataclass(frozen=True)
class NoteProblem:
    """Part of a note that was not read, and why."""

    commit: str
    line: int
    """1-based line of the note; 0 when the problem is the whole note."""
    reason: str

    def __str__(self) -> str:
        where = f"note on {self.commit[:12]}"
        return f"{where} line {self.line}: {self.reason}" if self.line else f"{where}: {self.reason}"


@dataclass(frozen=True)
class Agent:
    """A session's `agent_id`, and who directed it."""

    tool: str
    """As git-ai names it: `claude`, `cursor`, `codex`, `github-copilot`, ..."""
    session: str
    """The tool's own id of the conversation (`agent_id.id`)."""
    model: str | None
    human_author: str | None = None


UNNAMED = Agent("ai_agent", "", None)
"""The agent of AI lines whose key has no readable metadata: what git-ai's own `ai_agent` kind stands for (the
edit's session is then the key itself)."""


@dataclass(frozen=True)
class Attestation:
    """Lines of one file at the noted commit that one AI session wrote."""

    path: str
    """As the note names it (relative to the repository root, unquoted)."""
    session_key: str
    """The key of `sessions` (`s_...`) or `prompts` (bare hex) the lines belong to, traces merged; or a
    checkpoint kind (`ai_agent`, `ai_tab`) that names no session."""
    ranges: tuple[Range, ...]
    line: int
    """The note line it was read from."""


@dataclass(frozen=True)
class AuthorshipNote:
    commit: str
    base_commit: str | None
    """`base_commit_sha`, kept but not checked: git-ai writes the noted commit or, after some rewrites, its
    parent, so a difference says nothing about the note (None when the note lacks it: said as a problem)."""
    git_ai_version: str | None
    attestations: tuple[Attestation, ...]
    """AI lines only, in note order; known-human lines are left out."""
    agents: dict[str, Agent]
    """Session key -> agent, for every key some attestation uses (`UNNAMED` where the metadata cannot say)."""
    unnamed: tuple[str, ...] = ()
    """Keys some attestation uses that have no entry in the metadata's `sessions` or `prompts` (git-ai pruned
    it), in note order: their lines are `UNNAMED`'s."""


@dataclass(frozen=True)
class ParsedNote:
    note: AuthorshipNote | None
    """None when the note as a whole could not be read."""
    problems: tuple[NoteProblem, ...] = ()


def parse_note(commit: str, raw: bytes) -> ParsedNote:
    """The note attached to `commit`, with what could not be read as problems at note lines."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        return ParsedNote(None, (NoteProblem(commit, line, "not UTF-8 text"),))
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    try:
        divider = lines.index(DIVIDER)
    except ValueError:
        return ParsedNote(None, (_no_divider(commit, lines),))
    problems: list[NoteProblem] = []
    metadata = _metadata(commit, lines, divider, problems)
    if metadata is None:
        return ParsedNote(None, tuple(problems))
    base, version, sessions, prompts = metadata
    agents: dict[str, Agent] = {}
    unnamed: dict[str, None] = {}
    attestations = _attestations(commit, lines[:divider], problems)
    for attestation in attestations:
        key = attestation.session_key
        if key in agents:
            continue
        if key in _KIND_KEYS:
            agents[key] = Agent(_KIND_KEYS[key], "", None)
            continue
        table, name = (sessions, "sessions") if key.startswith("s_") else (prompts, "prompts")
        record = None if table is None else table.get(key)  # a table that is not one: said once already
        agent = UNNAMED if record is None else _agent(record)
        if record is None and table is not None:
            unnamed[key] = None
        if isinstance(agent, str):
            problems.append(NoteProblem(commit, _json_line(lines, divider, key), f"{name}.{key}: {agent}"))
            agent = UNNAMED
        agents[key] = agent
    note = AuthorshipNote(commit, base, version, tuple(attestations), agents, tuple(unnamed))
    return ParsedNote(note, tuple(problems))


def _no_divider(commit: str, lines: list[str]) -> NoteProblem:
    """A note without its divider: at the line where its JSON seems to start, else about the whole note."""
    start = next((number for number, line in enumerate(lines, start=1) if line.startswith("{")), 0)
    where = "before its metadata" if start else "between the attestations and the metadata"
    return NoteProblem(commit, start, f"not a git-ai authorship note: no `{DIVIDER}` line {where}")


_Tables = tuple[str | None, str | None, dict[str, object] | None, dict[str, object] | None]


def _metadata(commit: str, lines: list[str], divider: int, problems: list[NoteProblem]) -> _Tables | None:
    """(base commit, git-ai version, sessions, prompts) from the JSON part, a field None where it is missing or
    of the wrong type (the problem noted); None when the JSON or its schema cannot be read at all."""
    data = loads_untrusted("\n".join(lines[divider + 1:]))
    if isinstance(data, NotJson):
        where = f" (column {data.column})" if data.column is not None else ""
        problems.append(NoteProblem(commit, divider + 1 + (data.line or 1), f"metadata is not JSON: {data.reason}"
                                                                          f"{where}"))
        return None
    if not isinstance(data, dict):
        problems.append(NoteProblem(commit, divider + 2, "metadata is not a JSON object"))
        return None
    version = data.get("schema_version")
    if version != SCHEMA_VERSION:
        said = f"unknown schema_version {version!r}" if "schema_version" in data else "no schema_version"
        problems.append(NoteProblem(commit, _json_line(lines, divider, "schema_version"),
                                    f"{said}: only {SCHEMA_VERSION} is read; the note is skipped"))
        return None
    git_ai = data.get("git_ai_version")
    base = _field(commit, lines, divider, data, "base_commit_sha", str, problems)
    prompts = _field(commit, lines, divider, data, "prompts", dict, problems)
    sessions = _field(commit, lines, divider, data, "sessions", dict, problems) if "sessions" in data else {}
    return base, git_ai if isinstance(git_ai, str) else None, sessions, prompts


def _field(commit: str, lines: list[str], divider: int, data: dict[str, object], key: str, kind: type[T],
              problems: list[NoteProblem]) -> T | None:
    """`data[key]` when it is a `kind`, else None with the problem noted at its line."""
    value = data.get(key)
    if isinstance(value, kind):
        return value
    what = "missing" if key not in data else f"not a JSON {'string' if kind is str else 'object'}"
    problems.append(NoteProblem(commit, _json_line(lines, divider, key), f"{key} is {what}"))
    return None


def _attestations(commit: str, lines: list[str], problems: list[NoteProblem]) -> list[Attestation]:
    found: list[Attestation] = []
    path: str | None = None
    unusable = False  # the path holds a NUL, which git and the file system reject: its lines are skipped
    for number, line in enumerate(lines, start=1):
        line = line.rstrip()
        if not line:
            continue
        if not line.startswith("  "):
            path = line[1:-1] if len(line) >= 2 and line[0] == line[-1] == '"' else line
            unusable = "\0" in path
            if unusable:
                problems.append(NoteProblem(commit, number, "the file path contains a NUL character"))
            continue
        key, _, ranges_text = line[2:].partition(" ")
        if path is None:
            problems.append(NoteProblem(commit, number, "attestation before any file path"))
            continue
        if unusable:
            continue
        if _HUMAN_KEY.fullmatch(key):
            continue  # a known human's lines: not AI
        session = _SESSION_KEY.fullmatch(key)
        if session is None and not _PROMPT_KEY.fullmatch(key) and key not in _KIND_KEYS:
            problems.append(NoteProblem(commit, number, f"unknown attestation key {key!r}"))
            continue
        ranges = parse_ranges(ranges_text)
        if isinstance(ranges, str):
            problems.append(NoteProblem(commit, number, ranges))
            continue
        found.append(Attestation(path, session.group(1) if session else key, ranges, number))
    return found


def parse_ranges(text: str) -> tuple[Range, ...] | str:
    """`1-4,9,12-14` as ((1, 4), (9, 9), (12, 14)), or what is wrong with it."""
    if not text:
        return "no line ranges"
    ranges: list[Range] = []
    for part in text.split(","):
        match = _RANGE.fullmatch(part)
        if match is None:
            return f"not a line range: {part!r} (expected N or N-M)"
        first = int(match.group(1))
        last = int(match.group(2)) if match.group(2) is not None else first
        if first < 1 or last < first or last >= MAX_LINE_NUMBER:
            return f"not a line range: {part!r} (lines are 1-based, N-M with N <= M)"
        ranges.append((first, last))
    return tuple(ranges)


def _agent(record: object) -> Agent | str:
    """A session or prompt record's agent, or what is wrong with it."""
    if not isinstance(record, dict):
        return "not a JSON object"
    agent_id = record.get("agent_id")
    if not isinstance(agent_id, dict):
        return "agent_id is missing" if "agent_id" not in record else "agent_id is not a JSON object"
    tool, session, model = agent_id.get("tool"), agent_id.get("id"), agent_id.get("model")
    if not isinstance(tool, str) or not tool.strip():
        return "agent_id.tool is not a non-empty string"
    if not isinstance(session, str) or (model is not None and not isinstance(model, str)):
        return "agent_id.id and agent_id.model must be strings"
    human = record.get("human_author")
    return Agent(tool.strip(), session, None if model is None or model.strip() in _UNKNOWN_MODELS else model.strip(),
                 human if isinstance(human, str) else None)


def _json_line(lines: list[str], divider: int, key: str) -> int:
    """The note line where `"key":` first appears in the metadata (the line after the divider if nowhere):
    json does not say where a value was, and keys here are unique enough to find by text."""
    needle = re.compile(rf'"{re.escape(key)}"\s*:')
    for number in range(divider + 1, len(lines)):
        if needle.search(lines[number]):
            return number + 1
    return divider + 2
