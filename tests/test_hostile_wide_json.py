"""JSON that is shallow but holds millions of arrays and objects, under every size limit.

Each `[]` or `{}` takes 2 bytes of text and 56 bytes or more of memory once parsed: a 63 MiB line of `[],`
(just under the 64 MiB a record line may have) parsed into 1.7 GB in half a minute, in an import, a corpus
filter or the language server. Such a value is refused before parsing, at its line, and what is around it goes
on; a line that quotes millions of brackets inside a string (code in a transcript) is still read.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from corpus_support import jsonl, provguard
from provguard.exchange.agent_trace_import import import_traces
from provguard.ledger.sqlite import SqliteLedger
from provguard.untrusted_json import MAX_CONTAINERS, NotJson, loads_untrusted
from raw_lsp_support import RawServer, frame
from test_hostile_records import trace_record, traced_repository

WIDE = b"[" + b"[]," * (21 << 20) + b"[]]"
"""63 MiB: 22 million empty arrays in one."""
REFUSED = f"holds more than {MAX_CONTAINERS:,} arrays and objects"
AI_SAMPLE = "# provguard: kind=ai-agent tool=claude-code\ndef generated():\n    return 1\n"
HANG = 120


def wide_record() -> bytes:
    """An Agent Trace record as sound as any, with the millions of arrays in a field nobody reads."""
    return json.dumps({**trace_record("src/values.py", 1, 2), "extra": "X"}).encode().replace(b'"X"', WIDE)


def test_a_wide_value_is_refused_before_it_is_parsed() -> None:
    refused = loads_untrusted(WIDE)

    assert isinstance(refused, NotJson)
    assert (refused.reason, refused.unread) == (REFUSED, True)


def test_a_value_at_the_limit_and_brackets_quoted_in_strings_are_read() -> None:
    at_limit = "[" + "[]," * (MAX_CONTAINERS - 2) + "[]]"
    quoted = json.dumps({"text": 'x = [a[i] for i in {1: "]"}]\n\\' * (MAX_CONTAINERS // 2)})

    assert loads_untrusted(at_limit) == [[]] * (MAX_CONTAINERS - 1)
    assert loads_untrusted(quoted.encode()) == json.loads(quoted)
    assert isinstance(loads_untrusted("[" + "{}," * MAX_CONTAINERS + "{}]"), NotJson)


@pytest.mark.timeout(HANG)
def test_a_wide_agent_trace_record_is_skipped_at_its_line_and_the_next_one_imports(tmp_path: Path) -> None:
    root = tmp_path / "shop"
    _, traces = traced_repository(root, trace_record("src/values.py", 3, 4))
    with traces.open("ab") as file:
        file.write(wide_record() + b"\n" + json.dumps(trace_record("src/values.py", 5, 7)).encode() + b"\n")
    ledger = SqliteLedger(tmp_path / "ledger.sqlite3")

    report = import_traces(ledger, root, [traces])

    assert [(p.line, REFUSED in p.reason) for p in report.problems] == [(2, True)], report.problems
    assert sorted(e.lines for e in ledger.agent_edits()) == [2, 3]


@pytest.mark.timeout(HANG)
def test_a_wide_corpus_line_is_dropped_even_where_bad_lines_pass(tmp_path: Path) -> None:
    hidden = json.dumps({"content": AI_SAMPLE, "extra": "X"}).encode().replace(b'"X"', WIDE)
    (tmp_path / "train.jsonl").write_bytes(hidden + b"\n" + jsonl({"content": "def mine():\n    return 2\n"}))

    done = provguard(tmp_path, "filter", "train.jsonl", "out.jsonl", "--workers", "1")

    assert done.returncode == 0, done.stderr.decode()
    assert (tmp_path / "out.jsonl").read_bytes() == jsonl({"content": "def mine():\n    return 2\n"})
    assert f"train.jsonl:1: {REFUSED}; never passed through" in done.stderr.decode()


def peak_memory_mib(pid: int) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM")) >> 10


@pytest.mark.timeout(HANG)
@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="peak memory is read from /proc")
def test_the_language_server_refuses_a_wide_message_in_bounded_memory_and_keeps_serving(tmp_path: Path) -> None:
    with RawServer(tmp_path) as server:
        server.initialize()
        body = (b'{"jsonrpc": "2.0", "id": "wide", "method": "provguard/summary", "params": {"textDocument": '
                b'{"uri": "file:///nowhere.py"}, "padding": ' + WIDE + b"}}")

        server.write(frame(body))

        assert server.alive()
        assert server.answers["wide"] == 0, "a message that cannot be read has no id to answer"
        assert f"message refused: not JSON: {REFUSED}" in server.log()
        assert peak_memory_mib(server.process.pid) < 1024, "parsed whole, this message takes 1.7 GB"


def test_a_hook_payload_of_millions_of_arrays_is_reported_and_never_blocks_the_agent(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "provguard", "hook", "claude-code", "--root", str(tmp_path)],
                          input=WIDE, capture_output=True, timeout=HANG, check=False)

    assert (done.returncode, done.stdout) == (0, b"")
    assert done.stderr.decode().startswith("provguard hook: the hook input is not JSON (")
    assert REFUSED in done.stderr.decode() and "Traceback" not in done.stderr.decode()
