-- Neovim 0.11+: `vim.lsp.enable("provguard")` with no setup() call starts the server with this configuration
-- (Neovim reads lsp/<name>.lua from the runtimepath and merges any vim.lsp.config("provguard", {...}) of yours
-- over it). setup() uses the same configuration and adds paste reporting and the :Provguard commands.
local provguard = require("provguard")

local config = provguard.client_config()
config.root_markers = provguard.defaults.root_markers
return config
