---@brief
---
--- https://github.com/provguard/provguard
---
--- `provguard` shows which code came from AI tools (agents, chat pastes, completions) and keeps it out of
--- training data and test tasks: findings are diagnostics, their fixes code actions. Install the server:
---
--- ```sh
--- pip install provguard
--- ```
---
--- Server settings (`reviewer`, `severity`, ...; see the README) go under `provguard`:
---
--- ```lua
--- vim.lsp.config('provguard', {
---   settings = { provguard = { reviewer = 'dana@example.com' } },
--- })
--- ```
---
--- The provguard plugin (editors/neovim in the repository) ships this same file and adds paste reporting
--- and commands with `require('provguard').setup()`.

--- Answers workspace/diagnostic/refresh, which Nvim handles itself only from 0.12: the server sends it when
--- provenance changed without a text change (a declaration), and the attached buffers pull again.
local function pull_again(_, _, ctx)
  local client = vim.lsp.get_client_by_id(ctx.client_id)
  if client then
    for bufnr in pairs(client.attached_buffers) do
      local params = { textDocument = vim.lsp.util.make_text_document_params(bufnr) }
      client:request('textDocument/diagnostic', params, vim.lsp.diagnostic.on_diagnostic, bufnr)
    end
  end
  return vim.NIL
end

---@type vim.lsp.Config
local config = {
  cmd = { 'provguard', 'serve' },
  filetypes = {
    'python',
    'javascript',
    'javascriptreact',
    'typescript',
    'typescriptreact',
    'go',
    'rust',
    'java',
    'c',
    'cpp',
    'ruby',
    'lua',
    'yaml',
  },
  -- in this order of preference: a provguard.toml beats the repository root, which beats a nested pyproject.toml
  root_markers = { 'provguard.toml', '.git', 'pyproject.toml' },
  settings = { provguard = {} },
  init_options = {},
}
if vim.fn.has('nvim-0.12') == 0 then
  config.capabilities = { workspace = { diagnostics = { refreshSupport = true } } }
  config.handlers = { ['workspace/diagnostic/refresh'] = pull_again }
end
return config
