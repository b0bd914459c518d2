"""Provenance markers: comments that say where the code around them came from.

    # provguard: begin kind=ai-agent tool=claude-code model=claude-sonnet-4 reviewed-by=alice
    ...
    # provguard: end

    // provguard: kind=ai-completion tool=copilot        (covers the next function, class or method)
    /* provguard: file kind=ai-agent tool=codex */       (covers the whole file)

Markers are found only in real comment nodes of the tree-sitter tree, so marker-like text in a string is
ignored. A malformed marker becomes a problem with an exact byte range, never an exception.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from typing import cast

import tree_sitter as ts

from provguard.documents import Document
from provguard.languages import PLAIN_COMMENT_PREFIXES
from provguard.provenance import marker_scan
from provguard.provenance.marker_fields import ByteOffsets, readable
from provguard.provenance.marker_fields import tokens as body_tokens
from provguard.provenance.marker_scan import TAG as TAG
from provguard.provenance.marker_scan import MarkerProblem as MarkerProblem
from provguard.provenance.marker_scan import MarkerScan as MarkerScan
from provguard.provenance.origin import Evidence, Kind, MarkerComment, MarkerField, Origin, Span
from provguard.provenance.tools import infer_vendor
from provguard.provenance.units import next_unit_end

VERBS = ("begin", "end", "file", "next")
KNOWN_FIELDS = ("kind", "tool", "vendor", "model", "reviewed-by", "declared-by", "date")
MARKER_KINDS = tuple(k.value for k in (Kind.AI_COMPLETION, Kind.AI_AGENT, Kind.AI_CHAT_PASTE, Kind.EXTERNAL,
                                        Kind.HUMAN, Kind.PASTE, Kind.UNKNOWN))

_OPENER = re.compile(
    r"\A\s*(?P<open>#+|//[/!]?|--(?:\[(?P<level>=*)\[)?|/\*+!?|=begin|<!--|;+|%+)?[\s*]*provguard:")
_BLOCK_CLOSERS = {"/*": "*/", "=begin": "=end", "<!--": "-->"}
_DIRECTIVE = re.compile(r"allow(?![A-Za-z0-9_.=-])")


def scan(doc: Document) -> MarkerScan:
    """All marked spans of a document and every problem with its markers. With a tree, the last scan is kept
    and, after an edit that touched no marker comment, moved over it instead (see marker_scan.py)."""
    if doc.tree is None:
        return _scan(doc)
    memo = doc.memo
    kept = cast("MarkerScan | None", memo.marker_scan)
    found = None
    if kept is not None and not memo.scan_edits:
        found = kept
    elif kept is not None and len(memo.scan_edits) == 1:
        found = marker_scan.moved(doc, kept, memo.scan_edits[0], _is_marker)
    if found is None:
        found = _scan(doc)
    memo.marker_scan = found
    memo.scan_edits.clear()
    return found


def _scan(doc: Document) -> MarkerScan:
    spans: list[Span] = []
    problems: list[MarkerProblem] = []
    directives: list[tuple[int, int]] = []
    open_begin: tuple[MarkerComment, Origin | None] | None = None
    names_lines = False
    for comment_start, comment_end, reading in _readings(doc):
        if reading is None:
            directives.append((comment_start, comment_end))
            continue
        if reading is _PROSE:
            continue
        marker, origin, found = reading
        problems.extend(found)
        if marker.verb == "begin":
            if open_begin is not None:
                line = doc.lines.line_of(open_begin[0].start) + 1
                problems.append(MarkerProblem(
                    "marker-invalid",
                    f"provguard: begin inside the block opened on line {line}; close that block with "
                    "'provguard: end' first (blocks do not nest)",
                    marker.start, marker.end))
                names_lines = True
                continue
            open_begin = (marker, origin)
        elif marker.verb == "end":
            if open_begin is None:
                problems.append(MarkerProblem(
                    "marker-unmatched-end", "provguard: end without a matching 'provguard: begin' before it",
                    marker.start, marker.end))
                continue
            begin, begin_origin = open_begin
            open_begin = None
            if begin_origin is not None:
                spans.append(Span(begin.start, marker.end, begin_origin, (begin, marker)))
        elif origin is not None and marker.verb == "file":
            spans.append(Span(0, len(doc.source), origin, (marker,)))
        elif origin is not None:
            unit_end = next_unit_end(doc, marker.end, _is_marker)
            if unit_end is None:
                problems.append(MarkerProblem(
                    "marker-no-unit",
                    "this marker covers the next function, class or method, but none follows it; "
                    "use 'provguard: begin' ... 'provguard: end' for other code",
                    marker.start, marker.end))
            else:
                spans.append(Span(marker.start, unit_end, origin, (marker,)))
    if open_begin is not None:
        begin = open_begin[0]
        problems.append(MarkerProblem(
            "marker-unterminated",
            "provguard: begin is never closed; add 'provguard: end' after the marked code",
            begin.start, begin.end))
    return MarkerScan(tuple(spans), tuple(problems), tuple(directives), names_lines)


def comment_body(raw: str) -> tuple[int, int] | None:
    """Character range of what follows `provguard:` in a comment's text, block closer excluded; None for prose."""
    opener = _OPENER.match(raw)
    if opener is None:
        return None
    end = len(raw.rstrip())
    closer = _closer(opener)
    if closer and raw[:end].endswith(closer) and end - len(closer) >= opener.end():
        end = len(raw[: end - len(closer)].rstrip())
    return opener.end(), end


