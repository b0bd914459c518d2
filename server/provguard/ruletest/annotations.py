"""Expectations written in a rule-test fixture's comments, about the line below them.

    # expect: ai-output-unreviewed                  a finding of the rule starts on the next line
    # expect: ai-output-unreviewed fix: strip       ... and its `strip` fix is part of the fix snapshot
    # ok: ai-output-in-test-function                no finding of the rule starts there
    # todo-expect: ai-output-in-test-function       a known gap: the rule should fire but does not yet
    # todo-ok: ai-output-in-test-function           a known false positive: it fires but should not

An annotation is a comment in the fixture's own comment syntax (only real comments count, as for markers).
Alone on its line it is about the next line that is not itself an annotation; at the end of a line of code it
is about that line (for places a comment cannot precede, such as between a Rust attribute and its function).
Several rule ids may be listed, separated by commas.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum

import tree_sitter as ts

from provguard.documents import Document
from provguard.policy.errors import SourceError, suggest
from provguard.policy.model import FixKind


class Verb(StrEnum):
    EXPECT = "expect"
    OK = "ok"
    TODO_EXPECT = "todo-expect"
    """A known gap (false negative): passes while the rule does not fire."""
    TODO_OK = "todo-ok"
    """A known false positive: passes while the rule fires."""


_ANNOTATION = re.compile(
    r"(?:#+|//+|--|/\*+|;+|%+|<!--)[ \t]*(?P<verb>todo-expect|todo-ok|expect|ok)[ \t]*:(?P<rest>.*?)"
    r"[ \t]*(?:\*/|-->)?[ \t]*\Z")
_RULE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
_FIX = re.compile(r"\s+fix\s*:\s*", re.IGNORECASE)


@dataclass(frozen=True)
class Case:
    verb: Verb
    rule_id: str
    line: int
    """0-based line the expectation is about."""
    annotation_line: int
    """0-based line of the annotation, where a failure is reported."""
    fix: FixKind | None = None


@dataclass(frozen=True)
class Annotations:
    cases: tuple[Case, ...]
    errors: tuple[SourceError, ...]
    lines: frozenset[int]
    """0-based lines that hold annotations."""


def read_annotations(doc: Document, file: str, known_rules: Collection[str]) -> Annotations:
    """Every case a fixture's annotations state; unknown rules, fixes and dangling annotations are errors."""
    found: list[tuple[int, re.Match[str], bool]] = []
    for line in range(doc.lines.line_count):
        start, end = doc.lines.line_bounds(line)
        text = doc.source[start:end].decode("utf-8", "replace")
        match = next((m for m in _ANNOTATION.finditer(text)
                      if _in_comment(doc, start + len(text[:m.start()].encode("utf-8")))), None)
        if match is not None:
            found.append((line, match, not text[:match.start()].strip()))
    lines = frozenset(line for line, _, alone in found if alone)
    cases: list[Case] = []
    errors: list[SourceError] = []

    def error(line: int, column: int, message: str) -> None:
        errors.append(SourceError(file, line + 1, column + 1, message))

    fixable = [k.value for k in FixKind if k is not FixKind.DECLARE]
    for line, match, alone in found:
        target = line + 1 if alone else line
        while alone and target in lines:
            target += 1
        if target >= doc.lines.line_count or not _has_text(doc, target):
            error(line, match.start("verb"), "this annotation is about the next line, but no code follows it")
            continue
        verb = Verb(match.group("verb"))
        rest, rest_at = match.group("rest"), match.start("rest")
        ids_text, fix_text, fix_at = rest, None, 0
        fix_match = _FIX.search(rest)
        if fix_match is not None:
            ids_text, fix_text, fix_at = rest[:fix_match.start()], rest[fix_match.end():].strip(), fix_match.end()
        fix: FixKind | None = None
        if fix_text is not None:
            if verb is not Verb.EXPECT:
                error(line, rest_at + fix_at, f"only 'expect:' takes a fix; '{verb}:' expects no finding to fix")
                continue
            if fix_text not in fixable:
                error(line, rest_at + fix_at, f"unknown fix {fix_text!r}{suggest(fix_text, fixable)}")
                continue
            fix = FixKind(fix_text)
        ids = list(re.finditer(r"[^,\s]+", ids_text))
        if not ids:
            error(line, match.end("verb") + 1, f"'{verb}:' names no rule; write '{verb}: rule-id'")
            continue
        for rule in ids:
            column = rest_at + rule.start()
            if not _RULE_ID.fullmatch(rule.group()) or rule.group() not in known_rules:
                error(line, column, f"unknown rule {rule.group()!r}{suggest(rule.group(), known_rules)}")
                continue
            cases.append(Case(verb, rule.group(), target, line, fix))
    return Annotations(tuple(cases), tuple(errors), lines)


def _in_comment(doc: Document, at: int) -> bool:
    """Whether the byte at `at` is inside a real comment (always, for files without a grammar)."""
    if doc.tree is None:
        return True
    node: ts.Node | None = doc.tree.root_node.descendant_for_byte_range(at, at + 1)
    while node is not None:
        if node.type in doc.language.comment_nodes:
            return True
        node = node.parent
    return False


def _has_text(doc: Document, line: int) -> bool:
    start, end = doc.lines.line_bounds(line)
    return bool(doc.source[start:end].strip())
