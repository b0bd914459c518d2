"""Reads rule-pack files into plain data, or into a list of errors with exact positions.

YAML itself (safe composing, positions, structure helpers) is yaml_reader.py's. This module reads one
file at a time (its structure and its rules); extends.py reads a pack's whole family (the packs it extends,
the rule files it includes) and merges parameters before any rule is read, which is why `$name` is looked
up through a `ParameterLookup` rather than in the file itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from provguard.languages import known_ids
from provguard.policy.errors import SourceError, suggest
from provguard.policy.model import (
    AgentWrite,
    FixKind,
    OriginSelector,
    Pack,
    Rule,
    Severity,
    message_problems,
    pack_id_problem,
    rule_id_problem,
)
from provguard.policy.paths import GlobError, GlobSet, glob_to_regex
from provguard.policy.scopes import ScopeQueryError, compile_scope
from provguard.policy.yaml_reader import FLOAT_TAG, INT_TAG, Invalid, YamlReader, file_of
from provguard.provenance.origin import Evidence, Kind

PACK_KEYS = ("pack", "version", "description", "parameters", "rules",
             "requires", "owner", "extends", "overrides", "include", "agent-write-on-error")
RULE_KEYS = ("id", "severity", "message", "note", "url", "origins", "paths", "languages", "scope", "fixes",
             "suppressible", "agent-write")
ORIGIN_KEYS = ("kind", "tool", "vendor", "model", "evidence", "reviewed", "declared", "marked", "min-confidence")
PATH_KEYS = ("include", "exclude")


@dataclass(frozen=True)
class LoadResult:
    pack: Pack | None
    errors: tuple[SourceError, ...]


def load_pack(path: str | Path, root: Path | None = None) -> LoadResult:
    """A pack with the packs it extends and the files it includes merged in (see extends.py); a project's pack
    passes the project `root` its paths must stay in (confinement.py)."""
    from provguard.policy.extends import load_merged  # extends.py builds on this module

    return load_merged(path, root=root)


def parse_pack(text: str, file: str, root: Path | None = None) -> LoadResult:
    """A pack from its text; `extends` and `include` are relative to `file`'s folder (and inside `root`)."""
    from provguard.policy.extends import load_merged

    return load_merged(file, text, root)


class PackReader(YamlReader):
    """Reads one YAML file of a pack: its rules. Its nodes carry the file's name, so an error at any node names
    the right file even when a parameter of one file is used by a rule of another; readers of one pack share
    their `errors` list."""

    def pack_id(self, fields: dict[str, yaml.Node], root: yaml.Node) -> str | None:
        """The pack's required `pack` id, with an error at its first character outside the id syntax
        (model.pack_id_problem)."""
        pack_id = self.optional_str(fields, "pack", root, required=True)
        if pack_id is not None and pack_id.strip() and (problem := pack_id_problem(pack_id)) is not None:
            self.id_error(fields["pack"], pack_id, problem)
        return pack_id

    def id_error(self, node: yaml.Node, value: str, problem: tuple[int, str]) -> None:
        at, why = problem
        self.error_at(node, value.count("\n", 0, at), at - (value.rfind("\n", 0, at) + 1), why)

    # -- rules -------------------------------------------------------------------------------------

    def rule(self, node: yaml.Node, seen: dict[str, yaml.Node]) -> Rule | None:
        try:
            fields = self.mapping(node, RULE_KEYS, "rule")
        except Invalid:
            return None
        before = len(self.errors)
        rule_id = self.optional_str(fields, "id", node, required=True)
        if rule_id is not None and rule_id.strip() and (problem := rule_id_problem(rule_id)) is not None:
            self.id_error(fields["id"], rule_id, problem)
        elif rule_id is not None:
            if rule_id in seen:
                first, file = seen[rule_id].start_mark.line + 1, file_of(seen[rule_id])
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
        agent_write = self.agent_write(fields.get("agent-write"))
        if len(self.errors) > before or rule_id is None or severity is None or message is None:
            return None
        return Rule(rule_id, severity, message, origins, paths, languages, scope, fixes, note, url,
                    suppressible is not False, agent_write or AgentWrite.RECORD)

    def severity(self, fields: dict[str, yaml.Node], node: yaml.Node) -> Severity | None:
        value = self.optional_str(fields, "severity", node, required=True)
        if value is None:
            return None
        return self.guard(lambda: Severity(self.known(((value, fields["severity"]),), list(Severity), "severity")[0]))

    def agent_write(self, node: yaml.Node | None) -> AgentWrite | None:
        """`agent-write: deny|ask|record`; None when not given (or invalid, with the error recorded)."""
        if node is None:
            return None
        value = self.guard(lambda: self.scalar(node, "'agent-write'"))
        if value is None:
            return None
        return self.guard(lambda: AgentWrite(self.known(((value, node),), list(AgentWrite), "agent-write")[0]))

    def on_error(self, node: yaml.Node) -> bool | None:
        """`agent-write-on-error: allow|deny` of a pack: True when the guard fails closed."""
        value = self.guard(lambda: self.scalar(node, "'agent-write-on-error'"))
        if value is None:
            return None
        return self.guard(lambda: self.known(((value, node),), ON_ERROR, "agent-write-on-error")[0] == "deny")

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
        flags = {key: self.flag(fields.get(key), key) for key in ("reviewed", "declared", "marked")}
        least = self.guard(lambda: self.confidence(fields["min-confidence"])) if "min-confidence" in fields else None
        if len(self.errors) > before:
            raise Invalid()
        return OriginSelector(values.get("kind", ()), values.get("tool", ()), values.get("vendor", ()),
                              values.get("model", ()), values.get("evidence", ()), flags["reviewed"],
                              flags["declared"], least, flags["marked"])

    def confidence(self, node: yaml.Node) -> float:
        """A number from 0 to 1, written as is or as a `$name` parameter holding one number."""
        items = self.items(node, "'min-confidence'")
        if len(items) != 1:
            raise self.fail(node, f"'min-confidence' is one number from 0 to 1, got {len(items)} values")
        value, at = items[0]
        try:
            number = float(value) if at.tag in (INT_TAG, FLOAT_TAG) else None
        except ValueError:
            number = None
        if number is None or not 0 <= number <= 1:
            raise self.fail(at, f"'min-confidence' must be a number from 0 to 1 (0.8 leaves out whole-commit "
                                f"git evidence), got {value!r}")
        return number

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
        try:
            return GlobSet(globs["include"], globs["exclude"])
        except GlobError as exc:  # each glob is fine but together they are more than RE2 will compile
            raise self.fail(node, str(exc)) from None

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


ON_ERROR = ("allow", "deny")
_CHOICES: dict[str, list[str]] = {"kind": list(Kind), "evidence": list(Evidence)}
