"""When the guard cannot judge a write: let through with the reason on stderr, or refused when the project's
pack says `agent-write-on-error: deny`. Never a hang, never a crash, always exit 0."""

from __future__ import annotations

from pathlib import Path

import pytest

from guard_support import allowed, decision, guard, payload
from pack_support import load, only_error, pointed_at

CLOSED = "pack: closed\nextends: default\nagent-write-on-error: deny\n"


def fail_closed(project: Path) -> None:
    (project / "closed.yaml").write_text(CLOSED, encoding="utf-8")
    (project / "provguard.toml").write_text('packs = ["closed.yaml"]\n', encoding="utf-8")


@pytest.mark.parametrize("agent", ["claude-code", "codex"])
def test_a_pack_that_fails_closed_refuses_a_payload_it_cannot_read(project: Path, agent: str) -> None:
    fail_closed(project)

    done = guard(agent, payload("claude-code-malformed.json", project), cwd=project)

    verdict, reason = decision(agent, done)
    assert verdict == "deny"
    assert reason.startswith("provguard could not judge this call (the payload on stdin is not JSON (")
    assert "this project's rule pack refuses what it cannot judge (agent-write-on-error: deny)" in reason


def test_a_pack_that_fails_closed_refuses_a_binary_file_it_cannot_judge(project: Path) -> None:
    fail_closed(project)
    logo = project / "tests" / "fixtures" / "logo.png"
    logo.parent.mkdir(parents=True)
    logo.write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR")

    verdict, reason = decision("claude-code", guard("claude-code", payload("claude-code-edit-binary.json", project)))

    assert verdict == "deny"
    assert reason.startswith(f"provguard could not judge this call ({logo}: not judged: binary file)")


def test_a_pack_that_fails_closed_still_allows_what_it_can_judge(project: Path) -> None:
    fail_closed(project)

    assert allowed(guard("claude-code", payload("claude-code-write-source.json", project))) == ""


def test_without_a_decision_in_time_the_call_is_let_through(project: Path) -> None:
    stderr = allowed(guard("claude-code", payload("claude-code-write-test-file.json", project),
                           "--timeout", "0.000001"))

    assert stderr == "provguard guard: no decision within 1e-06 s; the call is let through\n"


def test_a_broken_pack_lets_writes_through_and_says_where_it_is_broken(project: Path) -> None:
    (project / "team.yaml").write_text("pack: team\nextends: default\nagent-write-on-error: maybe\n",
                                       encoding="utf-8")
    (project / "provguard.toml").write_text('packs = ["team.yaml"]\n', encoding="utf-8")

    stderr = allowed(guard("claude-code", payload("claude-code-write-test-file.json", project)))

    assert stderr.splitlines() == [
        f"provguard guard: {project / 'team.yaml'}:3:23: unknown agent-write-on-error 'maybe'; "
        "expected one of allow, deny",
        f"provguard guard: no rule pack loaded for {project}; the call is let through",
    ]


def test_an_unknown_agent_is_a_usage_message_not_a_blocked_call(project: Path) -> None:
    done = guard("windsurf", b"{}")

    assert (done.returncode, done.stdout) == (0, "")
    assert "invalid choice: 'windsurf'" in done.stderr


def test_fail_closed_is_inherited_by_packs_extending_the_one_that_says_so(tmp_path: Path) -> None:
    (tmp_path / "closed.yaml").write_text(CLOSED, encoding="utf-8")

    result = load(tmp_path, "pack: team\nextends: closed.yaml\n")

    assert result.pack is not None and result.pack.fails_closed


def test_a_pack_fails_open_by_default_and_a_derived_pack_can_reopen(tmp_path: Path) -> None:
    (tmp_path / "closed.yaml").write_text(CLOSED, encoding="utf-8")

    assert load(tmp_path, "pack: p\nextends: default\n").pack.fails_closed is False  # type: ignore[union-attr]
    assert load(tmp_path, "pack: p\nextends: closed.yaml\nagent-write-on-error: allow\n"
                ).pack.fails_closed is False  # type: ignore[union-attr]


def test_agent_write_on_error_takes_allow_or_deny(tmp_path: Path) -> None:
    error = only_error(tmp_path, "pack: p\nextends: default\nagent-write-on-error: closed\n")

    assert pointed_at(tmp_path, error) == "closed"
    assert error.message == "unknown agent-write-on-error 'closed'; expected one of allow, deny"
