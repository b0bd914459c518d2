"""Importing agent transcripts (and Agent Trace records) while the editor runs: once at start, then every few
seconds (settings `importAgents`, `importIntervalSeconds`).

Reading transcripts is file I/O and JSON parsing, so it runs on a worker thread, never on the event loop
that answers keystrokes; the ledger is safe to share with it. When new edits land, diagnostics are
refreshed (open documents looked up in the ledger again, in the backlog) so findings that depend on them appear
without an edit.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from dataclasses import dataclass
from pathlib import Path

from provguard.ledger.store import Ledger, LedgerError
from provguard.lsp import diagnostics, progress
from provguard.lsp.backlog import Job
from provguard.lsp.server import ProvguardServer

AGENT_TRACE = "agent-trace"
"""The project's own Agent Trace file (.agent-trace/traces.jsonl), appended to by tools such as Cursor."""


def known_agents() -> tuple[str, ...]:
    """The agents `importAgents` may name. The transcript readers are imported only when a setting names an
    agent (none does by default): they are ~25 ms of a cold start."""
    from provguard.provenance.transcripts.importer import AGENTS as TRANSCRIPT_AGENTS

    return (*TRANSCRIPT_AGENTS, AGENT_TRACE)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Plan:
    agents: tuple[str, ...]
    interval: float
    root: Path
    ledger: Ledger
    """Opened with the `store_text` setting: the ledger decides whether edits keep their text."""


_running: weakref.WeakKeyDictionary[ProvguardServer, tuple[Plan, asyncio.Task[None]]] = weakref.WeakKeyDictionary()


def configure(ls: ProvguardServer) -> None:
    """(Re)starts the schedule after settings or the ledger changed; a schedule already matching them runs on.
    Agent sessions are imported into the outermost workspace folder's project."""
    project = ls.session.primary
    settings = project.settings
    known = known_agents() if settings.import_agents else ()
    unknown = [a for a in settings.import_agents if a not in known]
    if unknown:
        ls.notify_user(f"importAgents: unknown agent {unknown[0]!r} ignored; known: {', '.join(known)}")
    agents = tuple(a for a in settings.import_agents if a in known)
    plan = Plan(agents, settings.import_interval_seconds, project.root, project.ledger)
    current = _running.get(ls)
    if current is not None:
        if current[0] == plan and not current[1].done():
            return
        current[1].cancel()
        del _running[ls]
    if not agents:
        return
    if not plan.ledger.persistent:
        log.info("agent transcripts are not imported: the ledger is in memory")
        return
    _running[ls] = (plan, asyncio.get_running_loop().create_task(_run(ls, plan)))


def stop(ls: ProvguardServer) -> None:
    current = _running.pop(ls, None)
    if current is not None:
        current[1].cancel()


async def _run(ls: ProvguardServer, plan: Plan) -> None:
    while True:
        async with progress.reported(ls, "provguard: importing agent sessions"):  # shown past progress.LATE
            new = await asyncio.to_thread(import_once, plan)
        if new:  # new edits may account for lines of open documents: each is looked up again, in the
            for uri in list(ls.session.documents):  # backlog, and gets new diagnostics when its regions changed
                ls.backlog.add(ls, uri, Job.LOOKUP)
            diagnostics.refresh_all(ls)
        if plan.interval <= 0:
            return
        await asyncio.sleep(plan.interval)


def import_once(plan: Plan) -> int:
    """New edits recorded from every agent; problems go to the log, where a person looking for them is."""
    new = 0
    for agent in plan.agents:
        if agent == AGENT_TRACE:
            new += _import_traces(plan)
            continue
        try:
            from provguard.provenance.transcripts.importer import import_agent

            report = import_agent(plan.ledger, agent, plan.root)
        except LedgerError as exc:  # the ledger was closed or replaced meanwhile: the next round uses the new one
            log.warning("%s transcripts not imported: %s", agent, exc)
            continue
        for problem in report.problems[:20]:
            log.info("%s transcript line skipped: %s", agent, problem)
        if report.edits_new:
            log.info("%s: %d new agent edits from %d transcript files", agent, report.edits_new, report.files_read)
        new += report.edits_new
    return new


def _import_traces(plan: Plan) -> int:
    from provguard.exchange.agent_trace_import import default_sources, import_traces

    sources = [s for s in default_sources(plan.root) if s.is_file()]
    if not sources:
        return 0
    try:
        report = import_traces(plan.ledger, plan.root, sources)
    except LedgerError as exc:
        log.warning("Agent Trace records not imported: %s", exc)
        return 0
    for problem in report.problems[:20]:
        log.info("Agent Trace record skipped: %s", problem)
    if report.edits_new:
        log.info("agent-trace: %d new edits from %d trace files", report.edits_new, report.files_read)
    return report.edits_new
