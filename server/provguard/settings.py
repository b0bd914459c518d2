"""User settings, shared by the editor (initializationOptions, didChangeConfiguration) and the CLI.

Structured by cattrs into a defaulted dataclass; a bad value falls back to its default with a message
that names the setting, so a typo never disables the server.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

import cattrs

from provguard.fixes import DECLARABLE_TOOLS
from provguard.policy.model import Severity
from provguard.policy.policy import DEFAULT_PACK


@dataclass(frozen=True)
class Settings:
    packs: tuple[str, ...] = (DEFAULT_PACK,)
    """Shipped pack names or paths (relative to the workspace root)."""
    severity: Mapping[str, Severity] = field(default_factory=dict)
    """Rule id -> severity, overriding the packs; "off" silences a rule."""
    reviewer: str | None = None
    """Name written by "mark reviewed" and "declare"; defaults to git's user.email, then user.name."""
    bulk_insert_chars: int = 40
    """An insertion of at least this many characters (or code on two or more lines) becomes a tracked span."""
    ai_tools: tuple[str, ...] = DECLARABLE_TOOLS
    """Tools offered by "declare: from <tool>"."""
    ledger: str | None = None
    """The ledger file (relative to the workspace root); default `.provguard/ledger.sqlite3`."""
    store_text: bool = False
    """Keep the text of agent edits in the ledger, not only fingerprints (off: a shared ledger leaks no code)."""
    git: bool = True
    """Read git history: lines of commits whose trailers or author name an AI tool (whole-commit evidence)."""
    import_agents: tuple[str, ...] = ()
    """Agents whose own session records the server imports into the ledger: "claude-code", "codex", and
    "agent-trace" (the project's .agent-trace/traces.jsonl)."""
    import_interval_seconds: float = 60.0
    """Seconds between imports after the one at start; 0 imports only at start."""


@dataclass(frozen=True)
class SettingsResult:
    settings: Settings
    problems: tuple[str, ...]
    explicit: frozenset[str] = frozenset()
    """Fields the client set to a valid value: they override the project file even when equal to a default."""


_converter = cattrs.Converter(forbid_extra_keys=True)


def parse_settings(raw: object) -> SettingsResult:
    """Settings from a client's JSON; each invalid key keeps its default and is named in `problems`."""
    if raw is None:
        return SettingsResult(Settings(), ())
    if not isinstance(raw, Mapping):
        return SettingsResult(Settings(), (f"provguard settings must be an object, got {type(raw).__name__}",))
    section: Mapping[str, Any] = raw.get("provguard", raw) if isinstance(raw.get("provguard"), Mapping) else raw
    data = {_snake(str(key)): value for key, value in section.items()}  # editors write camelCase
    known = {f.name for f in fields(Settings)}
    problems = [f"unknown setting {key!r} ignored" for key in data if key not in known]
    good: dict[str, Any] = {}
    for key in known & set(data):
        try:
            _converter.structure({key: data[key]}, Settings)
        except Exception as exc:  # cattrs raises several exception types; all mean "bad value"
            detail = "; ".join(cattrs.transform_error(exc)) if isinstance(exc, cattrs.BaseValidationError) else exc
            problems.append(f"setting {key!r} is invalid ({detail}); using the default")
            continue
        good[key] = data[key]
    return SettingsResult(_converter.structure(good, Settings), tuple(problems), frozenset(good))


def _snake(key: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in key)
