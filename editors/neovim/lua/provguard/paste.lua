-- Paste hints: the server sees every edit, but only the editor knows that an insertion was a paste. After a
-- paste (vim.paste, which UIs and terminals call for bracketed pastes) or a put from a clipboard register,
-- this sends `provguard/didInsert` with the document version and the range the pasted text occupies.
--
-- The hint names the version of the didChange that carries the insertion, so pending changes are flushed
-- first. The range leaves out line breaks at either end of the pasted text: Neovim may report a pasted line
-- as "text + newline" at the line start or as "newline + text" at the end of the previous line, and the
-- server joins a hint to an insertion only when the insertion covers the hint's range.

local M = {}

local NAME = "provguard"
local DID_INSERT = "provguard/didInsert"
local PUT_KEYS = { n = { "p", "P", "gp", "gP" }, x = { "p", "P" } }

local original_paste = nil ---@type fun(lines: string[], phase: integer): boolean
local config = {}

local function is_011()
  return vim.fn.has("nvim-0.11") == 1
end

---@param bufnr integer
---@return vim.lsp.Client[]
local function clients(bufnr)
  return vim.lsp.get_clients({ name = NAME, bufnr = bufnr })
end

--- Sends the buffer's pending didChange now, so the hint's version is the one that carries the insertion.
local function flush(client, bufnr)
  local ok, changetracking = pcall(require, "vim.lsp._changetracking")
  if ok and changetracking.flush then
    changetracking.flush(client, bufnr)
  end
end

local function notify(client, method, params)
  if is_011() then
    return client:notify(method, params)
  end
  return client.notify(method, params)
end

--- Moves a (row, byte col) .. (row, byte col) range, 0-based and end-exclusive, inwards past line breaks.
local function trim(bufnr, sr, sc, er, ec)
  local function line_len(row)
    local line = vim.api.nvim_buf_get_lines(bufnr, row, row + 1, false)[1]
    return line and #line or 0
  end
  while sr < er and sc >= line_len(sr) do
    sr, sc = sr + 1, 0
  end
  while er > sr and ec == 0 do
    er = er - 1
    ec = line_len(er)
  end
  if sr > er or (sr == er and sc >= ec) then
    return nil
  end
  return sr, sc, er, ec
end

--- Sends the hint for text now at (sr, sc) .. (er, ec) (0-based rows, byte columns, end-exclusive).
---@param bufnr integer
---@param kind string paste, inline-completion, agent-edit or chat-apply
---@param fields table|nil tool, vendor, model
function M.hint(bufnr, sr, sc, er, ec, kind, fields)
  local r1, c1, r2, c2 = trim(bufnr, sr, sc, er, ec)
  if not r1 then
    return
  end
  for _, client in ipairs(clients(bufnr)) do
    flush(client, bufnr)
    local encoding = client.offset_encoding or "utf-16"
    local character = vim.lsp.util.character_offset -- byte column -> the negotiated encoding's units
    local params = vim.tbl_extend("force", fields or {}, {
      textDocument = { uri = vim.uri_from_bufnr(bufnr), version = vim.lsp.util.buf_versions[bufnr] },
      range = {
        start = { line = r1, character = character(bufnr, r1, c1, encoding) },
        ["end"] = { line = r2, character = character(bufnr, r2, c2, encoding) },
      },
      kind = kind,
    })
    notify(client, DID_INSERT, params)
  end
end

--- The end of `lines` inserted at (row, col): 0-based, end-exclusive.
local function end_of(row, col, lines)
  if #lines == 1 then
    return row, col + #lines[1]
  end
  return row + #lines - 1, #lines[#lines]
end

--- The text between two positions equals the pasted lines: the put went where the marks say.
local function holds(bufnr, sr, sc, er, ec, lines)
  local ok, text = pcall(vim.api.nvim_buf_get_text, bufnr, sr, sc, er, ec, {})
  return ok and table.concat(text, "\n") == table.concat(lines, "\n")
end

