"""Positions inside YAML scalars: where character (row, column) of a value stands in the file.

Tree-sitter reports query errors inside the query text; a person needs the line and column in the pack.
"""

from __future__ import annotations

import yaml

_DOUBLE_QUOTED_ESCAPE_LENGTH = {"x": 4, "u": 6, "U": 10}


def value_position(node: yaml.Node, row: int, column: int, lines: list[str]) -> tuple[int, int]:
    """0-based file (line, column) of character (row, column) of a scalar's value.

    Exact for literal block scalars (`|`) and for single-line plain, single- and double-quoted scalars;
    elsewhere (folded or multi-line flow scalars, where lines are joined) the start of the value."""
    start = node.start_mark
    if not isinstance(node, yaml.ScalarNode) or not isinstance(node.value, str):
        return start.line, start.column
    value, style, line = node.value, node.style, start.line + 1 + row
    one_line = line < len(lines) and lines[line].strip() == value.strip()  # a folded scalar joins lines
    if style == "|" or (style == ">" and one_line):
        if line >= len(lines) or row > value.count("\n"):
            return start.line, start.column
        body, text = lines[line], value.split("\n")[row]
        return line, (len(body) - len(text) if text else len(body) - len(body.lstrip())) + column
    if row != 0 or node.end_mark.line != start.line or start.line >= len(lines):
        return start.line, start.column
    if style is None:
        return start.line, start.column + column
    raw = lines[start.line]
    at = start.column + 1
    for _ in range(column):
        if at >= len(raw):
            break
        if style == "'" and raw.startswith("''", at):
            at += 2
        elif style == '"' and raw[at] == "\\":
            at += _DOUBLE_QUOTED_ESCAPE_LENGTH.get(raw[at + 1 : at + 2], 2)
        else:
            at += 1
    return start.line, at

