"""Parameters merged over an extends chain, resolved only when a rule or another parameter uses them.

A pack's rules say `$training_data_paths`; a pack that extends it redefines `training_data_paths` and every
rule of the chain, the base's included, sees the new value. So parameters stay unresolved nodes until the
chain is complete, and a `$name` is looked up in the merged set (the most derived definition wins). Inside a
parameter's own definition, `$name` of that same parameter means the value it would have without this
definition, so a pack can add to its base's list: `training_data_paths: [$training_data_paths, "data/x/**"]`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Collection, Iterator
from dataclasses import dataclass

import yaml

from provguard.policy.errors import suggest
from provguard.policy.loader import PackReader
from provguard.policy.yaml_reader import Invalid, Items, is_null


@dataclass(frozen=True)
class _Definition:
    reader: PackReader
    key: yaml.Node
    value: yaml.Node


class Parameters:
    """The `parameters` of each pack of a chain, base first; implements loader.ParameterLookup."""

    def __init__(self) -> None:
        self.levels: list[dict[str, _Definition]] = []
        self._done: dict[tuple[str, int], Items | None] = {}
        self._active: list[tuple[str, int]] = []

    def add_level(self, reader: PackReader, node: yaml.Node | None) -> None:
        """The parameters of the next pack of the chain (None when it has none)."""
        level: dict[str, _Definition] = {}
        self.levels.append(level)
        if node is None or is_null(node):
            return
        if not isinstance(node, yaml.MappingNode):
            reader.error(node, "'parameters' must map names to values or lists of values")
            return
        for key_node, value in node.value:
            try:
                name = reader.scalar(key_node, "a parameter name")
            except Invalid:
                continue
            if name in level:
                reader.error(key_node, f"parameter {name!r} is defined twice")
            else:
                level[name] = _Definition(reader, key_node, value)

    # -- loader.ParameterLookup: what rules see --------------------------------------------------------

    def lookup(self, name: str, reference: yaml.Node) -> Items | None:
        return self._resolve(name, len(self.levels) - 1, reference)

    def names(self) -> Collection[str]:
        return sorted({name for level in self.levels for name in level})

    # -- checks --------------------------------------------------------------------------------------

    def check(self, uses: Collection[str]) -> None:
        """Resolves every definition, so a broken one is reported even if no rule uses it; and reports a
        parameter that a derived pack introduces but nothing uses, which is almost always a misspelt
        override of a base's parameter (`uses`: the names some `$name` in the chain refers to)."""
        for index, level in enumerate(self.levels):
            for name, definition in level.items():
                with contextlib.suppress(Invalid):  # reported where it is broken
                    self._resolve(name, index, definition.key)
                if index == 0 or name in uses or any(name in below for below in self.levels[:index]):
                    continue
                inherited = sorted({n for below in self.levels[:index] for n in below})
                definition.reader.error(definition.key, f"parameter {name!r} is not a parameter of the extended "
                                        f"packs and nothing refers to it as ${name}"
                                        + (suggest(name, inherited) if inherited else ""))

    # -- resolution ----------------------------------------------------------------------------------

    def _resolve(self, name: str, upto: int, reference: yaml.Node) -> Items | None:
        """Values of the definition of `name` in the most derived pack at or below level `upto`."""
        level = next((i for i in range(min(upto, len(self.levels) - 1), -1, -1) if name in self.levels[i]), None)
        if level is None:
            return None
        key = (name, level)
        if key in self._done:
            return _or_invalid(self._done[key])
        definition = self.levels[level][name]
        if key in self._active:
            cycle = " -> ".join(f"${n}" for n, _ in self._active[self._active.index(key):]) + f" -> ${name}"
            definition.reader.error(reference, f"parameters refer to each other in a cycle: {cycle}")
            raise Invalid()
        self._active.append(key)
        result: Items | None = None
        try:
            view = _DefinitionView(self, name, level)
            result = () if is_null(definition.value) else definition.reader.items(
                definition.value, f"parameter {name!r}", view)
        except Invalid:
            pass
        finally:
            self._active.pop()
        self._done[key] = result
        return _or_invalid(result)


class _DefinitionView:
    """What `$name` means inside the definition of parameter `own` at `level`."""

    def __init__(self, parameters: Parameters, own: str, level: int) -> None:
        self.parameters, self.own, self.level = parameters, own, level

    def lookup(self, name: str, reference: yaml.Node) -> Items | None:
        if name != self.own:
            return self.parameters.lookup(name, reference)
        found = self.parameters._resolve(name, self.level - 1, reference)
        if found is None:
            definition = self.parameters.levels[self.level][name]
            definition.reader.error(reference, f"parameter {name!r} refers to itself; only a pack that extends "
                                    f"one defining {name!r} may, to add to the extended pack's value")
            raise Invalid()
        return found

    def names(self) -> Collection[str]:
        return self.parameters.names()


def _or_invalid(items: Items | None) -> Items:
    if items is None:
        raise Invalid()
    return items


def references(node: yaml.Node) -> Iterator[str]:
    """The names every `$name` scalar under `node` refers to."""
    if isinstance(node, yaml.ScalarNode):
        if isinstance(node.value, str) and node.value.startswith("$"):
            yield node.value[1:]
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from references(item)
    elif isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            yield from references(key)
            yield from references(value)
