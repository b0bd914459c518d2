"""The fixtures every daemon test module starts from (test_daemon*.py name this module in `pytest_plugins`):
a runtime folder of the test's own with its daemons stopped at the end. The project to call from is the shared
one (conftest.py `project`: a git project with a `tests/` folder)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from daemon_support import Daemons, daemons


@pytest.fixture
def run(tmp_path: Path) -> Iterator[Daemons]:
    yield from daemons(tmp_path / "cache")

