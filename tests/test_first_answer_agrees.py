"""The light start (first_answer.py) reads a client's capabilities from raw JSON, without lsprotocol, and must
decide as the real server does: whether the client is asked for each workspace folder's settings (until they
come, the folders' ledgers are provisional, and no `.provguard/` is made where those settings choose another
ledger) and whether it pulls diagnostics (then only `initialize` is answered early). Both are fed the same
initialize params: those real editors send (as pytest-lsp recorded them) and the odd shapes a misbehaving client
sends; the real server reads them through its own protocol checks, as it reads them off the wire."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import pytest_lsp.clients
from lsprotocol import types

from provguard.lsp.configuration import asks_folders, pulls
from provguard.lsp.first_answer import _asks_folders, _is_initialize, _pulls
from provguard.lsp.protocol import ProvguardProtocol
from provguard.lsp.server import build

RECORDED = sorted(Path(pytest_lsp.clients.__file__).parent.glob("*.json"))
"""Initialize params of VS Code, Neovim (several versions) and Emacs, as pytest-lsp ships them."""

ODD: dict[str, dict[str, Any]] = {
    "no workspace capabilities": {},
    "workspace null": {"workspace": None},
    "workspace not an object": {"workspace": []},
    "configuration left out": {"workspace": {"workspaceFolders": True}},
    "configuration false": {"workspace": {"configuration": False}},
    "configuration null": {"workspace": {"configuration": None}},
    "configuration an empty object": {"workspace": {"configuration": {}}},
    "text document null": {"textDocument": None},
    "diagnostic null": {"textDocument": {"diagnostic": None}},
    "diagnostic empty": {"textDocument": {"diagnostic": {}}},
    "diagnostic and configuration": {"textDocument": {"diagnostic": {"relatedDocumentSupport": True}},
                                     "workspace": {"configuration": True}},
}
TRUTHY = [pytest.param({"workspace": {"configuration": 1}}, id="configuration 1"),
          pytest.param({"workspace": {"configuration": "false"}}, id="configuration a string")]
"""lsprotocol takes any JSON value for a boolean by its truth, and so does the light start."""


def initialize(params: dict[str, Any]) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"processId": None, "rootUri": None, **params}}


def real_server_reads(message: dict[str, Any]) -> types.ClientCapabilities:
    """The capabilities as the real server's initialize gets them (a refused message fails the test)."""
    protocol = build().protocol
    assert isinstance(protocol, ProvguardProtocol)
    typed = protocol._checked(json.loads(json.dumps(message)))
    assert isinstance(typed.params, types.InitializeParams)
    return typed.params.capabilities


def assert_agree(params: dict[str, Any]) -> None:
    message = initialize(params)
    assert _is_initialize(message)  # the light start takes this message
    real = real_server_reads(message)
    assert (_asks_folders(message["params"]), _pulls(message["params"])) == (asks_folders(real), pulls(real))


@pytest.mark.parametrize("recorded", RECORDED, ids=[path.stem for path in RECORDED])
def test_real_editors_initialize_params_are_read_alike(recorded: Path) -> None:
    assert_agree(json.loads(recorded.read_text()))


@pytest.mark.parametrize("capabilities", [*ODD.values(), *TRUTHY], ids=[*ODD, *(p.id for p in TRUTHY)])
def test_odd_capabilities_are_read_alike(capabilities: dict[str, Any]) -> None:
    assert_agree({"capabilities": capabilities})


def test_the_shapes_cover_both_answers_of_both_questions() -> None:
    """A check that the cases above are worth their names: each question is answered yes and no among them."""
    answers = set()
    for params in [*(json.loads(p.read_text()) for p in RECORDED), *({"capabilities": c} for c in ODD.values())]:
        real = real_server_reads(initialize(params))
        answers.add(("asks", asks_folders(real)))
        answers.add(("pulls", pulls(real)))
    assert answers == {("asks", True), ("asks", False), ("pulls", True), ("pulls", False)}
