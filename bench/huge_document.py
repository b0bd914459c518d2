"""Keystrokes in a huge open document: what one edit costs in a 50 MiB text, and over stdio in a 24 MiB one.

    python bench/huge_document.py                       # the installed provguard
    python bench/huge_document.py --baseline DIR        # and another source tree beside it, in the same run

In process (a child per source tree, so each imports its own provguard): medians of `Document.replace` in a
50 MiB Python text (never parsed: it is over the 8 MiB limit) for a character typed mid-text, a line break typed
mid-text (the line count changes), and characters typed at the first and the last line in turn (each edit far
from the one before), and the line index's part of the same keystrokes alone. Over stdio: a 24 MiB document
(over the limit, under the 32 MiB the server keeps), characters typed mid-text, didChange -> publishDiagnostics
of that version, and the server's CPU per keystroke.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from time import perf_counter

sys.path.insert(0, str(Path(__file__).parent))

from lsp_client import SERVER_COMMAND
from lsp_wire import Connection, cpu_seconds, quiet

LINE = "value = 1\n"
IN_PROCESS_MIB = 50
OVER_STDIO_MIB = 24


def in_process(keystrokes: int) -> dict[str, float]:
    """Median ms per keystroke by kind: the whole Document.replace (the text copied once, the line index moved),
    and the line index's part alone (run in a child: see `main`)."""
    from provguard.documents import Document
    from provguard.languages import detect
    from provguard.positions import LineIndex

    lines = (IN_PROCESS_MIB << 20) // len(LINE)
    doc = Document("big.py", detect("big.py"), (LINE * lines).encode(), parse=False)
    middle = len(doc.source) // 2
    kinds: dict[str, tuple[Callable[[int, int], int], str]] = {
        "character mid-text": (lambda i, size: middle + i, "x"),
        "line break mid-text": (lambda i, size: middle, "\n"),
        "first and last line in turn": (lambda i, size: 3 if i % 2 else size - 3, "y")}
    got: dict[str, float] = {}
    for kind, (place, text) in kinds.items():
        times = []
        for i in range(keystrokes):
            at = place(i, len(doc.source))
            started = perf_counter()
            doc.replace(at, at, text)
            times.append(perf_counter() - started)
        got[f"{kind}: Document.replace"] = statistics.median(times) * 1000
    index = LineIndex(doc.source)
    for kind, (place, text) in kinds.items():
        times = []
        for i in range(keystrokes):
            at, before = place(i, len(doc.source)), doc.source
            doc.source = doc.source[:at] + text.encode() + doc.source[at:]
            started = perf_counter()
            index.edited(at, at, doc.source)
            times.append(perf_counter() - started)
            del before  # freeing the old text is the text's cost, not the index's
        got[f"{kind}: LineIndex.edited alone"] = statistics.median(times) * 1000
    return got


async def over_stdio(keystrokes: int, env: dict[str, str], timeout: float) -> tuple[float, float]:
    """Median ms didChange -> publishDiagnostics and server CPU ms per keystroke in a 24 MiB document."""
    root = Path(tempfile.mkdtemp(prefix="provguard-huge-"))
    lines = (OVER_STDIO_MIB << 20) // len(LINE)
    uri = (root / "big.py").as_uri()
    server = await Connection.spawn(SERVER_COMMAND, root, env)
    try:
        await asyncio.wait_for(server.request("initialize", {
            "processId": os.getpid(), "rootUri": root.as_uri(),
            "workspaceFolders": [{"uri": root.as_uri(), "name": root.name}],
            "capabilities": {"textDocument": {"publishDiagnostics": {"versionSupport": True}},
                             "general": {"positionEncodings": ["utf-16"]}}}), timeout)
        server.send({"method": "initialized", "params": {}})
        pushed = server.expect_push(version=1)
        server.send({"method": "textDocument/didOpen", "params": {"textDocument": {
            "uri": uri, "languageId": "python", "version": 1, "text": LINE * lines}}})
        await asyncio.wait_for(pushed, timeout)
        await quiet(server.pid, timeout)  # the open's own work (a light start redoes it after the first push)
        times: list[float] = []
        cpu_before = cpu_seconds(server.pid)
        for i in range(keystrokes):
            version = i + 2
            pushed = server.expect_push(version=version)
            at = {"line": lines // 2, "character": i}
            sent = perf_counter()
            server.send({"method": "textDocument/didChange", "params": {
                "textDocument": {"uri": uri, "version": version},
                "contentChanges": [{"range": {"start": at, "end": at}, "text": "x"}]}})
            times.append((await asyncio.wait_for(pushed, timeout)).at - sent)
        cpu = (cpu_seconds(server.pid) - cpu_before) / keystrokes
    finally:
        await server.close()
    return statistics.median(times) * 1000, cpu * 1000


def child(tree: str | None, keystrokes: int) -> dict[str, float]:
    env = {**os.environ, **({"PYTHONPATH": tree} if tree else {})}
    out = subprocess.run([sys.executable, __file__, "--child", "--keystrokes", str(keystrokes)], env=env,
                         capture_output=True, text=True, check=True).stdout
    return dict(json.loads(out))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", help="a provguard source folder measured beside the installed one")
    parser.add_argument("--keystrokes", type=int, default=20)
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(in_process(args.keystrokes)))
        return
    trees: list[tuple[str, str | None]] = [("provguard", None)]
    if args.baseline:
        trees.append(("baseline", args.baseline))
    print(f"load {os.getloadavg()[0]:.2f}", flush=True)
    rows: dict[str, dict[str, float]] = {}
    for name, tree in trees:
        rows[name] = child(tree, args.keystrokes)
        env = {"PROVGUARD_DAEMON": "0", **({"PYTHONPATH": tree} if tree else {})}
        wall, cpu = asyncio.run(over_stdio(args.keystrokes, env, args.timeout))
        rows[name][f"over stdio, {OVER_STDIO_MIB} MiB: didChange -> publishDiagnostics"] = wall
        rows[name]["over stdio: server CPU per keystroke"] = cpu
        print(f"  {name}: {rows[name]}", flush=True)
    print(f"\nload {os.getloadavg()[0]:.2f}\n| ms per keystroke (median of {args.keystrokes}) | "
          + " | ".join(rows) + " |\n| --- |" + " --- |" * len(rows))
    for kind in rows["provguard"]:
        print(f"| {kind} | " + " | ".join(f"{row[kind]:.2f}" for row in rows.values()) + " |")


if __name__ == "__main__":
    main()
