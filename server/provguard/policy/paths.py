"""Path globs with gitignore-like meaning, compiled once to one regular expression per set.

A pattern without a slash matches a file or folder name at any depth (`*.jsonl`, `fixtures`); one with a
slash is anchored at the project root (`data/train/**`); `**` spans any number of folders. The generated
expressions have no nested quantifiers, so matching stays linear in the path length.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


class GlobError(ValueError):
    """A pattern that cannot be a glob; the message says why."""


def glob_to_regex(pattern: str) -> str:
    if not pattern or pattern.strip() != pattern:
        raise GlobError("a glob may not be empty or start or end with spaces")
    anchored = "/" in pattern.rstrip("/")
    body = pattern
    while body.startswith(("/", "./")):  # `/data` and `./data` both mean data at the root
        body = body[1:] if body.startswith("/") else body[2:]
    dir_only = body.endswith("/")
    body = body.rstrip("/")
    if not body:
        raise GlobError("a glob must name something besides '/'")
    out: list[str] = []
    i = 0
    while i < len(body):
        c = body[i]
        if body.startswith("**", i):
            at_start = i == 0 or body[i - 1] == "/"
            at_end = i + 2 == len(body) or body[i + 2] == "/"
            if not (at_start and at_end):
                raise GlobError("'**' must stand alone between slashes, as in 'data/**/train'")
            if i + 2 == len(body):
                out.append(".*")
                i += 2
            else:
                out.append("(?:[^/]*/)*")
                i += 3
            continue
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            regex, i = _char_class(body, i)
            out.append(regex)
            continue
        else:
            out.append(re.escape(c))
        i += 1
    prefix = "" if anchored else "(?:.*/)?"
    suffix = "/.*" if dir_only else "(?:/.*)?"
    return f"{prefix}{''.join(out)}{suffix}"


def _char_class(body: str, open_at: int) -> tuple[str, int]:
    """`[...]` starting at `open_at`: the regex for it and the index after its `]`.

    `!` (or `^`) first negates; a `]` right after the opening (or the `!`) is a literal; `a-z` is a range.
    A class never matches `/`, so `[!a]` stays inside one path segment.
    """
    i = open_at + 1
    negate = body[i : i + 1] in ("!", "^")
    if negate:
        i += 1
    first = i
    items: list[str] = []
    while i < len(body) and (body[i] != "]" or i == first):
        c = body[i]
        if c == "/":
            raise GlobError("a [...] class cannot match '/'")
        if body[i + 1 : i + 2] == "-" and i + 2 < len(body) and body[i + 2] != "]":
            high = body[i + 2]
            if high == "/":
                raise GlobError("a [...] class cannot match '/'")
            if high < c:
                raise GlobError(f"range '{c}-{high}' in [...] is backwards")
            items.append(f"{re.escape(c)}-{re.escape(high)}")
            i += 3
            continue
        items.append(re.escape(c))
        i += 1
    if i >= len(body):
        raise GlobError(f"'[' at column {open_at + 1} has no closing ']'")
    return ("[^/" if negate else "[") + "".join(items) + "]", i + 1


@dataclass(frozen=True)
class GlobSet:
    """include / exclude patterns; an empty include means every path."""

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    _include: re.Pattern[str] | None = field(default=None, init=False, repr=False, compare=False)
    _exclude: re.Pattern[str] | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_include", _compile(self.include))
        object.__setattr__(self, "_exclude", _compile(self.exclude))

    def matches(self, relative_path: str) -> bool:
        path = relative_path.replace("\\", "/")
        while path.startswith(("./", "/")):
            path = path[2:] if path.startswith("./") else path[1:]
        if self._include is not None and not self._include.fullmatch(path):
            return False
        return not (self._exclude is not None and self._exclude.fullmatch(path))


def _compile(patterns: tuple[str, ...]) -> re.Pattern[str] | None:
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{glob_to_regex(p)})" for p in patterns))
