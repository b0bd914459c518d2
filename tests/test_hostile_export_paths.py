"""`provguard export --paths FILE` lists the flagged files one a line for tools that exclude by path (rsync's
`--exclude-from`, `grep -vxFf`). A file whose name holds a line break would be cut in two and excluded by neither
half: that flagged file would pass. So such a list is refused before anything is written, and a name that is not
UTF-8 is listed as its own bytes, which is what the excluding tool compares."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

AI_FILE = "# provguard: kind=ai-agent tool=claude-code vendor=anthropic\ndef generated():\n    return 1\n"


def export(project: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "provguard", "export", "--min-severity", "info", ".", *args],
                          cwd=project, capture_output=True, timeout=120, check=False)


def test_a_flagged_file_with_a_line_break_in_its_name_refuses_the_list_and_writes_nothing(project: Path) -> None:
    (project / "plain.py").write_text(AI_FILE, encoding="utf-8")
    (project / "two\nhalves.py").write_text(AI_FILE, encoding="utf-8")

    done = export(project, "--paths", "flagged.txt", "--jsonl", "flagged.jsonl")

    assert done.returncode == 2
    assert b"two\\nhalves.py holds a line break in its name: nothing was written" in done.stderr, done.stderr
    assert not (project / "flagged.txt").exists() and not (project / "flagged.jsonl").exists()


def test_a_flagged_file_named_in_bytes_that_are_not_utf8_is_listed_as_those_bytes(project: Path) -> None:
    (project / "plain.py").write_text(AI_FILE, encoding="utf-8")
    name = os.fsdecode(b"caf\xe9.py")  # Latin-1 bytes, as an old archive leaves them
    (project / name).write_text(AI_FILE, encoding="utf-8")

    done = export(project, "--paths", "flagged.txt", "--jsonl", "flagged.jsonl")

    assert done.returncode == 0, done.stderr
    assert (project / "flagged.txt").read_bytes().splitlines() == [b"caf\xe9.py", b"plain.py"]
