"""Version numbers and version ranges, for `requires` in packs and in project configuration.

A small, dependency-free subset of PEP 440, enough to say "this pack needs provguard >=0.2" and "this
project needs acme >=1.2,<2": dotted release numbers compared numerically (1.2 == 1.2.0 < 1.10), an
optional pre-release suffix (alpha, beta, preview, pre, rc, dev, a, b, c in lower case, then an optional
number) that sorts before its release (1.0rc1 < 1.0), and the operators `>=`, `<=`, `>`, `<`, `==`, `!=`
and `~=` (compatible release: ~=1.2 is >=1.2,<2; ~=1.2.3 is >=1.2.3,<1.3), joined by commas.
Parsing errors carry the character index so a pack can point at it.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, field

_VERSION = re.compile(r"([0-9]+(?:\.[0-9]+)*)([-_.]?(?:alpha|beta|preview|pre|rc|dev|a|b|c)(?:[-_.]?[0-9]+)?)?")
_CLAUSE = re.compile(r"\s*(>=|<=|~=|==|!=|>|<)?\s*")
_OPERATORS: dict[str, Callable[[Version, Version], bool]] = {
    ">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt, "==": operator.eq, "!=": operator.ne,
}


@dataclass(frozen=True, order=True)
class Version:
    release: tuple[int, ...]
    """Trailing zeros removed, so 1.2 and 1.2.0 are equal."""
    final: bool
    """False for a pre-release (a suffix like rc1), which sorts before the release."""
    suffix: str
    text: str = field(default="", compare=False)
    numbers: tuple[int, ...] = field(default=(), compare=False)
    """The release numbers as written, trailing zeros included (~=1.2.0 differs from ~=1.2)."""

    def __str__(self) -> str:
        return self.text


def parse_version(text: str) -> Version | None:
    """The version a string states, or None when it is not a version number."""
    match = _VERSION.fullmatch(text.strip())
    if match is None:
        return None
    numbers = tuple(int(part) for part in match.group(1).split("."))
    release = list(numbers)
    while len(release) > 1 and release[-1] == 0:
        release.pop()
    suffix = (match.group(2) or "").lstrip("-_.")
    return Version(tuple(release), not suffix, suffix, text.strip(), numbers)


@dataclass(frozen=True)
class Clause:
    operator: str
    version: Version

    def allows(self, version: Version) -> bool:
        if self.operator != "~=":
            return _OPERATORS[self.operator](version, self.version)
        numbers = self.version.numbers  # at least two: parse_range checks
        upper = Version((*numbers[:-2], numbers[-2] + 1), True, "")
        return self.version <= version < upper


@dataclass(frozen=True)
class VersionRange:
    text: str
    clauses: tuple[Clause, ...]

    def allows(self, version: Version) -> bool:
        return all(clause.allows(version) for clause in self.clauses)

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class RangeError:
    index: int
    """Character index in the range's text."""
    message: str


def parse_range(text: str) -> VersionRange | RangeError:
    """A comma-separated list of `<operator><version>` clauses, every one of which must hold."""
    clauses: list[Clause] = []
    start = 0
    for part in text.split(","):
        lead = _CLAUSE.match(part)
        assert lead is not None  # the pattern matches the empty string
        at = start + lead.end()
        rest = part[lead.end():].rstrip()
        if not rest:
            what = "a version after the operator" if lead.group(1) else "a clause like >=1.2"
            return RangeError(at if lead.group(1) else start, f"version range {text!r} needs {what}")
        version = parse_version(rest)
        if version is None:
            return RangeError(at, f"{rest!r} is not a version number (like 1.2 or 1.2.3)")
        if lead.group(1) is None:
            return RangeError(start + len(part) - len(part.lstrip()),
                              f"a version range needs an operator: write '>={rest}' for {rest} or newer, "
                              f"'=={rest}' for exactly {rest}")
        if lead.group(1) == "~=" and len(version.numbers) < 2:
            return RangeError(at, f"'~=' needs at least two parts (like ~={rest}.0)")
        clauses.append(Clause(lead.group(1), version))
        start += len(part) + 1
    return VersionRange(text.strip(), tuple(clauses))
