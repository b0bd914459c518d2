"""Reads rule-pack files into plain data, or into a list of errors with exact positions.

Only YAML's safe composer is used: a pack is data and loading one never executes anything. Every problem
found is reported (not just the first) so a team lead can fix a pack in one pass. This module reads one
file at a time (its structure and its rules); extends.py reads a pack's whole family (the packs it extends,
the rule files it includes) and merges parameters before any rule is read, which is why `$name` is looked
up through a `ParameterLookup` rather than in the file itself.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar

import yaml

from provguard.languages import known_ids
from provguard.policy.errors import SourceError
from provguard.policy.model import FixKind, OriginSelector, Pack, Rule, Severity, message_problems
from provguard.policy.open_texts import text_of
from provguard.policy.paths import GlobError, GlobSet, glob_to_regex
from provguard.policy.scopes import ScopeQueryError, compile_scope
from provguard.policy.yaml_positions import value_position
from provguard.provenance.origin import Evidence, Kind

PACK_KEYS = ("pack", "version", "description", "parameters", "rules",
             "requires", "owner", "extends", "overrides", "include")
RULE_KEYS = ("id", "severity", "message", "note", "url", "origins", "paths", "languages", "scope", "fixes",
             "suppressible")
ORIGIN_KEYS = ("kind", "tool", "vendor", "model", "evidence", "reviewed", "declared", "min-confidence")
PATH_KEYS = ("include", "exclude")
MAX_PACK_BYTES = 1 << 20

T = TypeVar("T")
Items = tuple[tuple[str, yaml.Node], ...]
"""Values with the node each was written at, so an error points at the value even through a `$name`."""


_LOADER = yaml.SafeLoader
"""The pure-Python loader: libyaml's gives other marks for some scalars and errors, which moves positions."""


@dataclass(frozen=True)
class LoadResult:
    pack: Pack | None
    errors: tuple[SourceError, ...]


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


def load_pack(path: str | Path) -> LoadResult:
    """A pack with the packs it extends and the files it includes merged in (see extends.py)."""
    from provguard.policy.extends import load_merged  # extends.py builds on this module

    return load_merged(path)


def parse_pack(text: str, file: str) -> LoadResult:
    """A pack from its text; `extends` and `include` are relative to `file`'s folder."""
    from provguard.policy.extends import load_merged

    return load_merged(file, text)


def read_source(path: str | Path, what: str = "rule pack") -> str | SourceError:
    """A file's text (the editor's, when it is being edited: open_texts.py), or why it cannot be read
    (unreadable, too large, not UTF-8: at the bad byte)."""
    file = str(path)
    if (edited := text_of(path)) is not None:
        return edited.removeprefix("\ufeff")
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        return SourceError(file, 1, 1, f"cannot read {what}: {exc.strerror or exc}")
    if len(raw) > MAX_PACK_BYTES:
        return SourceError(file, 1, 1, f"{what} is larger than {MAX_PACK_BYTES} bytes")
    try:
        return raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line_start = raw.rfind(b"\n", 0, exc.start) + 1
        line = raw[: exc.start].count(b"\n") + 1
        column = len(raw[line_start : exc.start].decode("utf-8")) + 1  # characters, like every column
        return SourceError(file, line, column, f"{what} is not valid UTF-8")


