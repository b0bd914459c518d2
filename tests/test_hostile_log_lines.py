"""The language server's log never obeys what a workspace or a client names.

The server logs on stderr (which an editor shows in an output channel, or a terminal when run by hand) and sends
window/logMessage and window/showMessage. Their texts name files, packs and uris: a file name holding a line break
and `provguard ERROR ...` would write a log line that seems the server's own, an escape sequence would retitle or
repaint the terminal. Each is written escaped (`\\n`, `\\x1b`), still recognisable, and every line of the log is
the server's own.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any

from printed_support import OBEYED
from provguard.lsp.log_lines import PrintableFormatter
from raw_lsp_support import RawServer

FORGED = "provguard ERROR provguard.lsp.server: forged"
PACK = f"x\n{FORGED}\x1b]0;owned\x07\u202e.yaml"
"""A pack file's name: a line posing as the server's own, a terminal title change, a right-to-left override."""
PACK_SHOWN = f"x\\n{FORGED}\\x1b]0;owned\\x07\\u202e.yaml"
URI = f"file:///tmp/a\n{FORGED}\x1b[2J.py"
"""A uri a hostile client sends raw: a forged line and a clear-screen sequence."""
URI_SHOWN = f"file:///tmp/a\\n{FORGED}\\x1b[2J.py"


def hostile_project(root: Path, broken_pack: bool) -> Path:
    """A project whose configuration names a pack file called PACK (a broken one: its error names the file),
    or no pack yet."""
    (root / ".git").mkdir(parents=True)
    (root / PACK).write_text("pack: [broken\n")
    select(root, broken_pack)
    return root


def select(root: Path, broken_pack: bool) -> None:
    (root / "provguard.toml").write_text(f"packs = [{json.dumps(PACK)}]\n" if broken_pack else "")


def assert_own_lines(text: str) -> None:
    """Nothing a terminal obeys, and every line the server's own (a record, or an indented traceback line)."""
    raw = sorted({f"U+{ord(c):04X}" for c in text if c in OBEYED})
    assert not raw, f"the log holds {raw}: {text!r}"
    forged = [line for line in text.splitlines() if line.startswith(FORGED)]
    assert not forged, text


def told(server: RawServer, first: dict[str, Any]) -> list[str]:
    """The texts of `first` (a notification waited for) and of every showMessage and logMessage after it."""
    return [n["params"]["message"] for n in [first, *server.notifications]
            if n["method"] in ("window/showMessage", "window/logMessage")]


def test_a_pack_named_to_forge_log_lines_is_logged_escaped_when_it_fails_to_load(tmp_path: Path) -> None:
    root = hostile_project(tmp_path / "shop", broken_pack=False)
    with RawServer(root) as server:
        server.initialize()
        select(root, broken_pack=True)
        server.notify("workspace/didChangeWatchedFiles",
                      {"changes": [{"uri": (root / "provguard.toml").as_uri(), "type": 2}]})
        first = server.notification("window/showMessage")
        assert server.alive()
    texts = told(server, first)

    assert PACK_SHOWN in server.log()
    assert_own_lines(server.log())
    assert PACK_SHOWN in texts[0] and any(PACK_SHOWN in text for text in texts[1:])  # shown, and logged
    assert_own_lines("\n".join(texts))


def test_a_client_uri_with_control_characters_is_logged_escaped(tmp_path: Path) -> None:
    root = hostile_project(tmp_path / "shop", broken_pack=False)
    with RawServer(root) as server:
        server.initialize()
        server.notify("textDocument/didChange", {"textDocument": {"uri": URI, "version": 2},
                                                 "contentChanges": [{"text": "x = 1\n"}]})
        first = server.notification("window/logMessage")
        assert server.alive()

    assert URI_SHOWN in server.log()
    assert_own_lines(server.log())
    assert URI_SHOWN in first["params"]["message"]
    assert_own_lines("\n".join(told(server, first)))


def test_a_refused_notification_with_a_hostile_method_name_is_logged_escaped(tmp_path: Path) -> None:
    root = hostile_project(tmp_path / "shop", broken_pack=False)
    with RawServer(root) as server:
        server.initialize()
        server.send({"jsonrpc": "1.0", "method": URI})  # refused: not JSON-RPC 2.0
        first = server.notification("window/logMessage")
        assert server.alive()

    assert URI_SHOWN in server.log() and URI_SHOWN in first["params"]["message"]
    assert_own_lines(server.log())
    assert_own_lines("\n".join(told(server, first)))


def test_a_pack_named_to_forge_log_lines_is_logged_escaped_from_the_first_answer(tmp_path: Path) -> None:
    root = hostile_project(tmp_path / "shop", broken_pack=True)
    with RawServer(root) as server:
        server.initialize()
        server.notification("window/showMessage")

    assert PACK_SHOWN in server.log()
    assert_own_lines(server.log())


def test_a_traceback_quoting_a_hostile_name_keeps_its_lines_indented_under_the_record() -> None:
    formatter = PrintableFormatter(logging.Formatter("provguard %(levelname)s %(name)s: %(message)s"))
    try:
        raise OSError(f"cannot read {PACK}")
    except OSError:
        record = logging.LogRecord("provguard.lsp", logging.ERROR, __file__, 1, "reading %s failed", (PACK,),
                                   sys.exc_info())

    text = formatter.format(record)

    first, *trace = text.split("\n")
    assert first == f"provguard ERROR provguard.lsp: reading {PACK_SHOWN} failed"
    assert trace[0] == "    Traceback (most recent call last):"
    assert trace[-2:] == ["    OSError: cannot read x", f"    {PACK_SHOWN[3:]}"]  # its break kept, indented
    assert all(line.startswith("    ") for line in trace)
    assert_own_lines(text)
