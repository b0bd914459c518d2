"""A document open in the editor, as the session keeps it: its text, live capture, project and cached analysis."""

from __future__ import annotations

from dataclasses import dataclass, field

from provguard.analysis import Analysis
from provguard.documents import Document
from provguard.editor_project import EditorProject
from provguard.provenance.capture import LiveCapture
from provguard.provenance.fingerprints import LineTokens
from provguard.provenance.region import Region


@dataclass
class OpenDocument:
    uri: str
    document: Document
    relative_path: str
    capture: LiveCapture
    project: EditorProject
    """The project it is judged in: its root, its workspace folder's settings, its packs and ledger."""
    ledger_error: str | None = None
    """Set when the ledger could not be read for this file: then nothing is written over its records."""
    tokens: LineTokens = field(default_factory=LineTokens, repr=False)
    """The text's normalised tokens line by line, for fingerprints; edits mark lines to read again."""
    regions: list[Region] = field(default_factory=list)
    """Lines recorded agent edits account for, as of the last lookup, moved along with edits since."""
    regions_generation: int = 0
    """Bumped whenever diagnostics changed without a new version: a lookup changed `regions`, or the document's
    project (its policy) changed."""
    oversized: bool = False
    """Over files.MAX_FILE_BYTES: its text is kept current, nothing else is done with it (see Session.open)."""
    dropped: int | None = None
    """The size its text reached past too_large.HARD_CAP, when the text was dropped (then it is empty and edits are
    ignored) until a reopen or a whole-text change; None while the text is kept."""
    _analysis: Analysis | None = field(default=None, repr=False)
    _analysis_version: int | None = field(default=None, repr=False)

    def invalidate(self) -> None:
        """Spans changed without a new version (a hint, a declaration): analyse again."""
        self._analysis = None

    def forget_text(self) -> None:
        """Drops all that was known of the text (it went over the size limit): captured insertions, tokens,
        regions, the tree and the analysis."""
        self.capture = LiveCapture(self.capture.threshold)
        self.tokens.reset()
        self.regions = []
        self.invalidate()
        self.document.release_tree()
