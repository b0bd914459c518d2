-- User commands: :ProvguardDeclare to state where the code under the cursor came from, :ProvguardFindings
-- to list provguard's findings. Declarations are the server's own code actions (provguard.declare), so the
-- choices, the reviewer's name and the date are exactly what every other editor offers.

local M = {}

local NAME = "provguard"
local DECLARE = "provguard.declare"

local function is_011()
  return vim.fn.has("nvim-0.11") == 1
end

local function request(client, method, params, handler, bufnr)
  if is_011() then
    return client:request(method, params, handler, bufnr)
  end
  return client.request(method, params, handler, bufnr)
end

local function warn(message)
  vim.notify("provguard: " .. message, vim.log.levels.WARN)
end

--- What a declaration choice on the command line means: `me`, `external`, or a tool id (`copilot`).
local function matches(choice, action)
  local origin = action.command.arguments[3] or {}
  if choice == "me" then
    return origin.kind == "human"
  elseif choice == "external" then
    return origin.kind == "external"
  end
  return origin.tool == choice
end

local function run_declaration(client, bufnr, action)
  local command = action.command
  local arguments = vim.deepcopy(command.arguments)
  local function execute()
    request(client, "workspace/executeCommand", { command = command.command, arguments = arguments },
      function(err, result)
        if err then
          warn("declaring failed: " .. (err.message or vim.inspect(err)))
        elseif result == true then
          vim.notify("provguard: " .. action.title:gsub("^Declare: ", "declared "), vim.log.levels.INFO)
        end
      end, bufnr)
  end
  if (arguments[3] or {}).kind == "external" then
    -- the server keeps a note with the declaration: where the code came from, or its licence
    vim.ui.input({ prompt = "Source (URL or licence): " }, function(note)
      if note == nil then
        return
      end
      arguments[4] = note
      execute()
    end)
  else
    execute()
  end
end

--- Asks the server for the declarations it offers at the cursor and applies the chosen one.
---@param choice string|nil me, external or a tool id; nil asks with vim.ui.select
function M.declare(choice)
  local bufnr = vim.api.nvim_get_current_buf()
  local client = vim.lsp.get_clients({ name = NAME, bufnr = bufnr })[1]
  if not client then
    warn("the server is not attached to this buffer")
    return
  end
  local row = vim.api.nvim_win_get_cursor(0)[1] - 1
  local lsp_diagnostics = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr, { lnum = row })) do
    local original = d.user_data and d.user_data.lsp
    if original and original.source == NAME then
      table.insert(lsp_diagnostics, original)
    end
  end
  if #lsp_diagnostics == 0 then
    warn("no provguard finding on this line")
    return
  end
  local params = vim.lsp.util.make_range_params(0, client.offset_encoding)
  params.context = { diagnostics = lsp_diagnostics, only = { "quickfix" } }
  request(client, "textDocument/codeAction", params, function(err, actions)
    if err then
      warn("code actions failed: " .. (err.message or vim.inspect(err)))
      return
    end
    local declarations = vim.tbl_filter(function(action)
      return type(action.command) == "table" and action.command.command == DECLARE
    end, actions or {})
    if #declarations == 0 then
      warn("nothing to declare here: the code under the cursor is not a tracked insertion")
      return
    end
    if choice then
      local chosen = vim.tbl_filter(function(action) return matches(choice, action) end, declarations)
      if #chosen == 0 then
        warn(("no declaration %q here; choose me, external or one of the offered tools"):format(choice))
        return
      end
      run_declaration(client, bufnr, chosen[1])
      return
    end
    vim.ui.select(declarations, {
      prompt = "Where did this code come from?",
      format_item = function(action) return action.title end,
    }, function(action)
      if action then
        run_declaration(client, bufnr, action)
      end
    end)
  end, bufnr)
end

--- provguard's diagnostics: of the current buffer in the location list, or of all buffers (bang) in the
--- quickfix list.
---@param all boolean
function M.findings(all)
  local items = {}
  local bufnr = (not all) and vim.api.nvim_get_current_buf() or nil
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    if d.source == NAME then
      local shown = vim.deepcopy(d)
      if d.code and d.code ~= "" then -- the rule id first, as `provguard check` prints it
        shown.message = ("%s %s"):format(d.code, d.message)
      end
      table.insert(items, shown)
    end
  end
  local list = vim.diagnostic.toqflist(items)
  local title = "provguard findings"
  if all then
    vim.fn.setqflist({}, " ", { title = title, items = list })
  else
    vim.fn.setloclist(0, {}, " ", { title = title, items = list })
  end
  if #list == 0 then
    vim.notify("provguard: no findings", vim.log.levels.INFO)
    return
  end
  vim.cmd(all and "copen" or "lopen")
end

local function declare_choices()
  local tools = require("provguard").config.settings.aiTools
    or require("provguard").config.settings.ai_tools
    or { "claude-code", "codex", "copilot", "cursor", "chatgpt", "claude.ai", "gemini" }
  return vim.list_extend({ "me", "external" }, vim.deepcopy(tools))
end

function M.setup()
  vim.api.nvim_create_user_command("ProvguardDeclare", function(args)
    M.declare(args.args ~= "" and args.args or nil)
  end, {
    nargs = "?",
    complete = function(lead)
      return vim.tbl_filter(function(c) return vim.startswith(c, lead) end, declare_choices())
    end,
    desc = "provguard: declare where the code under the cursor came from (me, external, a tool)",
  })
  vim.api.nvim_create_user_command("ProvguardFindings", function(args)
    M.findings(args.bang)
  end, { bang = true, desc = "provguard: findings of this buffer (! for all buffers) in a list" })
end

return M
