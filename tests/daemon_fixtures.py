"""The fixtures every daemon test module starts from (test_daemon*.py name this module in `pytest_plugins`):
a runtime folder of the test's own with its daemons stopped at the end, and a project to call from."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from daemon_support import Daemons, daemons


@pytest.fixture
def run(tmp_path: Path) -> Iterator[Daemons]:
    yield from daemons(tmp_path / "cache")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A git project with a `tests/` folder (where the default pack's test-file rules look)."""
    root = tmp_path / "shop"
    (root / ".git").mkdir(parents=True)
    (root / "tests").mkdir()
    return root
