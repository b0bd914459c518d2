"""`provguard serve | check | rules`: the command line in front of the analysis core."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from provguard import __version__
from provguard.ledger.store import Ledger
from provguard.policy.model import Severity
from provguard.policy.policy import DEFAULT_PACK, PolicyLoad
from provguard.policy.project import load_project_policy
from provguard.settings import Settings

EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
FAIL_ON = ("error", "warning", "info", "hint", "never")


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    result: int = args.run(args)
    return result


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="provguard", description=__doc__)
    parser.add_argument("--version", action="version", version=f"provguard {__version__}")
    parser.set_defaults(command=None)
    commands = parser.add_subparsers(title="commands")

    serve = commands.add_parser("serve", help="run the language server on stdin/stdout")
    serve.set_defaults(command="serve", run=_serve)

    check = commands.add_parser("check", help="apply the rule packs to files and folders")
    check.add_argument("paths", nargs="*", type=Path, default=[Path(".")], metavar="PATH")
    check.add_argument("--pack", action="append", dest="packs", metavar="PACK",
                       help=f"rule pack name or path; repeatable (default: {DEFAULT_PACK})")
    check.add_argument("--severity", action="append", default=[], metavar="RULE=LEVEL",
                       help="override a rule's severity (error, warning, info, hint, off)")
    check.add_argument("--format", choices=("text", "json", "sarif"), default="text")
    check.add_argument("--fail-on", choices=FAIL_ON, default="error",
                       help="exit 1 when a finding is at or above this severity (default: error)")
    check.add_argument("--root", type=Path, default=Path("."),
                       help="project root that pack path globs are relative to (default: .)")
    check.add_argument("--reviewer", help="name written by the mark-reviewed fix (default: git user)")
    check.add_argument("--ledger", type=Path, metavar="FILE",
                       help="ledger of recorded provenance (default: ROOT/.provguard/ledger.sqlite3 if present)")
    check.set_defaults(command="check", run=_check)

    rules = commands.add_parser("rules", help="validate rule packs and list their rules")
    rules.add_argument("packs", nargs="*", metavar="PACK", help="default: the project's packs")
    rules.set_defaults(command="rules", run=_rules)
    return parser


def _serve(args: argparse.Namespace) -> int:
    from provguard.lsp.server import run_stdio  # imported late: `check` needs no protocol stack

    run_stdio()
    return EXIT_CLEAN


def _parse_overrides(values: Sequence[str]) -> dict[str, Severity] | str:
    overrides: dict[str, Severity] = {}
    for value in values:
        rule, sep, level = value.partition("=")
        try:
            if not sep or not rule:
                raise ValueError
            overrides[rule] = Severity(level)
        except ValueError:
            return f"--severity expects RULE=LEVEL with LEVEL one of {', '.join(s.value for s in Severity)}: {value!r}"
    return overrides


def _check(args: argparse.Namespace) -> int:
    from provguard.analysis import MARKER_RULES
    from provguard.check import check_paths
    from provguard.identity import current_person
    from provguard.report import json as json_report
    from provguard.report import sarif, text

    overrides = _parse_overrides(args.severity)
    if isinstance(overrides, str):
        print(f"provguard: {overrides}", file=sys.stderr)
        return EXIT_USAGE
    missing = [p for p in args.paths if not p.exists()]
    if missing:
        print(f"provguard: no such file or folder: {missing[0]}", file=sys.stderr)
        return EXIT_USAGE
    loaded = _project_policy(args.paths[0], args.packs, overrides)
    if loaded.errors:
        for error in loaded.errors:
            print(f"provguard: {error}", file=sys.stderr)
        return EXIT_USAGE
    known = {rule.id for rule in loaded.policy.rules} | set(MARKER_RULES)
    unknown = sorted(set(overrides) - known)
    if unknown:
        print(f"provguard: --severity names unknown rule {unknown[0]!r}; rules: {', '.join(sorted(known))}",
              file=sys.stderr)
        return EXIT_USAGE
    ledger = _read_ledger(args.ledger, args.root)
    if isinstance(ledger, str):
        print(f"provguard: {ledger}", file=sys.stderr)
        return EXIT_USAGE
    try:
        run = check_paths(args.paths, args.root, loaded.policy, ledger)
    finally:
        if ledger is not None:
            ledger.close()
    for note in run.notes:
        print(f"provguard: {note}", file=sys.stderr)
    reviewer = args.reviewer or current_person(args.root)
    for skipped in run.skipped:
        print(f"provguard: skipped {skipped.path}: {skipped.reason}", file=sys.stderr)
    if args.format == "json":
        sys.stdout.write(json_report.render(run, reviewer))
    elif args.format == "sarif":
        sys.stdout.write(sarif.render(run, loaded.policy, reviewer, root=args.root))
    else:
        sys.stdout.write(text.render(run))
    if args.fail_on == "never":
        return EXIT_CLEAN
    threshold = Severity(args.fail_on).rank
    return EXIT_FINDINGS if any(f.severity.rank >= threshold for _, f in run.findings) else EXIT_CLEAN


def _read_ledger(given: Path | None, root: Path) -> Ledger | str | None:
    """The ledger to read spans from: the one named, else the project's if it exists (check never creates
    one); a named ledger that cannot be opened is an error."""
    from provguard.ledger.sqlite import SqliteLedger, default_location
    from provguard.ledger.store import LedgerError

    path = given or default_location(root)
    if given is None and not path.is_file():
        return None
    if given is not None and not path.is_file():
        return f"no ledger at {path}"
    try:
        return SqliteLedger(path)
    except LedgerError as exc:
        return f"cannot read the ledger {path}: {exc}"


def _project_policy(start: Path, packs: list[str] | None, overrides: dict[str, Severity]) -> PolicyLoad:
    """Flags override the project's configuration file (found from `start` upwards), which overrides the
    defaults: the same precedence as editor settings."""
    settings = Settings(packs=tuple(packs or (DEFAULT_PACK,)), severity=overrides)
    explicit = frozenset(name for name, given in (("packs", packs), ("severity", overrides)) if given)
    return load_project_policy(start, settings, explicit=explicit, editor_base=Path.cwd())


def _rules(args: argparse.Namespace) -> int:
    loaded = _project_policy(Path.cwd(), args.packs, {})
    for error in loaded.errors:
        print(f"provguard: {error}", file=sys.stderr)
    for pack in loaded.policy.packs:
        print(f"{pack.id} {pack.version} ({pack.source})")
        for rule in pack.rules:
            print(f"  {rule.id} [{rule.severity.value}] {rule.note or ''}".rstrip())
    return EXIT_USAGE if loaded.errors else EXIT_CLEAN