class PackReader:
    """Reads one YAML file of a pack. Its nodes carry the file's name, so an error at any node names the
    right file even when a parameter of one file is used by a rule of another; readers of one pack share
    their `errors` list."""

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
        self.errors.append(SourceError(_file_of(node) or self.file, start.line + 1, start.column + 1, message,
                                       end.line + 1, end.column + 1))

    def error_at(self, node: yaml.Node, row: int, column: int, message: str) -> None:
        """An error at (row, column) of a scalar's value, placed where that character is in the file."""
        if _file_of(node) not in (None, self.file):  # another file's lines: its start is the best we know
            return self.error(node, message)
        self.add(*value_position(node, row, column, self.lines), message)

    def fail(self, node: yaml.Node | None, message: str) -> Invalid:
        self.error(node, message)
        return Invalid()

    def document(self) -> yaml.Node | None:
        """The file's YAML tree; None when the file is empty; raises Invalid (errors recorded) when it is not
        valid YAML or uses anchors."""
        root = self.compose()
        if self.has_anchors():
            raise Invalid()
        return root

    def compose(self) -> yaml.Node | None:
        loader: yaml.SafeLoader | None = None
        try:
            loader = _LOADER(self.text)
            loader.name = self.file  # every mark, so every node, names its file
            return loader.get_single_node()
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
                loader.dispose()
        raise Invalid()

    def has_anchors(self) -> bool:
        """Anchors and aliases would let a small file expand to a huge pack; packs are written out in full."""
        before = len(self.errors)
        for event in yaml.parse(self.text, Loader=_LOADER):
            if isinstance(event, yaml.NodeEvent) and event.anchor is not None:
                what = f"alias *{event.anchor}" if isinstance(event, yaml.AliasEvent) else f"anchor &{event.anchor}"
                line, column = (mark.line, mark.column) if (mark := event.start_mark) else (0, 0)
                self.add(line, column, f"YAML {what}: anchors and aliases are not allowed in rule packs; "
                                       "write the value out in full")
        return len(self.errors) > before

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
        return "" if node.tag == _NULL else str(node.value)

    def optional_str(self, fields: dict[str, yaml.Node], key: str, parent: yaml.Node,
                     required: bool = False) -> str | None:
        if key not in fields or (not required and fields[key].tag == _NULL):
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

    # -- rules -------------------------------------------------------------------------------------

    def rule(self, node: yaml.Node, seen: dict[str, yaml.Node]) -> Rule | None:
        try:
            fields = self.mapping(node, RULE_KEYS, "rule")
        except Invalid:
            return None
        before = len(self.errors)
        rule_id = self.optional_str(fields, "id", node, required=True)
        if rule_id is not None:
            if rule_id in seen:
                first, file = seen[rule_id].start_mark.line + 1, _file_of(seen[rule_id])
                where = f"on line {first}" if file in (None, self.file) else f"at {file}:{first}"
                self.error(fields["id"], f"duplicate rule id {rule_id!r} (first defined {where})")
            else:
                seen[rule_id] = fields["id"]
        severity = self.severity(fields, node)
        message = self.optional_str(fields, "message", node, required=True)
        if message is not None:
            self.check_message(fields["message"], message)
        origins = self.guard(lambda: self.origins(fields, node)) or ()
        paths = self.guard(lambda: self.paths(fields["paths"]) if "paths" in fields else None) or GlobSet()
        languages = self.guard(lambda: self.languages(fields["languages"]) if "languages" in fields else None) or ()
        scope = self.guard(lambda: self.scope(fields["scope"]) if "scope" in fields else None) or ()
        fixes = self.guard(lambda: self.fixes(fields["fixes"]) if "fixes" in fields else None) or ()
        note, url = self.optional_str(fields, "note", node), self.optional_str(fields, "url", node)
        suppressible = self.flag(fields.get("suppressible"), "suppressible")
        if len(self.errors) > before or rule_id is None or severity is None or message is None:
            return None
        return Rule(rule_id, severity, message, origins, paths, languages, scope, fixes, note, url,
                    suppressible is not False)

    def guard(self, read: Callable[[], T]) -> T | None:
        """What `read` returns, or None when it found the value invalid (and recorded why)."""
        try:
            return read()
        except Invalid:
            return None

    def severity(self, fields: dict[str, yaml.Node], node: yaml.Node) -> Severity | None:
        value = self.optional_str(fields, "severity", node, required=True)
        if value is None:
            return None
        return self.guard(lambda: Severity(self.known(((value, fields["severity"]),), list(Severity), "severity")[0]))

    def check_message(self, node: yaml.Node, message: str) -> None:
        for index, problem in message_problems(message):
            row = message.count("\n", 0, index)
            self.error_at(node, row, index - (message.rfind("\n", 0, index) + 1), problem)

    def origins(self, fields: dict[str, yaml.Node], node: yaml.Node) -> tuple[OriginSelector, ...]:
        if "origins" not in fields:
            raise self.fail(node, "missing required key 'origins': which provenance the rule is about")
        value = fields["origins"]
        items = [value] if isinstance(value, yaml.MappingNode) else list(self.sequence(value, "origins"))
        if not items and isinstance(value, yaml.SequenceNode):
            raise self.fail(value, "'origins' is empty, so the rule could never apply; list at least one selector")
        return tuple(self.origin_selector(item) for item in items)

    def origin_selector(self, node: yaml.Node) -> OriginSelector:
        before = len(self.errors)
        fields = self.mapping(node, ORIGIN_KEYS, "origin selector")
        values: dict[str, tuple[str, ...]] = {}
        for key in (k for k in ("kind", "tool", "vendor", "model", "evidence") if k in fields):
            try:
                values[key] = self.known(self.items(fields[key], repr(key)), _CHOICES.get(key), key)
            except Invalid:
                continue
        flags = {key: self.flag(fields.get(key), key) for key in ("reviewed", "declared")}
        least = self.guard(lambda: self.confidence(fields["min-confidence"])) if "min-confidence" in fields else None
        if len(self.errors) > before:
            raise Invalid()
        return OriginSelector(values.get("kind", ()), values.get("tool", ()), values.get("vendor", ()),
                              values.get("model", ()), values.get("evidence", ()), flags["reviewed"],
                              flags["declared"], least)

    def confidence(self, node: yaml.Node) -> float:
        """A number from 0 to 1, written as is or as a `$name` parameter holding one number."""
        items = self.items(node, "'min-confidence'")
        if len(items) != 1:
            raise self.fail(node, f"'min-confidence' is one number from 0 to 1, got {len(items)} values")
        value, at = items[0]
        try:
            number = float(value) if at.tag in (_INT, _FLOAT) else None
        except ValueError:
            number = None
        if number is None or not 0 <= number <= 1:
            raise self.fail(at, f"'min-confidence' must be a number from 0 to 1 (0.8 leaves out whole-commit "
                                f"git evidence), got {value!r}")
        return number

    def flag(self, node: yaml.Node | None, key: str) -> bool | None:
        if node is None:
            return None
        if not (isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:bool"):
            self.error(node, f"{key!r} must be true or false")
            return None
        return str(node.value).lower() in ("true", "yes", "on")

    def paths(self, node: yaml.Node) -> GlobSet:
        fields = self.mapping(node, PATH_KEYS, "paths")
        globs: dict[str, tuple[str, ...]] = {}
        for key in PATH_KEYS:
            items = self.items(fields[key], repr(key)) if key in fields else ()
            for pattern, item in items:
                try:
                    glob_to_regex(pattern)
                except GlobError as exc:
                    raise self.fail(item, f"bad glob {pattern!r}: {exc}") from None
            globs[key] = tuple(pattern for pattern, _ in items)
        return GlobSet(globs["include"], globs["exclude"])

    def languages(self, node: yaml.Node) -> tuple[str, ...]:
        return self.known(self.items(node, "languages"), known_ids(), "language")

    def scope(self, node: yaml.Node) -> tuple[tuple[str, str], ...]:
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, "'scope' maps a language to a tree-sitter query")
        out: list[tuple[str, str]] = []
        for key_node, value in node.value:
            language = self.scalar(key_node, "a scope language")
            source = self.scalar(value, f"the {language} scope query")
            if language not in known_ids():
                self.error(key_node, f"unknown language {language!r}{suggest(language, known_ids())}")
                continue
            if language in dict(out):
                self.error(key_node, f"the {language} scope query is given twice")
                continue
            try:
                compile_scope(language, source)
            except ScopeQueryError as exc:  # at the query's own row and column inside the YAML file
                self.error_at(value, exc.row, exc.column, str(exc))
                continue
            out.append((language, source))
        return tuple(out)

    def fixes(self, node: yaml.Node) -> tuple[FixKind, ...]:
        listed = [k for k in FixKind if k is not FixKind.SUPPRESS]  # offered by every suppressible rule
        return tuple(FixKind(value) for value in self.known(self.items(node, "fixes"), listed, "fix"))


_NULL = "tag:yaml.org,2002:null"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"


def is_null(node: yaml.Node) -> bool:
    """`~`, `null` or nothing at all."""
    return node.tag == _NULL


def _file_of(node: yaml.Node) -> str | None:
    name = node.start_mark.name
    return name if isinstance(name, str) and not name.startswith("<") else None
_CHOICES: dict[str, list[str]] = {"kind": list(Kind), "evidence": list(Evidence)}


def suggest(value: str, allowed: Collection[str]) -> str:
    choices = [str(a) for a in allowed]
    hint = difflib.get_close_matches(value, choices, n=1)
    return f"; did you mean {hint[0]!r}?" if hint else f"; expected one of {', '.join(choices)}"
