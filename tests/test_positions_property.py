"""Positions agree with the client's encoding for any string a client can send: lone surrogates (JSON's
"\\ud800"), emoji (two UTF-16 units), CJK, and CRLF, CR and LF line ends.

The client is modelled as an editor is: its text is a string, a position is a line (split at \\r\\n, \\r and
\\n only) and a count of code units of that string's line in the negotiated encoding."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st
from lsprotocol import types

from provguard.documents import Document
from provguard.languages import detect
from provguard.lsp.convert import to_offset
from provguard.positions import Encoding, LineIndex, Position

PIECES = ["a", "Z", " ", "\t", "\n", "\r", "\r\n", "é", "ß", "中", "文", "😀", "𝄞", "\ud800", "\udbff", "\udc00",
          "\udfff", "\ud83d", "\ude00", "\x00", "\u2028", "\x85", "\x0c"]
"""Lone surrogates (high and low, and the halves of 😀 apart), astral and CJK characters, the three LSP line
ends, and characters Python's str.splitlines breaks at but LSP does not (\\u2028, \\x85, \\x0c)."""

texts = st.lists(st.sampled_from(PIECES), max_size=40).map("".join)
encodings = st.sampled_from(list(Encoding))
BREAK = re.compile(r"\r\n|\r|\n")


def units(text: str, encoding: Encoding) -> int:
    if encoding is Encoding.UTF16:
        return len(text.encode("utf-16-le", "surrogatepass")) // 2
    if encoding is Encoding.UTF8:
        return len(text.encode("utf-8", "surrogatepass"))
    return len(text)


def client_position(text: str, index: int, encoding: Encoding) -> Position:
    """Where text[index] is, as the client counts."""
    before = text[:index]
    breaks = list(BREAK.finditer(before))
    line_start = breaks[-1].end() if breaks else 0
    return Position(len(breaks), units(before[line_start:], encoding))


def boundaries(text: str) -> list[int]:
    """Indexes a client can point at: not between the \\r and \\n of one line end."""
    return [i for i in range(len(text) + 1) if not (0 < i < len(text) and text[i - 1 : i + 1] == "\r\n")]


def server_bytes(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


@settings(derandomize=True, max_examples=400, deadline=None)
@given(text=texts, encoding=encodings, data=st.data())
def test_a_client_position_maps_to_its_offset_and_back(text: str, encoding: Encoding, data: st.DataObject) -> None:
    lines = LineIndex(server_bytes(text))
    index = data.draw(st.sampled_from(boundaries(text)))
    position = client_position(text, index, encoding)
    offset = lines.offset(position, encoding)
    assert offset == len(server_bytes(text[:index]))
    assert lines.position(offset, encoding) == position


@settings(derandomize=True, max_examples=300, deadline=None)
@given(text=texts, encoding=encodings, data=st.data())
def test_incremental_edits_give_the_text_the_client_has(text: str, encoding: Encoding, data: st.DataObject) -> None:
    doc = Document.from_text("edited.txt", detect("edited.txt"), text)
    client = text
    for _ in range(data.draw(st.integers(1, 6))):
        start = data.draw(st.sampled_from(boundaries(client)))
        end = data.draw(st.sampled_from([i for i in boundaries(client) if i >= start]))
        new_text = data.draw(texts)
        lsp_start, lsp_end = (client_position(client, i, encoding) for i in (start, end))
        first = to_offset(doc.lines, types.Position(lsp_start.line, lsp_start.character), encoding)
        last = to_offset(doc.lines, types.Position(lsp_end.line, lsp_end.character), encoding)
        doc.replace(first, last, new_text)
        client = client[:start] + new_text + client[end:]
        assert doc.source == server_bytes(client)
        assert list(doc.lines.starts) == list(LineIndex(doc.source).starts)  # updated in place, as if rebuilt


@settings(derandomize=True, max_examples=200, deadline=None)
@given(text=texts, encoding=encodings, data=st.data())
def test_positions_past_an_end_are_clamped_to_it(text: str, encoding: Encoding, data: st.DataObject) -> None:
    source = server_bytes(text)
    lines = LineIndex(source)
    line = data.draw(st.integers(0, lines.line_count + 2))
    beyond = data.draw(st.integers(1, 2**31 - 1))
    if line >= lines.line_count:
        assert lines.offset(Position(line, 0), encoding) == len(source)
        return
    _, end = lines.line_bounds(line)
    line_units = units(source[lines.starts[line] : end].decode("utf-8", "surrogatepass"), encoding)
    assert lines.offset(Position(line, line_units + beyond), encoding) == end


def test_a_lone_surrogate_is_one_utf16_unit() -> None:
    lines = LineIndex(server_bytes('x = "\ud800" + y'))
    assert lines.position(len(server_bytes('x = "\ud800"')), Encoding.UTF16) == Position(0, 7)
    assert lines.offset(Position(0, 7), Encoding.UTF16) == len(server_bytes('x = "\ud800"'))


def test_a_position_inside_a_surrogate_pair_or_a_utf8_sequence_moves_to_the_character_start() -> None:
    lines = LineIndex(server_bytes("a😀b"))
    assert lines.offset(Position(0, 2), Encoding.UTF16) == 1, "between the two halves of the emoji"
    for inside in (2, 3, 4):
        assert lines.offset(Position(0, inside), Encoding.UTF8) == 1


def test_bytes_that_are_not_utf8_count_one_unit_each() -> None:
    """A file read from disk, not sent by a client: each undecodable byte is one character."""
    lines = LineIndex(b"a\xff\xfeb = 1")
    assert lines.offset(Position(0, 3), Encoding.UTF16) == 3
    assert lines.position(4, Encoding.UTF16) == Position(0, 4)
