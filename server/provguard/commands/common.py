"""What several commands share: exit codes, severity overrides, the project's policy, the ledger to read."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from provguard.policy.errors import suggest
from provguard.policy.model import Severity
from provguard.policy.policy import DEFAULT_PACK, Policy, PolicyLoad
from provguard.printable import printable, say

EXIT_CLEAN, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2

Subparsers = "argparse._SubParsersAction[argparse.ArgumentParser]"

def usage_error(message: str) -> int:
    """`provguard: MESSAGE` on stderr; the exit code for a command used wrongly."""
    say(message)
    return EXIT_USAGE

class PrintableErrorsParser(argparse.ArgumentParser):
    """A parser whose errors are printable: they quote the command line, which may hold a file name a shell glob
    brought in (`provguard doctor *` in a clone holding `--x<LF>::error ...`)."""

    def error(self, message: str) -> NoReturn:
        super().error(printable(message))


class IntermixedParser(PrintableErrorsParser):
    """Positionals before and after options alike (`import codex --root DIR PATH` as `import codex PATH --root
    DIR`): plain argparse fills every positional from the first run of them, and refuses a PATH after an option."""

    _mixing = False

    def parse_known_args(self, args: Sequence[str] | None = None,  # type: ignore[override]
                         namespace: argparse.Namespace | None = None) -> tuple[argparse.Namespace, list[str]]:
        if self._mixing:  # parse_known_intermixed_args calls back here for each of its two passes
            return super().parse_known_args(args, namespace)
        self._mixing = True
        try:
            return self.parse_known_intermixed_args(args, namespace)
        finally:
            self._mixing = False


def add_parser(subparsers: Any, name: str, help: str) -> argparse.ArgumentParser:
    """A command's parser, taking its positionals anywhere among the options; typed loosely because argparse's
    subparsers action is private (so is the parser class it builds, swapped here for this one parser)."""
    default = subparsers._parser_class
    subparsers._parser_class = IntermixedParser
    try:
        parser: argparse.ArgumentParser = subparsers.add_parser(name, help=help, description=help)
    finally:
        subparsers._parser_class = default
    return parser


def root_error(root: Path) -> str | None:
    """Why `--root` names no project root: it must be an existing folder (a typo would otherwise judge every
    path against the wrong place, silently)."""
    if root.is_dir():
        return None
    return f"--root {root}: {'not a folder' if root.exists() else 'no such folder'}"

def add_policy_arguments(parser: argparse.ArgumentParser) -> None:
    """`--pack` and `--severity`, which override the project's configuration the same way in every command."""
    parser.add_argument("--pack", action="append", dest="packs", metavar="PACK",
                        help=f"rule pack name or path; repeatable (default: the project's, else {DEFAULT_PACK})")
    parser.add_argument("--severity", action="append", default=[], metavar="RULE=LEVEL",
                        help="override a rule's severity (error, warning, info, hint, off)")


def parse_overrides(values: Sequence[str]) -> dict[str, Severity] | str:
    """`RULE=LEVEL` flags as a mapping, or the message for the first bad one."""
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

def project_policy(start: Path, packs: list[str] | None, overrides: dict[str, Severity]) -> PolicyLoad:
    """Flags override the project's configuration file (found from `start` upwards), which overrides the
    defaults: the same precedence as editor settings."""
    from provguard.policy.project import load_project_policy  # not needed by a check the policy cache answers
    from provguard.settings import Settings

    settings = Settings(packs=tuple(packs or (DEFAULT_PACK,)), severity=overrides)
    explicit = frozenset(name for name, given in (("packs", packs), ("severity", overrides)) if given)
    return load_project_policy(start, settings, explicit=explicit, editor_base=Path.cwd())

def flagged_policy(start: Path, packs: list[str] | None, overrides: dict[str, Severity]) -> Policy | None:
    """The project's policy under the command's flags, or None once what is wrong with them is printed: the
    packs' own errors, or a `--severity` naming a rule none of the packs has (a typo would otherwise change
    nothing, silently)."""
    from provguard.analysis import BUILTIN_RULES

    loaded = project_policy(start, packs, overrides)
    for error in loaded.errors:
        say(error)
    if loaded.errors:
        return None
    known = {rule.id for rule in loaded.policy.rules} | set(BUILTIN_RULES)
    unknown = sorted(set(overrides) - known)
    if unknown:
        print(f"provguard: --severity names unknown rule {unknown[0]!r}{suggest(unknown[0], known)}",
              file=sys.stderr)
        return None
    return loaded.policy
