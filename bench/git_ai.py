"""`provguard import git-ai` on a history of thousands of noted commits, beside the blames it cannot avoid.

    python bench/git_ai.py            # 2,000 commits, each with a note, over 40 files
    python bench/git_ai.py --quick    # 300 commits over 10 files

The repository is written with `git fast-import`: each commit appends a two-line function to one file (an AI
session's lines, named in the commit's note under refs/notes/ai) and every seventh commit also puts a comment
line on top of that file (shifting every noted line below it). The import runs into a fresh SQLite ledger, then
again (nothing new). Measured in the same run: `git blame --porcelain -M HEAD` of every file, one after the
other, which is the floor of any import that maps notes through later commits with blame.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from time import perf_counter

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "server"))

from provguard.exchange.git_ai_import import GitAiReport, import_git_ai  # noqa: E402
from provguard.ledger.sqlite import SqliteLedger  # noqa: E402

SESSION = "s_4be1c07d9a3f52"
WHEN = 1_764_000_000


def build(root: Path, commits: int, files: int) -> None:
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    contents: list[list[str]] = [[] for _ in range(files)]
    stream: list[bytes] = []
    notes: list[tuple[int, str]] = []

    def data(text: str) -> None:
        raw = text.encode()
        stream.append(b"data %d\n" % len(raw) + raw + b"\n")

    for n in range(commits):
        index = n % files
        lines = contents[index]
        if n % 7 == 6:
            lines.insert(0, f"# revised in change {n}")
        first = len(lines) + 1
        lines += [f"def fee_{n}(parcels: int) -> float:", f"    return round(parcels * {n}.25 + {index}.5, 2)"]
        path = f"src/module_{index:03d}.py"
        stream.append(f"commit refs/heads/main\nmark :{n + 1}\n"
                      f"committer Dana Reyes <dana@example.com> {WHEN + n} +0000\n".encode())
        data(f"Fee {n}")
        stream.append(f"M 100644 inline {path}\n".encode())
        data("\n".join(lines) + "\n")
        note = "\n".join([path, f"  {SESSION}::t_0c7e2a91b4d6f3 {first}-{first + 1}", "---", json.dumps({
            "schema_version": "authorship/3.0.0", "base_commit_sha": "", "prompts": {},
            "sessions": {SESSION: {"agent_id": {"tool": "claude", "id": "bench", "model": "claude-sonnet-4-5"}}}},
            indent=2)])
        notes.append((n + 1, note))
    stream.append(f"commit refs/notes/ai\ncommitter Dana Reyes <dana@example.com> {WHEN + commits} +0000\n".encode())
    data("Notes added by 'git notes add'")
    for mark, note in notes:
        stream.append(f"N inline :{mark}\n".encode())
        data(note)
    subprocess.run(["git", "fast-import", "--quiet"], cwd=root, input=b"".join(stream), check=True)
    subprocess.run(["git", "reset", "-q", "--hard", "main"], cwd=root, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    commits, files = (300, 10) if args.quick else (2000, 40)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "repo"
        build(root, commits, files)
        started = perf_counter()
        for index in range(files):
            subprocess.run(["git", "blame", "--porcelain", "-M", "HEAD", "--", f"src/module_{index:03d}.py"],
                           cwd=root, capture_output=True, check=True)
        blames = perf_counter() - started
        ledger = SqliteLedger(Path(tmp) / "ledger.sqlite3")
        started = perf_counter()
        first = import_git_ai(ledger, root)
        fresh = perf_counter() - started
        started = perf_counter()
        again = import_git_ai(ledger, root)
        repeat = perf_counter() - started
        assert isinstance(first, GitAiReport) and isinstance(again, GitAiReport)
        assert first.edits_new == commits and again.edits_new == 0 and not first.problems
    print(f"{commits} noted commits over {files} files ({first.lines} lines attributed)")
    print(f"  git blame of every file, alone:    {blames:7.2f} s")
    print(f"  import into a fresh ledger:        {fresh:7.2f} s  ({fresh / blames:.1f}x the blames, "
          f"{fresh / commits * 1000:.2f} ms a note)")
    print(f"  import again (nothing new):        {repeat:7.2f} s  ({repeat / blames:.1f}x the blames)")


if __name__ == "__main__":
    main()
