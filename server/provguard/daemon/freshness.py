"""Whether the provguard code a daemon runs is still the code on disk.

A daemon's identity names the installation's folder and version (place.py), not its files: a developer's
editable install, or a reinstall of the same version, changes the code under a running daemon, which would go on
judging agents' writes and serving editors and `check` with the old code for up to its idle time. So before each
call the daemon looks at the files of the provguard modules it has loaded: one changed since the daemon started
means it refuses the call (the caller answers in-process, with the new code) and leaves, and the next call starts
a fresh daemon. About a hundred `stat` calls: well under a millisecond.
"""

from __future__ import annotations

import os
import sys
import time


class LoadedCode:
    """The daemon's start, and the question whether any provguard module it loaded has changed since."""

    def __init__(self) -> None:
        self.started_ns = time.time_ns()

    def changed(self) -> str | None:
        """The first loaded provguard file modified (or gone) since the daemon started; None when none is."""
        for name, module in list(sys.modules.items()):
            if name != "provguard" and not name.startswith("provguard."):
                continue
            path = getattr(module, "__file__", None)
            if not isinstance(path, str):
                continue
            try:
                status = os.stat(path)
            except OSError:
                return path
            if status.st_mtime_ns > self.started_ns or status.st_ctime_ns > self.started_ns:
                return path
        return None
