"""A finding's message is one text for people, the same in every output: the editor's diagnostic, the CLI's
text, JSON, SARIF, GitHub and GitLab annotations. Where the code came from reads as people say it ("pasted from
ChatGPT"); the ids stay in the fields tools read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pytest_lsp import LanguageClient

from lsp_support import open_file, pulled, start
from test_cli import check, sarif_of, write

PASTED = """\
# provguard: begin kind=ai-chat-paste tool=chatgpt vendor=openai
def add(a, b):
    return a + b
# provguard: end
"""

ORIGIN_PACK = """\
pack: origins
version: 1.0.0
rules:
  - id: where-from
    severity: warning
    message: "Code {origin} in {path}"
    origins:
      - kind: [ai-completion, ai-agent, ai-chat-paste, paste, external, human, unknown]
"""


def project(root: Path) -> Path:
    write(root, {"provguard.toml": 'packs = ["default"]\n', "src/app.py": PASTED})
    return root


def cli_messages(root: Path) -> dict[str, set[str]]:
    """The unreviewed-code message as each CLI format writes it."""
    done = {fmt: check(root, "--no-cache", "--format", fmt, "src") for fmt in ("text", "json", "github", "gitlab")}
    for fmt, run in done.items():
        assert run.returncode in (0, 1), (fmt, run.stderr)
    rule = "ai-output-unreviewed"
    return {
        "text": {line.split(f" {rule} ", 1)[1] for line in done["text"].stdout.splitlines() if f" {rule} " in line},
        "json": {f["message"] for f in json.loads(done["json"].stdout)["findings"] if f["rule"] == rule},
        "github": {line.rsplit("::", 1)[1] for line in done["github"].stdout.splitlines() if f"title={rule}" in line},
        "gitlab": {i["description"] for i in json.loads(done["gitlab"].stdout) if i["check_name"] == rule},
        "sarif": {r["message"]["text"] for r in sarif_of(root, "--no-cache", "src")["runs"][0]["results"]
                  if r["ruleId"] == rule},
    }


async def test_every_output_shows_the_same_human_text(client: LanguageClient, tmp_path: Path) -> None:
    root = project(tmp_path)
    outputs = cli_messages(root)
    await start(client, root, pull=True)
    uri = open_file(client, root / "src" / "app.py", PASTED)
    [shown] = [d for d in await pulled(client, uri) if d.code == "ai-output-unreviewed"]
    outputs["editor"] = {shown.message.split("\n", 1)[0]}  # the rule's note is the second line
    assert len({frozenset(found) for found in outputs.values()}) == 1, outputs
    [message] = outputs["editor"]
    assert message == "Code pasted from ChatGPT has not been reviewed by a person"


def test_the_ids_stay_in_the_fields_tools_read(tmp_path: Path) -> None:
    done = check(project(tmp_path), "--no-cache", "--format", "json", "src")
    [finding] = [f for f in json.loads(done.stdout)["findings"] if f["rule"] == "ai-output-unreviewed"]
    assert (finding["origin"]["kind"], finding["origin"]["tool"]) == ("ai-chat-paste", "chatgpt")
    assert "ai-chat-paste" not in finding["message"] and "chatgpt" not in finding["message"]


@pytest.mark.parametrize(("marker", "said"), [
    ("kind=ai-chat-paste tool=chatgpt", "Code pasted from ChatGPT in src/x.py"),
    ("kind=ai-agent tool=claude-code", "Code written by Claude Code in src/x.py"),
    ("kind=ai-completion tool=copilot", "Code suggested by Copilot in src/x.py"),
    ("kind=ai-agent", "Code written by an AI agent in src/x.py"),
    ("kind=paste", "Code pasted from elsewhere in src/x.py"),
    ("kind=external tool=stackoverflow", "Code taken from stackoverflow in src/x.py"),
    ("kind=human", "Code written by a person in src/x.py"),
])
def test_origin_in_a_pack_message_says_where_the_code_came_from(tmp_path: Path, marker: str, said: str) -> None:
    write(tmp_path, {"provguard.toml": 'packs = ["origins.yaml"]\n', "origins.yaml": ORIGIN_PACK,
                     "src/x.py": f"# provguard: begin {marker}\nx = 1\n# provguard: end\n"})
    done = check(tmp_path, "--no-cache", "--format", "json", "src")
    assert [f["message"] for f in json.loads(done.stdout)["findings"] if f["rule"] == "where-from"] == [said]


def test_an_unknown_placeholder_is_an_error_at_its_position_that_lists_origin(tmp_path: Path) -> None:
    write(tmp_path, {"provguard.toml": 'packs = ["origins.yaml"]\n', "src/x.py": "x = 1\n",
                     "origins.yaml": ORIGIN_PACK.replace("Code {origin} in {path}", "Code {where} in {path}")})
    done = check(tmp_path, "--no-cache", "src")
    assert done.returncode == 2
    assert "origins.yaml:6:20" in done.stderr and "unknown placeholder {where}" in done.stderr, done.stderr
    assert "{origin}" in done.stderr
