"""Fixture transcripts and hook payloads, moved into a test's own project folder.

The fixtures are written for a project at SAMPLE_ROOT; tests that need the files inside a real folder (to
append to them, or to have the hook find the project) copy them with that path replaced.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"
TRANSCRIPTS = FIXTURES / "transcripts"
HOOKS = FIXTURES / "hooks"
SAMPLE_ROOT = "/home/dana/work/shop"
CLAUDE_SESSION = "7d3c1f2e-5b8a-4e61-9f0d-3a2b1c4d5e6f"
CLAUDE_FIXTURE = TRANSCRIPTS / "claude-code" / "-home-dana-work-shop" / f"{CLAUDE_SESSION}.jsonl"
WINDOWS_FIXTURE = TRANSCRIPTS / "claude-code" / "C--Users-dana-work-shop" / "1a9e4b6c-0d2f-4c8b-a3e5-7f6d8c9b0a1e.jsonl"
SUBAGENT_SESSION = "e5a7c3d1-2b4f-4a6e-8c9d-0f1e2d3c4b5a"
SUBAGENT_FIXTURE = CLAUDE_FIXTURE.parent / f"{SUBAGENT_SESSION}.jsonl"
"""A session whose subagents ran inline (older versions) and in `<session>/subagents/` (newer ones)."""
NOTEBOOK_SESSION = "c4b2a9e8-7d6f-4e5a-9b3c-2d1e0f9a8b7c"
NOTEBOOK_FIXTURE = CLAUDE_FIXTURE.parent / f"{NOTEBOOK_SESSION}.jsonl"
"""NotebookEdit calls that leave the cell type and language to the result: Python, markdown, R, Julia."""
CODEX_SESSION = "0199a1b2-7c3d-7e4f-8a5b-6c7d8e9f0a1b"
CODEX_FIXTURE = (TRANSCRIPTS / "codex" / "sessions" / "2026" / "11" / "20"
                 / f"rollout-2026-11-20T09-14-03-{CODEX_SESSION}.jsonl")
CODEX_NEWER_SESSION = "019a7f3e-2d1c-7b4a-9e8f-5a6b7c8d9e0f"
CODEX_NEWER_FIXTURE = (TRANSCRIPTS / "codex" / "sessions" / "2026" / "11" / "21"
                       / f"rollout-2026-11-21T12-00-00-{CODEX_NEWER_SESSION}.jsonl")
"""A rollout with line types newer than the importer (`world_state`, `function_result`, ...) and both call forms."""


def moved(fixture: Path, target: Path, root: Path) -> Path:
    """`fixture` copied to `target` with the sample project's path replaced by `root`."""
    target.parent.mkdir(parents=True, exist_ok=True)
    text = fixture.read_bytes().replace(SAMPLE_ROOT.encode(), str(root).encode())
    target.write_bytes(text)
    return target


def fresh(fixture: Path, folder: Path) -> Path:
    """A copy of `fixture` written just now: a transcript untouched for an hour counts as finished (its cut
    last line is then reported, not left for later), and checked-out fixtures age."""
    return moved(fixture, folder / fixture.parent.name / fixture.name, Path(SAMPLE_ROOT))


def fresh_session(fixture: Path, folder: Path) -> Path:
    """`fresh`, with the session's `<session>/subagents/` files beside it."""
    copy = fresh(fixture, folder)
    for sub in sorted(fixture.with_suffix("").glob("subagents/*.jsonl")):
        moved(sub, copy.with_suffix("") / "subagents" / sub.name, Path(SAMPLE_ROOT))
    return copy


def payload(name: str, root: Path, transcript: Path | None = None) -> bytes:
    """A recorded hook payload for a project at `root`, its transcript_path pointing at `transcript`."""
    data = json.loads(HOOKS.joinpath(name).read_text(encoding="utf-8").replace(SAMPLE_ROOT, str(root)))
    if transcript is not None:
        data["transcript_path"] = str(transcript)
    return json.dumps(data).encode()


def record_claude_write(project: Path, path: str, text: str, call_id: str) -> None:
    """Claude Code's PostToolUse hook for a Write of `text` to `path` (relative to `project`), run in `project` as
    the agent runs `provguard hook claude-code`: it must record the write with nothing to say."""
    data = json.loads(payload("claude-code-write.json", project))
    target = str(project / path)
    data.update(tool_use_id=call_id, tool_input={"file_path": target, "content": text},
                transcript_path=str(project / "no-transcript.jsonl"),
                tool_response={"type": "create", "filePath": target, "content": text, "structuredPatch": [],
                               "originalFile": None})
    done = subprocess.run([sys.executable, "-m", "provguard", "hook", "claude-code"], input=json.dumps(data),
                          capture_output=True, text=True, cwd=project, timeout=60, check=False)
    assert (done.returncode, done.stdout) == (0, ""), done.stderr
