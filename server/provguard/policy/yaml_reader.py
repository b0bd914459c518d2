"""Reading YAML files into plain data with every error at its exact position: the part of pack loading that
knows YAML, not rules.

Only YAML's safe composer is used (a pack is data; loading one never executes anything), and anchors are
refused as they are met while composing (a small file could expand to a huge pack; an alias is never resolved).
Every problem is recorded, not just the first, so a team lead can fix a file in one pass; a field's reader
raises `Invalid` after recording its error to skip the rest of that field.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from pathlib import Path
from typing import Protocol, TypeVar, cast

import yaml

from provguard.policy.errors import SourceError, suggest
from provguard.policy.open_texts import text_of
from provguard.policy.yaml_positions import value_position

MAX_PACK_BYTES = 1 << 20

T = TypeVar("T")
Items = tuple[tuple[str, yaml.Node], ...]
"""Values with the node each was written at, so an error points at the value even through a `$name`."""


MAX_ANCHOR_ERRORS = 10
"""Anchors and aliases said one by one, each at its place; the rest of a file's are counted in one more error,
so a pack of 240,000 aliases is ten lines, not 240,000."""


class _Loader(yaml.SafeLoader):
    """The pure-Python safe loader (libyaml's gives other marks for some scalars and errors, which moves
    positions) that records anchors and aliases instead of resolving them: an alias composes to an empty value,
    an anchor is not kept, so neither a bomb nor a reused or unknown anchor costs anything or says more."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.anchored: list[tuple[int, int, str]] = []
        """(0-based line, column, what) of the first anchors and aliases met."""
        self.more_anchors = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        event: yaml.Event = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, yaml.NodeEvent) and event.anchor is not None:
            alias = isinstance(event, yaml.AliasEvent)
            if len(self.anchored) < MAX_ANCHOR_ERRORS:
                line, column = (mark.line, mark.column) if (mark := event.start_mark) else (0, 0)
                self.anchored.append((line, column, f"alias *{event.anchor}" if alias else f"anchor &{event.anchor}"))
            else:
                self.more_anchors += 1
            if alias:
                self.get_event()  # type: ignore[no-untyped-call]
                start, end = (cast("yaml.Mark | None", mark) for mark in (event.start_mark, event.end_mark))
                return yaml.ScalarNode(NULL_TAG, "", start, end)  # the pure loader's marks (stubs allow libyaml's)
            event.anchor = None
        return super().compose_node(parent, index)


class Invalid(Exception):
    """Raised inside one field's reader after its error is recorded, to skip the rest of that field."""


class ParameterLookup(Protocol):
    """Where `$name` finds its values: the parameters merged over a pack's whole extends chain."""

    def lookup(self, name: str, reference: yaml.Node) -> Items | None:
        """The values of parameter `name`; None when there is no such parameter; raises Invalid when the
        parameter itself is broken (its error is already recorded)."""
        ...

    def names(self) -> Collection[str]: ...


class _NoParameters:
    def lookup(self, name: str, reference: yaml.Node) -> Items | None:
        return None

    def names(self) -> Collection[str]:
        return ()


def read_source(path: str | Path, what: str = "rule pack") -> str | SourceError:
    """A file's text (the editor's, when it is being edited: open_texts.py), or why it cannot be read
    (unreadable, too large, not UTF-8: at the bad byte)."""
    file = str(path)
    if (edited := text_of(path)) is not None:
        return edited.removeprefix("\ufeff")
    from provguard.files import read_limited  # kept off the import path of a cached policy

    raw = read_limited(Path(path), MAX_PACK_BYTES)  # stops past the limit: a 2 GiB file is never read whole
    if isinstance(raw, str):
        reason = raw.removeprefix("cannot read: ")
        return SourceError(file, 1, 1, f"{what} is {reason}" if reason.startswith("larger")
                           else f"cannot read {what}: {reason}")
    try:
        return raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line_start = raw.rfind(b"\n", 0, exc.start) + 1
        line = raw[: exc.start].count(b"\n") + 1
        column = len(raw[line_start : exc.start].decode("utf-8")) + 1  # characters, like every column
        return SourceError(file, line, column, f"{what} is not valid UTF-8")