local function wrapped_paste(lines, phase)
  local bufnr = vim.api.nvim_get_current_buf()
  local tracked = #clients(bufnr) > 0 and vim.fn.getcmdtype() == ""
  local tick = vim.api.nvim_buf_get_changedtick(bufnr)
  local result = original_paste(lines, phase)
  if tracked and result ~= false and vim.api.nvim_buf_get_changedtick(bufnr) ~= tick then
    -- vim.paste puts each chunk with nvim_put, which sets '[ at the start of the text it put
    local start = vim.api.nvim_buf_get_mark(bufnr, "[")
    local sr, sc = start[1] - 1, start[2]
    local er, ec = end_of(sr, sc, lines)
    if holds(bufnr, sr, sc, er, ec, lines) then
      M.hint(bufnr, sr, sc, er, ec, "paste")
    end
  end
  return result
end

local function is_clipboard_register(register)
  if register == "+" or register == "*" then
    return true
  end
  local clipboard = vim.o.clipboard
  return register == '"' and (clipboard:find("unnamed", 1, true) ~= nil)
end

--- After a put from a clipboard register: its text lies between the '[ and '] marks.
function M.after_put()
  local bufnr = vim.api.nvim_get_current_buf()
  local pending = vim.b[bufnr].provguard_put
  vim.b[bufnr].provguard_put = nil
  if not pending or vim.api.nvim_buf_get_changedtick(bufnr) == pending.tick then
    return
  end
  local first = vim.api.nvim_buf_get_mark(bufnr, "[")
  local last = vim.api.nvim_buf_get_mark(bufnr, "]")
  local sr, sc, er = first[1] - 1, first[2], last[1] - 1
  local ec
  if pending.regtype == "V" then
    sc = 0
    ec = #(vim.api.nvim_buf_get_lines(bufnr, er, er + 1, false)[1] or "")
  elseif pending.regtype == "v" then
    local line = vim.api.nvim_buf_get_lines(bufnr, er, er + 1, false)[1] or ""
    -- '] is on the last byte's character: the range ends after it
    ec = math.min(#line, last[2] + math.max(1, #vim.fn.strcharpart(line:sub(last[2] + 1), 0, 1)))
  else
    return -- blockwise puts touch many lines in pieces: the server tracks them as edits
  end
  M.hint(bufnr, sr, sc, er, ec, "paste")
end

local function put_mapping(key)
  return function()
    local register = vim.v.register
    local bufnr = vim.api.nvim_get_current_buf()
    if not is_clipboard_register(register) then
      return key
    end
    local regtype = vim.fn.getregtype(register):sub(1, 1)
    vim.b[bufnr].provguard_put = { tick = vim.api.nvim_buf_get_changedtick(bufnr), regtype = regtype }
    return key .. "<Cmd>lua require('provguard.paste').after_put()<CR>"
  end
end

--- Buffer-local put mappings where the person has none of their own.
local function map_puts(bufnr)
  for mode, keys in pairs(PUT_KEYS) do
    for _, key in ipairs(keys) do
      local existing = vim.fn.maparg(key, mode, false, true)
      if vim.tbl_isempty(existing) then
        vim.keymap.set(mode, key, put_mapping(key), {
          buffer = bufnr, expr = true, desc = "provguard: put, and tell the server a clipboard put was a paste",
        })
      end
    end
  end
end

function M.setup(opts)
  config = opts
  if config.paste and original_paste == nil then
    original_paste = vim.paste
    vim.paste = wrapped_paste
  end
  local group = vim.api.nvim_create_augroup("provguard.paste", { clear = true })
  if config.clipboard_puts then
    vim.api.nvim_create_autocmd("LspAttach", {
      group = group,
      callback = function(args)
        local client = vim.lsp.get_client_by_id(args.data.client_id)
        if client and client.name == NAME then
          map_puts(args.buf)
        end
      end,
    })
  end
end

--- Whether vim.paste is wrapped (for :checkhealth).
function M.installed()
  return original_paste ~= nil and vim.paste == wrapped_paste
end

return M
