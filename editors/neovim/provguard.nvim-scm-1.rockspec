-- The Neovim plugin as a rock, for luarocks and rocks.nvim. The plugin lives in editors/neovim of the
-- provguard repository, so `source.dir` names that folder inside the clone: `luarocks install` of this
-- rockspec (or of its upload on luarocks.org) clones the repository and builds there. `luarocks make` in
-- this folder builds the checkout as it is.
--
-- The builtin build installs lua/ as modules and copies lsp/ and doc/ into the rock's folder
-- (lib/luarocks/rocks-5.1/provguard.nvim/scm-1), the folder rocks.nvim puts on the runtimepath.
rockspec_format = "3.0"
package = "provguard.nvim"
version = "scm-1"

source = {
  url = "git+https://github.com/provguard/provguard",
  dir = "provguard/editors/neovim",
}

description = {
  summary = "Neovim plugin for the provguard language server: which code came from AI tools",
  detailed = [[
Starts the provguard language server (pip install provguard) for the languages it parses, reports pastes to
it, and adds :ProvguardDeclare, :ProvguardFindings and :checkhealth provguard. lsp/provguard.lua makes
vim.lsp.enable("provguard") work without setup() on Neovim 0.11+.]],
  homepage = "https://github.com/provguard/provguard",
  license = "Apache-2.0",
  labels = { "neovim", "neovim-plugin", "lsp" },
}

dependencies = {
  "lua >= 5.1",
}

build = {
  type = "builtin",
  copy_directories = { "doc", "lsp" },
}
