"""`provguard <command>`: one argparse front, one module per command under `provguard.commands`.

Each command module has `register(subparsers)`, which adds its parser and sets `run` to a function taking
the parsed arguments and returning the exit code. Modules import their heavy dependencies inside `run`.
`provguard hook` and `provguard guard` skip even the parser: agents wait for them, so they go first to
`provguard.daemon.client`, which asks a resident provguard and imports the command only when none answers;
`provguard serve` and `check` go to `provguard.daemon.session`, which has the daemon fork an already-imported
child to run them.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (10 ms); mypy reads it alike
if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence
    from typing import NoReturn

COMMANDS = ("serve", "check", "rules", "imports", "hook", "guard", "export", "filter", "verify", "health", "doctor",
            "report", "daemon")
"""Modules under `provguard.commands`, in the order `--help` lists them."""


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if not _working_folder_usable(arguments):
        return 2  # EXIT_USAGE, without importing commands.common
    if arguments[:1] in (["hook"], ["guard"]):  # agents wait for these: a resident daemon answers, else in-process
        from provguard.daemon.client import main as agent_call

        return agent_call(arguments[0], arguments[1:])
    if arguments[:1] in (["serve"], ["check"]):  # a child the daemon forks, already imported, else in-process
        from provguard.daemon.session import forwardable
        from provguard.daemon.session import main as forked

        if forwardable(arguments):
            return forked(arguments)
    return dispatch(arguments)


def _working_folder_usable(arguments: list[str]) -> bool:
    """A working folder deleted under the shell makes every relative path and `os.getcwd()` fail. An agent's call
    and the editor's server name their files by absolute paths, and must answer whatever happens: they go on from
    `/` (never a project: no ledger is made there). Any other command says so instead of a traceback."""
    import os

    try:
        os.getcwd()
        return True
    except FileNotFoundError:
        if arguments[:1] in (["hook"], ["guard"], ["serve"]):
            os.chdir("/")
            return True
    sys.stderr.write("provguard: the working folder no longer exists (deleted?): change to an existing folder\n")
    return False


def dispatch(arguments: list[str]) -> int:
    """The command in this process, whatever a daemon could have done."""
    from provguard.commands.common import EXIT_USAGE

    try:  # the named command's parser alone, and the whole line's when that one finds a fault to report
        parser = _parser(arguments[0] if arguments[:1] and arguments[0] in COMMANDS else None)
        args = parser.parse_args(arguments)
    except _Unparsed:
        parser = _parser()
        args = parser.parse_args(arguments)
    if getattr(args, "run", None) is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    result: int = args.run(args)
    return result


class _Unparsed(Exception):
    """The front of a one-command parser met an error, which the whole parser reports with its own usage line."""


def _parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole command line, or with `only` one command's parser under the same front: it parses that
    command's arguments alike and prints the same help and errors for them (an error the front itself reports,
    which would list the commands, raises _Unparsed instead), without importing the other command modules
    (~80 ms, a sixth of a language server's cold start)."""
    import importlib

    from provguard import __version__
    from provguard.commands.common import PrintableErrorsParser

    class OneCommandFront(PrintableErrorsParser):
        def error(self, message: str) -> NoReturn:
            raise _Unparsed(message)

    front = PrintableErrorsParser if only is None else OneCommandFront
    parser = front(prog="provguard", description="Shows which code came from AI tools and keeps "
                                     "it out of training data and test tasks.")
    parser.add_argument("--version", action="version", version=f"provguard {__version__}")
    parser.set_defaults(run=None)
    subparsers = parser.add_subparsers(title="commands")
    for name in COMMANDS if only is None else (only,):
        importlib.import_module(f"provguard.commands.{name}").register(subparsers)
    return parser
