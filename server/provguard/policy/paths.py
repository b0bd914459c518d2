"""Path globs with gitignore-like meaning, compiled once to one RE2 expression per set.

A pattern without a slash matches a file or folder name at any depth (`*.jsonl`, `fixtures`); one with a
slash is anchored at the project root (`data/train/**`); `**` spans any number of folders, and a run of them
(`**/**/`) means the same as one. Matching runs in RE2 (linear_regex.py), so it takes time linear in the path
whatever a pack writes; a glob is at most MAX_GLOB_CHARS long.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from provguard.policy.linear_regex import LinearRegex, RegexError, compile_linear

MAX_GLOB_CHARS = 4096
"""Longer than any real path pattern; a pack's glob beyond it is refused."""


class GlobError(ValueError):
    """A pattern that cannot be a glob; the message says why."""


def glob_to_regex(pattern: str) -> str:
    """The RE2 expression for one glob (checked for RE2 too: a glob that loads is one that matches)."""
    if len(pattern) > MAX_GLOB_CHARS:
        raise GlobError(f"a glob may be at most {MAX_GLOB_CHARS} characters long, this one has {len(pattern)}")
    if not pattern or pattern.strip() != pattern:
        raise GlobError("a glob may not be empty or start or end with spaces")
    anchored = "/" in pattern.rstrip("/")
    body = pattern
    while body.startswith(("/", "./")):  # `/data` and `./data` both mean data at the root
        body = body[1:] if body.startswith("/") else body[2:]
    dir_only = body.endswith("/")
    body = _collapse_double_stars(body.rstrip("/"))
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
            out.append(_literal(c))
        i += 1
    prefix = "" if anchored else "(?:.*/)?"
    suffix = "/.*" if dir_only else "(?:/.*)?"
    regex = f"(?s){prefix}{''.join(out)}{suffix}"
    try:
        compile_linear(regex)
    except RegexError as exc:
        raise GlobError(f"too complex to match ({exc})") from None
    return regex


def git_pathspecs(pattern: str, base: str = "") -> tuple[str, ...] | None:
    """Git pathspecs (`:(top,glob)` magic) matching at least every path the glob matches, for a project whose
    root is `base` below git's top folder ("" at the top): git then walks only the folders a glob can reach
    instead of listing every file. A glob of many stars is widened to a few (MAX_PATHSPEC_STARS). None for a
    glob git's wildmatch would read otherwise (a backslash), or one that narrows nothing (`**`)."""
    if "\\" in pattern:
        return None
    anchored = "/" in pattern.rstrip("/")
    body = pattern
    while body.startswith(("/", "./")):
        body = body[1:] if body.startswith("/") else body[2:]
    dir_only = body.endswith("/")
    widened = _within_star_budget(("" if anchored else "**/") + _collapse_double_stars(body.rstrip("/")))
    if widened is None:
        return None
    root = "".join(f"\\{c}" if c in "*?[\\" else c for c in base.strip("/"))
    spec = f":(top,glob){root + '/' if root else ''}{widened}"
    return (f"{spec}/**",) if dir_only else (spec, f"{spec}/**")


MAX_PATHSPEC_STARS = 3
"""Stars (`*` runs and `**` segments) in one pathspec given to git. git's wildmatch backtracks: each star
multiplies the work by a name's length (over 150 names of 200 characters, 4 stars took 1.4 s and 13 more than
10 minutes), while RE2 matches the glob itself in linear time whatever it holds."""


def _within_star_budget(body: str) -> str | None:
    """`body` (`/`-separated glob segments) widened to at most MAX_PATHSPEC_STARS stars, matching at least what
    it matched: a segment past the budget becomes `*` (any one name), and once that too is past it the rest
    becomes `**` (anything below; cheap: git's trailing `**` matches at once). None when nothing is left to
    narrow the listing (the caller then lists every ignored file, as for a rule protecting everything)."""
    kept: list[str] = []
    used = 0
    for segment in body.split("/"):
        stars = 1 if segment == "**" else len(re.findall(r"\*+", segment))
        if used + stars <= MAX_PATHSPEC_STARS:
            kept.append(segment)
            used += stars
        elif segment != "**" and used < MAX_PATHSPEC_STARS:
            kept.append("*")
            used += 1
        else:
            if kept[-1:] != ["**"]:
                kept.append("**")
            break
    return None if all(s == "**" for s in kept) else "/".join(kept)


