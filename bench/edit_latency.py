"""Edit -> diagnostics latency of provguard beside ruff server, on the same file and edits, in one run.

    python bench/edit_latency.py            # 10,000 lines, 200 marked regions, 200 measured edits
    python bench/edit_latency.py --quick    # 1,000 lines, 20 regions, 30 edits

Push (didChange -> publishDiagnostics of that version) and pull (didChange, then textDocument/diagnostic),
with tree-sitter's incremental reparse of the same edits in this process as the floor. Targets (PASS/MISS,
never a failing exit status): provguard p50 <= ruff server's p50 and p99 <= 2 x reparse p99 + 5 ms, per mode.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import sys
import tempfile
from pathlib import Path
from time import perf_counter
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

import local
from lsp_client import REVIEWER, SERVER_COMMAND
from lsp_wire import Connection, cpu_seconds
from run import RELATIVE_PATH, Summary
from workload import Edit, generate, make_edits

RUFF = (str(Path(sys.executable).with_name("ruff")), "server")
P99_SLACK_MS = 5.0


async def latencies(command: tuple[str, ...], root: Path, path: Path, text: str, edits: list[Edit],
                    warmup: int, pull: bool, timeout: float,
                    env: dict[str, str] | None = None) -> tuple[list[float], float]:
    """Seconds from each didChange to the diagnostics of that version (pushed, or the pull's answer), and the
    server's CPU seconds per measured edit (less bent by other load on the machine than wall time)."""
    server = await Connection.spawn(command, root, env)
    cpu_before = 0.0
    uri = path.as_uri()
    text_caps: dict[str, Any] = {"synchronization": {"didSave": True},
                                 "publishDiagnostics": {"versionSupport": True}}
    if pull:
        text_caps["diagnostic"] = {"dynamicRegistration": False, "relatedDocumentSupport": True}
    times: list[float] = []
    try:
        await asyncio.wait_for(server.request("initialize", {
            "processId": os.getpid(), "rootUri": root.as_uri(),
            "workspaceFolders": [{"uri": root.as_uri(), "name": root.name}],
            "capabilities": {"textDocument": text_caps, "general": {"positionEncodings": ["utf-16"]},
                             "workspace": {"diagnostics": {"refreshSupport": False}}},
            "initializationOptions": {"reviewer": REVIEWER}}), timeout)
        server.send({"method": "initialized", "params": {}})
        pushed = server.expect_push(version=1)
        server.send({"method": "textDocument/didOpen", "params": {"textDocument": {
            "uri": uri, "languageId": "python", "version": 1, "text": text}}})
        if pull:
            await asyncio.wait_for(server.request("textDocument/diagnostic", {"textDocument": {"uri": uri}}), timeout)
        else:
            await asyncio.wait_for(pushed, timeout)
        for i, edit in enumerate(edits):
            version = i + 2
            pushed = server.expect_push(version=version)
            sent_at = perf_counter()
            (l0, c0), (l1, c1) = edit.start, edit.end
            server.send({"method": "textDocument/didChange", "params": {
                "textDocument": {"uri": uri, "version": version},
                "contentChanges": [{"range": {"start": {"line": l0, "character": c0},
                                              "end": {"line": l1, "character": c1}}, "text": edit.text}]}})
            if pull:
                await asyncio.wait_for(server.request("textDocument/diagnostic", {"textDocument": {"uri": uri}}),
                                       timeout)
                arrived = perf_counter()
            else:
                arrived = (await asyncio.wait_for(pushed, timeout)).at
            if i >= warmup:
                times.append(arrived - sent_at)
            elif i == warmup - 1:
                cpu_before = cpu_seconds(server.pid)
        cpu = (cpu_seconds(server.pid) - cpu_before) / max(len(times), 1)
    finally:
        await server.close()
    return times, cpu


async def _measure(root: Path, path: Path, text: str, edits: list[Edit], warmup: int, timeout: float,
                   ruff: bool, baseline: str | None) -> tuple[dict[str, Summary], dict[str, float]]:
    """Each server in turn per mode; `baseline`: a provguard source folder run as "provguard-baseline"."""
    got: dict[str, Summary] = {}
    cpu: dict[str, float] = {}
    in_process = {"PROVGUARD_DAEMON": "0"}  # the server's own process does the work: its CPU time is measured
    servers: list[tuple[str, tuple[str, ...], dict[str, str] | None]] = [
        ("provguard", SERVER_COMMAND, in_process)]
    if baseline:
        servers.append(("provguard-baseline", SERVER_COMMAND, {**in_process, "PYTHONPATH": baseline}))
    if ruff:
        servers.append(("ruff", RUFF, None))
    for mode in ("push", "pull"):
        for name, command, env in servers:
            run, cpu[f"{name}.{mode}"] = await latencies(command, root, path, text, edits, warmup, mode == "pull",
                                                          timeout, env)
            summary = got[f"{name}.{mode}"] = Summary.of_seconds(run)
            print(f"  {name} {mode}: p50 {summary.p50:.2f} ms, p99 {summary.p99:.2f} ms, server CPU "
                  f"{cpu[f'{name}.{mode}'] * 1000:.2f} ms per edit", flush=True)
    return got, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--edits", type=int)
    parser.add_argument("--no-ruff", action="store_true")
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--baseline", help="a provguard source folder (e.g. `git archive` of a commit's server/) "
                                           "measured beside the installed one, as provguard-baseline")
    args = parser.parse_args()
    lines, regions = (1000, 20) if args.quick else (10_000, 200)
    measured, warmup = args.edits or (30 if args.quick else 200), 3 if args.quick else 10
    source = generate(lines, regions, args.seed)
    edits, _ = make_edits(source, warmup + measured, args.seed, 0.4)
    root = Path(tempfile.mkdtemp(prefix="provguard-edits-"))
    path = root / RELATIVE_PATH
    path.parent.mkdir(parents=True)
    path.write_text(source.text)
    print(f"{lines} lines, {regions} marked regions, {measured} measured edits (after {warmup}); "
          f"load {os.getloadavg()[0]:.2f}", flush=True)
    got = {"reparse": Summary.of_seconds(local.reparse_times(source.text, edits, warmup))}
    gc.collect()
    gc.freeze()  # the client's collections stay out of the figures
    ruff = not args.no_ruff and Path(RUFF[0]).exists()
    measured_got, cpu = asyncio.run(_measure(root, path, source.text, edits, warmup, args.timeout, ruff,
                                             args.baseline))
    got.update(measured_got)
    print(f"\nload {os.getloadavg()[0]:.2f}\n| ms | p50 | p90 | p99 | max | server CPU per edit |\n"
          "| --- | --- | --- | --- | --- | --- |")
    for name, s in got.items():
        spent = f"{cpu[name] * 1000:.2f}" if name in cpu else ""
        print(f"| {name} | {s.p50:.2f} | {s.p90:.2f} | {s.p99:.2f} | {s.max:.2f} | {spent} |")
    floor = got["reparse"].p99
    for mode in ("push", "pull"):
        ours = got[f"provguard.{mode}"]
        if ruff:
            theirs = got[f"ruff.{mode}"].p50
            print(f"{'PASS' if ours.p50 <= theirs else 'MISS'}  {mode}: p50 {ours.p50:.2f} ms <= ruff p50 "
                  f"{theirs:.2f} ms")
        limit = 2 * floor + P99_SLACK_MS
        print(f"{'PASS' if ours.p99 <= limit else 'MISS'}  {mode}: p99 {ours.p99:.2f} ms <= 2 x reparse p99 "
              f"{floor:.2f} + {P99_SLACK_MS:g} = {limit:.2f} ms")


if __name__ == "__main__":
    main()
