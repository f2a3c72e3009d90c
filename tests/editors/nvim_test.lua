-- A real headless Neovim (0.11) using editors/nvim/lsp/refhound.lua as a user would: the
-- directory on 'runtimepath', `vim.lsp.config` pointing `cmd` at the binary under test,
-- `vim.lsp.enable('refhound')`, then Python files opened from a project whose root marker is a
-- pyproject.toml. Run by tests/editors_nvim.sh, which sets:
--   REFHOUND_BIN       the refhound binary
--   REFHOUND_ROOT      the repository (for editors/nvim)
--   REFHOUND_PROJECT   a copy of tests/demo/leaky_service in a temporary project
--   REFHOUND_EXPECTED  `refhound check --format json` of that project's files
--   REFHOUND_FREEVARS  `refhound freevars` of the project's package (JSON lines)
-- Prints each check; on the first failure prints why and exits 1 (`cquit 1`).

local BIN = assert(os.getenv('REFHOUND_BIN'), 'REFHOUND_BIN is not set')
local ROOT = assert(os.getenv('REFHOUND_ROOT'), 'REFHOUND_ROOT is not set')
local PROJECT = assert(os.getenv('REFHOUND_PROJECT'), 'REFHOUND_PROJECT is not set')
local EXPECTED = assert(os.getenv('REFHOUND_EXPECTED'), 'REFHOUND_EXPECTED is not set')
local FREEVARS = assert(os.getenv('REFHOUND_FREEVARS'), 'REFHOUND_FREEVARS is not set')
local TIMEOUT = 15000

local checks = 0

local function fail(message)
  io.stdout:write('FAILED: ' .. message .. '\n')
  io.stdout:flush()
  vim.cmd('cquit 1')
end

local function ok(message)
  checks = checks + 1
  io.stdout:write('ok: ' .. message .. '\n')
  io.stdout:flush()
end

local function check(condition, message, detail)
  if not condition then
    fail(message .. (detail and (': ' .. detail) or ''))
  end
  ok(message)
end

-- Errors anywhere (a Lua error in a callback too) fail the run instead of hanging it.
local function run(body)
  local success, err = xpcall(body, debug.traceback)
  if not success then
    fail('error: ' .. tostring(err))
  end
end

-- Messages the server shows (`window/showMessage`): a user would see them, so they are recorded
-- and a warning or error among them fails the run.
local shown = {}
vim.lsp.handlers['window/showMessage'] = function(_, params)
  table.insert(shown, params)
end

-- `workspace/configuration` requests answered, counted (settings changes wait for one).
local configuration_pulls = 0
local configuration = vim.lsp.handlers['workspace/configuration']
vim.lsp.handlers['workspace/configuration'] = function(...)
  configuration_pulls = configuration_pulls + 1
  return configuration(...)
end

-- `textDocument/inlayHint` answers received, by buffer (a check waits for the next one).
local inlay_answers = vim.defaulttable(function()
  return 0
end)
local on_inlayhint = vim.lsp.handlers['textDocument/inlayHint']
vim.lsp.handlers['textDocument/inlayHint'] = function(err, result, ctx, config)
  inlay_answers[ctx.bufnr] = inlay_answers[ctx.bufnr] + 1
  return on_inlayhint(err, result, ctx, config)
end

local SEVERITY = {
  error = vim.diagnostic.severity.ERROR,
  warning = vim.diagnostic.severity.WARN,
  information = vim.diagnostic.severity.INFO,
  hint = vim.diagnostic.severity.HINT,
}

local function read_file(path)
  local f = assert(io.open(path, 'r'))
  local text = f:read('*a')
  f:close()
  return text
end

local function real(path)
  return vim.uv.fs_realpath(path) or path
end

-- `refhound check --format json` findings of one file, as "code line:col-line:col severity"
-- strings (1-based, as the CLI prints them), sorted.
local cli = vim.json.decode(read_file(EXPECTED))
local function expected_for(path, severity_override)
  local out = {}
  for _, finding in ipairs(cli) do
    if real(finding.filename) == real(path) then
      local severity = (severity_override or {})[finding.code] or finding.severity
      table.insert(
        out,
        string.format(
          '%s %d:%d-%d:%d %s',
          finding.code,
          finding.location.row,
          finding.location.column,
          finding.end_location.row,
          finding.end_location.column,
          severity
        )
      )
    end
  end
  table.sort(out)
  return out
end

local SEVERITY_NAME = {}
for name, value in pairs(SEVERITY) do
  SEVERITY_NAME[value] = name
end