@lru_cache(maxsize=4096)
def is_directive(comment: bytes) -> bool:
    """A `provguard: allow[...]` comment (suppressions.py reads it), which is not a marker."""
    raw = comment.decode("utf-8", errors="surrogateescape")
    body = comment_body(raw)
    return body is not None and _DIRECTIVE.match(raw[body[0]:].lstrip()) is not None


_Reading = tuple[MarkerComment, Origin | None, tuple[MarkerProblem, ...]]
_PROSE: _Reading = (MarkerComment("next", 0, 0, 0, 0, (), None), None, ())
"""A comment that mentions `provguard:` without being a marker."""


def _readings(doc: Document) -> Iterator[tuple[int, int, _Reading | None]]:
    """Each comment holding the tag: its bytes and what it says (None: a directive; _PROSE: no marker).
    With a tree, what a tag's comment says is kept in the document's memo until an edit touches its lines."""
    if doc.tree is None:
        for start, end in _marker_comments(doc):
            yield start, end, _read_at(doc, start, end)
        return
    source, memo = doc.source, doc.memo.comments
    last_end = -1
    at = source.find(TAG)
    while at != -1:
        if at >= last_end:
            known = memo.get(at)
            if known is None:
                known = memo[at] = (*_remembered(doc, at), 0)
            elif known[3]:
                known = memo[at] = (known[0], known[1], _moved(known[2], known[3]), 0)
            found = cast("tuple[int, int, _Reading | None] | None", known[2])
            if found is not None:
                yield found
                last_end = found[1]
        at = source.find(TAG, max(at + len(TAG), last_end))


def _remembered(doc: Document, at: int) -> tuple[int, int, object]:
    """What the tag at `at` belongs to, with the bytes that decided it (the comment's whole lines, the line
    break before them included; or, outside a comment, as far back as `_comment_around` looks)."""
    found = _comment_around(doc, at)
    if found is None:
        return at - 4097, at + len(TAG), None
    start, end = found
    lines = doc.lines
    last = lines.line_of(end)
    next_start = lines.starts[last + 1] if last + 1 < lines.line_count else len(doc.source)
    return lines.starts[lines.line_of(start)] - 1, next_start, (start, end, _read_at(doc, start, end))


