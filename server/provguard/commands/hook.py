"""`provguard hook claude-code|codex|cursor|copilot`: record the edit an agent's post-tool hook reports on stdin.

The agent waits for this command after every edit, so it imports only what recording needs (no policy, no
grammars, no protocol stack) and never fails the agent's call: whatever goes wrong, it says so on stderr
and exits 0 (2 only to hand the Copilot CLI recovery guidance after a failed call, guard/shell_report.py).
It never creates a workspace: it records only into an existing project (`existing_project`).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from provguard.stdin_payload import PAYLOAD_WAIT, Payload, read_payload

if TYPE_CHECKING:
    from provguard.ledger.model import AgentEdit

HOOK_AGENTS = ("claude-code", "codex", "cursor", "copilot")


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("hook", help="record an agent's edit from its PostToolUse hook (stdin)",
                                   description="Record the edit an agent's PostToolUse hook reports on stdin "
                                   "(for a shell tool also PreToolUse, and PostToolUseFailure). "
                                   "Exits 0 (2 only to hand the Copilot CLI recovery guidance after a failed "
                                   "shell call that wrote where agents may not); problems go to stderr.")
    add_arguments(parser)
    parser.set_defaults(run=run)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("agent", choices=HOOK_AGENTS)
    parser.add_argument("--root", type=Path,
                        help="project root, an existing folder (default: the nearest folder above the agent's cwd "
                        "holding .provguard, provguard.toml or .git; with none, nothing is recorded)")
    parser.add_argument("--ledger", metavar="FILE|URL", help="ledger file or PostgreSQL URL (default: "
                        "PROVGUARD_LEDGER_URL, else ROOT/.provguard/ledger.sqlite3)")
    parser.add_argument("--store-text", action="store_true",
                        help="keep the inserted text in the ledger, not only its fingerprints")


def main(argv: list[str], data: bytes | Payload | None = None) -> int:
    """`provguard hook ...` in this process: `provguard.daemon.client` comes here when no daemon answered (with
    stdin already read, as `data`, or what came of it when it did not end), and the daemon comes here for every
    call it serves."""
    parser = argparse.ArgumentParser(prog="provguard hook")
    add_arguments(parser)
    try:
        args = parser.parse_args(argv)
    except SystemExit:
        return 0  # argparse printed the usage; a misconfigured hook still must not block the agent
    return run(args, data)


def run(args: argparse.Namespace, data: bytes | Payload | None = None) -> int:
    """Exits 0, or 2 with a report that is the Copilot CLI's recovery guidance after a failed call (it reads that
    from stdout, earlier CLIs from stderr: the report goes to both)."""
    stdout, code = "", 0
    message: str | None
    try:
        payload = read_payload(seconds=PAYLOAD_WAIT) if data is None else data if isinstance(data, Payload) else None
        if payload is not None and payload.too_large:
            message = payload.problem() or ""
        elif payload is not None and not payload.ended:
            message = (f"{'the payload did not end' if payload.data else 'no payload came on stdin'} within "
                       f"{PAYLOAD_WAIT:g} s: nothing recorded")
        else:
            body = payload.data if payload is not None else data if isinstance(data, bytes) else b""
            message, stdout, code = record(args.agent, body, args.root, args.ledger, args.store_text)
    except Exception as exc:  # the agent must never be blocked by provguard
        message = f"could not record the edit: {type(exc).__name__}: {exc}"
    if message:
        from provguard.printable import say

        say(message, "provguard hook")  # it names paths and tools from the payload: escaped
    if code:
        sys.stderr.write(stdout)
    sys.stdout.write(stdout)
    return code


def record(agent: str, data: bytes, root: Path | None, ledger_setting: str | None,
           store_text: bool) -> tuple[str | None, str, int]:
    """Records the hook's edits; returns what the user should hear about (None when all went well), what
    the agent reads on stdout (a report of a shell command's write the packs refuse; else nothing) and the exit
    code (shell_hook.After.code)."""
    from provguard.ledger.location import open_ledger
    from provguard.provenance.hooks import hook_edits, parse_payload, payload_cwd
    from provguard.provenance.shell_hook import PRE_EVENTS, after, before, event_of, failed, shell_call
    from provguard.provenance.transcripts.paths import project_roots

    payload = parse_payload(data)
    if isinstance(payload, str):
        return payload, "", 0
    project = existing_project(root, payload_cwd(payload))
    if isinstance(project, str):
        return project, "", 0
    shell = shell_call(agent, payload)
    if shell is not None and shell.pre:  # before a shell command: snapshot the changed files
        return before(project, shell, payload), "", 0
    if agent == "copilot" and event_of(payload) in PRE_EVENTS:
        return None, "", 0  # VS Code ignores the shell pre-tool hook's matcher: it sees every call (agent_hooks.py)
    if shell is None and failed(payload):
        return None, "", 0  # a file tool that failed wrote nothing (Copilot's failure hook sees every tool's failures)
    roots = project_roots(project)
    if shell is not None and failed(payload):
        edits, notes, stdout = [], [], ""  # a failed call: only what the shell command changed is its edit
    else:
        found = hook_edits(agent, payload, roots)
        edits, notes, stdout = list(found.edits), [found.note], ""
    code = 0
    if shell is not None:  # after it: what it changed (a patch it applied is recorded from the call above)
        changed = after(project, shell, payload, roots, {edit.path for edit in edits})
        edits += changed.edits
        notes += changed.notes
        stdout, code = changed.stdout, changed.code
    message = "; ".join(note for note in notes if note) or None
    if not edits:
        return message, stdout, code
    opened = open_ledger(project, ledger_setting, store_text=store_text)
    try:
        if opened.warning is not None:
            return (opened.warning.replace("for this session only", "nowhere: the edit is not recorded"), stdout,
                    code)
        recorded = [landed(edit, project) for edit in edits]
        if agent == "claude-code":  # a write an import of the session's transcript recorded already: not again
            # (said here; an import at the same instant is kept out by the ledger's write key, write_key.py)
            from provguard.provenance.transcripts.claude_code import imported_already

            recorded, imported = imported_already(opened.ledger, recorded, payload.get("tool_name"),
                                                  payload.get("tool_input"))
            if imported:
                notes[:1] = [f"no tool_use_id, and the {payload.get('tool_name')} call is not in the transcript: "
                             f"{imported} of its edits already recorded by an import of that transcript (the same "
                             "session, file and text), not recorded again"]
                message = "; ".join(note for note in notes if note) or None
        opened.ledger.add_agent_edits(recorded)
    finally:
        opened.ledger.close()
    return message, stdout, code


def existing_project(root: Path | None, cwd: str | None) -> Path | str:
    """The project to record into, or why there is none. The hook never creates a workspace: `--root` must be
    a folder that exists, and otherwise the project is the nearest folder holding a project marker at or above
    the agent's working folder (or above its nearest existing ancestor, when the payload names a folder that
    does not exist)."""
    if root is not None:
        return root if root.is_dir() else f"the project folder {root} does not exist: nothing recorded"
    from provguard.project_markers import nearest_project

    start = Path(cwd) if cwd else Path.cwd()
    folder = nearest_project(start)
    if folder is not None:
        return folder if folder.is_dir() else f"{folder} is not a folder: nothing recorded"
    missing = "" if start.is_dir() else " (which does not exist)"
    return (f"no project (.provguard, provguard.toml or .git) at or above {start}{missing}: nothing recorded, "
            "and no ledger created")


def landed(edit: AgentEdit, project: Path) -> AgentEdit:
    """The edit at the path rules see for the file it changed (files.relative_to_root): a write through a link
    is recorded where it landed, and one that left the project by its absolute path. The id stays the call's,
    so importing the same call later adds nothing."""
    from dataclasses import replace

    from provguard.files import relative_to_root
    from provguard.provenance.transcripts.paths import is_windows

    if is_windows(edit.path):  # recorded on another system: nothing here to resolve
        return edit
    try:
        return replace(edit, path=relative_to_root(os.path.join(project, edit.path), project))
    except ValueError:  # a NUL or an unencodable character: no file has that path, so it stays as written
        return edit
