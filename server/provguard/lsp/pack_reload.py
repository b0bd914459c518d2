"""Reloading rule packs after a pack or project configuration file or the settings changed, with work-done
progress when it takes long (issue 19: progress for every operation that can take over a second).

Loading a project's packs reads YAML and builds globs and tree-sitter scope queries: a tenth of a second to a
few seconds a project, more in a monorepo of many projects. The loading runs in a worker thread, one reload at
a time, so edits keep being answered meanwhile (under the policies in force until then); its progress begins
once it has run for progress.LATE seconds, as imports' and git reads' do, and names the project being loaded.
Documents move to the project each belongs to before (a configuration file may have come or gone), or the new
settings are put in force, and are analysed again after, on the event loop.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable

from provguard.editor_project import EditorProject, PolicyUpdate, merged
from provguard.lsp import progress
from provguard.lsp.server import ProvguardServer

TITLE = "provguard: reloading rule packs"

_locks: weakref.WeakKeyDictionary[ProvguardServer, asyncio.Lock] = weakref.WeakKeyDictionary()


def lock(ls: ProvguardServer) -> asyncio.Lock:
    """Held while packs load: whatever else reloads policies (a settings change) holds it too, so that a
    reload under the old settings cannot finish after one under the new."""
    return _locks.setdefault(ls, asyncio.Lock())


async def reload(ls: ProvguardServer,
                 change: Callable[[], Awaitable[list[EditorProject]]] | None = None) -> PolicyUpdate:
    """Every project's packs loaded again, or, with `change`, those of the projects it returns: it runs first,
    on the event loop with the lock held (pulls wait for it too), and puts new settings in force. On an error a
    project's last good policy stays in force (the update says which, to tell a person). The caller asks
    clients for diagnostics again."""
    async with lock(ls):
        projects = await change() if change is not None else ls.session.to_reload()
        if not projects:
            return merged([])
        async with progress.reported(ls, TITLE, late=progress.LATE) as work:

            def load() -> list[PolicyUpdate]:
                updates = []
                for done, project in enumerate(projects):
                    work.report_soon(f"{_name(project)} ({done + 1}/{len(projects)})",
                                     done * 100 // len(projects))
                    updates.append(project.reload_policy())
                return updates

            try:
                updates = await asyncio.get_running_loop().run_in_executor(None, load)
            finally:  # also when cancelled: the projects loaded so far are in force, and must be judged under
                ls.session.invalidate()
    return merged(updates)


def _name(project: EditorProject) -> str:
    return project.root.name or str(project.root)


def running(ls: ProvguardServer) -> bool:
    return lock(ls).locked()


async def settled(ls: ProvguardServer) -> None:
    """Returns once no reload runs: a document's pull right after a pack was saved answers under the new packs,
    not under the old ones and then again."""
    async with lock(ls):
        pass
