"""The rule-test run as a person reads it: one line per rule, failures under it, a summary at the end.

    default 0.1.0 (rules/default.yaml): 9 fixtures in rules/tests/default
      PASS  rival-ai-output-in-training-data   4 cases
      FAIL  ai-output-unreviewed               3 cases, 1 failed
            rules/tests/default/src/app.py:4: expected a ai-output-unreviewed finding on line 5; there is none
      NONE  undeclared-insertion               no case expects it to fire
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from provguard.printable import printable
from provguard.ruletest.runner import PackTest, RuleResult, shown_path


def render(runs: Sequence[PackTest]) -> str:
    out: list[str] = []
    for run in runs:
        out.append(f"{run.pack.id} {run.pack.version} ({shown_path(Path(run.pack.source))}): "
                   f"{_count(run.fixtures, 'fixture')} in {shown_path(run.root)}")
        width = max((len(r.rule_id) for r in run.rules.values()), default=0)
        for rule in run.rules.values():
            out.extend(_rule(rule, width))
        out.extend(f"  ERROR {error}" for error in run.errors)
        for path in run.written:
            out.append(f"  {'wrote' if path.is_file() else 'removed'} {shown_path(path)}")
    out.append(summary(runs))
    return "\n".join(map(printable, out)) + "\n"  # each record one line: a line break in a fixture's name is escaped


def _rule(rule: RuleResult, width: int) -> list[str]:
    name = rule.rule_id.ljust(width)
    if rule.origin == "inherited" and not rule.cases:
        return [f"  -     {name}   inherited, tested with the pack that defines it"]
    if rule.untested:
        lines = [f"  NONE  {name}   no case expects it to fire: add a fixture line annotated 'expect: {rule.rule_id}'"]
        return lines + [f"        {c.file}:{c.line}: {c.failure}" for c in rule.failures]
    details = _count(len(rule.cases), "case")
    gaps = sum(1 for c in rule.cases if c.gap)
    if gaps:
        details += f", {_count(gaps, 'known gap')}"
    if rule.failures:
        details += f", {len(rule.failures)} failed"
    suffix = " (built-in)" if rule.origin == "built-in" else ""
    lines = [f"  {'PASS' if rule.passed else 'FAIL'}  {name}   {details}{suffix}"]
    return lines + [f"        {c.file}:{c.line}: {c.failure}" for c in rule.failures]


def summary(runs: Sequence[PackTest]) -> str:
    rules = [r for run in runs for r in run.rules.values() if r.cases or r.origin == "own"]
    failed = sum(1 for r in rules if r.failures)
    untested = sum(1 for r in rules if r.untested and not r.failures)
    cases = sum(run.cases for run in runs)
    errors = sum(len(run.errors) for run in runs)
    ok = all(run.passed for run in runs)
    parts = [f"{len(rules) - failed - untested} passed"]
    parts += [f"{failed} failed"] if failed else []
    parts += [f"{untested} without tests"] if untested else []
    parts += [_count(errors, "fixture error")] if errors else []
    verdict = "OK" if ok else "FAILED"
    return f"{verdict}: {_count(len(rules), 'rule')} ({', '.join(parts)}), {_count(cases, 'case')} ran"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
