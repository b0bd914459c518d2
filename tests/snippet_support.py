"""An AI-written snippet, the ways people disguise a copy of it, and agent edits recorded from text."""

from __future__ import annotations

from provguard.documents import Document
from provguard.languages import detect
from provguard.ledger.model import AgentEdit
from provguard.ledger.store import Ledger
from provguard.provenance.fingerprints import document_tokens, insertion_prints
from provguard.provenance.matching import find_regions
from provguard.provenance.origin import Evidence
from provguard.provenance.region import Region

SNIPPET = '''\
def merge_intervals(intervals, tolerance=0):
    """Merge overlapping or touching intervals into a sorted list."""
    ordered = sorted(intervals, key=lambda pair: (pair[0], pair[1]))
    merged = []
    for start, end in ordered:
        if merged and start <= merged[-1][1] + tolerance:
            previous_start, previous_end = merged[-1]
            merged[-1] = (previous_start, max(previous_end, end))
        else:
            merged.append((start, end))
    return [interval for interval in merged if interval[1] > interval[0]]
'''

DISGUISED = '''\
class Calendar:
    """Someone else's file: the snippet was pasted here, renamed, re-indented and partly edited."""

    def __init__(self, slots):
        self.slots = list(slots)

    def busy(self, gap=0):
        # a comment the person added
        spans = sorted(self.slots, key=lambda s: (s[0], s[1]))
        out = []
        print("merging", len(spans))
        for lo, hi in spans:
            if out and lo <= out[-1][1] + gap:
                a, b = out[-1]
                out[-1] = (a, max(b, hi))
            else:
                out.append((lo, hi))
        return [iv for iv in out if iv[1] > iv[0]]

    def free(self):
        return not self.slots
'''
"""SNIPPET inside a class: every name changed, indented two levels, the docstring replaced by a comment,
one line added in the middle; its first line is DISGUISED's line 6 (0-based), its last line 17."""

UNRELATED = '''\
import argparse
import sys


def parse(argv):
    parser = argparse.ArgumentParser(description="Copy files")
    parser.add_argument("source")
    parser.add_argument("target")
    parser.add_argument("--force", action="store_true")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse(argv if argv is not None else sys.argv[1:])
    with open(args.source, "rb") as src, open(args.target, "wb") as dst:
        dst.write(src.read())
    return 0
'''


def recorded(text: str, path: str, edit_id: str = "edit-1", session: str = "sess-42",
             evidence: Evidence = Evidence.HOOK) -> AgentEdit:
    """The agent edit a hook would record for `text` written to `path`."""
    prints = insertion_prints(text, path)
    return AgentEdit(id=edit_id, tool="claude-code", path=path, time="2026-11-20T09:30:00+00:00",
                     evidence=evidence, vendor="anthropic", model="claude-sonnet-4-5", session_id=session,
                     tool_call_id="toolu_01", lines=prints.lines, fingerprints=prints.fingerprints,
                     line_hashes=prints.line_hashes, names=prints.names)


def regions(ledger: Ledger, path: str, text: str) -> list[Region]:
    """The copies of recorded edits `ledger` finds in `text` at `path`."""
    doc = Document.from_text(path, detect(path), text)
    return find_regions(ledger, path, doc, document_tokens(doc))
