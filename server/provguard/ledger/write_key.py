"""The key that makes one Claude Code write one ledger record, whichever of its two recorders comes first.

A Claude Code that sent its hook no `tool_use_id` has the hook record the write under an id derived from the
call's input, while an import of the session's transcript records it under the transcript's id. Each recorder
looks for the other's record before writing (hook.py, transcripts/importer.py), but a hook and an import at the
same instant would both find nothing and both write. The ledger stores this key in a column with a unique
index, and an insert whose key is there already adds nothing (SQLite's INSERT OR IGNORE, PostgreSQL's
ON CONFLICT DO NOTHING): atomic in the database, whatever the timing. The key is what the recorders call the
same write: the same tool, session, file and inserted text (its line count, line hashes, names and prints).
So the session writing the very same text into the same file twice is one record too, which matches the same
copies. Edits stored before the key existed have none: the recorders' own look-up kept those apart.
"""

from __future__ import annotations

import hashlib
import json

from provguard.ledger.model import AgentEdit
from provguard.provenance.origin import Evidence

KEYED_TOOLS = frozenset({"claude-code"})
"""The tools whose hook and transcript import may record one write under two ids."""


def write_key(edit: AgentEdit) -> str | None:
    """The edit's write key; None for an edit that has no second recorder: another tool's, one without a session,
    one another tool's record claims (Agent Trace, git-ai), or one a shell hook saw (no transcript records it)."""
    if edit.tool not in KEYED_TOOLS or not edit.session_id:
        return None
    if not (edit.evidence is Evidence.TRANSCRIPT
            or (edit.evidence is Evidence.HOOK and (edit.source or "").startswith("hook"))):
        return None
    same = [edit.tool, edit.session_id, edit.path, edit.lines, list(edit.line_hashes), list(edit.names),
            sorted(set(edit.fingerprints))]
    return hashlib.blake2b(json.dumps(same).encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
