-- provguard for Neovim: starts the provguard language server for the buffers it understands, passes the
-- settings, tells the server which insertions were pastes, and adds commands to declare and list findings.
--
--   require("provguard").setup({ settings = { reviewer = "dana@example.com" } })
--
-- Neovim 0.11+ registers the server with vim.lsp.config/vim.lsp.enable; 0.10 starts it with vim.lsp.start
-- from a FileType autocommand. See :help provguard.

local M = {}

M.NAME = "provguard"

--- Languages the server reads with a grammar. Other files work too (markers in line comments are read
--- line by line): add their filetypes to `filetypes`.
M.DEFAULT_FILETYPES = {
  "python", "javascript", "javascriptreact", "typescript", "typescriptreact", "go", "rust", "java",
  "c", "cpp", "ruby", "lua", "yaml",
}

---@class provguard.Config
---@field cmd string[] the server command
---@field filetypes string[] filetypes to attach to
---@field root_markers string[] files that mark a project root, searched in this order of preference
---@field settings table server settings (see :help provguard-settings), camelCase or snake_case keys
---@field paste boolean tell the server which insertions were pastes (wraps vim.paste)
---@field clipboard_puts boolean also tell it about p/P/gp/gP from the clipboard registers (+ and *)
---@field commands boolean define :ProvguardDeclare and :ProvguardFindings
M.defaults = {
  cmd = { "provguard", "serve" },
  filetypes = M.DEFAULT_FILETYPES,
  root_markers = { "provguard.toml", ".git", "pyproject.toml" },
  settings = {},
  paste = true,
  clipboard_puts = true,
  commands = true,
}

---@type provguard.Config
M.config = vim.deepcopy(M.defaults)

--- Whether setup() ran (for :checkhealth).
M.did_setup = false

--- The project root for a buffer: the nearest folder holding the first marker found, in the order of
--- `root_markers` (a provguard.toml beats the repository root, which beats a nested pyproject.toml), else
--- the file's own folder.
---@param bufnr integer
---@return string|nil
function M.root(bufnr)
  local name = vim.api.nvim_buf_get_name(bufnr)
  if name == "" or vim.bo[bufnr].buftype ~= "" then
    return nil
  end
  for _, marker in ipairs(M.config.root_markers) do
    local found = vim.fs.root(bufnr, marker)
    if found then
      return found
    end
  end
  return vim.fs.dirname(vim.fs.normalize(name))
end

--- Answers workspace/diagnostic/refresh, which Neovim handles itself only from 0.12 on: the server sends it
--- when provenance changed without a text change (a declaration, a paste hint), and the buffers pull again.
local function pull_again(_, _, ctx)
  local client = vim.lsp.get_client_by_id(ctx.client_id)
  if client then
    for bufnr in pairs(client.attached_buffers) do
      local params = { textDocument = vim.lsp.util.make_text_document_params(bufnr) }
      if vim.fn.has("nvim-0.11") == 1 then
        client:request("textDocument/diagnostic", params, vim.lsp.diagnostic.on_diagnostic, bufnr)
      else
        client.request("textDocument/diagnostic", params, vim.lsp.diagnostic.on_diagnostic, bufnr)
      end
    end
  end
  return vim.NIL
end

--- The client configuration shared by both start paths and by lsp/provguard.lua (vim.lsp.enable without setup).
---@return table
function M.client_config()
  local settings = M.config.settings
  local config = {
    name = M.NAME,
    cmd = M.config.cmd,
    filetypes = M.config.filetypes,
    -- the server reads initializationOptions at start, and `provguard` from workspace/configuration later
    init_options = settings,
    settings = { provguard = settings },
  }
  if vim.fn.has("nvim-0.12") == 0 then
    config.capabilities = { workspace = { diagnostics = { refreshSupport = true } } }
    config.handlers = { ["workspace/diagnostic/refresh"] = pull_again }
  end
  return config
end

local function start_on_010(bufnr)
  if not vim.tbl_contains(M.config.filetypes, vim.bo[bufnr].filetype) then
    return
  end
  local root = M.root(bufnr)
  if not root then
    return
  end
  local config = M.client_config()
  config.root_dir = root
  config.workspace_folders = { { uri = vim.uri_from_fname(root), name = vim.fs.basename(root) } }
  vim.lsp.start(config, { bufnr = bufnr })
end

--- Attached provguard clients of a buffer (all of them when bufnr is nil).
---@param bufnr integer|nil
---@return vim.lsp.Client[]
function M.clients(bufnr)
  return vim.lsp.get_clients({ name = M.NAME, bufnr = bufnr })
end

--- Replaces the given settings (each key whole) and sends them to running servers
--- (workspace/didChangeConfiguration).
---@param settings table
function M.update_settings(settings)
  M.config.settings = vim.tbl_extend("force", M.config.settings, settings)
  for _, client in ipairs(M.clients()) do
    client.settings = { provguard = M.config.settings }
    if vim.fn.has("nvim-0.11") == 1 then
      client:notify("workspace/didChangeConfiguration", { settings = client.settings })
    else
      client.notify("workspace/didChangeConfiguration", { settings = client.settings })
    end
  end
end

---@param opts provguard.Config|nil
function M.setup(opts)
  if vim.fn.has("nvim-0.10") == 0 then
    vim.notify("provguard needs Neovim 0.10 or later", vim.log.levels.ERROR)
    return
  end
  -- each option given replaces its default whole
  M.config = vim.tbl_extend("force", vim.deepcopy(M.defaults), opts or {})

  if vim.fn.has("nvim-0.11") == 1 then
    local config = M.client_config()
    config.root_dir = function(bufnr, on_dir)
      local root = M.root(bufnr)
      if root then
        on_dir(root)
      end
    end
    vim.lsp.config(M.NAME, config)
    vim.lsp.enable(M.NAME)
  else
    local group = vim.api.nvim_create_augroup("provguard.start", { clear = true })
    vim.api.nvim_create_autocmd("FileType", {
      group = group,
      callback = function(args)
        start_on_010(args.buf)
      end,
    })
    for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
      if vim.api.nvim_buf_is_loaded(bufnr) then
        start_on_010(bufnr)
      end
    end
  end

  M.did_setup = true
  require("provguard.paste").setup(M.config)
  if M.config.commands then
    require("provguard.commands").setup()
  end
end

return M
