"""`provguard rules [PACK...]`: validate rule packs and list their rules.
`provguard rules test [PACK|DIR...] [--update]`: run the packs' rule tests (see provguard.ruletest); a folder
stands for every pack under it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from provguard.printable import printable, printable_lines, say

from .common import EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE, add_parser, project_policy, usage_error

TEST = "test"


def register(subparsers: Any) -> None:
    parser = add_parser(subparsers, "rules", "validate rule packs and list their rules; "
                                             "'rules test [PACK|DIR...]' runs their rule tests")
    parser.add_argument("packs", nargs="*", metavar="PACK",
                        help="default: the project's packs; 'test' first runs the packs' rule tests, a folder "
                             "every pack under it (a pack file named test: ./test.yaml)")
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
        say(error)
    for pack in loaded.policy.packs:
        print(printable(f"{pack.id} {pack.version} ({pack.source})"))
        for rule in pack.rules:
            locked = ", not suppressible" if not rule.suppressible else ""
            print(printable(f"  {rule.id} [{rule.severity.value}{locked}] {rule.note or ''}".rstrip()))
    return EXIT_USAGE if loaded.errors else EXIT_CLEAN


def run_tests(packs: list[str], update: bool) -> int:
    """Exit 0 when every pack's tests pass, 1 when any fails, 2 when a pack does not load (the others still run)
    or a folder holds no pack."""
    from provguard.ruletest import report
    from provguard.ruletest.runner import PackTest, run_pack, run_reference

    runs: list[PackTest] = []
    failed = False
    if packs:
        references = _references(packs)
        if isinstance(references, str):
            return usage_error(references)
        for reference in references:
            result = run_reference(reference, Path.cwd(), update)
            if isinstance(result, tuple):
                for error in result:
                    say(error)
                failed = True
                continue
            runs.append(result)
    else:
        loaded = project_policy(Path.cwd(), None, {})
        for error in loaded.errors:
            say(error)
        if loaded.errors:
            return EXIT_USAGE
        runs = [run_pack(pack, update) for pack in loaded.policy.packs]
    if runs:
        sys.stdout.write(printable_lines(report.render(runs)))
    if failed:
        return EXIT_USAGE
    return EXIT_CLEAN if all(run.passed for run in runs) else EXIT_FINDINGS


def _references(given: list[str]) -> list[str] | str:
    """The packs to test: a folder stands for every pack under it (a pack name wins over a folder of that name);
    a folder without packs is an error, said here."""
    from provguard.policy.references import is_pack_name, resolve_pack
    from provguard.ruletest.packs import no_packs_message, packs_under

    references: list[str] = []
    for reference in given:
        folder = Path(reference).expanduser()
        if not folder.is_dir() or (is_pack_name(reference) and resolve_pack(reference).is_file()):
            references.append(reference)
            continue
        found = packs_under(folder)
        if not found.packs:
            return no_packs_message(reference, found)
        references += [str(path) for path in found.packs]
    return references