-- What Neovim shows for the buffer from refhound, in the same form (its positions are 0-based;
-- the fixtures are ASCII, so byte columns and the CLI's character columns agree).
local function shown_for(buf)
  local out = {}
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    if d.source == 'refhound' then
      table.insert(
        out,
        string.format(
          '%s %d:%d-%d:%d %s',
          tostring(d.code),
          d.lnum + 1,
          d.col + 1,
          d.end_lnum + 1,
          d.end_col + 1,
          SEVERITY_NAME[d.severity] or tostring(d.severity)
        )
      )
    end
  end
  table.sort(out)
  return out
end

local function same(a, b)
  return table.concat(a, '\n') == table.concat(b, '\n')
end

-- Waits until the buffer's refhound diagnostics are `expected`; fails with both lists if not.
local function wait_for_diagnostics(buf, expected, what)
  local matched = vim.wait(TIMEOUT, function()
    return same(shown_for(buf), expected)
  end, 50)
  if not matched then
    fail(
      what
        .. ': Neovim shows\n  '
        .. table.concat(shown_for(buf), '\n  ')
        .. '\nexpected\n  '
        .. table.concat(expected, '\n  ')
    )
  end
  ok(what .. ' (' .. #expected .. ': ' .. table.concat(
    vim.tbl_map(function(s)
      return s:match('^(%S+ %d+)')
    end, expected),
    ', '
  ) .. ')')
end

local function open(name)
  local path = PROJECT .. '/leaky_service/' .. name
  vim.cmd.edit(vim.fn.fnameescape(path))
  local buf = vim.api.nvim_get_current_buf()
  check(vim.bo[buf].filetype == 'python', name .. ': filetype is python', vim.bo[buf].filetype)
  return buf, path
end

local function refhound_client(buf)
  local client
  vim.wait(TIMEOUT, function()
    client = vim.lsp.get_clients({ bufnr = buf, name = 'refhound' })[1]
    return client ~= nil and client.initialized
  end, 50)
  if not client then
    fail('no refhound client attached to ' .. vim.api.nvim_buf_get_name(buf))
  end
  return client
end

-- 0-based (line, byte column) of the first occurrence of `needle` in the buffer.
local function find(buf, needle)
  for i, line in ipairs(vim.api.nvim_buf_get_lines(buf, 0, -1, false)) do
    local col = line:find(needle, 1, true)
    if col then
      return i - 1, col - 1
    end
  end
  fail('text not found: ' .. needle)
end

local function request(buf, method, params)
  local responses, err = vim.lsp.buf_request_sync(buf, method, params, TIMEOUT)
  if not responses then
    fail(method .. ': no response (' .. tostring(err) .. ')')
  end
  for _, response in pairs(responses) do
    if response.err then
      fail(method .. ': ' .. vim.inspect(response.err))
    end
    return response.result
  end
  fail(method .. ': no client answered')
end

-- The captured names a hover lists, one "- `name`" line each, in order.
local function hover_captures(buf, needle)
  local line, col = find(buf, needle)
  local result = request(buf, 'textDocument/hover', {
    textDocument = { uri = vim.uri_from_bufnr(buf) },
    position = { line = line, character = col },
  })
  if not result or not result.contents then
    fail('hover on `' .. needle .. '`: no hover')
  end
  local value = result.contents.value or ''
  local names = {}
  for name in value:gmatch('\n%- `([^`]+)`') do
    table.insert(names, name)
  end
  return names, value
end