class YamlReader:
    """Reads one YAML file; readers of one pack share their `errors` list."""

    def __init__(self, text: str, file: str, errors: list[SourceError] | None = None) -> None:
        self.text = text
        self.lines = text.splitlines()
        self.file = file
        self.errors: list[SourceError] = [] if errors is None else errors
        self.parameters: ParameterLookup = _NoParameters()

    def add(self, line: int, column: int, message: str) -> None:
        """An error at 0-based (line, column) of the file."""
        self.errors.append(SourceError(self.file, line + 1, column + 1, message))

    def error(self, node: yaml.Node | None, message: str) -> None:
        if node is None:
            return self.add(0, 0, message)
        start, end = node.start_mark, node.end_mark
        self.errors.append(SourceError(file_of(node) or self.file, start.line + 1, start.column + 1, message,
                                       end.line + 1, end.column + 1))

    def error_at(self, node: yaml.Node, row: int, column: int, message: str) -> None:
        """An error at (row, column) of a scalar's value, placed where that character is in the file."""
        if file_of(node) not in (None, self.file):  # another file's lines: its start is the best we know
            return self.error(node, message)
        self.add(*value_position(node, row, column, self.lines), message)

    def fail(self, node: yaml.Node | None, message: str) -> Invalid:
        self.error(node, message)
        return Invalid()

    def document(self) -> yaml.Node | None:
        """The file's YAML tree; None when the file is empty; raises Invalid (errors recorded) when it is not
        valid YAML or uses anchors."""
        return self.compose()

    def compose(self) -> yaml.Node | None:
        loader: _Loader | None = None
        try:
            loader = _Loader(self.text)
            loader.name = self.file  # every mark, so every node, names its file
            root = loader.get_single_node()
            if not self.refuse_anchors(loader):
                return root
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            problem = exc.problem or exc.context or "invalid YAML"
            self.add(mark.line if mark else 0, mark.column if mark else 0, f"YAML syntax error: {problem}")
        except yaml.reader.ReaderError as exc:  # a control character; PyYAML gives its index in the text
            at, char = exc.position, f"U+{exc.character:04X}" if isinstance(exc.character, int) else "character"
            self.add(self.text.count("\n", 0, at), at - self.text.rfind("\n", 0, at) - 1,
                     f"YAML error: {char} is not allowed")
        except yaml.YAMLError as exc:
            self.add(0, 0, f"YAML error: {exc}")
        except RecursionError:
            self.add(0, 0, "rule pack is nested too deeply")
        finally:
            if loader is not None:
                self.refuse_anchors(loader)  # also those met before a syntax error
                loader.dispose()
        raise Invalid()

    def refuse_anchors(self, loader: _Loader) -> bool:
        """Records the anchors and aliases the loader met (once): whether there were any. Anchors and aliases
        would let a small file expand to a huge pack; packs are written out in full."""
        found, more = loader.anchored, loader.more_anchors
        loader.anchored, loader.more_anchors = [], 0
        for index, (line, column, what) in enumerate(found):
            tail = f" (and {more:,} more anchors and aliases after it)" if more and index == len(found) - 1 else ""
            self.add(line, column, f"YAML {what}: anchors and aliases are not allowed in rule packs; "
                                   f"write the value out in full{tail}")
        return bool(found)

    # -- structure helpers -------------------------------------------------------------------------

    def mapping(self, node: yaml.Node, allowed: tuple[str, ...], what: str) -> dict[str, yaml.Node]:
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, f"{what} must be a mapping of keys to values")
        out: dict[str, yaml.Node] = {}
        for key_node, value in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if not isinstance(key, str):
                self.error(key_node, f"{what} keys must be plain names")
            elif key in out:
                self.error(key_node, f"{key!r} is given twice in this {what}")
            elif key not in allowed:
                self.error(key_node, f"unknown key {key!r} in {what}{suggest(key, allowed)}")
            else:
                out[key] = value
        return out

    def sequence(self, node: yaml.Node, what: str) -> Iterator[yaml.Node]:
        if not isinstance(node, yaml.SequenceNode):
            self.error(node, f"{what} must be a list")
            return
        yield from node.value

    def scalar(self, node: yaml.Node, what: str) -> str:
        """The text of a single value; `~`, `null` and nothing at all read as the empty string."""
        if not isinstance(node, yaml.ScalarNode):
            raise self.fail(node, f"{what} must be a single value")
        return "" if node.tag == NULL_TAG else str(node.value)

    def optional_str(self, fields: dict[str, yaml.Node], key: str, parent: yaml.Node,
                     required: bool = False) -> str | None:
        if key not in fields or (not required and fields[key].tag == NULL_TAG):
            if required:
                self.error(parent, f"missing required key {key!r}")
            return None
        try:
            value = self.scalar(fields[key], repr(key))
        except Invalid:
            return None
        if required and not value.strip():
            self.error(fields[key], f"{key!r} may not be empty")
        return value

    def items(self, node: yaml.Node, what: str, parameters: ParameterLookup | None = None) -> Items:
        """A value or a list of values, each with its node; `$name` expands to a parameter's values and nodes."""
        parameters = self.parameters if parameters is None else parameters
        entries = [node] if isinstance(node, yaml.ScalarNode) else list(self.sequence(node, what))
        out: list[tuple[str, yaml.Node]] = []
        for item in entries:
            value = self.scalar(item, f"each entry of {what}")
            if value.startswith("$"):
                found = parameters.lookup(value[1:], item)
                if found is None:
                    known = ", ".join(sorted(parameters.names())) or "none are defined"
                    raise self.fail(item, f"unknown parameter {value!r} (parameters: {known})")
                out.extend(found)
            else:
                out.append((value, item))
        return tuple(out)

    def known(self, items: tuple[tuple[str, yaml.Node], ...], allowed: Collection[str] | None,
              what: str) -> tuple[str, ...]:
        """The values, after an error at each one that is not allowed (None allows any)."""
        bad = [(value, node) for value, node in items if allowed is not None and value not in allowed]
        for value, node in bad:
            self.error(node, f"unknown {what} {value!r}{suggest(value, allowed or ())}")
        if bad:
            raise Invalid()
        return tuple(value for value, _ in items)

    def guard(self, read: Callable[[], T]) -> T | None:
        """What `read` returns, or None when it found the value invalid (and recorded why)."""
        try:
            return read()
        except Invalid:
            return None

    def flag(self, node: yaml.Node | None, key: str) -> bool | None:
        if node is None:
            return None
        if not (isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:bool"):
            self.error(node, f"{key!r} must be true or false")
            return None
        return str(node.value).lower() in ("true", "yes", "on")


NULL_TAG = "tag:yaml.org,2002:null"
INT_TAG = "tag:yaml.org,2002:int"
FLOAT_TAG = "tag:yaml.org,2002:float"


def is_null(node: yaml.Node) -> bool:
    """`~`, `null` or nothing at all."""
    return node.tag == NULL_TAG


def file_of(node: yaml.Node) -> str | None:
    name = node.start_mark.name
    return name if isinstance(name, str) and not name.startswith("<") else None
