"""Many files open at once, as an editor restores its tabs: provguard beside ruff server, in one run.

    python bench/many_files.py             # 50 x 10,000 lines and 200 x 5,000 lines, push and pull
    python bench/many_files.py --quick     # 10 x 2,000 and 20 x 1,000: a smoke run

Each scenario writes distinct generated Python files (bench/workload.py, about one unit in fifty marked)
into a git repository with one commit, spawns the server, initializes (a push client, or a pull client that
asks textDocument/diagnostic for every document right after opening it, as VS Code does for restored tabs),
sends every didOpen back to back and times the first didOpen to the last document's first diagnostics. The
server's memory is then read once it has gone quiet (no CPU used for half a second: git history and ledger
lookups finished). The client is a raw JSON-RPC connection (json.loads only), so decoding hundreds of
diagnostics in Python does not weigh on either server's figure.

Targets (PASS/MISS, never a failing exit status): all diagnosed within 2 x ruff server's time + 1 s, and
resident memory <= 150 MB, in push and in pull mode.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from time import perf_counter
from typing import Any

from lsp_wire import Connection, Pushed, cpu_seconds, proc_status, quiet
from workload import generate

HERE = Path(__file__).resolve().parent
PROVGUARD = (sys.executable, "-m", "provguard", "serve")
RUFF = (str(Path(sys.executable).with_name("ruff")), "server")
MEMORY_TARGET_MB = 150.0
MARKED_SHARE = 0.02


@dataclass(frozen=True)
class Scenario:
    name: str
    files: int
    lines: int


@dataclass
class Outcome:
    server: str
    mode: str
    all_diagnosed: float
    """Seconds from the first didOpen to every document's first diagnostics."""
    first_diagnosed: float
    """Seconds from the first didOpen to the first document's diagnostics."""
    rss_mb: float
    """VmRSS once the server went quiet."""
    peak_mb: float
    """VmHWM: the most it held at any moment."""
    diagnostics: int
    settled: float
    """Seconds from the first didOpen until the server went quiet (background lookups done)."""
    cpu: float
    """CPU seconds the server used until every document was diagnosed: next to `all_diagnosed`, it tells
    whether the server waited for a CPU (other load on the machine) rather than worked."""


def capabilities(pull: bool) -> dict[str, Any]:
    text: dict[str, Any] = {"synchronization": {"didSave": True, "dynamicRegistration": True},
                            "publishDiagnostics": {"versionSupport": True, "relatedInformation": True}}
    if pull:
        text["diagnostic"] = {"dynamicRegistration": False, "relatedDocumentSupport": True}
    return {"textDocument": text, "general": {"positionEncodings": ["utf-16"]},
            "workspace": {"diagnostics": {"refreshSupport": True}, "workspaceFolders": True}}


async def run(server: str, command: tuple[str, ...], root: Path, files: list[Path], pull: bool,
              timeout: float) -> Outcome:
    # In-process (no daemon): the measured process is the one that serves, its CPU time and memory included.
    connection = await Connection.spawn(command, root, {"HOME": str(root.parent), "PROVGUARD_DAEMON": "0"})
    pid = connection.pid
    try:
        await asyncio.wait_for(connection.request("initialize", {
            "processId": os.getpid(), "rootUri": root.as_uri(), "capabilities": capabilities(pull),
            "workspaceFolders": [{"uri": root.as_uri(), "name": root.name}],
            "initializationOptions": {"reviewer": "bench@example.com"} if server == "provguard" else {},
        }), timeout)
        connection.notify("initialized", {})
        # Any request answered after `initialized`: the server is idle before the first didOpen (an unknown
        # command is answered with an error by both servers).
        await asyncio.wait_for(connection.request("workspace/executeCommand",
                                                  {"command": "bench.none", "arguments": []}), timeout)
        uris = [path.as_uri() for path in files]
        texts = [path.read_text() for path in files]
        waiting: list[asyncio.Future[Any]] = []
        cpu_before = cpu_seconds(pid)
        started = perf_counter()
        arrived: list[float] = []

        def stamp(future: asyncio.Future[Any]) -> None:
            arrived.append(perf_counter())

        for uri, text in zip(uris, texts, strict=True):
            pushed = None if pull else connection.expect_push(uri=uri)
            connection.notify("textDocument/didOpen", {"textDocument": {
                "uri": uri, "languageId": "python", "version": 1, "text": text}})
            future: asyncio.Future[Any] = (
                connection.request("textDocument/diagnostic", {"textDocument": {"uri": uri}}) if pushed is None
                else pushed)
            future.add_done_callback(stamp)
            waiting.append(future)
        results = await asyncio.wait_for(asyncio.gather(*waiting), timeout)
        done = perf_counter() - started
        cpu = cpu_seconds(pid) - cpu_before
        count = sum(r.diagnostics if isinstance(r, Pushed) else len((r or {}).get("items", [])) for r in results)
        await quiet(pid, timeout)
        settled = perf_counter() - started
        memory = proc_status(pid)
    finally:
        await connection.close()
    return Outcome(server, "pull" if pull else "push", done, min(arrived) - started, memory["VmRSS"] / 1024,
                   memory["VmHWM"] / 1024, count, settled, cpu)


