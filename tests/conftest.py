"""Settings every test starts from, whatever the developer's shell exports."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import pytest_lsp
from pytest_lsp import LanguageClient

from ledger_support import Store, make_store
from lsp_support import SERVER, record_registrations


@pytest.fixture(autouse=True)
def _no_team_ledger_from_the_shell(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's PROVGUARD_LEDGER_URL would send every test's ledger to their team's server."""
    monkeypatch.delenv("PROVGUARD_LEDGER_URL", raising=False)


os.environ["PROVGUARD_DAEMON"] = "0"  # for module-scoped servers too, which start before the fixture below runs


@pytest.fixture(autouse=True)
def _no_daemon_unless_a_test_starts_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """Guard and hook calls would otherwise start a provguard daemon in the user's runtime folder; the daemon
    tests (test_daemon*.py) start theirs in a folder of their own."""
    monkeypatch.setenv("PROVGUARD_DAEMON", "0")


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An empty ledger on each backend: the contract tests run once per backend."""
    with make_store(request.param, tmp_path) as made:
        yield made


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project in a git work tree, as agents' hooks and the guard find one: `shop/` with a `.git` folder (no git
    process, no commit) and a `tests/` folder, where the default pack's test-file rules look. A module that needs
    more in it asks for this fixture from its own `project`."""
    root = tmp_path / "shop"
    (root / ".git").mkdir(parents=True)
    (root / "tests").mkdir()
    return root


@pytest_lsp.fixture(config=SERVER)
async def client(lsp_client: LanguageClient) -> object:
    """The real server over stdio, as an editor starts it; `client.registrations` lists the capabilities it
    registered. A module that needs another command line or another shutdown defines its own `client`."""
    lsp_client.registrations = record_registrations(lsp_client)  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()