def _moved(value: object, by: int) -> object:
    """A remembered reading `by` bytes further on (an edit before it)."""
    if value is None:
        return None
    start, end, reading = cast("tuple[int, int, _Reading | None]", value)
    if reading is None or reading is _PROSE:
        return start + by, end + by, reading
    marker, origin, problems = reading
    return start + by, end + by, (marker.moved(by), origin, tuple(
        MarkerProblem(p.code, p.message, p.start + by, p.end + by) for p in problems))


def _read_at(doc: Document, start: int, end: int) -> _Reading | None:
    if is_directive(doc.source[start:end]):
        return None
    problems: list[MarkerProblem] = []
    parsed = _parse_comment(doc, start, end, problems)
    return _PROSE if parsed is None else (*parsed, tuple(problems))


def _marker_comments(doc: Document) -> Iterator[tuple[int, int]]:
    """Byte ranges of comments that contain the marker tag, in document order, each once."""
    source = doc.source
    last_end = -1
    at = source.find(TAG)
    while at != -1:
        found = _comment_around(doc, at) if at >= last_end else None
        if found is not None:
            yield found
            last_end = found[1]
        at = source.find(TAG, max(at + len(TAG), last_end))


def _comment_around(doc: Document, at: int) -> tuple[int, int] | None:
    if doc.tree is None:
        line = doc.lines.line_of(at)
        start, end = doc.lines.line_bounds(line)
        if doc.source[start:at].decode("utf-8", "replace").lstrip().startswith(PLAIN_COMMENT_PREFIXES):
            return start, start + len(doc.source[start:end].rstrip())
        return None
    node: ts.Node | None = doc.tree.root_node.descendant_for_byte_range(at, at + len(TAG))
    comment_types = doc.language.comment_nodes
    while node is not None:
        if node.type in comment_types:
            # Some grammars end a comment after its line break (Rust doc comments, "\r" before "\n").
            return node.start_byte, node.start_byte + len(doc.source[node.start_byte:node.end_byte].rstrip())
        if node.start_byte < at - 4096:
            return None
        node = node.parent
    return None


def _parse_comment(
    doc: Document, start: int, end: int, problems: list[MarkerProblem]
) -> tuple[MarkerComment, Origin | None] | None:
    """The marker a comment holds, placed at `start`; comments are parsed once per distinct text."""
    parsed = _read_comment(doc.source[start:end])
    if parsed is None:
        return None
    marker, origin, found = parsed
    problems.extend(MarkerProblem(p.code, p.message, p.start + start, p.end + start) for p in found)
    line_start, line_end = _line_extent(doc, start, end)
    inline_end = None if marker.inline_fields_end is None else marker.inline_fields_end + start
    return MarkerComment(marker.verb, start, end, line_start, line_end, marker.relative_fields, inline_end), origin


