"""Regular expressions that run in time linear in the text, for everything a rule pack can say.

Path globs and the `#match?` family of scope-query predicates both come here, so a pack from a cloned
repository cannot make any provguard process backtrack for minutes. RE2 (google-re2) guarantees linear-time
matching by construction; what it cannot do in linear time (backreferences, lookaround, atomic groups,
possessive repeats) it refuses to compile, and the refusal is reported when the pack is loaded.

RE2's syntax is Python's for everything else, with two differences a pack author may notice: `\\d`, `\\w`,
`\\s` and `\\b` are ASCII-only (write `\\pN` or `\\pL` for any digit or letter), and a counted repeat may not
exceed {1000}.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import re2  # type: ignore[import-untyped]  # google-re2 ships no type information

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # the error is the caller's to report; RE2 would also print it to stderr
_OPTIONS.never_capture = True  # only "does it match" is ever asked


class RegexError(ValueError):
    """A pattern RE2 refuses; the message says why in RE2's words."""


@dataclass(frozen=True)
class LinearRegex:
    """A compiled pattern; `search` and `fullmatch` take time linear in the text."""

    pattern: str
    _compiled: Any

    def search(self, text: str) -> bool:
        return self._compiled.search(encodable(text)) is not None

    def fullmatch(self, text: str) -> bool:
        return self._compiled.fullmatch(encodable(text)) is not None


@lru_cache(maxsize=1024)
def compile_linear(pattern: str) -> LinearRegex:
    """The pattern compiled by RE2, or RegexError."""
    if _has_surrogate(pattern):
        raise RegexError("the pattern holds a character that is not valid Unicode text (a lone surrogate)")
    try:
        return LinearRegex(pattern, re2.compile(pattern, options=_OPTIONS))
    except re2.error as exc:
        reason = exc.args[0] if exc.args else "rejected"
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", errors="replace")
        raise RegexError(str(reason)) from None


def encodable(text: str) -> str:
    """`text` as RE2 can read it: lone surrogates (from file names that are not UTF-8) become U+FFFD, one
    character each, so `?` and `*` count them as Python's own `re` did."""
    if not _has_surrogate(text):
        return text
    return "".join("\ufffd" if "\ud800" <= c <= "\udfff" else c for c in text)


def _has_surrogate(text: str) -> bool:
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False
