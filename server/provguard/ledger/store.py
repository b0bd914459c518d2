"""The one interface the rest of provguard uses to store provenance, whatever the backend.

SQLite (`provguard.ledger.sqlite`) is the default; PostgreSQL (`provguard.ledger.postgres`) holds a
team-shared ledger behind this same interface, so nothing outside `ledger/` may depend on either. The JSON encoding of
origins lives here for the same reason: every backend stores an origin the same way, and a ledger exported
from one can be read by the other.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from typing import Any, Protocol

from provguard.provenance.origin import Evidence, Kind, Origin

from .model import AgentEdit, Declaration, ImportCursor, StoredSpan


class LedgerError(Exception):
    """A ledger operation failed (locked too long, disk full, unreadable row, ...).

    Backends translate their own exceptions into this one so callers handle a single type.
    """


class Ledger(Protocol):
    """Durable provenance: tracked spans per file and the declarations people made about them.

    Paths are relative to the project root with forward slashes. Methods may raise `LedgerError`.
    """

    @property
    def location(self) -> str:
        """Where the data lives, for messages ("/repo/.provguard/ledger.sqlite3", "postgresql://bo@db/team",
        "memory"); never a password."""
        ...

    @property
    def persistent(self) -> bool:
        """False for an in-memory ledger: what is stored is gone when the process ends."""
        ...

    def load_spans(self, path: str) -> list[StoredSpan]:
        """The spans stored for `path`, in the order they were saved."""
        ...

    def save_spans(self, path: str, spans: Sequence[StoredSpan]) -> None:
        """Replaces every span stored for `path` with `spans`, atomically: readers see all or nothing."""
        ...

    def all_paths(self) -> list[str]:
        """Paths with at least one stored span, sorted."""
        ...

    def add_declaration(self, decl: Declaration) -> None:
        """Appends a declaration; earlier ones are kept, as a history of who said what."""
        ...

    def declarations(self, span_id: str | None = None, path: str | None = None) -> list[Declaration]:
        """Declarations matching every given filter (all when none), oldest first."""
        ...

    def add_agent_edits(self, edits: Sequence[AgentEdit]) -> int:
        """Stores edits not yet known (by id) with their fingerprints, in one transaction; returns how many
        were new or refreshed (a known edit whose fingerprints were of an older scheme gets the given ones). A
        known edit with no model or vendor gets the given edit's (a hook that could not tell the model, a
        transcript imported later that names it; uncounted): what is stored is never replaced, and a vendor is
        taken only for an edit with no model or the same one. An edit's text is dropped unless the ledger was
        opened with `store_text`."""
        ...

    def stale_edits(self) -> int:
        """How many edits hold fingerprints of a scheme older than `PRINT_SCHEME`: they no longer match other
        files (their own file still matches by line hashes) until an import records them again."""
        ...

    def agent_edits(self, path: str | None = None, ids: Sequence[str] | None = None) -> list[AgentEdit]:
        """Edits matching every given filter (all when none), oldest first (by time, then id)."""
        ...

    def match_fingerprints(self, hashes: Collection[int]) -> dict[str, int]:
        """Edit id -> how many of `hashes` that edit's fingerprints contain, for edits with at least one."""
        ...

    def has_agent_edits(self) -> bool:
        """Whether any agent edit is recorded: when none is, no file need be fingerprinted."""
        ...

    def fingerprint_hashes(self, most: int) -> frozenset[int] | None:
        """Every distinct fingerprint hash the agent edits hold (what `agent_edits` would give, without reading
        the edits), or None when there are more than `most`: a check's prefilter needs no more."""
        ...

    def generation(self) -> int:
        """A number every change to spans, declarations or agent edits moves on (never back): equal numbers
        mean the same records, so results computed from them still hold."""
        ...

    def import_cursor(self, key: str) -> ImportCursor | None:
        """Where the last import of `key` (a transcript file) stopped, or None when it was never read."""
        ...

    def save_import_cursor(self, key: str, cursor: ImportCursor) -> None: ...

    def close(self) -> None: ...


# -- origins as JSON -------------------------------------------------------------------------------------


def origin_to_json(origin: Origin) -> str:
    """Every Origin field, enums by value, `extra` as a list of pairs (order kept, keys may repeat)."""
    data: dict[str, Any] = {
        "kind": origin.kind.value,
        "evidence": origin.evidence.value,
        "tool": origin.tool,
        "vendor": origin.vendor,
        "model": origin.model,
        "confidence": origin.confidence,
        "reviewed_by": origin.reviewed_by,
        "declared_by": origin.declared_by,
        "date": origin.date,
        "extra": [list(pair) for pair in origin.extra],
    }
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def origin_from_json(text: str) -> Origin:
    """The inverse of `origin_to_json`; a value this version does not know raises `LedgerError`.

    Strict on purpose: guessing a kind for an unknown value could turn AI code into human code.
    """
    try:
        data = json.loads(text)
        return Origin(
            kind=Kind(data["kind"]),
            evidence=Evidence(data["evidence"]),
            tool=_opt_str(data.get("tool")),
            vendor=_opt_str(data.get("vendor")),
            model=_opt_str(data.get("model")),
            confidence=float(data.get("confidence", 1.0)),
            reviewed_by=_opt_str(data.get("reviewed_by")),
            declared_by=_opt_str(data.get("declared_by")),
            date=_opt_str(data.get("date")),
            extra=tuple((str(k), str(v)) for k, v in data.get("extra", ())),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise LedgerError(f"unreadable origin {text[:200]!r}: {exc}") from exc


def _opt_str(value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise TypeError(f"expected a string or null, got {type(value).__name__}")
