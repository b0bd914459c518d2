"""Git history as provenance: lines of commits whose message or author names an AI tool.

The attribution patterns are compiled when first asked for (`attribution`, imported by name here on first use):
a check of files outside any git history never needs them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from provguard.provenance.git.history import GitHistory, GitProblem, History

if TYPE_CHECKING:
    from provguard.provenance.git.attribution import HISTORY_CONFIDENCE, PATTERNS, Attribution, attribute

__all__ = ["HISTORY_CONFIDENCE", "PATTERNS", "Attribution", "GitHistory", "GitProblem", "History", "attribute"]
_FROM_ATTRIBUTION = frozenset({"HISTORY_CONFIDENCE", "PATTERNS", "Attribution", "attribute"})


def __getattr__(name: str) -> Any:
    if name in _FROM_ATTRIBUTION:
        from provguard.provenance.git import attribution

        return getattr(attribution, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
