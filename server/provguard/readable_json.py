"""JSON that keeps a name's ordinary non-ASCII readable (`café.py`, `日本.py`) yet holds nothing raw a terminal
obeys, for the JSON a command writes where a person may be reading (stdout).

`json.dumps(..., ensure_ascii=False)` escapes only what JSON must (C0 controls, `"` and `\\`): a C1 control
(`\\x9b` is CSI, as `ESC [` is), a bidirectional override (`\\u202e`, "Trojan Source"), a line separator or a lone
surrogate (a file name's byte that is not UTF-8) went raw to the terminal, and the surrogate could not be written
to a UTF-8 stream at all. Here each is written as a JSON `\\uXXXX` escape instead: the same characters as
printable.py escapes in text, and the document parses to exactly the same value.
"""

from __future__ import annotations

import json

_ESCAPED: dict[int, str] = {c: f"\\u{c:04x}" for c in (0x7f, *range(0x80, 0xa0), 0x2028, 0x2029,
                                                       *range(0x202a, 0x202f), *range(0x2066, 0x206a),
                                                       *range(0xd800, 0xe000))}
"""DEL, the C1 controls, the line and paragraph separators, the bidirectional overrides and isolates, and the
surrogates. Outside strings a JSON document is ASCII, so each occurrence is inside a string, where `\\uXXXX` is
that same character."""


def readable_json(value: object, *, indent: int | None = None, separators: tuple[str, str] | None = None,
                  sort_keys: bool = False) -> str:
    """`json.dumps(value)` with non-ASCII kept as written, except what a terminal obeys, escaped."""
    text = json.dumps(value, ensure_ascii=False, indent=indent, separators=separators, sort_keys=sort_keys)
    return text.translate(_ESCAPED)
