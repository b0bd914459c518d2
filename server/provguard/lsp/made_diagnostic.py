"""A finding's diagnostic as made for the client: its JSON value, and that value encoded around what moves.

A keystroke republishes every diagnostic of the document, most of them unchanged but for the version in `data`
and, below the edit, the finding's key and the lines of its ranges. With 1,000 tracked spans that is 1,400
diagnostics a push, ~700 of them moved; when each move copied the value and encoded it again, the pushed JSON
cost 6.7-8.0 ms of CPU an edit (in process, load ~5; 4.5-5.9 ms this way). So a
value is encoded once into fixed text around its ranges, `data`'s version and the finding's key (its layout), a
move makes a new `Made` sharing value and layout with only the new key and line count, and a push joins strings.
The moved JSON value itself is built only when asked for (`current`: diagnostics.rendered, for workspace reports).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from json.encoder import encode_basestring_ascii
from typing import Any

from provguard.lsp import plain_json

Span = tuple[int, int, int, int]
"""A Range's start line, start character, end line, end character."""


@dataclass(frozen=True, slots=True)
class Layout:
    """A value's encoding: texts[0] range texts[1] version texts[2] key texts[3] related range texts[4] ...:
    one text more than there are ranges, after the first three."""

    texts: tuple[str, ...]
    ranges: tuple[Span, ...]
    """The diagnostic's range, then each related information's, as the value was made."""


@dataclass(slots=True)
class Made:
    value: dict[str, Any]
    """The Diagnostic's JSON as made (convert.diagnostic): `data`'s version is the one it was made for, its key
    and lines those before the moves since."""
    key: str | None = None
    """The finding's key now (naming its offsets), None while it is the value's."""
    lines: int = 0
    """Lines the finding moved down since the value was made."""
    layout: Layout | None = None
    """The value's layout, shared by the moves of one value; None until the first push, or where the value is
    not laid out as convert.diagnostic makes it (then it is encoded whole)."""
    _head: str | None = None
    """Encoded up to `data`'s version, for this key and line count (as `_tail`, from the version on)."""
    _tail: str | None = None

    def current(self, version: int | None) -> dict[str, Any]:
        """The JSON for the document's `version`."""
        value = self.value
        if self.key is not None:
            value = {**value, "data": {**value["data"], "finding": self.key}}
        if self.lines:
            value = _down(value, self.lines)
        data = value["data"]
        if data["version"] == version:
            return value
        return {**value, "data": {**data, "version": version}}

    def encoded(self, version: str) -> str:
        """The JSON for a version, given encoded, as compact text (ASCII only)."""
        if self._head is None or self._tail is None:
            layout = self.layout
            if layout is None:
                layout = _layout(self.value)
                if layout is None:
                    return plain_json.dumps(self.current(json.loads(version)))
                self.layout = layout
            texts, ranges, lines = layout.texts, layout.ranges, self.lines
            key = self.value["data"]["finding"] if self.key is None else self.key
            self._head = f"{texts[0]}{_range_text(ranges[0], lines)}{texts[1]}"
            tail = [texts[2], encode_basestring_ascii(key), texts[3]]
            for span, text in zip(ranges[1:], texts[4:], strict=True):
                tail += (_range_text(span, lines), text)
            self._tail = "".join(tail)
        return f"{self._head}{version}{self._tail}"

    def moved(self, key: str, lines: int) -> Made:
        """The same finding `lines` lines further down, its key now `key` (naming its new offsets)."""
        return Made(self.value, key, self.lines + lines, self.layout)


def _layout(value: dict[str, Any]) -> Layout | None:
    """The encoded parts of `value` around its ranges, data's version and the finding's key."""
    keys = list(value)
    data = value.get("data")
    if (not keys or keys[0] != "range" or _span(value["range"]) is None or not isinstance(data, dict)
            or list(data)[:2] != ["version", "finding"]):
        return None
    dumps = plain_json.dumps
    at = keys.index("data")
    between = "".join(f",{dumps(k)}:{dumps(value[k])}" for k in keys[1:at])
    texts = ['{"range":', f'{between},"data":{{"version":', ',"finding":']
    ranges = [_span(value["range"])]
    tail = "".join(f",{dumps(k)}:{dumps(v)}" for k, v in list(data.items())[2:]) + "}"
    for k in keys[at + 1:]:
        related = value[k]
        if k != "relatedInformation":
            tail += f",{dumps(k)}:{dumps(related)}"
            continue
        if not isinstance(related, list) or not all(map(_is_related, related)):
            return None  # its ranges could not be moved
        tail += ',"relatedInformation":['
        for i, info in enumerate(related):
            texts.append(f'{tail}{"," if i else ""}{{"location":{{"uri":{dumps(info["location"]["uri"])},"range":')
            ranges.append(_span(info["location"]["range"]))
            tail = f'}},"message":{dumps(info["message"])}}}'
        tail += "]"
    texts.append(tail + "}")
    return Layout(tuple(texts), tuple(r for r in ranges if r is not None))


def _span(at: object) -> Span | None:
    """A Range's numbers, if it is laid out as convert makes ranges (so that `_range_text` encodes it as is)."""
    if not isinstance(at, dict) or list(at) != ["start", "end"]:
        return None
    start, end = at["start"], at["end"]
    if not (isinstance(start, dict) and isinstance(end, dict) and list(start) == list(end) == ["line", "character"]
            and all(type(n) is int for n in (*start.values(), *end.values()))):
        return None
    return start["line"], start["character"], end["line"], end["character"]


def _is_related(info: object) -> bool:
    return (isinstance(info, dict) and list(info) == ["location", "message"] and isinstance(info["location"], dict)
            and list(info["location"]) == ["uri", "range"] and _span(info["location"]["range"]) is not None)


def _range_text(span: Span, lines: int) -> str:
    """A Range `lines` further down, encoded (formatted directly: json.dumps costs more than the rest of a push)."""
    return (f'{{"start":{{"line":{span[0] + lines},"character":{span[1]}}},'
            f'"end":{{"line":{span[2] + lines},"character":{span[3]}}}}}')


def _down(value: dict[str, Any], lines: int) -> dict[str, Any]:
    """`value` with its ranges `lines` further down."""
    out = {**value, "range": _moved_range(value["range"], lines)}
    if "relatedInformation" in value:
        out["relatedInformation"] = [
            {**info, "location": {**info["location"], "range": _moved_range(info["location"]["range"], lines)}}
            for info in value["relatedInformation"]]
    return out


def _moved_range(at: dict[str, Any], lines: int) -> dict[str, Any]:
    start, end = at["start"], at["end"]
    return {"start": {"line": start["line"] + lines, "character": start["character"]},
            "end": {"line": end["line"] + lines, "character": end["character"]}}
