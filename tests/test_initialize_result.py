"""provguard's own `initialize` answer (lsp/initialize_result.py) is the JSON the real server sends, for clients
of every shape that changes it: a start that answers before pygls is imported must look the same to a client."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from provguard.lsp.initialize_result import initialize_result
from raw_lsp_support import RawServer

PULLING = {
    "workspace": {"workspaceFolders": True, "configuration": True, "diagnostics": {"refreshSupport": True},
                  "didChangeWatchedFiles": {"dynamicRegistration": True},
                  "fileOperations": {"didCreate": True, "willCreate": True, "didRename": True, "willRename": True,
                                     "didDelete": True, "willDelete": True}},
    "textDocument": {"diagnostic": {"relatedDocumentSupport": False}},
}
"""A client that pulls diagnostics and offers every file operation (provguard handles none of them)."""

CLIENTS: dict[str, dict[str, Any]] = {
    "no capabilities": {},
    "UTF-32 preferred": {"general": {"positionEncodings": ["utf-32", "utf-8"]}},
    "UTF-8 only": {"general": {"positionEncodings": ["utf-8"]}},
    "unknown encodings first": {"general": {"positionEncodings": ["latin-1", "utf-8", "utf-16"]}},
    "only unknown encodings": {"general": {"positionEncodings": ["latin-1"]}},
    "empty encoding list": {"general": {"positionEncodings": []}},
    "willSave offered": {"textDocument": {"synchronization": {"willSave": True, "willSaveWaitUntil": False}}},
    "pulling, file operations": PULLING,
}


@pytest.mark.parametrize("capabilities", CLIENTS.values(), ids=CLIENTS.keys())
def test_the_answer_to_initialize_is_the_one_the_server_sends(tmp_path: Path, capabilities: dict[str, Any]) -> None:
    params = {"processId": None, "rootUri": tmp_path.as_uri(), "capabilities": capabilities,
              "workspaceFolders": [{"uri": tmp_path.as_uri(), "name": tmp_path.name}]}
    with RawServer(tmp_path) as server:
        answer = server.call("initialize", params)
    assert answer.get("result") == initialize_result(params)


def test_capabilities_of_the_wrong_shape_count_as_absent() -> None:
    """The protocol refuses such params before any answer; this module must not fail on them either."""
    plain = initialize_result({"capabilities": {}})
    for odd in (None, [], "x", {"general": []}, {"general": {"positionEncodings": "utf-8"}},
                {"textDocument": {"synchronization": 3}}):
        assert initialize_result({"capabilities": odd}) == plain
    assert initialize_result(None) == plain
