"""`git blame --porcelain` read into one value per line: the commit that wrote it, and where it was there.

Porcelain output gives each run of lines a header `SHA ORIG FINAL [COUNT]` and each line again as
`SHA ORIG FINAL`; a commit's details (author, summary, `filename`) follow only its first header, and
`filename` follows every header of a commit whose lines came from more than one path (a rename), so the
last `filename` seen for a commit is the path of the lines that follow. Paths are C-quoted by git when they
hold control characters, a quote or a backslash (and bytes past ASCII unless `core.quotePath=false`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_HEADER = re.compile(rb"([0-9a-f]{40}|[0-9a-f]{64}) (\d+) (\d+)(?: \d+)?")
UNCOMMITTED = frozenset({"0" * 40, "0" * 64})
"""The commit blame gives lines not committed yet."""
_ESCAPES = {b"a": 7, b"b": 8, b"t": 9, b"n": 10, b"v": 11, b"f": 12, b"r": 13, b'"': 34, b"\\": 92}


@dataclass(frozen=True, slots=True)
class BlameLine:
    commit: str
    original_line: int
    """1-based line in `path` as that commit left it."""
    path: str
    """The file's path in that commit (blame follows renames); empty when blame did not say."""
    text: bytes
    """The line as it is now, without its line break."""


@dataclass(frozen=True)
class Blame:
    lines: tuple[BlameLine, ...]
    """One per line of the blamed text: index 0 is line 1."""
    boundary: frozenset[str]
    """Root commits, and a shallow clone's oldest commits, to which blame also gives every older line."""


def parse_porcelain(out: bytes) -> Blame:
    found: dict[int, BlameLine] = {}
    paths: dict[str, str] = {}
    names: dict[bytes, str] = {}
    boundary: set[str] = set()
    current: tuple[str, int, int] | None = None
    for line in out.split(b"\n"):
        if line[:1] == b"\t":
            if current is not None:
                found[current[2]] = BlameLine(current[0], current[1], paths.get(current[0], ""), line[1:])
            current = None
        elif current is None:
            header = _HEADER.fullmatch(line)
            if header is not None:
                sha = names.get(header.group(1)) or names.setdefault(header.group(1), header.group(1).decode())
                current = (sha, int(header.group(2)), int(header.group(3)))
        elif line.startswith(b"filename "):
            paths[current[0]] = unquote_path(line[len(b"filename "):])
        elif line == b"boundary":
            boundary.add(current[0])
    missing = BlameLine("0" * 40, 0, "", b"")
    return Blame(tuple(found.get(n, missing) for n in range(1, len(found) + 1)), frozenset(boundary))


def unquote_path(raw: bytes) -> str:
    """A path as git prints it, C-quoted or not, as text (bytes that are not UTF-8 kept as surrogates)."""
    if not (len(raw) >= 2 and raw[:1] == raw[-1:] == b'"'):
        return raw.decode("utf-8", "surrogateescape")
    out = bytearray()
    body, at = raw[1:-1], 0
    while at < len(body):
        byte = body[at:at + 1]
        if byte != b"\\" or at + 1 >= len(body):
            out += byte
            at += 1
            continue
        code = body[at + 1:at + 2]
        if code.isdigit() and len(body[at + 1:at + 4]) == 3:
            out.append(int(body[at + 1:at + 4], 8) & 0xFF)
            at += 4
        else:
            out.append(_ESCAPES.get(code, code[0]))
            at += 2
    return bytes(out).decode("utf-8", "surrogateescape")
