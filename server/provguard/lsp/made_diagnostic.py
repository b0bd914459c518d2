"""A finding's diagnostic as made for the client: its JSON value, and that value encoded in pieces.

A keystroke republishes every diagnostic of the document, most of them unchanged but for the version in `data`
(and, below the edit, the finding's key and the range's lines). Encoding them all again with json.dumps costs
about 1 ms a push for 200 diagnostics; kept in pieces around those three parts, a push only joins strings.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from json.encoder import encode_basestring_ascii
from typing import Any

from provguard.lsp import plain_json


@dataclass(slots=True)
class Made:
    value: dict[str, Any]
    """The Diagnostic's JSON (convert.diagnostic); `data`'s version is the one it was made for."""
    _range: str | None = None
    """`range` encoded, once asked for (the parts below are likewise)."""
    _key: str | None = None
    """The finding's key encoded as a JSON string."""
    _pieces: tuple[str, str] | None = None
    """What comes between the range and `data`'s version (ending in `"version":`), and everything after the
    finding's key; None until the first push, or where the value is not laid out as convert.diagnostic makes
    it (then it is encoded whole)."""

    def current(self, version: int | None) -> dict[str, Any]:
        """The JSON for the document's `version`."""
        data = self.value["data"]
        if data["version"] == version:
            return self.value
        return {**self.value, "data": {**data, "version": version}}

    def encoded(self, version: str) -> str:
        """The JSON for a version, given encoded, as compact text (ASCII only)."""
        if self._pieces is None:
            pieces = _pieces(self.value)
            if pieces is None:
                return plain_json.dumps({**self.value, "data": {**self.value["data"], "version": json.loads(version)}})
            self._pieces = pieces
        if self._range is None:
            self._range = _range_text(self.value["range"])
        if self._key is None:
            self._key = encode_basestring_ascii(self.value["data"]["finding"])
        between, after = self._pieces
        return f'{{"range":{self._range}{between}{version},"finding":{self._key}{after}'

    def moved(self, key: str, lines: int) -> Made:
        """The same finding `lines` lines further down, its key now `key` (naming its new offsets); what of the
        encoding the move leaves as it was is kept."""
        last = self.value
        value = {**last, "data": {**last["data"], "finding": key}}
        if not lines:
            return Made(value, self._range, None, self._pieces)
        value["range"] = _down(last["range"], lines)
        if "relatedInformation" not in last:
            return Made(value, None, None, self._pieces)
        value["relatedInformation"] = [
            {**info, "location": {**info["location"], "range": _down(info["location"]["range"], lines)}}
            for info in last["relatedInformation"]]
        return Made(value)


def _pieces(value: dict[str, Any]) -> tuple[str, str] | None:
    """The encoded parts of `value` around its range, data's version and the finding's key."""
    keys = list(value)
    data = value.get("data")
    if not keys or keys[0] != "range" or not isinstance(data, dict) or list(data)[:2] != ["version", "finding"]:
        return None
    at = keys.index("data")
    between = "".join(f",{plain_json.dumps(k)}:{plain_json.dumps(value[k])}" for k in keys[1:at])
    rest = "".join(f",{plain_json.dumps(k)}:{plain_json.dumps(v)}" for k, v in list(data.items())[2:])
    after = "".join(f",{plain_json.dumps(k)}:{plain_json.dumps(value[k])}" for k in keys[at + 1:])
    return f'{between},"data":{{"version":', f"{rest}}}{after}}}"


def _range_text(at: dict[str, Any]) -> str:
    """A Range encoded (formatted directly: json.dumps of it would cost more than the rest of a push)."""
    start, end = at["start"], at["end"]
    return (f'{{"start":{{"line":{int(start["line"])},"character":{int(start["character"])}}},'
            f'"end":{{"line":{int(end["line"])},"character":{int(end["character"])}}}}}')


def _down(at: dict[str, Any], lines: int) -> dict[str, Any]:
    start, end = at["start"], at["end"]
    return {"start": {"line": start["line"] + lines, "character": start["character"]},
            "end": {"line": end["line"] + lines, "character": end["character"]}}
