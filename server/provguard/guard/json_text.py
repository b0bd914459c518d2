"""Editing a JSON file's text in place: adding a member or an item at the end of an object or array, or taking
one out, written in the file's own style (indentation, separators, line endings), so every other byte stays
as the user wrote it and taking out what was added gives back the same bytes.

Works on text that `json.loads` has already accepted; offsets are indexes into that text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

_WHITESPACE = " \t\n\r"
_DECODER = json.JSONDecoder()


@dataclass(frozen=True)
class Node:
    """A JSON value's place in the text: `text[start:end]` is the value."""

    start: int
    end: int
    children: tuple[Child, ...] = ()
    """An object's members or an array's items, in order."""
    is_object: bool = False


@dataclass(frozen=True)
class Child:
    key: str | None
    """The member's name; None for an array's item."""
    start: int
    """Where the member's name (an item's value) starts."""
    key_end: int
    value: Node


@dataclass(frozen=True)
class Style:
    """How the file is written, so what is added looks like what is there."""

    indent: str | None = "  "
    """One level of indentation (spaces or a tab); None: written on one line."""
    key_separator: str = ": "
    inline_separator: str = ", "
    """Between the items of a container written on one line."""
    newline: str = "\n"


DEFAULT_STYLE = Style()
"""A file provguard writes from nothing: two spaces, as Claude Code and most editors write settings."""


def parse(text: str, start: int = 0) -> Node:
    """The value starting at `start` (after whitespace), with its children's places."""
    i = _skip(text, start)
    opening = text[i]
    if opening not in "{[":
        _, end = _DECODER.raw_decode(text, i)
        return Node(i, end)
    closing = "}" if opening == "{" else "]"
    children: list[Child] = []
    j = _skip(text, i + 1)
    if text[j] == closing:
        return Node(i, j + 1, (), opening == "{")
    while True:
        child_start, key, key_end = j, None, j
        if opening == "{":
            key, key_end = _DECODER.raw_decode(text, j)
            j = _skip(text, _skip(text, key_end) + 1)  # past the colon
        value = parse(text, j)
        children.append(Child(key, child_start, key_end, value))
        j = _skip(text, value.end)
        if text[j] != ",":
            return Node(i, j + 1, tuple(children), opening == "{")
        j = _skip(text, j + 1)


def member(node: Node, key: str) -> Child | None:
    """The member named `key` (the last one, as `json.loads` takes it)."""
    found = [child for child in node.children if child.key == key]
    return found[-1] if found else None


def style_of(text: str) -> Style:
    """The style of the first container that shows it; the default for what the file does not show."""
    root = parse(text)
    indent: str | None = DEFAULT_STYLE.indent
    key_separator, inline_separator = DEFAULT_STYLE.key_separator, DEFAULT_STYLE.inline_separator
    found_indent = found_key = found_inline = False
    for node in _containers(root):
        if node.children and not found_indent:
            lead = text[node.start + 1:node.children[0].start]
            if "\n" in lead:
                outer, inner = _line_indent(text, node.start), lead.rsplit("\n", 1)[1]
                if inner.startswith(outer) and len(inner) > len(outer):
                    indent, found_indent = inner[len(outer):], True
            else:
                indent, found_indent = None, True
        if node.is_object and node.children and not found_key:
            first = node.children[0]
            key_separator, found_key = text[first.key_end:first.value.start], True
        if len(node.children) >= 2 and not found_inline:
            between = text[node.children[0].value.end:node.children[1].start]
            if "\n" not in between:
                inline_separator, found_inline = between, True
    if not found_inline:  # a file without a one-line list of two: spaced like its keys
        inline_separator = "," + key_separator[len(key_separator.rstrip()):]
    return Style(indent, key_separator, inline_separator, "\r\n" if "\r\n" in text else "\n")


def render(value: Any, style: Style, line_indent: str, inline: bool) -> str:
    """`value` as the file would hold it, starting on a line indented by `line_indent`."""
    if inline or style.indent is None:
        return json.dumps(value, ensure_ascii=False, separators=(style.inline_separator, style.key_separator))
    text = json.dumps(value, ensure_ascii=False, indent=style.indent, separators=(",", style.key_separator))
    return text.replace("\n", style.newline + line_indent)  # JSON strings hold no raw newline


def append(text: str, node: Node, value: Any, style: Style, key: str | None = None) -> str:
    """`text` with `value` added as the last item of the array `node` (or the member `key` of the object)."""
    name = json.dumps(key, ensure_ascii=False) + style.key_separator if key is not None else ""
    if not node.children:
        if style.indent is None:
            inner = name + render(value, style, "", True)
        else:
            outer = _line_indent(text, node.start)
            inner = (style.newline + outer + style.indent + name + render(value, style, outer + style.indent, False)
                     + style.newline + outer)
        return text[:node.start + 1] + inner + text[node.end - 1:]
    last = node.children[-1]
    lead = text[node.start + 1:node.children[0].start]
    inline = "\n" not in lead
    if len(node.children) >= 2:
        separator = text[node.children[-2].value.end:last.start]
    else:
        separator = style.inline_separator if inline else "," + lead
    added = separator + name + render(value, style, _line_indent(text, last.start), inline)
    return text[:last.value.end] + added + text[last.value.end:]


def remove(text: str, node: Node, index: int) -> str:
    """`text` without the container's child `index`, and the separator that came with it."""
    children = node.children
    if len(children) == 1:
        return text[:node.start + 1] + text[node.end - 1:]
    if index > 0:
        return text[:children[index - 1].value.end] + text[children[index].value.end:]
    return text[:children[0].start] + text[children[1].start:]


def _skip(text: str, i: int) -> int:
    while i < len(text) and text[i] in _WHITESPACE:
        i += 1
    return i


def _line_indent(text: str, position: int) -> str:
    line = text[text.rfind("\n", 0, position) + 1:position]
    return line[:len(line) - len(line.lstrip(" \t"))]


def _containers(root: Node) -> list[Node]:
    """The containers holding something, in the order they appear."""
    found, stack = [], [root]
    while stack:
        node = stack.pop()
        if node.children:
            found.append(node)
        stack.extend(reversed([child.value for child in node.children]))
    return found
