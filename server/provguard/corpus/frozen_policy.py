"""A resolved policy as data a worker can load without the project: one self-contained YAML text per pack.

A pack in a project may extend other packs, include rule files, set parameters and override its bases'
rules; none of those files exist on a cluster's workers. Freezing writes each loaded pack back as one flat
pack (every rule spelled out, parameters substituted, overrides applied, disabled rules gone) that the
ordinary loader reads again, so a worker validates what it is given with the same code as `check`, and
nothing but data crosses to it. Freezing re-reads its own output and refuses a pack that would not load
back equal, so a snapshot can never carry a policy that judges differently.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from provguard.policy.extends import LoadedPack
from provguard.policy.loader import parse_pack
from provguard.policy.model import AgentWrite, OriginSelector, Pack, Rule, Severity, rule_id_problem
from provguard.policy.policy import Policy


class FrozenPolicyError(Exception):
    """A frozen policy does not load back (in a worker: the snapshot is not for this provguard)."""


@dataclass(frozen=True)
class FrozenPolicy:
    packs: tuple[tuple[str, str], ...]
    """(name the pack was read from, flat YAML text), in the policy's order."""
    severity: Mapping[str, str]
    """The project's severity overrides: rule id -> level."""

    def as_json(self) -> dict[str, Any]:
        return {"packs": [{"source": source, "yaml": text} for source, text in self.packs],
                "severity": dict(sorted(self.severity.items()))}

    @staticmethod
    def from_json(data: Any) -> FrozenPolicy:
        """The policy section of a snapshot, which anyone who can write the file may have edited: a rule id it
        names is held to the syntax a pack's is (model.rule_id_problem), so none reaches a report or an
        attestation holding what a terminal or CI log obeys."""
        try:
            packs = tuple((str(p["source"]), str(p["yaml"])) for p in data["packs"])
            severity = {str(k): str(v) for k, v in dict(data["severity"]).items()}
        except (KeyError, TypeError, ValueError) as exc:
            raise FrozenPolicyError(f"the policy section is malformed ({type(exc).__name__}: {exc})") from exc
        for number, rule_id in enumerate(severity, 1):  # the packs' own ids are checked by the loader (`thaw`)
            if (problem := rule_id_problem(rule_id)) is not None:
                raise FrozenPolicyError(f"the policy section's severity override {number} is refused: {problem[1]}")
        return FrozenPolicy(packs, severity)


def freeze(policy: Policy) -> FrozenPolicy:
    packs = []
    for pack in policy.packs:
        text = pack_yaml(pack)
        back = _parse(pack.source, text)
        if back.rules != pack.rules or back.fails_closed != pack.fails_closed:
            changed = sorted({r.id for r in back.rules} ^ {r.id for r in pack.rules}
                             | {a.id for a, b in zip(back.rules, pack.rules, strict=False) if a != b})
            raise FrozenPolicyError(f"pack {pack.id!r} ({pack.source}) does not load back equal once frozen "
                                    f"(rules {', '.join(changed) or 'in a different order'}); please report it")
        packs.append((pack.source, text))
    return FrozenPolicy(tuple(packs), {rule: level.value for rule, level in policy.severity_overrides.items()})


def thaw(frozen: FrozenPolicy) -> Policy:
    """The policy again, read by the pack loader; raises FrozenPolicyError naming the pack and the line."""
    packs = tuple(_parse(source, text) for source, text in frozen.packs)
    try:
        overrides = {rule: Severity(level) for rule, level in frozen.severity.items()}
    except ValueError as exc:
        raise FrozenPolicyError(f"unknown severity in the policy's overrides: {exc}") from exc
    return Policy(packs, overrides)


def _parse(source: str, text: str) -> Pack:
    result = parse_pack(text, f"{source} (frozen)")
    if result.pack is None:
        first = result.errors[0] if result.errors else None
        where = f" at line {first.line}, column {first.column}: {first.message}" if first is not None else ""
        raise FrozenPolicyError(f"the frozen pack from {source} does not load{where}")
    pack = result.pack
    return Pack(pack.id, pack.version, source, pack.rules, pack.description, fails_closed=pack.fails_closed)


def pack_yaml(pack: Pack) -> str:
    data: dict[str, Any] = {"pack": pack.id, "version": pack.version}
    if pack.description is not None:
        data["description"] = pack.description
    if isinstance(pack, LoadedPack) and pack.requires is not None:
        data["requires"] = pack.requires
    if pack.fails_closed:
        data["agent-write-on-error"] = "deny"
    data["rules"] = [_rule(rule) for rule in pack.rules]
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=1 << 16)


def _rule(rule: Rule) -> dict[str, Any]:
    out: dict[str, Any] = {"id": rule.id, "severity": rule.severity.value, "message": rule.message,
                           "origins": [_selector(s) for s in rule.origins]}
    if rule.paths.include or rule.paths.exclude:
        out["paths"] = {k: list(v) for k, v in (("include", rule.paths.include), ("exclude", rule.paths.exclude))
                        if v}
    if rule.languages:
        out["languages"] = list(rule.languages)
    if rule.scope:
        out["scope"] = dict(rule.scope)
    if rule.fixes:
        out["fixes"] = [fix.value for fix in rule.fixes]
    if rule.note is not None:
        out["note"] = rule.note
    if rule.url is not None:
        out["url"] = rule.url
    if not rule.suppressible:
        out["suppressible"] = False
    if rule.agent_write is not AgentWrite.RECORD:
        out["agent-write"] = rule.agent_write.value
    return out


def _selector(selector: OriginSelector) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in ("kind", "tool", "vendor", "model", "evidence"):
        values = getattr(selector, key)
        if values:
            out[key] = list(values)
    if selector.reviewed is not None:
        out["reviewed"] = selector.reviewed
    if selector.declared is not None:
        out["declared"] = selector.declared
    if selector.marked is not None:
        out["marked"] = selector.marked
    if selector.min_confidence is not None:
        out["min-confidence"] = selector.min_confidence
    return out