def workspace(base: Path, scenario: Scenario, seed: int) -> tuple[Path, list[Path]]:
    root = base / scenario.name
    files: list[Path] = []
    for i in range(scenario.files):
        path = root / "src" / f"pkg{i // 50}" / f"module_{i:04d}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(generate(scenario.lines, max(1, int(scenario.lines * MARKED_SHARE / 10)),
                                 seed * 10_007 + i).text)
        files.append(path)
    git = ("git", "-c", "user.name=bench", "-c", "user.email=bench@example.com", "-c", "commit.gpgsign=false")
    subprocess.run([*git, "init", "-q"], cwd=root, check=True)
    subprocess.run([*git, "add", "-A"], cwd=root, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "generated"], cwd=root, check=True)
    return root, files


def parse_floor(files: list[Path]) -> float:
    """Seconds tree-sitter takes to parse every file once, one after the other, in this process: the floor
    under provguard's figure (py-tree-sitter holds the GIL while it parses, so threads would not help)."""
    import tree_sitter as ts
    import tree_sitter_python

    parser = ts.Parser(ts.Language(tree_sitter_python.language()))
    sources = [path.read_bytes() for path in files]
    started = perf_counter()
    for source in sources:
        parser.parse(source)
    return perf_counter() - started


def report(scenario: Scenario, outcomes: list[Outcome], floor: float) -> list[str]:
    lines = [f"== {scenario.files} open {scenario.lines:,}-line files (opened at once); tree-sitter parse of "
             f"them all, in-process: {floor:.2f} s",
             f"{'':22}{'all diagnosed':>14}{'CPU':>9}{'first':>9}{'settled':>9}{'VmRSS':>9}{'VmHWM':>9}"
             f"{'diags':>8}"]
    for o in outcomes:
        lines.append(f"{o.server + ' ' + o.mode:22}{o.all_diagnosed:>12.2f} s{o.cpu:>7.2f} s{o.first_diagnosed:>7.2f} s"
                     f"{o.settled:>7.1f} s{o.rss_mb:>6.0f} MB{o.peak_mb:>6.0f} MB{o.diagnostics:>8}")
    for mode in ("push", "pull"):
        ours = next((o for o in outcomes if o.server == "provguard" and o.mode == mode), None)
        ruff = next((o for o in outcomes if o.server == "ruff" and o.mode == mode), None)
        if ours is None:
            continue
        if ruff is not None:
            bound = 2 * ruff.all_diagnosed + 1
            verdict = "PASS" if ours.all_diagnosed <= bound else "MISS"
            lines.append(f"{verdict}  {mode}: all diagnosed {ours.all_diagnosed:.2f} s <= 2 x ruff "
                         f"{ruff.all_diagnosed:.2f} s + 1 s = {bound:.2f} s")
        verdict = "PASS" if ours.rss_mb <= MEMORY_TARGET_MB else "MISS"
        lines.append(f"{verdict}  {mode}: VmRSS {ours.rss_mb:.0f} MB <= {MEMORY_TARGET_MB:g} MB")
    return lines


async def main_async(options: argparse.Namespace) -> int:
    scenarios = ([Scenario("restored", 10, 2_000), Scenario("many", 20, 1_000)] if options.quick else
                 [Scenario("restored", 50, 10_000), Scenario("many", 200, 5_000)])
    if options.only:
        scenarios = [s for s in scenarios if s.name in options.only.split(",")]
    servers = [("provguard", PROVGUARD)]
    if not options.no_ruff and Path(RUFF[0]).exists():
        servers.append(("ruff", RUFF))
    base = Path(tempfile.mkdtemp(prefix="provguard-many-"))
    data: dict[str, Any] = {}
    try:
        for scenario in scenarios:
            root, files = workspace(base, scenario, options.seed)
            outcomes = []
            for pull in (False, True):
                for name, command in servers:
                    ledger = root / ".provguard"
                    if ledger.exists():  # each run starts from the same empty ledger
                        shutil.rmtree(ledger)
                    outcomes.append(await run(name, command, root, files, pull, options.timeout))
            floor = parse_floor(files)
            print("\n".join(report(scenario, outcomes, floor)), flush=True)
            data[scenario.name] = {"parse_floor": floor, "runs": [o.__dict__ for o in outcomes]}
    finally:
        shutil.rmtree(base, ignore_errors=True)
    if options.json:
        Path(options.json).write_text(json.dumps(data, indent=2))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", help="restored,many")
    parser.add_argument("--no-ruff", action="store_true")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--json")
    return asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
