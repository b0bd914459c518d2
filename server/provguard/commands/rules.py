"""`provguard rules [PACK...]`: validate rule packs and list their rules.
`provguard rules test [PACK...] [--update]`: run the packs' rule tests (see provguard.ruletest)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from .common import EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE, add_parser, project_policy, usage_error

TEST = "test"


def register(subparsers: Any) -> None:
    parser = add_parser(subparsers, "rules", "validate rule packs and list their rules; "
                                             "'rules test [PACK...]' runs their rule tests")
    parser.add_argument("packs", nargs="*", metavar="PACK",
                        help="default: the project's packs; 'test' first runs the packs' rule tests "
                             "(a pack file named test: ./test.yaml)")
    parser.add_argument("--update", action="store_true",
                        help="with 'test': write the fix snapshots from the current fixes")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    packs: list[str] = args.packs
    if packs[:1] == [TEST]:
        return run_tests(packs[1:], args.update)
    if args.update:
        return usage_error("--update only goes with 'provguard rules test'")
    loaded = project_policy(Path.cwd(), packs, {})
    for error in loaded.errors:
        print(f"provguard: {error}", file=sys.stderr)
    for pack in loaded.policy.packs:
        print(f"{pack.id} {pack.version} ({pack.source})")
        for rule in pack.rules:
            locked = ", not suppressible" if not rule.suppressible else ""
            print(f"  {rule.id} [{rule.severity.value}{locked}] {rule.note or ''}".rstrip())
    return EXIT_USAGE if loaded.errors else EXIT_CLEAN


def run_tests(packs: list[str], update: bool) -> int:
    """Exit 0 when every pack's tests pass, 1 when any fails, 2 when a pack does not load."""
    from provguard.ruletest import report
    from provguard.ruletest.runner import PackTest, run_pack, run_reference

    runs: list[PackTest] = []
    if packs:
        for reference in packs:
            result = run_reference(reference, Path.cwd(), update)
            if isinstance(result, tuple):
                for error in result:
                    print(f"provguard: {error}", file=sys.stderr)
                return EXIT_USAGE
            runs.append(result)
    else:
        loaded = project_policy(Path.cwd(), None, {})
        for error in loaded.errors:
            print(f"provguard: {error}", file=sys.stderr)
        if loaded.errors:
            return EXIT_USAGE
        runs = [run_pack(pack, update) for pack in loaded.policy.packs]
    sys.stdout.write(report.render(runs))
    return EXIT_CLEAN if all(run.passed for run in runs) else EXIT_FINDINGS
