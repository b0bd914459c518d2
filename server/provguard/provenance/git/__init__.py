"""Git history as provenance: lines of commits whose message or author names an AI tool."""

from provguard.provenance.git.attribution import HISTORY_CONFIDENCE, PATTERNS, Attribution, attribute
from provguard.provenance.git.history import GitHistory, GitProblem, History

__all__ = ["HISTORY_CONFIDENCE", "PATTERNS", "Attribution", "GitHistory", "GitProblem", "History", "attribute"]
