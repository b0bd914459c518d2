"""A ledger file made at the first record: the ledger of a workspace folder that is not (yet) a project.

Why: an editor opened on a folder with no `.git`, no provguard configuration and no `.provguard/` must not turn
it into a project by merely reading its files (a `.provguard/` is a project marker). Until something is to be
kept, reads answer from an empty in-memory ledger, which is all the folder holds; the first record (a span
saved for a pasted block, a declaration, an agent import) creates the file and goes there, so nothing
recorded is lost. When the file cannot be made, the record stays in memory and `on_warning` says so, once.
`MemoryTold` is the same for a place that gets no file at all.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence

from .location import LedgerOpen
from .model import AgentEdit, Declaration, ImportCursor, StoredSpan
from .sqlite import MEMORY, SqliteLedger
from .store import Ledger


class DeferredLedger:
    """The `Ledger` interface over memory until the first write, then over the ledger `create` opens."""

    def __init__(self, target: str, create: Callable[[], LedgerOpen], store_text: bool = False,
                 on_warning: Callable[[str], None] | None = None) -> None:
        self._target = target
        self._create: Callable[[], LedgerOpen] | None = create
        self._current: Ledger = SqliteLedger(MEMORY, store_text=store_text)
        self.on_warning = on_warning

    @property
    def created(self) -> bool:
        """Whether the file was made (or tried: a failure leaves memory for the rest of the session)."""
        return self._create is None

    @property
    def location(self) -> str:
        return self._current.location if self.created else self._target

    @property
    def persistent(self) -> bool:
        """True until a failed creation: what is recorded will be kept in the file made for it."""
        return self._current.persistent if self.created else True

    def _writable(self) -> Ledger:
        if self._create is not None:
            opened, self._create = self._create(), None
            if opened.warning is None:
                self._current.close()
                self._current = opened.ledger
            else:
                opened.ledger.close()
                if self.on_warning is not None:
                    self.on_warning(opened.warning)
        return self._current

    def load_spans(self, path: str) -> list[StoredSpan]:
        return self._current.load_spans(path)

    def save_spans(self, path: str, spans: Sequence[StoredSpan]) -> None:
        if spans or self.created:  # saving no span over none is no record
            self._writable().save_spans(path, spans)

    def all_paths(self) -> list[str]:
        return self._current.all_paths()

    def add_declaration(self, decl: Declaration) -> None:
        self._writable().add_declaration(decl)

    def declarations(self, span_id: str | None = None, path: str | None = None) -> list[Declaration]:
        return self._current.declarations(span_id, path)

    def add_agent_edits(self, edits: Sequence[AgentEdit]) -> int:
        return self._writable().add_agent_edits(edits) if edits or self.created else 0

    def stale_edits(self) -> int:
        return self._current.stale_edits()

    def agent_edits(self, path: str | None = None, ids: Sequence[str] | None = None) -> list[AgentEdit]:
        return self._current.agent_edits(path, ids)

    def match_fingerprints(self, hashes: Collection[int]) -> dict[str, int]:
        return self._current.match_fingerprints(hashes)

    def has_agent_edits(self) -> bool:
        return self._current.has_agent_edits()

    def fingerprint_hashes(self, most: int) -> frozenset[int] | None:
        return self._current.fingerprint_hashes(most)

    def generation(self) -> int:
        return self._current.generation()

    def import_cursor(self, key: str) -> ImportCursor | None:
        return self._current.import_cursor(key)

    def save_import_cursor(self, key: str, cursor: ImportCursor) -> None:
        """A cursor alone is no record (an import that found nothing): kept in memory until one is made."""
        (self._writable() if self.created else self._current).save_import_cursor(key, cursor)

    def close(self) -> None:
        self._current.close()


class MemoryTold(DeferredLedger):
    """Memory where no ledger may be made (the file system's root, the home folder): `notice` goes to
    `on_warning` at the first record, when there is something the person would lose, not for reading files."""

    def __init__(self, notice: str, store_text: bool = False, on_warning: Callable[[str], None] | None = None) -> None:
        super().__init__("memory", lambda: LedgerOpen(SqliteLedger(MEMORY, store_text=store_text), notice),
                         store_text, on_warning)

    @property
    def persistent(self) -> bool:
        return False