NOTHING, SOME, ALL = 0, 1, 2
"""What a glob can match below a folder (glob_reach): nothing, some paths, or every path (it matches the folder)."""


def glob_reach(pattern: str, folder: str) -> int:
    """NOTHING, SOME or ALL: which paths below `folder` (relative to the project root, `/`-separated, "" for the
    root) the glob can match, so that a walk of ignored folders skips those it cannot reach. Decided segment by
    segment like the glob's expression (glob_to_regex), never narrower: a segment it cannot judge may match."""
    segments = _segments(pattern)
    states = _past_stars({0}, segments)
    for name in (folder.split("/") if folder else ()):
        states = _past_stars({j if j == len(segments) or segments[j] == "**" else j + 1 for j in states
                              if j == len(segments) or segments[j] == "**" or _segment_matches(segments[j], name)},
                             segments)
        if not states:
            return NOTHING
    return ALL if len(segments) in states else SOME


@lru_cache(maxsize=1024)
def _segments(pattern: str) -> tuple[str, ...]:
    """The glob's segments as its expression reads them: an unanchored glob starts with `**`."""
    anchored = "/" in pattern.rstrip("/")
    body = pattern
    while body.startswith(("/", "./")):
        body = body[1:] if body.startswith("/") else body[2:]
    segments = tuple(_collapse_double_stars(body.rstrip("/")).split("/"))
    return segments if anchored else ("**", *segments)


def _past_stars(states: set[int], segments: tuple[str, ...]) -> set[int]:
    """The states with each `**` also taken as matching no folder."""
    found = set(states)
    for j in sorted(states):
        while j < len(segments) and segments[j] == "**":
            j += 1
            found.add(j)
    return found


@lru_cache(maxsize=1024)
def _segment_regex(segment: str) -> LinearRegex | None:
    try:
        return compile_linear(glob_to_regex(segment))
    except (GlobError, RegexError):
        return None


def _segment_matches(segment: str, name: str) -> bool:
    """One glob segment (no `/`, not `**`) against one folder name; one that cannot be compiled may match."""
    compiled = _segment_regex(segment)
    return compiled is None or compiled.fullmatch(name)


def _collapse_double_stars(body: str) -> str:
    """`a/**/**/b` as `a/**/b`: the same paths, and one `**` to match instead of many."""
    parts = body.split("/")
    kept = [p for i, p in enumerate(parts) if not (p == "**" and i > 0 and parts[i - 1] == "**")]
    return "/".join(kept)


def _literal(c: str) -> str:
    """One character matched as itself: ASCII punctuation, spaces and controls as a hex escape."""
    return c if c.isalnum() or not c.isascii() else f"\\x{{{ord(c):x}}}"


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
            items.append(f"{_literal(c)}-{_literal(high)}")
            i += 3
            continue
        items.append(_literal(c))
        i += 1
    if i >= len(body):
        raise GlobError(f"'[' at column {open_at + 1} has no closing ']'")
    return ("[^/" if negate else "[") + "".join(items) + "]", i + 1


@dataclass(frozen=True)
class GlobSet:
    """include / exclude patterns; an empty include means every path. Plain data (pickled with a policy):
    the compiled expressions live in a cache keyed by the patterns."""

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _compile(self.include)  # a bad glob fails here, where the set is made, not at its first match
        _compile(self.exclude)

    def matches(self, relative_path: str) -> bool:
        path = relative_path.replace("\\", "/")
        while path.startswith(("./", "/")):
            path = path[2:] if path.startswith("./") else path[1:]
        include, exclude = _compile(self.include), _compile(self.exclude)
        if include is not None and not include.fullmatch(path):
            return False
        return not (exclude is not None and exclude.fullmatch(path))


@lru_cache(maxsize=1024)
def _compile(patterns: tuple[str, ...]) -> LinearRegex | None:
    """One expression for the whole set; GlobError when a glob is bad or the set too big for RE2."""
    if not patterns:
        return None
    try:
        return compile_linear("|".join(f"(?:{glob_to_regex(p)})" for p in patterns))
    except RegexError as exc:
        raise GlobError(f"too many or too complex globs to match together ({exc})") from None
