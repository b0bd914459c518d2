"""Errors in configuration files, as values with a position a person can jump to."""

from __future__ import annotations

import difflib
from collections.abc import Collection, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class SourceError:
    """Something wrong at file:line:column (1-based, columns in characters)."""

    file: str
    line: int
    column: int
    message: str
    end_line: int | None = None
    end_column: int | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}" if self.located else self.message

    @property
    def located(self) -> bool:
        """False for an error about something that has no file (a pack name found nowhere): line 0."""
        return self.line > 0


def unlocated(message: str) -> SourceError:
    """An error with no place to point at, rather than an invented one."""
    return SourceError("", 0, 0, message)


def suggest(value: str, allowed: Collection[str]) -> str:
    """The "did you mean" tail of an error message: the closest allowed value, else the list of them: a sequence
    in its own order (keys in the order they are documented), a set or mapping (rule ids) sorted."""
    ordered = isinstance(allowed, Sequence) and not isinstance(allowed, str)
    choices = [str(a) for a in allowed] if ordered else sorted(str(a) for a in allowed)
    hint = difflib.get_close_matches(value, choices, n=1)
    return f"; did you mean {hint[0]!r}?" if hint else f"; expected one of {', '.join(choices)}"


MAX_ERRORS_PER_FILE = 50
"""Errors said for one file; a file holding more (a pack of 100,000 broken rules is under 1 MiB) says how many
more in one last error, so a command's output and an editor's problem list stay readable and bounded."""


def capped(errors: Sequence[SourceError], limit: int = MAX_ERRORS_PER_FILE) -> tuple[SourceError, ...]:
    """`errors` in their order with at most `limit` for each file, then for a file with more, one error at the
    first left out saying how many were (fix the ones said, and the rest are said on the next run)."""
    shown: dict[str, int] = {}
    first_left_out: dict[str, SourceError] = {}
    left_out: dict[str, int] = {}
    out: list[SourceError] = []
    for error in errors:
        if shown.setdefault(error.file, 0) < limit:
            shown[error.file] += 1
            out.append(error)
        else:
            first_left_out.setdefault(error.file, error)
            left_out[error.file] = left_out.get(error.file, 0) + 1
    for file, first in first_left_out.items():
        out.append(SourceError(file, first.line, first.column,
                               f"... and {left_out[file]:,} more errors in this file, not listed"))
    return tuple(out)
