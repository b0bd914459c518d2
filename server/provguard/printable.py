"""Text from a cloned repository made safe to print on a terminal or into a CI log.

File names, file content, packs' rule ids and messages, transcripts and payloads come from anyone whose
repository a developer clones. Printed raw, a line break in a file name starts a line of its own, which a CI log
obeys (`::error file=...` is a GitHub Actions workflow command), and an escape sequence repaints or retitles a
terminal. Every path, message or piece of content that reaches stdout or stderr as text goes through here
first; JSON and SARIF need nothing more, since `json.dumps` writes every control character as `\\uXXXX`.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing, as in cli.py
if TYPE_CHECKING:
    from typing import TextIO

_ESCAPES: dict[int, str] = {
    **{c: f"\\x{c:02x}" for c in [*range(0x20), *range(0x7f, 0xa0)]},
    **{c: f"\\u{c:04x}" for c in (0x2028, 0x2029, *range(0x202a, 0x202f), *range(0x2066, 0x206a))},
    **{c: f"\\x{c - 0xdc00:02x}" for c in range(0xdc80, 0xdd00)},
    ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t",
}
"""C0 and C1 controls and DEL as escapes (`\\n`, `\\x1b`); the Unicode line and paragraph separators and the
bidirectional overrides and isolates (which make a terminal show text in another order than it is, "Trojan
Source") as `\\uXXXX`; the lone surrogates Python gives a file name's bytes that are not UTF-8 as the byte
(`caf\\xe9.py`), which a UTF-8 stream could not write at all."""
_TABS_KEPT = {c: escape for c, escape in _ESCAPES.items() if c != ord("\t")}
"""For text laid out in lines of its own (a diff of a file indented with tabs)."""
_OTHER_SURROGATES = {c: f"\\u{c:04x}" for c in [*range(0xd800, 0xdc80), *range(0xdd00, 0xe000)]}


def printable(text: str) -> str:
    """`text` on one line with nothing a terminal or CI log would obey: controls written as escapes."""
    return _escaped(text, _ESCAPES)


def printable_lines(text: str) -> str:
    """`text` whose line breaks are its own (a diff, a list) with each line made printable, tabs kept."""
    return "\n".join(_escaped(line, _TABS_KEPT) for line in text.split("\n"))


def _escaped(text: str, escapes: dict[int, str]) -> str:
    escaped = text.translate(escapes)
    if any(0xd800 <= ord(c) < 0xe000 for c in escaped):  # rare: lone surrogates that are no file name's byte
        escaped = escaped.translate(_OTHER_SURROGATES)
    return escaped


def say(message: object, prefix: str = "provguard", stream: TextIO | None = None) -> None:
    """`PREFIX: MESSAGE` on stderr (or `stream`), the message made printable: messages name files and quote
    packs, so any of them may hold what a terminal obeys."""
    print(f"{prefix}: {printable(str(message))}", file=stream or sys.stderr)


def github_data(text: str) -> str:
    """A GitHub Actions workflow command's message: `%`, CR and LF percent-encoded as the Actions toolkit does
    (GitHub decodes them back), every other control as an escape (GitHub has no encoding for them)."""
    return printable(text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def github_property(text: str) -> str:
    """A workflow command's property value (`file=`, `title=`): as a message, and `:` and `,` encoded too."""
    return github_data(text).replace(":", "%3A").replace(",", "%2C")
