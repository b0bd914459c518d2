"""A pack with its family: the packs it extends, the rule files it includes, merged into one pack.

A team lead ships `extends: default` plus what differs: parameters that replace the base's (every rule of the
chain sees them, see parameters.py), `overrides` that change a base rule's severity or disable it, and new
rules, written in the pack or in files it `include`s. Reading goes in two passes: first every file of the
chain is read into nodes (so the merged parameters are known), then the rules are read, base first.
Each problem is a SourceError in the file and at the line and column that has to change. A pack a project
selects reaches only files inside the project (`root`, then `project`): confinement.py says why.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from provguard import __version__
from provguard.policy.confinement import is_inside, outside_message
from provguard.policy.errors import SourceError, capped, suggest
from provguard.policy.loaded_pack import LoadedPack as LoadedPack  # re-exported: its old place
from provguard.policy.loaded_pack import PackIdentity as PackIdentity
from provguard.policy.loader import PACK_KEYS, LoadResult, PackReader
from provguard.policy.model import Rule, Severity
from provguard.policy.parameters import Parameters, references
from provguard.policy.references import is_pack_name, missing_pack_message, resolve_pack
from provguard.policy.versions import RangeError, parse_range, parse_version
from provguard.policy.yaml_reader import Invalid, is_null, read_source

OVERRIDE_KEYS = ("severity", "disabled", "suppressible", "agent-write")
PROVGUARD_VERSION = __version__
MAX_EXTENDS_DEPTH = 16
"""Packs one pack may extend in a chain (a team's pack over a company's over `default` is three): a chain a
repository makes thousands long is refused at the link too many, not left to exhaust the stack."""


def load_merged(path: str | Path, text: str | None = None, root: Path | None = None) -> LoadResult:
    """The pack at `path` (or given as `text` as if read from `path`) merged with everything it extends; with a
    `root`, what it extends or includes by path must be inside that folder (a project's pack)."""
    family = _Family()
    family.read(str(path), text, (), root)
    return family.result()


@dataclass
class _Level:
    """One pack of an extends chain, read into nodes but not yet into rules."""

    reader: PackReader
    fields: dict[str, yaml.Node]
    identity: PackIdentity | None
    description: str | None = None
    owner: str | None = None
    requires: str | None = None
    fails_closed: bool | None = None
    rules: list[tuple[PackReader, yaml.Node]] = field(default_factory=list)


class _Family:
    def __init__(self) -> None:
        self.errors: list[SourceError] = []
        self.levels: list[_Level] = []  # base first
        self.files: list[str] = []
        self.incomplete = False
        """An extended pack could not be read: its rules and parameters are unknown, so the rules of the
        packs extending it are not read either (they would only report what the missing pack defines)."""

    def result(self) -> LoadResult:
        pack = self.merge() if self.levels and not self.incomplete else None
        rank = {file: index for index, file in enumerate(self.files)}

        def order(error: SourceError) -> tuple[int, int, int]:
            return rank.get(error.file, len(rank)), error.line, error.column

        # capped keeps each file's first errors by position; sorted again, a file's "... and N more" follows them
        errors = sorted(capped(sorted(dict.fromkeys(self.errors), key=order)), key=order)
        return LoadResult(None if errors else pack, tuple(errors))

    # -- pass 1: the files ---------------------------------------------------------------------------

    def reader(self, file: str, text: str | None) -> PackReader | None:
        self.files.append(file)
        if text is None:
            source = read_source(file)
            if isinstance(source, SourceError):
                self.errors.append(source)
                return None
            text = source
        return PackReader(text, file, self.errors)

    def read(self, file: str, text: str | None, chain: tuple[Path, ...], project: Path | None) -> None:
        """Reads the pack at `file` after the packs it extends (`chain`: the packs extending it, resolved;
        `project`: the folder its paths must stay in, None for a pack that may reach anywhere)."""
        reader = self.reader(file, text)
        if reader is None:
            return
        try:
            root = reader.document()
            if root is None:
                return reader.error(None, "rule pack is empty; it needs at least 'pack' and 'rules'")
            fields = reader.mapping(root, PACK_KEYS, "rule pack")
        except Invalid:
            return
        if not {"rules", "include", "extends"} & fields.keys():
            reader.error(root, "rule pack has no 'rules' list (nor 'include' or 'extends')")
        if "extends" in fields:
            self.read_base(reader, fields["extends"], (*chain, Path(file).resolve()), project)
        pack_id = reader.pack_id(fields, root)
        version = reader.optional_str(fields, "version", root) or "0"
        level = _Level(reader, fields, PackIdentity(pack_id, version, file) if pack_id else None,
                       reader.optional_str(fields, "description", root), reader.optional_str(fields, "owner", root))
        if "requires" in fields and not is_null(fields["requires"]):
            level.requires = self.check_requires(reader, fields["requires"], pack_id or file)
        if "agent-write-on-error" in fields:
            level.fails_closed = reader.on_error(fields["agent-write-on-error"])
        if "rules" in fields:
            level.rules.extend((reader, node) for node in reader.sequence(fields["rules"], "rules"))
        if "include" in fields:
            level.rules.extend(self.includes(reader, fields["include"], project))
        self.levels.append(level)

    def read_base(self, reader: PackReader, node: yaml.Node, chain: tuple[Path, ...], project: Path | None) -> None:
        levels = len(self.levels)
        self.find_base(reader, node, chain, project)
        self.incomplete = self.incomplete or len(self.levels) == levels

    def find_base(self, reader: PackReader, node: yaml.Node, chain: tuple[Path, ...], project: Path | None) -> None:
        try:
            reference = reader.scalar(node, "'extends'").strip()
        except Invalid:
            return
        if not reference:
            return reader.error(node, "'extends' names no pack; give a pack name like 'default' or a path")
        path = resolve_pack(reference, Path(reader.file).parent)
        if is_pack_name(reference):
            project = None  # provguard's or an installed package's pack: not the repository's to confine
        elif project is not None and not is_inside(path, project):
            return reader.error(node, outside_message("extend", reference, project))
        if not path.is_file():
            return reader.error(node, f"cannot extend: {missing_pack_message(reference, path)}")
        if len(chain) > MAX_EXTENDS_DEPTH:
            return reader.error(node, f"extends chain too long: {chain[0].name} already extends {len(chain) - 1} "
                                      f"packs down to this one, and a chain may hold at most {MAX_EXTENDS_DEPTH}")
        resolved = path.resolve()
        if resolved in chain:
            cycle = " -> ".join(p.name for p in (*chain[chain.index(resolved):], resolved))
            return reader.error(node, f"packs extend each other in a cycle: {cycle}")
        self.read(str(path), None, chain, project)

    def check_requires(self, reader: PackReader, node: yaml.Node, pack: str) -> str | None:
        try:
            text = reader.scalar(node, "'requires'")
        except Invalid:
            return None
        wanted = parse_range(text)
        if isinstance(wanted, RangeError):
            reader.error_at(node, text.count("\n", 0, wanted.index),
                            wanted.index - (text.rfind("\n", 0, wanted.index) + 1), wanted.message)
            return None
        running = parse_version(PROVGUARD_VERSION)
        failing = [c for c in wanted.clauses if running is not None and not c.allows(running)]
        if failing:
            too_new = all(c.operator in ("<", "<=", "!=") for c in failing)
            advice = "this provguard is too new for the pack" if too_new else "upgrade provguard to use this pack"
            reader.error(node, f"pack {pack!r} requires provguard {wanted}, but this is provguard "
                               f"{PROVGUARD_VERSION}; {advice}")
        return wanted.text

    def includes(self, reader: PackReader, node: yaml.Node,
                 project: Path | None) -> list[tuple[PackReader, yaml.Node]]:
        """The rule nodes of the files a pack includes, each a YAML list of rules, relative to the pack (and
        inside `project` when one is given)."""
        entries = [node] if isinstance(node, yaml.ScalarNode) else list(reader.sequence(node, "'include'"))
        rules: list[tuple[PackReader, yaml.Node]] = []
        seen: set[Path] = set()
        for entry in entries:
            try:
                name = reader.scalar(entry, "each entry of 'include'").strip()
            except Invalid:
                continue
            path = Path(os.path.normpath(Path(reader.file).parent / Path(name).expanduser()))
            if name and project is not None and not is_inside(path, project):
                reader.error(entry, outside_message("include", name, project))
                continue
            if not name or not path.is_file():
                reader.error(entry, f"included rule file {name!r} not found at {path}" if name
                             else "'include' lists an empty file name")
                continue
            if path.resolve() in seen:
                reader.error(entry, f"{name!r} is included twice")
                continue
            seen.add(path.resolve())
            included = self.reader(str(path), None)
            if included is None:
                continue
            try:
                root = included.document()
            except Invalid:
                continue
            if not isinstance(root, yaml.SequenceNode):
                included.error(root, "an included file must be a list of rules, like the 'rules' of a pack"
                                     + (" (this one is empty)" if root is None else ""))
                continue
            rules.extend((included, rule) for rule in root.value)
        return rules

    # -- pass 2: parameters, rules, overrides --------------------------------------------------------

    def merge(self) -> LoadedPack | None:
        parameters = Parameters()
        for level in self.levels:
            parameters.add_level(level.reader, level.fields.get("parameters"))
            for reader, _ in level.rules:
                reader.parameters = parameters
        uses = {name for level in self.levels for node in (*level.fields.values(), *(n for _, n in level.rules))
                for name in references(node)}
        parameters.check(uses)
        seen: dict[str, yaml.Node] = {}
        rules: dict[str, Rule] = {}
        disabled: set[str] = set()
        for level in self.levels:
            inherited = dict(seen)
            for reader, node in level.rules:
                if self.redefines(reader, node, inherited):
                    continue
                rule = reader.rule(node, seen)
                if rule is not None:
                    rules[rule.id] = rule
            if "overrides" in level.fields:
                self.overrides(level.reader, level.fields["overrides"], seen, rules, disabled)
        top = self.levels[-1]
        if self.errors or top.identity is None:
            return None
        return LoadedPack(
            top.identity.id, top.identity.version, top.identity.source,
            tuple(rule for rule in rules.values() if rule.id not in disabled), top.description,
            fails_closed=next((lv.fails_closed for lv in reversed(self.levels) if lv.fails_closed is not None), False),
            owner=top.owner, requires=top.requires,
            bases=tuple(level.identity for level in reversed(self.levels[:-1]) if level.identity is not None),
            files=tuple(dict.fromkeys(self.files)))

    def redefines(self, reader: PackReader, node: yaml.Node, inherited: dict[str, yaml.Node]) -> bool:
        """Whether a rule reuses the id of an extended pack's rule (an error: say what to do instead)."""
        if not isinstance(node, yaml.MappingNode):
            return False
        for key, value in node.value:
            if (isinstance(key, yaml.ScalarNode) and key.value == "id" and isinstance(value, yaml.ScalarNode)
                    and value.value in inherited):
                first = inherited[value.value].start_mark
                reader.error(value, f"rule {value.value!r} is already defined by an extended pack "
                                    f"({first.name}:{first.line + 1}); change it under 'overrides', or "
                                    "disable it there and add a rule with a new id")
                return True
        return False

    def overrides(self, reader: PackReader, node: yaml.Node, seen: dict[str, yaml.Node],
                  rules: dict[str, Rule], disabled: set[str]) -> None:
        """`overrides: {rule-id: {severity: ..., disabled: true}}` for rules of the pack or the packs it extends."""
        if is_null(node):
            return
        if not isinstance(node, yaml.MappingNode):
            return reader.error(node, "'overrides' must map rule ids to changes, like "
                                      "{ai-output-unreviewed: {severity: error}}")
        done: set[str] = set()
        for key_node, value in node.value:
            try:
                rule_id = reader.scalar(key_node, "a rule id")
                if rule_id in done:
                    raise reader.fail(key_node, f"rule {rule_id!r} is overridden twice")
                done.add(rule_id)
                if rule_id not in seen:
                    raise reader.fail(key_node, f"'overrides' names unknown rule {rule_id!r}{suggest(rule_id, seen)}")
                changes = reader.mapping(value, OVERRIDE_KEYS, f"override of {rule_id!r}")
                if isinstance(value, yaml.MappingNode) and not value.value:
                    raise reader.fail(value, f"the override of {rule_id!r} changes nothing; "
                                             "give 'severity', 'disabled', 'suppressible' or 'agent-write'")
            except Invalid:
                continue
            severity = self.severity(reader, changes.get("severity"))
            off = reader.flag(changes.get("disabled"), "disabled")
            suppressible = reader.flag(changes.get("suppressible"), "suppressible")
            if rule_id in rules and severity is not None:
                rules[rule_id] = dataclasses.replace(rules[rule_id], severity=severity)
            if rule_id in rules and suppressible is not None:
                rules[rule_id] = dataclasses.replace(rules[rule_id], suppressible=suppressible)
            agent_write = reader.agent_write(changes.get("agent-write"))
            if rule_id in rules and agent_write is not None:
                rules[rule_id] = dataclasses.replace(rules[rule_id], agent_write=agent_write)
            if off is not None:
                (disabled.add if off else disabled.discard)(rule_id)

    def severity(self, reader: PackReader, node: yaml.Node | None) -> Severity | None:
        if node is None:
            return None
        try:
            value = reader.scalar(node, "'severity'")
            return Severity(reader.known(((value, node),), list(Severity), "severity")[0])
        except Invalid:
            return None
