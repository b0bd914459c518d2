"""The `agent-write` field of a rule: what `provguard guard` answers when an agent's write would break it."""

from __future__ import annotations

from pathlib import Path

import pytest

from pack_support import load, only_error, pointed_at, rule_pack, write
from provguard.policy import loader
from provguard.policy.model import AgentWrite
from provguard.policy.policy import load_reference

BODY = "severity: error\nmessage: m\norigins: {kind: ai-agent}\n"


@pytest.mark.parametrize("value", ["deny", "ask", "record"])
def test_a_rule_says_what_happens_to_an_agents_write(tmp_path: Path, value: str) -> None:
    result = load(tmp_path, rule_pack(BODY + f"agent-write: {value}\n"))

    assert result.errors == ()
    assert result.pack is not None
    assert result.pack.rules[0].agent_write is AgentWrite(value)


def test_without_agent_write_the_write_is_let_through_and_recorded(tmp_path: Path) -> None:
    result = load(tmp_path, rule_pack(BODY))

    assert result.pack is not None
    assert result.pack.rules[0].agent_write is AgentWrite.RECORD


def test_an_unknown_agent_write_value_is_an_error_at_the_value(tmp_path: Path) -> None:
    error = only_error(tmp_path, rule_pack(BODY + "agent-write: refuse\n"))

    assert pointed_at(tmp_path, error) == "refuse"
    assert error.message == "unknown agent-write 'refuse'; expected one of deny, ask, record"


def test_agent_write_takes_one_value_not_a_list(tmp_path: Path) -> None:
    error = only_error(tmp_path, rule_pack(BODY + "agent-write: [deny, ask]\n"))

    assert pointed_at(tmp_path, error) == "[deny, ask]"
    assert error.message == "'agent-write' must be a single value"


def test_a_team_pack_softens_an_inherited_deny_to_ask(tmp_path: Path) -> None:
    path = write(tmp_path, "pack: team\nextends: default\n"
                           "overrides:\n  ai-output-in-test-task-file: {agent-write: ask}\n")

    result = loader.load_pack(path)

    assert result.errors == ()
    assert result.pack is not None
    decisions = {rule.id: rule.agent_write for rule in result.pack.rules}
    assert decisions["ai-output-in-test-task-file"] is AgentWrite.ASK
    assert decisions["rival-ai-output-in-training-data"] is AgentWrite.DENY


def test_the_default_pack_refuses_agent_writes_into_training_data_and_test_tasks() -> None:
    result = load_reference("default")

    assert result.pack is not None
    refused = sorted(rule.id for rule in result.pack.rules if rule.agent_write is AgentWrite.DENY)
    assert refused == ["ai-output-in-test-task-file", "rival-ai-output-in-training-data"]
    assert all(rule.agent_write is AgentWrite.RECORD for rule in result.pack.rules if rule.id not in refused)
