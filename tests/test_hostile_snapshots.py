"""A policy snapshot (`provguard export --snapshot`) travels to pipeline workers as a file anyone on the way may
rewrite, checksum included. The ids it carries are held to the syntax a pack's are (ASCII letters, digits,
`_`, `.`, `-`): a tampered snapshot whose pack id or severity override names an id holding a line break or an
escape sequence is refused, saying which snapshot, where in it and why, and nothing of it is printed raw.
"""

from __future__ import annotations

import hashlib
import json
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

OBEYED = {*map(chr, range(0x20)), *map(chr, range(0x7f, 0xa0)), "\u2028", "\u2029",
          *map(chr, range(0x202a, 0x202f)), *map(chr, range(0x2066, 0x206a))} - {"\n"}
"""What a terminal or log viewer acts on, besides the line break that ends each line of output."""
FORGED = "x\n::error file=ci.yml::forged\x1b]0;owned\x07"
PACK = """\
pack: team
rules:
  - id: no-agents
    severity: warning
    message: agent code
    origins: {kind: ai-agent}
"""
PREFIX = struct.Struct("<8sIIQ")
"""A snapshot's layout, as its format is written down in corpus/snapshot.py: magic, version, flags, header
length; the JSON header; the sections from the next 8-byte boundary; SHA-256 of all before; the end mark."""
END = b"PGSNEND\n"


def provguard(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "provguard", *args], cwd=cwd, capture_output=True, text=True,
                          errors="surrogateescape", timeout=120, check=False)


def aligned(offset: int) -> int:
    return (offset + 7) // 8 * 8


def rewritten(data: bytes, change: Any) -> bytes:
    """The snapshot with `change` applied to its JSON header, laid out and checksummed again as a tamperer would."""
    magic, version, flags, length = PREFIX.unpack_from(data)
    header = json.loads(data[PREFIX.size:PREFIX.size + length])
    body = data[aligned(PREFIX.size + length):len(data) - 32 - len(END)]
    change(header)
    head = json.dumps(header).encode("utf-8")
    out = PREFIX.pack(magic, version, flags, len(head)) + head
    out += bytes(aligned(len(out)) - len(out)) + body
    return out + hashlib.sha256(out).digest() + END


@pytest.fixture
def snapshot(project: Path) -> Path:
    (project / "team.yaml").write_text(PACK, encoding="utf-8")
    (project / "provguard.toml").write_text('packs = ["team.yaml"]\n[severity]\nno-agents = "error"\n',
                                            encoding="utf-8")
    done = provguard("export", "--snapshot", "policy.pgsnap", ".", cwd=project)
    assert done.returncode == 0, done.stderr
    (project / "in.jsonl").write_text('{"content": "x = 1\\n"}\n', encoding="utf-8")
    return project / "policy.pgsnap"


def filtered(snapshot: Path) -> subprocess.CompletedProcess[str]:
    done = provguard("filter", "in.jsonl", "out.jsonl", "--snapshot", snapshot.name, cwd=snapshot.parent)
    assert "Traceback" not in done.stderr, done.stderr
    for text in (done.stdout, done.stderr):
        assert not sorted({f"U+{ord(c):04X}" for c in text if c in OBEYED}), text
        assert not [line for line in text.splitlines() if line.startswith("::error")]
    return done


def test_the_untampered_snapshot_filters(snapshot: Path) -> None:
    done = filtered(snapshot)

    assert done.returncode == 0, done.stderr


def test_a_severity_override_naming_a_hostile_rule_id_is_refused_where_and_why(snapshot: Path) -> None:
    def forge(header: dict[str, Any]) -> None:
        header["policy"]["severity"] = {"no-agents": "error", FORGED: "off"}

    snapshot.write_bytes(rewritten(snapshot.read_bytes(), forge))

    done = filtered(snapshot)

    assert done.returncode == 2
    assert done.stderr == ("provguard: policy.pgsnap: the policy section's severity override 2 is refused: rule id "
                           "'x\\n::error file=ci.yml::forged\\x1b]0;owned\\x07' may not hold U+000A (character 2): "
                           "rule ids are ASCII letters, digits, '_', '.' and '-', starting with a letter or digit, "
                           "as a `provguard: allow[rule-id]` comment names them\n")
    assert not (snapshot.parent / "out.jsonl").exists()


def test_a_frozen_pack_whose_id_is_hostile_is_refused_at_its_line_and_column(snapshot: Path) -> None:
    def forge(header: dict[str, Any]) -> None:
        pack = header["policy"]["packs"][0]
        pack["yaml"] = pack["yaml"].replace("pack: team", f"pack: {json.dumps(FORGED)}", 1)

    snapshot.write_bytes(rewritten(snapshot.read_bytes(), forge))

    done = filtered(snapshot)

    assert done.returncode == 2
    assert done.stderr.startswith(f"provguard: policy.pgsnap: the frozen pack from {snapshot.parent}/team.yaml does "
                                  "not load at line 1, column 9: pack id 'x\\n::error"), done.stderr
    assert "may not hold U+000A (character 2)" in done.stderr
