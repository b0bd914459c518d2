"""`provguard hook cursor` on afterFileEdit payloads in the shape a real Cursor 2.7 session sent (an audit log one
user committed: cursor_version `2.7.0-pre.78.patch.0`, model `composer-2`, `user_email`, `transcript_path` a path or
null, several edits per payload, some only deleting, and an empty file created as one edit from "" to ""). No
licence was found for its repository and the log holds a person's address, so it is not kept
(tests/fixtures/cursor/SOURCES.md): these payloads are written here in that shape, for a made-up project."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from provguard.ledger.sqlite import SqliteLedger

CONVERSATION = "5b7e0c1a-2d3f-4e5a-8b9c-0d1e2f3a4b5c"


def after_file_edit(project: Path, path: str, edits: list[tuple[str, str]], transcript: bool = True) -> bytes:
    data: dict[str, Any] = {
        "conversation_id": CONVERSATION, "generation_id": "9c8d7e6f-5a4b-4c3d-2e1f-0a9b8c7d6e5f",
        "model": "composer-2", "file_path": str(project / path),
        "edits": [{"old_string": old, "new_string": new} for old, new in edits],
        "hook_event_name": "afterFileEdit", "cursor_version": "2.7.0-pre.78.patch.0",
        "workspace_roots": [str(project)], "user_email": "dana@example.com",
        "transcript_path": (f"/home/dana/.cursor/projects/shop/agent-transcripts/{CONVERSATION}/{CONVERSATION}.jsonl"
                            if transcript else None)}
    return json.dumps(data, separators=(",", ":")).encode()


def hook(stdin: bytes, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "provguard", "hook", "cursor"], input=stdin.decode(),
                          capture_output=True, text=True, cwd=cwd, timeout=60, check=False)


def test_a_generations_edits_of_a_script_are_each_recorded_and_its_deletions_are_not(project: Path) -> None:
    edits = [("# audit.sh - log every payload to /tmp\n", "# audit.sh - append hook payloads to .cursor/audits/\n"),
             ("# Read JSON input from stdin\n", ""),
             ('echo "$json_input" >> "$LOG_FILE"\n', 'mkdir -p "$AUDIT_DIR"\nprintf \'%s\\n\' "$json_input" >> '
                                                     '"$LOG_FILE"\n')]

    done = hook(after_file_edit(project, ".cursor/hooks/audit.sh", edits), project)

    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    recorded = SqliteLedger(project / ".provguard" / "ledger.sqlite3").agent_edits()
    assert sorted((e.path, e.lines, e.model, e.vendor, e.session_id) for e in recorded) == [
        (".cursor/hooks/audit.sh", 1, "composer-2", "anysphere", CONVERSATION),
        (".cursor/hooks/audit.sh", 2, "composer-2", "anysphere", CONVERSATION)]


def test_an_empty_file_created_or_a_line_deleted_records_nothing_and_says_nothing(project: Path) -> None:
    for payload in (after_file_edit(project, ".cursor/audits/.gitkeep", [("", "")], transcript=False),
                    after_file_edit(project, "src/Welcome.tsx", [("      color: theme.colors.success.main,", "")])):
        done = hook(payload, project)
        assert (done.returncode, done.stdout, done.stderr) == (0, "", "")

    assert not (project / ".provguard").exists()
