"""`provguard doctor`: which coding agents are guarded in this project (and for this user), and what to run
for those that are not; and whether this user's provguard daemon runs (it answers those agents' calls)."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path
from typing import Any

from provguard.printable import printable

from .common import EXIT_CLEAN, EXIT_FINDINGS, add_parser

DOCTOR_AGENTS = ("claude-code", "codex", "cursor", "copilot")


def register(subparsers: Any) -> None:
    parser = add_parser(subparsers, "doctor", "report which coding agents are guarded and recorded in this project")
    parser.add_argument("--root", type=Path,
                        help="project root (default: the nearest folder above this one holding .provguard or .git)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from provguard.guard.agent_hooks import agent_hooks
    from provguard.guard.install import FileError, installed, read_hooks_file
    from provguard.provenance.hooks import project_root

    root = args.root or project_root(None)
    print(f"project: {printable(str(root))}")
    broken = False
    for agent in DOCTOR_AGENTS:
        hooks = agent_hooks(agent)
        guard, record = hooks.guard, hooks.recording
        found: list[str] = []
        guarded = recorded = False
        for scope in ("project", "user"):
            file = hooks.file(scope, root)
            read = read_hooks_file(file)
            if isinstance(read, FileError):
                print(f"  {agent}: cannot read {printable(str(read))}")
                broken = True
                continue
            _, data = read
            has_guard, has_record = installed(data, guard), record is not None and installed(data, record)
            guarded, recorded = guarded or has_guard, recorded or has_record
            if has_guard or has_record:
                what = " and ".join(w for w, on in (("guard", has_guard), ("recording", has_record)) if on)
                found.append(f"{what} in {printable(str(file))} ({scope})")
        state = "guarded" if guarded else "NOT guarded"
        if record is not None:
            state += ", edits recorded" if recorded else ", edits not recorded"
        print(f"{agent:<12} {state}" + (f": {'; '.join(found)}" if found else ""))
        if not guarded or (record is not None and not recorded):
            what = "guard and record it" if record is not None else "guard it"
            print(f"{'':<12} to {what}: provguard guard install {agent} [--user]")
    executable = shutil.which("provguard")
    print(f"provguard on PATH: {printable(executable)}" if executable else
          "provguard is NOT on PATH: the agents' hooks run `provguard`; install it where they can find it, or "
          "install the hooks with --executable /path/to/provguard")
    print(printable(_daemon()))
    return EXIT_FINDINGS if broken else EXIT_CLEAN


def _daemon() -> str:
    from provguard.commands.daemon import describe
    from provguard.daemon import control
    from provguard.daemon.place import SWITCH_ENV, enabled, locate

    place = locate()
    if not enabled():
        return f"daemon: off ({SWITCH_ENV}=0): every guard and hook call is judged in its own process"
    found = control.status(place)
    if found == "not running":
        found = "not running (the next guard or hook call starts one)"
    return describe(found, place.socket)
