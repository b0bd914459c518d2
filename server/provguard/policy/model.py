"""A rule pack as plain data. Loading it (loader.py) never runs code from it."""

from __future__ import annotations

import re
import string
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum

from provguard.policy.paths import GlobSet


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"
    HINT = "hint"
    OFF = "off"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Severity.OFF: 0, Severity.HINT: 1, Severity.INFO: 2, Severity.WARNING: 3, Severity.ERROR: 4}


class AgentWrite(StrEnum):
    """What a guard does when an agent's write would violate a rule, before the write lands."""

    DENY = "deny"
    """Refuse the write; the agent reads the rule's message and what to do instead."""
    ASK = "ask"
    """Let the user decide (agents that cannot ask refuse, saying to ask the user)."""
    RECORD = "record"
    """Let the write through; the PostToolUse hook records it and the rule reports it afterwards."""


class FixKind(StrEnum):
    """The quick fixes a rule may offer."""

    MARK_REVIEWED = "mark-reviewed"
    STRIP = "strip"
    ADD_MARKER = "add-marker"
    COMPLETE_MARKER = "complete-marker"
    DECLARE = "declare"
    """A person says where tracked code came from: written by me, from an AI tool, or external."""
    SUPPRESS = "suppress"
    """A `provguard: allow[rule] reason: <why>` comment above the finding; offered for every rule that allows
    suppression, without being listed in the rule's `fixes`."""


@dataclass(frozen=True)
class OriginSelector:
    """Matches an origin when every given field matches, each field when any of its values does.

    `kind` and `evidence` list exact values; `tool`, `vendor` and `model` list case-insensitive globs."""

    kind: tuple[str, ...] = ()
    tool: tuple[str, ...] = ()
    vendor: tuple[str, ...] = ()
    model: tuple[str, ...] = ()
    evidence: tuple[str, ...] = ()
    reviewed: bool | None = None
    """True: only reviewed origins; False: only unreviewed ones; None: either."""
    declared: bool | None = None
    """True: only origins a person declared; False: only undeclared ones; None: either."""
    min_confidence: float | None = None
    """Only origins at least this sure (0 to 1): 0.8 leaves out whole-commit git evidence (0.5)."""
    marked: bool | None = None
    """True: only code inside a marker that says it is AI output; False: only the parts outside every such
    marker (a recorded agent edit the author has already marked is not "unmarked"); None: either."""


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    message: str
    """May use the PLACEHOLDERS, as in "Code {origin} in {path}"; {{ and }} are literal braces."""
    origins: tuple[OriginSelector, ...]
    """A span is selected when any selector matches its origin."""
    paths: GlobSet = field(default_factory=GlobSet)
    languages: tuple[str, ...] = ()
    scope: tuple[tuple[str, str], ...] = ()
    """(language id, tree-sitter query) pairs; the @scope captures are the places the rule applies."""
    fixes: tuple[FixKind, ...] = ()
    note: str | None = None
    url: str | None = None
    suppressible: bool = True
    """False: no `provguard: allow[...]` comment silences the rule (training-data rules: no reason is enough)."""
    agent_write: AgentWrite = AgentWrite.RECORD
    """What `provguard guard` answers when an agent's write would violate the rule."""


@dataclass(frozen=True)
class Pack:
    id: str
    version: str
    source: str
    """File the pack was read from, for error messages and reloading."""
    rules: tuple[Rule, ...]
    description: str | None = None
    fails_closed: bool = False
    """`agent-write-on-error: deny`: a guard that cannot judge a write (a malformed payload, an internal error,
    no answer in time) refuses it instead of letting it through."""


RULE_ID_SYNTAX = ("rule ids are ASCII letters, digits, '_', '.' and '-', starting with a letter or digit, as a "
                  "`provguard: allow[rule-id]` comment names them")
PACK_ID_SYNTAX = ("pack ids are ASCII letters, digits, '_', '.' and '-', starting with a letter or digit, as rule "
                  "ids are")
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def rule_id_problem(rule_id: str) -> tuple[int, str] | None:
    """(character index, what is wrong) at the first character a rule id may not hold; None for a good id.
    An id is printed in every finding and CI annotation and written in suppression comments: a control
    character or line break in one is refused where it is written, not escaped later everywhere it goes."""
    return _id_problem(rule_id, "rule id", RULE_ID_SYNTAX)


def pack_id_problem(pack_id: str) -> tuple[int, str] | None:
    """As `rule_id_problem`, for a pack's id: `rules`, `health`, SARIF, snapshots and attestations print it, and
    a project's `requires` names it as a key, so it is held to the same syntax rather than escaped everywhere."""
    return _id_problem(pack_id, "pack id", PACK_ID_SYNTAX)


def _id_problem(value: str, what: str, syntax: str) -> tuple[int, str] | None:
    found = _ID.match(value)
    at = found.end() if found else 0
    if at == len(value):
        return None
    char = value[at]
    shown = repr(char) if char.isprintable() and not char.isspace() else f"U+{ord(char):04X}"
    return at, f"{what} {value!r} may not hold {shown} (character {at + 1}): {syntax}"


PLACEHOLDERS = ("origin", "kind", "tool", "vendor", "model", "path", "language", "rule")
"""What a rule's message may name. `origin` is where the code came from, as people say it ("pasted from
ChatGPT"); `kind` and `tool` are written as people call them too ("AI agent", "Claude Code")."""


def message_problems(message: str) -> list[tuple[int, str]]:
    """(character index, what is wrong) for each problem of a rule's message template; empty when fine."""
    try:
        list(string.Formatter().parse(message))
    except ValueError as exc:
        return [(0, f"message is not a valid template ({exc}); write {{{{ and }}}} for literal braces")]
    problems: list[tuple[int, str]] = []
    for index, text in _replacement_fields(message):
        _, name, spec, conversion = next(iter(string.Formatter().parse("{" + text + "}")))
        if name not in PLACEHOLDERS:
            available = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
            problems.append((index, f"unknown placeholder {{{text}}} in message; available: {available}"))
        elif spec or conversion:
            problems.append((index, f"placeholder {{{text}}} has a format spec or conversion; "
                                    f"messages take plain placeholders like {{{name}}}"))
    return problems


def _replacement_fields(message: str) -> Iterator[tuple[int, str]]:
    """(index of the `{`, text between the braces) of each replacement field of a valid template."""
    i = 0
    while i < len(message):
        if message.startswith(("{{", "}}"), i):
            i += 2
        elif message[i] == "{":
            depth, j = 1, i + 1
            while j < len(message) and depth:
                depth += {"{": 1, "}": -1}.get(message[j], 0)
                j += 1
            yield i, message[i + 1 : j - 1]
            i = j
        else:
            i += 1
