-- :checkhealth provguard. The server's own facts (version, grammars, ledger, packs) come from
-- `provguard health --json`, run for each project a provguard server runs in (else the current folder), so
-- the check sees exactly the packs and ledger the server would use.

local M = {}

local function provguard()
  return require("provguard")
end

--- The health command beside the configured server command: `... serve` becomes `... health --json`.
---@return string[]|nil
local function health_command()
  local cmd = vim.deepcopy(provguard().config.cmd)
  if cmd[#cmd] ~= "serve" then
    return nil
  end
  cmd[#cmd] = "health"
  table.insert(cmd, "--json")
  return cmd
end

local function check_neovim()
  if vim.fn.has("nvim-0.11") == 1 then
    vim.health.ok("Neovim " .. tostring(vim.version()) .. ": the server is registered with vim.lsp.config")
  elseif vim.fn.has("nvim-0.10") == 1 then
    vim.health.ok("Neovim " .. tostring(vim.version()) .. ": the server is started with vim.lsp.start")
  else
    vim.health.error("Neovim " .. tostring(vim.version()) .. " is too old", { "provguard needs Neovim 0.10+" })
  end
end

local function check_server_command()
  local cmd = provguard().config.cmd
  local path = vim.fn.exepath(cmd[1])
  if path == "" then
    vim.health.error(("server command not found: %s"):format(cmd[1]), {
      "pip install provguard (in a virtual environment whose bin folder is on PATH)",
      "or set `cmd` in require('provguard').setup({ cmd = { '/path/to/provguard', 'serve' } })",
    })
    return false
  end
  vim.health.ok(("server command: %s (%s)"):format(table.concat(cmd, " "), path))
  return true
end

local function report(root, result)
  vim.health.ok(("provguard %s (Python %s)"):format(result.version, result.python))
  local loaded, failed = {}, {}
  for _, grammar in ipairs(result.grammars) do
    if grammar.loaded then
      table.insert(loaded, grammar.language)
    else
      table.insert(failed, grammar)
    end
  end
  if #failed == 0 then
    vim.health.ok(("grammars: all %d loaded (%s)"):format(#loaded, table.concat(loaded, ", ")))
  end
  for _, grammar in ipairs(failed) do
    vim.health.error(("grammar %s failed to load: %s"):format(grammar.language, grammar.error),
      { "reinstall provguard so its tree-sitter grammar wheels match tree-sitter" })
  end
  local ledger = result.ledger
  if ledger.problem ~= vim.NIL and ledger.problem ~= nil then
    vim.health.warn(("ledger %s: %s"):format(ledger.path, ledger.problem),
      { "provenance is kept in memory and lost when the server stops; fix the file or set `ledger`" })
  elseif ledger.exists then
    vim.health.ok(("ledger writable: %s"):format(ledger.path))
  else
    vim.health.ok(("ledger writable: %s (created on first use)"):format(ledger.path))
  end
  for _, pack in ipairs(result.packs) do
    vim.health.ok(("pack %s %s (%s)"):format(pack.id, pack.version, pack.source))
  end
  for _, err in ipairs(result.pack_errors) do
    vim.health.error(("pack error: %s:%d:%d: %s"):format(err.file, err.line, err.column, err.message))
  end
  if #result.packs == 0 and #result.pack_errors == 0 then
    vim.health.warn("no rule pack is active in " .. root)
  end
end

local function check_project(root)
  vim.health.start("provguard: project " .. root)
  local cmd = health_command()
  if not cmd then
    vim.health.warn("cannot derive the health command from `cmd` (it does not end in `serve`)")
    return
  end
  local settings = provguard().config.settings
  for _, pack in ipairs(settings.packs or {}) do
    vim.list_extend(cmd, { "--pack", pack })
  end
  if settings.ledger then
    vim.list_extend(cmd, { "--ledger", settings.ledger })
  end
  vim.list_extend(cmd, { "--root", root })
  local ok, done = pcall(function()
    return vim.system(cmd, { cwd = root, text = true }):wait(30000)
  end)
  if not ok then
    vim.health.error("could not run " .. table.concat(cmd, " ") .. ": " .. tostring(done))
    return
  end
  local decoded, result = pcall(vim.json.decode, done.stdout or "")
  if not decoded or type(result) ~= "table" then
    vim.health.error(("`%s` did not answer with JSON (exit %s)"):format(table.concat(cmd, " "), done.code),
      { "provguard 0.1+ has the health command; stderr: " .. vim.trim(done.stderr or "") })
    return
  end
  report(root, result)
end

local function check_clients()
  local clients = provguard().clients()
  if #clients == 0 then
    vim.health.info("no provguard server is running: open a file of one of the `filetypes`")
  end
  for _, client in ipairs(clients) do
    local buffers = vim.tbl_count(client.attached_buffers)
    vim.health.ok(("server %d running in %s: %d buffer(s), %s positions"):format(
      client.id, client.root_dir or "(no root)", buffers, client.offset_encoding))
  end
  if provguard().config.paste then
    if require("provguard.paste").installed() then
      vim.health.ok("paste hints: vim.paste is wrapped")
    else
      vim.health.warn("paste hints are not sent: another plugin replaced vim.paste after provguard's setup()")
    end
  else
    vim.health.info("paste hints are off (paste = false)")
  end
end

function M.check()
  vim.health.start("provguard")
  check_neovim()
  if not provguard().did_setup then
    vim.health.warn("require('provguard').setup() has not been called")
  end
  local found = check_server_command()
  check_clients()
  if not found then
    return
  end
  local roots = {}
  for _, client in ipairs(provguard().clients()) do
    if client.root_dir and not vim.tbl_contains(roots, client.root_dir) then
      table.insert(roots, client.root_dir)
    end
  end
  if #roots == 0 then
    roots = { vim.fn.getcwd() }
  end
  for _, root in ipairs(roots) do
    check_project(root)
  end
end

return M
