"""`provguard guard install|uninstall AGENT [--project|--user] [--dry-run]`: put the guard and the recording
hook into the agent's hooks file, or take them out again."""

from __future__ import annotations

import sys
from pathlib import Path

from provguard.commands.common import EXIT_CLEAN, PrintableErrorsParser, usage_error
from provguard.guard.agent_hooks import agent_hooks
from provguard.guard.install import FileError, install, uninstall
from provguard.printable import printable, printable_lines

INSTALL_AGENTS = ("claude-code", "codex", "cursor", "copilot")


def main(argv: list[str]) -> int:
    parser = PrintableErrorsParser(prog=f"provguard guard {argv[0]}", description=(
        "Add provguard's hooks (the guard before each write; the recording hook after it: Cursor's "
        "afterFileEdit, PostToolUse for the others; where the agent's hooks can match shell tools, the recording "
        "hook before and after each shell command, after a failed one too for Claude Code) to the agent's hooks "
        "file, after the hooks already there, written in the file's own style." if argv[0] == "install" else
        "Remove provguard's hooks from the agent's hooks file, and the lists, `hooks` object or file they alone "
        "filled, leaving every other hook and byte as it is."))
    parser.add_argument("agent", choices=INSTALL_AGENTS)
    scope = parser.add_mutually_exclusive_group()
    scope.add_argument("--project", dest="scope", action="store_const", const="project",
                       help="the project's hooks file, shared with the team (default)")
    scope.add_argument("--user", dest="scope", action="store_const", const="user",
                       help="your own hooks file, for every project")
    parser.add_argument("--root", type=Path,
                        help="project root (default: the nearest folder above this one holding .provguard or .git)")
    parser.add_argument("--dry-run", action="store_true", help="show the change as a diff; write nothing")
    parser.add_argument("--executable", default="provguard",
                        help="the command the hooks run (default: provguard, found on the agent's PATH)")
    args = parser.parse_args(argv[1:])
    from provguard.provenance.hooks import project_root

    root = args.root or project_root(None)
    hooks = agent_hooks(args.agent, args.executable)
    file = hooks.file(args.scope or "project", root)
    change = (install if argv[0] == "install" else uninstall)(hooks, file)
    if isinstance(change, FileError):
        return usage_error(f"{change}; nothing changed")
    for line in change.summary:
        print(printable(f"{file}: {line}"))
    if args.dry_run:
        sys.stdout.write(_printable_diff(change.diff(), file))
        return EXIT_CLEAN
    change.apply()
    if change.changed and change.after is None:
        print(f"{printable(str(file))}: removed (only provguard's hooks were in it)")
    return EXIT_CLEAN


def _printable_diff(diff: str, file: Path) -> str:
    """The diff with its labels and lines made printable: the project's folder name and its own settings file
    are anyone's text (the labels first, as a line break in the folder's name would split them)."""
    for mark, label in (("---", "now"), ("+++", "after")):
        diff = diff.replace(f"{mark} {file} ({label})\n", f"{mark} {printable(str(file))} ({label})\n", 1)
    return printable_lines(diff)
