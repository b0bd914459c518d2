"""Writes provenance markers in a language's own comment syntax; quick fixes and declarations use it."""

from __future__ import annotations

import re
from collections.abc import Iterable

from provguard.languages import Language

_PLAIN_VALUE = re.compile(r"[^\s\"'\\]+")


def format_fields(fields: Iterable[tuple[str, str]]) -> str:
    """`key=value` pairs, quoting values that hold spaces or quotes so the reader gets them back intact."""
    return " ".join(f"{key}={_quote(value)}" for key, value in fields)


def marker_text(language: Language, verb: str, fields: Iterable[tuple[str, str]] = ()) -> str:
    """One marker comment, without indentation or line break."""
    body = " ".join(part for part in ("provguard:", "" if verb == "next" else verb, format_fields(fields)) if part)
    syntax = language.comment
    if syntax.line is not None:
        return f"{syntax.line} {body}"
    if syntax.block is not None:
        return f"{syntax.block[0]} {body} {syntax.block[1]}"
    return f"# {body}"


def _quote(value: str) -> str:
    if value and _PLAIN_VALUE.fullmatch(value):
        return value
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
