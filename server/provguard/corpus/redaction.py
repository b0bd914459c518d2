"""Redaction: flagged byte ranges of a sample replaced by a placeholder comment in the sample's own language.

The placeholder reads `redacted by provguard (RULE, ...)` inside the language's comment syntax, e.g.
`# redacted by provguard (rival-ai-output-in-training-data)` in Python or `/* redacted by provguard (...) */`
in Go. It is a comment, so the rest of the sample still parses, and it does not contain the marker tag, so
filtering a redacted corpus again leaves it as it is. A range that ended with a line break keeps it; a line
comment that would swallow the rest of a line is followed by a line break.
"""

from __future__ import annotations

from collections.abc import Sequence

from provguard.documents import Document

PLACEHOLDER = "redacted by provguard"


def redact(doc: Document, ranges: Sequence[tuple[int, int, str]]) -> str:
    """The document's text with each (start, end, rule id) range replaced; overlapping ranges are joined."""
    source = doc.source
    out: list[bytes] = []
    at = 0
    for start, end, rules in _joined(ranges):
        out.append(source[at:start])
        out.append(_placeholder(doc, rules, source[start:end], source[end:end + 1]).encode("utf-8"))
        at = end
    out.append(source[at:])
    return b"".join(out).decode("utf-8", "replace")


def _joined(ranges: Sequence[tuple[int, int, str]]) -> list[tuple[int, int, tuple[str, ...]]]:
    joined: list[tuple[int, int, list[str]]] = []
    for start, end, rule in sorted(ranges):
        if joined and start < joined[-1][1]:
            last = joined[-1]
            joined[-1] = (last[0], max(last[1], end), [*last[2], rule])
        else:
            joined.append((start, end, [rule]))
    return [(s, e, tuple(sorted(set(rules)))) for s, e, rules in joined]


def _placeholder(doc: Document, rules: tuple[str, ...], removed: bytes, following: bytes) -> str:
    text = f"{PLACEHOLDER} ({', '.join(rules)})"
    ending = "\n" if removed.endswith(b"\n") else ""
    syntax = doc.language.comment
    rest_of_line = following not in (b"", b"\n", b"\r")
    if syntax.block is not None and (syntax.line is None or (rest_of_line and not ending)):
        opener, closer = syntax.block
        return f"{opener} {text} {closer}{ending}"
    line = syntax.line or "#"
    return f"{line} {text}" + (ending or ("\n" if rest_of_line else ""))