run(function()
  -- ------------------------------------------------------------ the configuration file
  vim.opt.runtimepath:prepend(ROOT .. '/editors/nvim')
  vim.lsp.config('refhound', { cmd = { BIN, 'server' } })
  local config = vim.lsp.config.refhound
  check(
    config ~= nil and vim.deep_equal(config.filetypes, { 'python' }),
    'lsp/refhound.lua found on runtimepath (filetypes = { python })'
  )
  check(
    vim.deep_equal(
      config.root_markers,
      { 'pyproject.toml', 'refhound.toml', 'setup.py', 'setup.cfg', '.git' }
    ),
    'root_markers as documented'
  )
  check(vim.deep_equal(config.cmd, { BIN, 'server' }), 'vim.lsp.config overrides cmd')
  check(
    vim.json.encode(config.settings) == '{"refhound":{}}',
    'settings = { refhound = {} } (sent as a JSON object)',
    vim.json.encode(config.settings)
  )
  vim.lsp.enable('refhound')

  -- ------------------------------------------------------------ diagnostics = `check`
  local reports, reports_path = open('reports.py')
  local client = refhound_client(reports)
  check(
    real(client.config.root_dir) == real(PROJECT),
    'root_dir is the project (its pyproject.toml)',
    client.config.root_dir
  )
  local pull = client.server_capabilities.diagnosticProvider ~= nil
  ok('server diagnostics are ' .. (pull and 'pulled (textDocument/diagnostic)' or 'pushed'))
  -- The project's pyproject.toml makes RH302 an error: the CLI and the editor must agree.
  wait_for_diagnostics(
    reports,
    expected_for(reports_path),
    'reports.py: diagnostics match `refhound check --format json`'
  )
  local events, events_path = open('events.py')
  check(refhound_client(events).id == client.id, 'events.py: same client (one per root)')
  wait_for_diagnostics(
    events,
    expected_for(events_path),
    'events.py: diagnostics match `refhound check --format json`'
  )

  -- ------------------------------------------------------------ diagnostic text (README)
  -- Neovim 0.11 shows diagnostics as signs only; the line editors/nvim/README.md gives shows
  -- each finding's message at the end of its line.
  local function virtual_texts(buf)
    local texts = {}
    for _, mark in ipairs(vim.api.nvim_buf_get_extmarks(buf, -1, 0, -1, { details = true })) do
      for _, chunk in ipairs(mark[4].virt_text or {}) do
        table.insert(texts, chunk[1])
      end
    end
    return table.concat(texts, ' | ')
  end
  check(
    not virtual_texts(reports):find('lru_cache', 1, true),
    'by default Neovim 0.11 shows no diagnostic text (signs only)',
    virtual_texts(reports)
  )
  local readme_line = read_file(ROOT .. '/editors/nvim/README.md'):match('vim%.diagnostic%.config%b()')
  check(readme_line ~= nil, 'editors/nvim/README.md gives a vim.diagnostic.config(...) line')
  assert(loadstring(readme_line))()
  check(
    vim.wait(TIMEOUT, function()
      return virtual_texts(reports):find('lru_cache', 1, true) ~= nil
    end),
    "with the README's line, the findings' messages show at the ends of their lines",
    virtual_texts(reports)
  )
  vim.diagnostic.config({ virtual_text = false })

  -- ------------------------------------------------------------ hover: captured variables
  local names, text = hover_captures(events, 'lambda report_id')
  check(
    vim.deep_equal(names, { 'big' }),
    'hover on `lambda` lists its captured variable `big`',
    vim.inspect(names) .. '\n' .. text
  )
  names, text = hover_captures(reports, 'formatter(value)')
  check(
    vim.deep_equal(names, { 'dataset' }),
    'hover on `def formatter` lists its captured variable `dataset`',
    vim.inspect(names) .. '\n' .. text
  )

  -- ------------------------------------------------------------ inlay hints: captured variables
  -- What `refhound freevars` says each function and lambda of a file captures (CPython's
  -- `co_freevars`; the implicit `__class__` of methods calling `super()` gets no hint), as
  -- "line: names" strings in source order.
  local function freevars_of(file)
    local out = {}
    for line in io.lines(FREEVARS) do
      local record = vim.json.decode(line)
      if record.file == file and (record.kind == 'function' or record.kind == 'lambda') then
        local names = vim.tbl_filter(function(n)
          return n ~= '__class__'
        end, record.freevars)
        if #names > 0 then
          table.insert(out, record.firstlineno .. ': ' .. table.concat(names, ', '))
        end
      end
    end
    return out
  end
  -- What Neovim holds for the buffer (`vim.lsp.inlay_hint.get`), in the same form, after
  -- checking that each name links to its binding in the buffer.
  local function hints_of(buf)
    local out = {}
    local hints = vim.lsp.inlay_hint.get({ bufnr = buf })
    table.sort(hints, function(a, b)
      return a.inlay_hint.position.line < b.inlay_hint.position.line
    end)
    for _, item in ipairs(hints) do
      local hint = item.inlay_hint
      local names = {}
      for _, part in ipairs(hint.label) do
        if part.location then
          check(
            part.location.uri == vim.uri_from_bufnr(buf),
            '`' .. part.value .. '` links into its own file'
          )
          local range = part.location.range
          local line = vim.api.nvim_buf_get_lines(buf, range.start.line, range.start.line + 1, false)[1]
          check(
            line:sub(range.start.character + 1, range['end'].character) == part.value,
            '`' .. part.value .. '` links to its binding (' .. part.tooltip .. '): ' .. line
          )
          table.insert(names, part.value)
        end
      end
      table.insert(out, (hint.position.line + 1) .. ': ' .. table.concat(names, ', '))
    end
    return out
  end
  local function wait_for_answer(buf, before, what)
    check(
      vim.wait(TIMEOUT, function()
        return inlay_answers[buf] > before
      end, 20),
      what
    )
  end
  -- Off by default: enabling inlay hints in Neovim shows none.
  vim.api.nvim_set_current_buf(events)
  local before = { [events] = inlay_answers[events], [reports] = inlay_answers[reports] }
  vim.lsp.inlay_hint.enable()
  wait_for_answer(events, before[events], 'inlay hints enabled: events.py asked')
  wait_for_answer(reports, before[reports], 'inlay hints enabled: reports.py asked')
  check(
    #vim.lsp.inlay_hint.get() == 0,
    'setting `inlayHints` off (the default): no inlay hints',
    vim.inspect(vim.lsp.inlay_hint.get())
  )
  -- Turned on in the editor's settings: the server asks Neovim to refresh the shown buffer.
  local function set_settings(settings, what)
    client.settings.refhound = settings
    local pulled = configuration_pulls
    client:notify('workspace/didChangeConfiguration', { settings = client.settings })
    check(
      vim.wait(TIMEOUT, function()
        return configuration_pulls > pulled
      end, 20),
      what .. ': the server asks for section `refhound`'
    )
  end
  set_settings({ inlayHints = true }, 'settings.refhound.inlayHints = true')
  local expected_hints = freevars_of('events.py')
  check(#expected_hints == 1, 'events.py has one closure that captures', vim.inspect(expected_hints))
  local shown_hints = vim.wait(TIMEOUT, function()
    return #vim.lsp.inlay_hint.get({ bufnr = events }) > 0
  end, 20)
  check(shown_hints, 'settings.refhound.inlayHints = true: events.py shows inlay hints')
  local got = hints_of(events)
  check(
    same(got, expected_hints),
    'events.py: the hints are `refhound freevars` (' .. table.concat(got, '; ') .. ')',
    vim.inspect(got) .. ' vs ' .. vim.inspect(expected_hints)
  )
  local label = table.concat(vim.tbl_map(function(p)
    return p.value
  end, vim.lsp.inlay_hint.get({ bufnr = events })[1].inlay_hint.label))
  local line_text = vim.api.nvim_buf_get_lines(events, 21, 22, false)[1]
  check(label == 'captures(big)', 'the label reads `captures(big)`', label)
  -- Neovim converts the position to a byte column: right after the lambda's parameters.
  local column = vim.lsp.inlay_hint.get({ bufnr = events })[1].inlay_hint.position.character
  check(
    line_text:sub(1, column):match('lambda report_id$') ~= nil,
    'the hint sits after `lambda report_id`',
    line_text:sub(1, column)
  )
  vim.api.nvim_set_current_buf(reports)
  before = inlay_answers[reports]
  vim.lsp.inlay_hint.enable(true, { bufnr = reports })
  wait_for_answer(reports, before, 'reports.py asked again')
  got = hints_of(reports)
  expected_hints = freevars_of('reports.py')
  check(
    #got > 0 and same(got, expected_hints),
    'reports.py: the hints are `refhound freevars` (' .. table.concat(got, '; ') .. ')',
    vim.inspect(got) .. ' vs ' .. vim.inspect(expected_hints)
  )
  -- Off again: the shown buffer's hints go (the server asks for a refresh again).
  set_settings(vim.empty_dict(), 'settings.refhound = {}')
  check(
    vim.wait(TIMEOUT, function()
      return #vim.lsp.inlay_hint.get({ bufnr = reports }) == 0
    end, 20),
    'setting `inlayHints` off again: reports.py shows no inlay hints'
  )
  vim.lsp.inlay_hint.enable(false)

  -- ------------------------------------------------------------ code action: ignore a line
  vim.api.nvim_set_current_buf(reports)
  local before = vim.api.nvim_buf_get_lines(reports, 0, -1, false)
  local rh302
  for _, d in ipairs(vim.diagnostic.get(reports)) do
    if d.source == 'refhound' and d.code == 'RH302' then
      rh302 = d
    end
  end
  check(rh302 ~= nil, 'reports.py: an RH302 diagnostic to act on')
  local lsp_diagnostic = rh302.user_data and rh302.user_data.lsp
  check(lsp_diagnostic ~= nil, 'the diagnostic keeps the server LSP diagnostic')
  local actions = request(reports, 'textDocument/codeAction', {
    textDocument = { uri = vim.uri_from_bufnr(reports) },
    range = lsp_diagnostic.range,
    context = { diagnostics = { lsp_diagnostic } },
  }) or {}
  local action
  for _, a in ipairs(actions) do
    if a.title == 'Ignore RH302 on this line' then
      action = a
    end
  end
  check(
    action ~= nil,
    'code actions offer "Ignore RH302 on this line"',
    vim.inspect(vim.tbl_map(function(a)
      return a.title
    end, actions))
  )
  if not action.edit then
    -- Neovim resolves edits lazily (codeAction/resolve), as it does before applying.
    action = request(reports, 'codeAction/resolve', action)
    check(action and action.edit ~= nil, 'codeAction/resolve gives the edit')
  end
  vim.lsp.util.apply_workspace_edit(action.edit, client.offset_encoding)
  local after = vim.api.nvim_buf_get_lines(reports, 0, -1, false)
  local line = rh302.lnum + 1
  check(#after == #before, 'the edit keeps the line count', #before .. ' -> ' .. #after)
  for i = 1, #before do
    if i ~= line and before[i] ~= after[i] then
      fail('the edit changed line ' .. i .. ': ' .. after[i])
    end
  end
  check(
    after[line] == before[line] .. '  # refhound: ignore[RH302]',
    'line ' .. line .. ' now ends with `# refhound: ignore[RH302]`',
    after[line]
  )
  -- Neovim sends the edit (didChange); the server drops RH302 and keeps the rest.
  local left = vim.tbl_filter(function(s)
    return not s:match('^RH302 ')
  end, expected_for(reports_path))
  wait_for_diagnostics(reports, left, 'after the edit, reports.py shows no RH302')

  -- ------------------------------------------------------------ source.fixAll.refhound
  -- As a user would run it: `vim.lsp.buf.code_action` with the kind, applied directly.
  local debug_buf, debug_path = open('debug.py')
  wait_for_diagnostics(
    debug_buf,
    expected_for(debug_path),
    'debug.py: diagnostics match `refhound check --format json`'
  )
  vim.lsp.buf.code_action({ context = { only = { 'source.fixAll.refhound' } }, apply = true })
  local fixed = vim.wait(TIMEOUT, function()
    return not table.concat(vim.api.nvim_buf_get_lines(debug_buf, 0, -1, false), '\n')
      :find('DEBUG_SAVEALL', 1, true)
  end, 50)
  check(fixed, 'source.fixAll.refhound removes `gc.set_debug(gc.DEBUG_SAVEALL)` (RH601)')
  local debug_text = table.concat(vim.api.nvim_buf_get_lines(debug_buf, 0, -1, false), '\n')
  check(
    debug_text:find('gc.set_debug(gc.DEBUG_STATS)', 1, true) ~= nil,
    'and leaves `gc.set_debug(gc.DEBUG_STATS)` alone'
  )
  wait_for_diagnostics(debug_buf, {}, 'debug.py: no refhound diagnostic left')

  -- ------------------------------------------------------------ settings from the editor
  -- `settings.refhound` as a user sets it: RH501 as a hint, sent as didChangeConfiguration
  -- (the server pulls `workspace/configuration` section `refhound`). Neovim 0.11 pulls
  -- diagnostics on didOpen/didChange of a visible buffer only (it has no handler for
  -- `workspace/diagnostic/refresh`), so, as a user would, the buffer is shown and reloaded.
  client.settings.refhound = { severity = { RH501 = 'hint' } }
  local pulls = configuration_pulls
  client:notify('workspace/didChangeConfiguration', { settings = client.settings })
  check(
    vim.wait(TIMEOUT, function()
      return configuration_pulls > pulls
    end, 20),
    'didChangeConfiguration: the server asks for section `refhound`'
  )
  vim.api.nvim_set_current_buf(events)
  vim.cmd.edit()
  wait_for_diagnostics(
    events,
    expected_for(events_path, { RH501 = 'hint' }),
    'settings.refhound.severity = { RH501 = "hint" } makes RH501 a hint'
  )

  local problems = vim.tbl_filter(function(m)
    return m.type <= vim.lsp.protocol.MessageType.Warning
  end, shown)
  check(#problems == 0, 'the server showed no warning or error', vim.inspect(problems))

  -- ------------------------------------------------------------ shutdown
  client:stop()
  local stopped = vim.wait(TIMEOUT, function()
    return client:is_stopped()
  end, 50)
  check(stopped, 'the server shuts down when asked')
  io.stdout:write(string.format('Neovim %s: %d checks passed\n', tostring(vim.version()), checks))
  io.stdout:flush()
  vim.cmd('qall!')
end)
