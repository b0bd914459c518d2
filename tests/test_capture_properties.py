"""Live capture as the server runs it: LSP changes in UTF-16 positions, several per didChange, full-document
changes, CRLF and non-ASCII text. Pasted code must stay tracked exactly while the text around it changes."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from provguard.documents import Document
from provguard.languages import detect
from provguard.positions import Encoding, Position
from provguard.provenance.capture import LiveCapture
from provguard.provenance.changes import BulkThreshold

CHARS = st.sampled_from(list("ab xy_é中文😀🎉\t"))
EOL = st.sampled_from(["\n", "\r\n"])


def utf16(text: str, index: int) -> Position:
    """The LSP position (UTF-16) of character `index` of `text`, lines broken at \\n, \\r\\n and \\r."""
    line, start = 0, 0
    i = 0
    while i < index:
        if text[i] == "\r" and i + 1 < len(text) and text[i + 1] == "\n":
            i += 2
            line, start = line + 1, i
            continue
        if text[i] in "\r\n":
            line, start = line + 1, i + 1
        i += 1
    return Position(line, sum(2 if ord(c) > 0xFFFF else 1 for c in text[start:index]))


class Session:
    """One open document driven through LiveCapture the way lsp/text_sync.py drives it."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.doc = Document.from_text("/w/x.py", detect("x.py"), text, 1)
        self.capture = LiveCapture(BulkThreshold())
        self.version = 1
        self.pastes: list[str] = []

    def change(self, edits: list[tuple[int, int, str]]) -> None:
        """Edits in character offsets of the text as it is when each applies, like one didChange."""
        self.version += 1
        for start, end, new in edits:
            a = self.doc.lines.offset(utf16(self.text, start), Encoding.UTF16)
            b = self.doc.lines.offset(utf16(self.text, end), Encoding.UTF16)
            self.capture.edit(self.doc, a, b, new, self.version)
            self.text = self.text[:start] + new + self.text[end:]
        self.doc.version = self.version
        self.capture.finish(self.doc, self.version, Encoding.UTF16)

    def replace_all(self, new: str) -> None:
        self.version += 1
        self.capture.replace_all(self.doc, new, self.version)
        self.text = new
        self.doc.version = self.version

    def spans_text(self) -> list[str]:
        return [self.doc.source[s.start : s.end].decode("utf-8") for s in self.capture.tracker.spans()]

    def outside(self, index: int) -> bool:
        """True when character `index` is not strictly inside a tracked span (byte offsets compared)."""
        at = len(self.text[:index].encode())
        return all(not (s.start < at < s.end) for s in self.capture.tracker.spans())

    def line_starts(self) -> list[int]:
        starts = [0] + [i + 1 for i, c in enumerate(self.text) if c == "\n"]
        return [i for i in starts if self.outside(i)]

    def places(self) -> list[int]:
        """Character offsets outside spans, never between \r and \n."""
        return [i for i in range(len(self.text) + 1) if self.outside(i)
                and not (0 < i < len(self.text) and self.text[i - 1] == "\r" and self.text[i] == "\n")]


def paste_text(n: int, eol: str, body: str) -> str:
    return eol.join(f"pasted_{n} = {body!r}  # 中文 😀" for _ in range(2)) + eol


@settings(max_examples=150, deadline=None)
@given(st.lists(EOL, min_size=3, max_size=8), st.lists(st.tuples(
    st.sampled_from(["paste", "type", "delete", "full", "batch"]), st.integers(0, 10_000),
    st.text(CHARS, min_size=1, max_size=4)), min_size=1, max_size=25))
def test_pasted_code_stays_tracked_exactly_while_text_around_it_changes(
    eols: list[str], steps: list[tuple[str, int, str]]
) -> None:
    session = Session("".join(f"line_{i} = 'é😀'{eol}" for i, eol in enumerate(eols)))
    for n, (op, seed, chars) in enumerate(steps):
        starts = session.line_starts()
        at = starts[seed % len(starts)]
        if op == "paste":
            pasted = paste_text(n, eols[n % len(eols)], chars)
            session.change([(at, at, pasted)])
            session.pastes.append(pasted)
        elif op == "type":
            places = session.places()
            where = places[seed % len(places)]
            session.change([(where, where, chars)])
        elif op == "delete":
            places = session.places()
            where = places[seed % len(places)]
            end = where + 1
            if end <= len(session.text) and end in places and session.text[where] not in "\r\n":
                session.change([(where, end, "")])
        elif op == "full":
            session.replace_all(session.text[:at] + f"added_{n} = 1\n" + session.text[at:])
        else:  # several changes in one didChange, each in the coordinates the previous one left
            first = starts[0]
            session.change([(at, at, f"x{n}\n"), (first, first, f"y{n}\n")])
        assert session.doc.text == session.text
    assert sorted(session.spans_text()) == sorted(session.pastes)


@settings(max_examples=100, deadline=None)
@given(st.text(CHARS, min_size=0, max_size=30), st.text(CHARS, min_size=0, max_size=30), EOL)
def test_a_full_document_change_tracks_a_paste_like_an_incremental_one(before: str, after: str, eol: str) -> None:
    base = f"{before}{eol}{after}{eol}"
    pasted = paste_text(0, eol, "v")
    cut = len(before) + len(eol)
    incremental, full = Session(base), Session(base)
    incremental.change([(cut, cut, pasted)])
    full.replace_all(base[:cut] + pasted + base[cut:])
    assert incremental.spans_text() == full.spans_text() == [pasted]