@lru_cache(maxsize=8192)
def _read_comment(comment: bytes) -> tuple[MarkerComment, Origin | None, tuple[MarkerProblem, ...]] | None:
    """Parses one comment as if it stood at offset 0 (line extent unknown: left as the comment itself)."""
    start, end = 0, len(comment)
    problems: list[MarkerProblem] = []
    # surrogateescape keeps one character per invalid byte, so character indexes map back to exact bytes.
    raw = comment.decode("utf-8", errors="surrogateescape")
    body = comment_body(raw)
    if body is None:
        return None  # prose that mentions provguard:, not a marker
    body_start, body_end = body
    offsets = ByteOffsets(raw, start)
    tokens = list(body_tokens(raw, body_start, body_end))
    verb = "next"
    verb_end = body_start
    if tokens and tokens[0][2] is None and tokens[0][0] in VERBS:
        verb = tokens[0][0]
        verb_end = tokens[0][1][1]
        tokens = tokens[1:]
    fields: list[MarkerField] = []
    errors_before = len(problems)
    for text, (tok_start, tok_end), value in tokens:
        if value is None:
            message = (f"expected key=value, found {readable(text)!r}" if text not in VERBS
                       else f"{text!r} must come first, right after 'provguard:'")
            problems.append(MarkerProblem("marker-invalid", message, offsets(tok_start), offsets(tok_end)))
            continue
        value_text, (v_start, v_end), error = value
        if error:
            # an empty value is reported on its key, an unterminated one from its opening quote
            error_start = v_start if v_start < tok_end else tok_start
            problems.append(MarkerProblem("marker-invalid", error, offsets(error_start), offsets(tok_end)))
            continue
        fields.append(MarkerField(text, readable(value_text), offsets(tok_start), offsets(tok_end),
                                  offsets(v_start), offsets(v_end)))
    last = tokens[-1][1][1] if tokens else verb_end
    marker = MarkerComment(verb, start, end, start, end, tuple(fields), offsets(min(last, body_end)))
    if verb == "end":
        if fields:
            problems.append(MarkerProblem("marker-invalid", "provguard: end takes no fields",
                                          fields[0].start, fields[-1].end))
        return marker, None, tuple(problems)
    origin = _origin(marker, problems)
    return marker, (origin if len(problems) == errors_before else None), tuple(problems)


def _origin(marker: MarkerComment, problems: list[MarkerProblem]) -> Origin | None:
    values: dict[str, str] = {}
    extra: list[tuple[str, str]] = []
    seen: set[str] = set()
    for f in marker.fields:
        if f.key in seen:
            problems.append(MarkerProblem("marker-invalid", f"field {f.key!r} is given twice", f.start, f.end))
        elif f.key in KNOWN_FIELDS:
            values[f.key] = f.value
        else:
            extra.append((f.key, f.value))
        seen.add(f.key)
    kind_field = marker.field("kind")
    if kind_field is None:
        problems.append(MarkerProblem(
            "marker-invalid", f"marker has no kind; add kind= one of {', '.join(MARKER_KINDS)}",
            marker.start, marker.end))
        return None
    if kind_field.value not in MARKER_KINDS:
        problems.append(MarkerProblem(
            "marker-invalid", f"unknown kind {kind_field.value!r}; expected one of {', '.join(MARKER_KINDS)}",
            kind_field.value_start, kind_field.value_end))
        return None
    tool = values.get("tool")
    model = values.get("model")
    return Origin(
        kind=Kind(kind_field.value),
        evidence=Evidence.MARKER,
        tool=tool,
        vendor=values.get("vendor") or infer_vendor(tool, model),
        model=model,
        reviewed_by=values.get("reviewed-by"),
        declared_by=values.get("declared-by"),
        date=values.get("date"),
        extra=tuple(extra),
    )


def _closer(opener: re.Match[str]) -> str | None:
    """The delimiter that ends a block comment with this opener; None for line comments."""
    open_text = opener.group("open") or ""
    if opener.group("level") is not None:
        return f"]{opener.group('level')}]"
    return next((close for start, close in _BLOCK_CLOSERS.items() if open_text.startswith(start)), None)


def _line_extent(doc: Document, start: int, end: int) -> tuple[int, int]:
    """The comment's whole lines when it stands alone on them, else just the comment."""
    first = doc.lines.line_of(start)
    line_start = doc.lines.starts[first]
    if doc.source[line_start:start].strip():
        line_start = start
    last = doc.lines.line_of(end)
    _, last_text_end = doc.lines.line_bounds(last)
    if doc.source[end:last_text_end].strip():
        return line_start, end
    next_start = doc.lines.starts[last + 1] if last + 1 < doc.lines.line_count else len(doc.source)
    return line_start, next_start


def _is_marker(comment: bytes) -> bool:
    """Another marker stops a next-unit marker's search for its unit: each marker covers its own code."""
    return _OPENER.match(comment.decode("utf-8", "replace")) is not None and not is_directive(comment)
