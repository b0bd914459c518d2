"""Errors in configuration files, as values with a position a person can jump to."""

from __future__ import annotations

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
        return f"{self.file}:{self.line}:{self.column}: {self.message}"
